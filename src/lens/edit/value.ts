// The value an edit must write (ROME's compute_v): a vector δ added to an activation at the subject's last
// token (ROME: the MLP's output at the edited layer; MEMIT: the residual stream after the last edited
// layer), optimised with the weights frozen so that, after every context, the model writes the new
// answer; a KL term keeps what the model says about the subject otherwise ("{subject} is"), weight decay
// and a norm clamp keep δ small. The edit then changes weights so that they produce δ by themselves.
import type { LanguageModel } from '../../model/index.js';
import { HookContext, type HookFn } from '../../nn/index.js';
import { add, IntTensor, logSoftmax, mul, noGrad, slice, sum, Tensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { AdamW } from '../../train/index.js';
import { withFrozenWeights } from '../frozen.js';
import { type EditRequest, frame } from './keys.js';

export interface ValueOptions {
  /** Contexts put before the prompt (ROME's random prefixes); '' is the prompt alone. */
  contexts: readonly string[];
  steps?: number;
  lr?: number;
  /** Weight of the KL term on "{subject} is" (ROME's kl_factor). */
  klFactor?: number;
  /** Weight decay on |δ|² / |activation|² and the clamp |δ| <= clampFactor |activation|. */
  weightDecay?: number;
  clampFactor?: number;
}

/** Adds `delta` [d] at `positions` of row 0 of the activation: differentiable in delta. */
function addAt(delta: Tensor, positions: readonly number[]): HookFn {
  return (t) => {
    const [, T, d] = t.shape;
    const mask = new Float32Array(T);
    for (const p of positions) mask[p] = 1;
    return add(t, mul(new Tensor(mask, [1, T, 1]), delta.reshape(1, 1, d)));
  };
}

/** The activation at `point` and `position` of a prompt [d]: what δ is measured against, and MEMIT's residuals. */
export function activationAt(
  model: LanguageModel,
  point: string,
  ids: number[],
  position: number,
): Float32Array {
  const acts = new Map<string, Tensor>();
  noGrad(() =>
    model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length]), {
      hooks: new HookContext(new Map(), acts, [point]),
    }),
  );
  const t = acts.get(point) as Tensor;
  const d = t.shape[2];
  return t.data.slice(position * d, (position + 1) * d);
}

/** A prompt and its answer teacher-forced, [1, T]: targets only at the answer's tokens (-100 elsewhere). */
export function teacherForced(
  prompt: readonly number[],
  answer: readonly number[],
): { x: IntTensor; y: IntTensor } {
  const ids = [...prompt, ...answer];
  const targets = new Int32Array(ids.length - 1).fill(-100);
  for (let i = 0; i < answer.length; i++) targets[prompt.length - 1 + i] = answer[i];
  return {
    x: new IntTensor(Int32Array.from(ids.slice(0, -1)), [1, ids.length - 1]),
    y: new IntTensor(targets, [1, ids.length - 1]),
  };
}

/** δ for one request at hook point `point`; returns it with the activation it is added to. */
export function optimiseValue(
  model: LanguageModel,
  tokenizer: Tokenizer,
  request: EditRequest,
  point: string,
  options: ValueOptions,
): { delta: Float32Array; activation: Float32Array; targetProb: number } {
  const { steps = 25, lr = 0.5, klFactor = 0.0625, weightDecay = 0.5, clampFactor = 4 } = options;
  const target = tokenizer.encode(request.target);
  const rows = options.contexts.map((c) => {
    const f = frame(tokenizer, request, c);
    if (f.ids.length + target.length - 1 > model.config.blockSize)
      throw new Error(`edit: "${c}${request.prompt}${request.target}" is longer than the model's context`);
    return { ...teacherForced(f.ids, target), at: f.subjectEnd };
  });
  const essence = frame(tokenizer, { ...request, prompt: `${request.subject} is` }, '');
  const essenceIds = new IntTensor(Int32Array.from(essence.ids), [1, essence.ids.length]);
  const last = (logits: Tensor) =>
    logSoftmax(slice(logits, 1, essence.ids.length - 1, essence.ids.length).reshape(-1));
  const before = noGrad(() => last(model.forward(essenceIds)));
  const p0 = new Tensor(before.data.map(Math.exp), before.shape);
  const plain = frame(tokenizer, request, '');
  const activation = activationAt(model, point, plain.ids, plain.subjectEnd);
  const norm = Math.hypot(...activation);
  const delta = new Tensor(new Float32Array(activation.length), [activation.length]).requiresGrad_();
  const optimizer = new AdamW([delta], { lr, betas: [0.9, 0.999], weightDecay: 0 });
  const hooked = (at: number) => new HookContext(new Map([[point, [addAt(delta, [at])]]]), null);
  let targetProb = 0;
  withFrozenWeights(model, () => {
    // steps + 1 forwards: the last one measures where the final step left δ.
    for (let step = 0; step <= steps; step++) {
      let loss: Tensor = new Tensor(new Float32Array([0]), []);
      let nll = 0;
      for (const r of rows) {
        const l = model.loss(r.x, r.y, { hooks: hooked(r.at) });
        nll += l.item() / rows.length;
        loss = add(loss, mul(l, 1 / rows.length));
      }
      targetProb = Math.exp(-nll * target.length);
      if (targetProb > 0.95 || step === steps) break;
      // KL(p0 || p) up to its constant Σ p0 log p0.
      const logp = last(model.forward(essenceIds, { hooks: hooked(essence.subjectEnd) }));
      const kl = mul(sum(mul(p0, logp)), -1);
      const decay = mul(sum(mul(delta, delta)), weightDecay / (norm * norm || 1));
      add(add(loss, mul(kl, klFactor)), decay).backward();
      optimizer.step();
      optimizer.zeroGrad();
      const size = Math.hypot(...delta.data);
      const cap = clampFactor * norm;
      if (size > cap) for (let j = 0; j < delta.data.length; j++) delta.data[j] *= cap / size;
    }
  });
  return { delta: delta.data.slice(), activation, targetProb };
}
