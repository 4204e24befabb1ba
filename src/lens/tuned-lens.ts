// The tuned lens (Belrose et al., 2023): the logit lens reads every layer as if it were the last, which is
// biased where a layer's basis drifts from the final one. A tuned lens learns, per layer, one affine
// translator h -> h + A h + b (A, b zero at the start: the logit lens) so that decoding the translated
// stream matches the model's final distribution, minimising KL(final || lens) on a text. Saved beside the
// model as safetensors (translators.<layer>.weight/bias).
import { existsSync } from 'node:fs';
import { loadSafetensors, saveSafetensors } from '../io/index.js';
import type { LanguageModel } from '../model/index.js';
import { Linear, Module } from '../nn/index.js';
import { add, exp, type IntTensor, logSoftmax, mul, noGrad, sub, sum, Tensor } from '../tensor/index.js';
import { AdamW } from '../train/index.js';
import { runWithCache } from './cache.js';

export class TunedLens extends Module {
  /** One per block input (blocks.{i}.hook_resid_pre); the final layer needs none. */
  readonly translators: Linear[];

  constructor(
    readonly dim: number,
    layers: number,
  ) {
    super();
    this.translators = Array.from({ length: layers }, () => new Linear(dim, dim, { std: 0 }));
  }

  /** Next-token logits from the residual stream entering block `layer`, through its translator. */
  logits(model: LanguageModel, layer: number, resid: Tensor): Tensor {
    const t = this.translators[layer];
    if (!t)
      throw new Error(`TunedLens: no translator for layer ${layer} (it has ${this.translators.length})`);
    return model.unembed(model.transformer.ln_f.forward(add(resid, t.forward(resid))));
  }

  save(path: string): void {
    saveSafetensors(path, this.stateDict(), { format: 'jielong-tuned-lens' });
  }

  static load(path: string, model: LanguageModel): TunedLens {
    if (!existsSync(path)) throw new Error(`TunedLens: no file ${path}`);
    const lens = new TunedLens(model.config.nEmbd, model.config.nLayer);
    const floats = new Map<string, Tensor>();
    for (const [name, t] of loadSafetensors(path).tensors) {
      if (!(t instanceof Tensor)) throw new Error(`${path}: ${name} is not a float tensor`);
      floats.set(name, t);
    }
    lens.loadStateDict(floats);
    return lens;
  }
}

/** The residual stream entering each block, and the model's final log-probabilities, without a graph. */
function streams(model: LanguageModel, ids: IntTensor): { resid: Tensor[]; final: Tensor } {
  return noGrad(() => {
    const names = Array.from({ length: model.config.nLayer }, (_, i) => `blocks.${i}.hook_resid_pre`);
    const { logits, cache } = runWithCache(model, ids, { names });
    return { resid: names.map((n) => cache.get(n)), final: logSoftmax(logits, -1) };
  });
}

/** KL(final || lens) in nats, averaged over tokens. */
function kl(finalLogp: Tensor, lensLogits: Tensor): Tensor {
  const tokens = finalLogp.data.length / finalLogp.shape[finalLogp.ndim - 1];
  return mul(sum(mul(exp(finalLogp), sub(finalLogp, logSoftmax(lensLogits, -1)))), 1 / tokens);
}

/** Trains a tuned lens on batches of token ids (the model is not changed), with progress per step. */
export function fitTunedLens(
  model: LanguageModel,
  batches: readonly IntTensor[],
  options: { steps?: number; lr?: number; onStep?: (step: number, loss: number) => void } = {},
): TunedLens {
  const lens = new TunedLens(model.config.nEmbd, model.config.nLayer);
  const opt = new AdamW(lens.parameters(), { lr: options.lr ?? 1e-3, weightDecay: 0 });
  const data = batches.map((ids) => streams(model, ids));
  const steps = options.steps ?? 100;
  for (let step = 0; step < steps; step++) {
    const { resid, final } = data[step % data.length];
    lens.zeroGrad();
    let loss = kl(final, lens.logits(model, 0, resid[0]));
    for (let l = 1; l < resid.length; l++) loss = add(loss, kl(final, lens.logits(model, l, resid[l])));
    loss.backward();
    opt.step();
    options.onStep?.(step, loss.data[0]);
  }
  model.zeroGrad();
  return lens;
}

/**
 * The comparison the tuned-lens paper makes: KL(final || lens) per layer, for the logit lens and (when
 * given) a tuned lens, on `ids`. The last entry is the final layer (0 for both).
 */
export function lensKL(
  model: LanguageModel,
  ids: IntTensor,
  tuned?: TunedLens,
): { labels: string[]; logit: number[]; tuned: number[] | null } {
  const { resid, final } = streams(model, ids);
  const ln = model.transformer.ln_f;
  return noGrad(() => ({
    labels: [...resid.map((_, i) => `${i}_pre`), 'final_post'],
    logit: [...resid.map((h) => kl(final, model.unembed(ln.forward(h))).data[0]), 0],
    tuned: tuned ? [...resid.map((h, i) => kl(final, tuned.logits(model, i, h)).data[0]), 0] : null,
  }));
}
