// Interventions on activations, each a Hook for runWithHooks (or for generation, through hookContext):
// patching in another run's activation, and ablation (zero, or the mean over a reference set; resample and
// sweeps are in ablation.ts, steering along a direction in steering.ts).
import type { LanguageModel } from '../model/index.js';
import { type IntTensor, Tensor } from '../tensor/index.js';
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
