// Attribution patching (Nanda, 2023): the first-order estimate of what activation patching would do,
// from one clean run with gradients and one corrupted run, instead of one patched run per point and
// position. Patching the corrupted activation a' into the clean run at a site changes a metric m by about
// (a' - a) . dm/da, the gradient taken on the clean run; exact when m is linear in a, close when a' is
// near a, and a ranking of sites otherwise.
import { Tensor } from '../tensor/index.js';
import type { ActivationCache } from './cache.js';

/**
 * The estimated change of the metric for patching `corrupt`'s activation into the clean run at each point
 * and position: [B, T] per name. `clean` must come from runWithCache(..., { grads: true }) followed by
 * `metric.backward()`, so each cached activation holds its gradient.
 */
export function attributionPatching(
  clean: ActivationCache,
  corrupt: ActivationCache,
  names: readonly string[],
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const name of names) {
    const a = clean.get(name);
    const b = corrupt.get(name);
    if (!a.grad) {
      throw new Error(
        `attributionPatching: ${name} has no gradient (runWithCache with grads, then metric.backward())`,
      );
    }
    if (a.shape.join() !== b.shape.join()) {
      throw new Error(
        `attributionPatching: ${name} is [${a.shape}] in the clean run, [${b.shape}] in the corrupt one`,
      );
    }
    const [B, T] = a.shape;
    const inner = a.data.length / (B * T);
    const g = a.grad.data;
    const est = new Float32Array(B * T);
    for (let i = 0; i < a.data.length; i++) est[Math.floor(i / inner)] += (b.data[i] - a.data[i]) * g[i];
    out.set(name, new Tensor(est, [B, T]));
  }
  return out;
}
