// Attention written as the textbook reads, every intermediate a tensor (autograd gives the backward): the
// reference the fused kernels are held to, and the form the layer runs when a hook wants an intermediate.
import {
  arange,
  gt,
  maskedFill,
  matmul,
  mul,
  softmax,
  type Tensor,
  unsqueeze,
} from '../../../tensor/index.js';

/** Passes an intermediate through (a hook point), possibly replacing it. */
export type Tap = (point: 'hook_attn_scores' | 'hook_pattern', t: Tensor) => Tensor;

/**
 * softmax(q k^T / sqrt(D) + causal mask) v for q [B, H, T, D] at absolute positions pos.. and k, v
 * [B, H, pos + T, D] (every key up to the last query).
 */
export function naiveAttention(q: Tensor, k: Tensor, v: Tensor, pos: number, tap: Tap): Tensor {
  const D = q.shape[3];
  const keys = k.shape[2];
  // Query i sits at absolute position pos + i and may not see keys after it.
  const future = gt(unsqueeze(arange(keys), 0), unsqueeze(arange(pos, keys), 1));
  const scores = maskedFill(
    mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(D)),
    future,
    Number.NEGATIVE_INFINITY,
  );
  const pattern = tap('hook_pattern', softmax(tap('hook_attn_scores', scores), -1));
  return matmul(pattern, v);
}
