// The recurrence written the obvious way, one time step after another out of ordinary tensor ops, so that
// autograd differentiates it: the reference the chunkwise kernels are held to (op.ts runs it under
// withNaiveOps; slow).
//   S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T,   o_t = scale * S_t^T q_t
import { add, cat, exp, matmul, mul, reshape, slice, Tensor, zeros } from '../../../tensor/index.js';
import type { Decay } from './op.js';

/** o [B, T, H, V] and the final state [B, H, K, V] from q, k [B, T, H, K], v [B, T, H, V]. */
export function naiveRecurrentGla(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  decay: Decay,
  scale: number,
  initialState?: Tensor,
): { o: Tensor; state: Tensor } {
  const [B, T, H, K] = q.shape;
  const V = v.shape[3];
  const step = (x: Tensor, t: number, shape: number[]) => reshape(slice(x, 1, t, t + 1), shape);
  const gamma =
    decay.kind === 'head' ? new Tensor(Float32Array.from(decay.logGamma, Math.exp), [H, 1, 1]) : null;
  let S = initialState ?? zeros([B, H, K, V]);
  const outputs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    if (decay.kind === 'key') S = mul(S, exp(step(decay.g, t, [B, H, K, 1])));
    if (gamma) S = mul(S, gamma);
    S = add(S, mul(step(k, t, [B, H, K, 1]), step(v, t, [B, H, 1, V])));
    const o = matmul(step(q, t, [B, H, 1, K]), S);
    outputs.push(reshape(mul(o, scale), [B, 1, H, V]));
  }
  return { o: cat(outputs, 1), state: S };
}
