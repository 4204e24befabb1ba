// Mamba written the slow, obvious way out of ordinary tensor ops (one small graph per time step, autograd
// for the backward): what the fused kernels and the recurrent generation path are tested against.
import {
  add,
  cat,
  exp,
  linear,
  matmul,
  mul,
  neg,
  reshape,
  silu,
  slice,
  softplus,
  split,
  type Tensor,
  zeros,
} from '../../tensor/index.js';
import { causalConv1dReference } from '../conv/naive.js';
import type { Mamba } from '../mamba.js';

/**
 * The selective scan step by step: h = exp(delta A) h + delta B u, y = C . h + D u, out = y * silu(z), with
 * delta = softplus(delta + deltaBias). Returns the output [batch, seq, dInner] and final state
 * [batch, dInner, dState].
 */
export function selectiveScanReference(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  D: Tensor,
  z: Tensor,
  deltaBias: Tensor,
  initialState?: Tensor,
): { out: Tensor; lastState: Tensor } {
  const [batch, seq, dInner] = u.shape;
  const dState = A.shape[1];
  const dt = softplus(add(delta, deltaBias));
  let h = initialState ?? zeros([batch, dInner, dState]);
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

/** The whole Mamba block of `layer` (its parameters, none of its kernels) on x [batch, seq, dim]. */
export function mambaReference(layer: Mamba, x: Tensor): { out: Tensor; lastState: Tensor } {
  const [xs, z] = split(linear(x, layer.in_proj.weight, layer.in_proj.bias), layer.dInner, 2);
  const convWeight = reshape(layer.conv1d.weight, [layer.dInner, layer.dConv]);
  const u = silu(causalConv1dReference(xs, convWeight, layer.conv1d.bias));
  const [dt, B, C] = split(linear(u, layer.x_proj.weight), [layer.dtRank, layer.dState, layer.dState], 2);
  const A = neg(exp(layer.A_log));
  const dtIn = linear(dt, layer.dt_proj.weight);
  const scan = selectiveScanReference(u, dtIn, A, B, C, layer.D, z, layer.dt_proj.bias as Tensor);
  return { out: linear(scan.out, layer.out_proj.weight, layer.out_proj.bias), lastState: scan.lastState };
}
