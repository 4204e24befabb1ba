// The selective scan written the slow, obvious way out of ordinary tensor ops (one small graph per time
// step, autograd for the backward): the reference op.ts is held to (it runs this under withNaiveOps).
import {
  add,
  cat,
  exp,
  matmul,
  mul,
  reshape,
  silu,
  slice,
  softplus,
  type Tensor,
  zeros,
} from '../../../tensor/index.js';

/**
 * h = exp(delta A) h + delta B u, y = C . h + D u, out = y * silu(z), step by step, with delta replaced by
 * softplus(delta + deltaBias) when deltaSoftplus. Returns the output [batch, seq, dInner] and the final
 * state [batch, dInner, dState].
 */
export function naiveSelectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  D: Tensor,
  z: Tensor,
  options: { deltaBias?: Tensor | null; deltaSoftplus?: boolean; initialState?: Tensor } = {},
): { out: Tensor; lastState: Tensor } {
  const [batch, seq, dInner] = u.shape;
  const dState = A.shape[1];
  const biased = options.deltaBias ? add(delta, options.deltaBias) : delta;
  const dt = options.deltaSoftplus ? softplus(biased) : biased;
  let h = options.initialState ?? zeros([batch, dInner, dState]);
  const ys: Tensor[] = [];
  for (let t = 0; t < seq; t++) {
    const column = (x: Tensor) => reshape(slice(x, 1, t, t + 1), [batch, dInner, 1]);
    const dtT = column(dt);
    const bT = reshape(slice(B, 1, t, t + 1), [batch, 1, dState]);
    h = add(mul(exp(mul(dtT, A)), h), mul(mul(dtT, column(u)), bT));
    const cT = reshape(slice(C, 1, t, t + 1), [batch, dState, 1]);
    ys.push(reshape(matmul(h, cT), [batch, 1, dInner]));
  }
  const y = add(cat(ys, 1), mul(u, D));
  return { out: mul(y, silu(z)), lastState: h };
}
