// The delta rule written as the recurrence itself, one token at a time from ordinary tensor ops, so that
// autograd gives its gradients: the slow, obviously-correct reference the fused kernels are held to (op.ts
// runs it under withNaiveOps). And the L2 normalisation of q and k, as its formula reads.
//   S_t = exp(g_t) S_{t-1};  u_t = beta_t (v_t - S_t^T k_t);  S_t += k_t u_t^T;  o_t = scale S_t^T q_t
import {
  add,
  cat,
  div,
  exp,
  matmul,
  mul,
  reshape,
  split,
  sqrt,
  sub,
  sum,
  Tensor,
} from '../../../tensor/index.js';

/**
 * q, k [B, T, H, K], v [B, T, H, V], beta and g [B, T, H] (g null: no decay, DeltaNet); returns the outputs
 * o [B, T, H, V] and the final state [B, H, K, V], starting from `initialState` or zeros.
 */
export function naiveDeltaRule(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  beta: Tensor,
  g: Tensor | null,
  scale: number,
  initialState?: Tensor,
): { o: Tensor; state: Tensor } {
  const [B, T, H, K] = q.shape;
  const V = v.shape[3];
  const steps = (x: Tensor | null) => (x ? timeSteps(x) : []);
  const [qs, ks, vs, betas, gs] = [steps(q), steps(k), steps(v), steps(beta), steps(g)];
  let s = initialState ?? new Tensor(new Float32Array(B * H * K * V), [B, H, K, V]);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const kt = reshape(ks[t], [B, H, 1, K]);
    if (g) s = mul(s, exp(reshape(gs[t], [B, H, 1, 1])));
    const u = mul(reshape(betas[t], [B, H, 1, 1]), sub(reshape(vs[t], [B, H, 1, V]), matmul(kt, s)));
    s = add(s, matmul(kt, u, { transposeA: true }));
    outs.push(reshape(mul(matmul(reshape(qs[t], [B, H, 1, K]), s), scale), [B, 1, H, V]));
  }
  return { o: cat(outs, 1), state: s };
}

/**
 * x [B, T, ...] cut into T tensors [B, 1, ...], through blocks of about sqrt(T) steps: each cut's backward
 * writes a gradient the size of what it was cut from, so cutting twice keeps that from growing as T^2.
 */
function timeSteps(x: Tensor): Tensor[] {
  const block = Math.ceil(Math.sqrt(x.shape[1]));
  return split(x, block, 1).flatMap((b) => split(b, 1, 1));
}

/** x / sqrt(sum x^2 + eps) over each group of `groupSize` consecutive values of the last dim. */
export function naiveL2Normalize(x: Tensor, groupSize: number, eps: number): Tensor {
  const groups = reshape(x, [x.data.length / groupSize, groupSize]);
  return reshape(div(groups, sqrt(add(sum(mul(groups, groups), -1, true), eps))), x.shape);
}
