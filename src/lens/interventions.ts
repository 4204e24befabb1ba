// Interventions on activations, each a Hook for runWithHooks (or for generation, through hookContext):
// patching in another run's activation, ablation (zero, mean over a reference set, resample), and steering
// along a direction (add it, or project it out).
import type { LanguageModel } from '../model/index.js';
import { type IntTensor, noGrad, Tensor } from '../tensor/index.js';
import { runWithCache } from './cache.js';
import { type Hook, replace, type Where, withSites } from './hooks.js';

/** Puts `source` (another run's activation at the same point, same shape) in at the selected sites. */
export function patch(name: string, source: Tensor, where: Where = {}): Hook {
  return replace(name, source, where);
}

/** Zero ablation of the selected sites. */
export function zeroAblate(name: string, where: Where = {}): Hook {
  return replace(name, 0, where);
}

/**
 * The mean activation at a point over a reference set of sequences and positions: one value per element
 * after [B, T] (e.g. [hidden] for an MLP's neurons, [H, D] for a per-head point).
 */
export function meanActivation(model: LanguageModel, name: string, reference: readonly IntTensor[]): Tensor {
  let sum: Float64Array | null = null;
  let shape: number[] = [];
  let rows = 0;
  for (const ids of reference) {
    const t = runWithCache(model, ids, { names: [name] }).cache.get(name);
    shape = t.shape.slice(2);
    const inner = shape.reduce((a, b) => a * b, 1);
    sum ??= new Float64Array(inner);
    for (let i = 0; i < t.data.length; i++) sum[i % inner] += t.data[i];
    rows += t.data.length / inner;
  }
  if (!sum) throw new Error('meanActivation: the reference set is empty');
  return new Tensor(
    Float32Array.from(sum, (v) => v / rows),
    shape,
  );
}

/** Mean ablation: the selected sites take their mean over a reference set (meanActivation). */
export function meanAblate(name: string, mean: Tensor, where: Where = {}): Hook {
  return {
    name,
    ...where,
    fn: (t, s) => {
      const inner = mean.data.length;
      if (t.data.length % inner !== 0 || t.shape.slice(2).join() !== mean.shape.join()) {
        throw new Error(`meanAblate: a mean of shape [${mean.shape}] for ${name} of shape [${t.shape}]`);
      }
      const tiled = new Float32Array(t.data.length).map((_, i) => mean.data[i % inner]);
      return withSites(t, s, new Tensor(tiled, [...t.shape]));
    },
  };
}

/**
 * Steering along a direction [d] (the activation's last dim): `add` adds scale * direction at the selected
 * sites (every position by default); `project` removes the component along it (the refusal-direction
 * ablation), leaving x - (x . u) u with u the unit direction.
 */
export function steer(
  name: string,
  direction: Tensor,
  options: { mode?: 'add' | 'project'; scale?: number } & Where = {},
): Hook {
  const { mode = 'add', scale = 1, ...where } = options;
  const d = direction.data;
  const norm = Math.sqrt(d.reduce((a, v) => a + v * v, 0));
  if (mode === 'project' && norm === 0) throw new Error('steer: cannot project out a zero direction');
  return {
    name,
    ...where,
    fn: (t, s) => {
      const last = t.shape[t.ndim - 1];
      if (last !== d.length) {
        throw new Error(`steer: a direction of ${d.length} for ${name} of shape [${t.shape}]`);
      }
      const out = t.data.slice();
      const chosen = new Uint8Array(out.length);
      for (const i of s.indices) chosen[i] = 1;
      for (let row = 0; row < out.length; row += last) {
        if (mode === 'add') {
          for (let j = 0; j < last; j++) if (chosen[row + j]) out[row + j] += scale * d[j];
          continue;
        }
        let dot = 0;
        for (let j = 0; j < last; j++) dot += out[row + j] * d[j];
        const c = dot / (norm * norm);
        for (let j = 0; j < last; j++) if (chosen[row + j]) out[row + j] -= c * d[j];
      }
      return new Tensor(out, [...t.shape]);
    },
  };
}

/**
 * A direction from contrastive prompts: the mean activation at each prompt's last position over
 * `positive` minus the same over `negative` (difference of means), [d].
 */
export function meanDifference(
  model: LanguageModel,
  name: string,
  positive: readonly IntTensor[],
  negative: readonly IntTensor[],
): Tensor {
  const lastMean = (set: readonly IntTensor[]) =>
    noGrad(() => {
      let acc: Float64Array | null = null;
      let count = 0;
      for (const ids of set) {
        const t = runWithCache(model, ids, { names: [name] }).cache.get(name);
        const [B, T] = t.shape;
        const d = t.shape[t.ndim - 1];
        if (t.ndim !== 3)
          throw new Error(`meanDifference: ${name} is not a residual-like [batch, seq, d] point`);
        acc ??= new Float64Array(d);
        for (let b = 0; b < B; b++) {
          const at = (b * T + T - 1) * d;
          for (let j = 0; j < d; j++) acc[j] += t.data[at + j];
        }
        count += B;
      }
      if (!acc) throw new Error('meanDifference: an empty prompt set');
      return acc.map((v) => v / count);
    });
  const p = lastMean(positive);
  const n = lastMean(negative);
  return new Tensor(
    Float32Array.from(p, (v, j) => v - n[j]),
    [p.length],
  );
}
