// The selective scan as one autograd op (selective_scan_fn of state-spaces/mamba, channels-last): a fused
// kernel runs the recurrence over time for every (batch, channel) at once, and its backward is the reverse
// scan, recomputing states from checkpoints saved every `chunkSize` steps instead of keeping all of them.
// Under withNaiveOps it runs naive.ts's step-by-step scan instead.
import { isGradEnabled, record, sumTo, Tensor } from '../../../tensor/index.js';
import { naiveOps } from '../form.js';
import { mambaKernels, scanSizes } from './kernels.js';
import { naiveSelectiveScan } from './naive.js';

export interface SelectiveScanOptions {
  /** Added to delta before the softplus ([dInner]; dt_proj's bias in Mamba). */
  deltaBias?: Tensor | null;
  /** delta = softplus(delta + deltaBias), as Mamba runs it. Default false (delta used as given). */
  deltaSoftplus?: boolean;
  /** State to continue from, [batch, dInner, dState] (generation); no gradient flows into it. */
  initialState?: Float32Array | null;
  /** Steps between the states kept for the backward (memory vs recompute; results do not depend on it). */
  chunkSize?: number;
}

export interface SelectiveScanResult {
  /** [batch, seq, dInner]. */
  out: Tensor;
  /** The state after the last step, [batch, dInner, dState] (no gradient). */
  lastState: Tensor;
}

const DEFAULT_CHUNK = 64;

function expectShape(what: string, t: Tensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`selectiveScan: ${what} must have shape [${shape}], got [${t.shape}]`);
  }
}

/**
 * y_t = (C_t . h_t + D u_t) * silu(z_t), h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, per channel c and
 * state n (A [dInner, dState] diagonal per channel). u, delta, z: [batch, seq, dInner]; B, C: [batch, seq,
 * dState]; D: [dInner].
 */
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  D: Tensor,
  z: Tensor,
  options: SelectiveScanOptions = {},
): SelectiveScanResult {
  if (u.ndim !== 3 || A.ndim !== 2) {
    throw new Error(
      `selectiveScan: expected u [batch, seq, dInner] and A [dInner, dState], got [${u.shape}] and [${A.shape}]`,
    );
  }
  const [batch, seq, dInner] = u.shape;
  const dState = A.shape[1];
  expectShape('A', A, [dInner, dState]);
  expectShape('delta', delta, [batch, seq, dInner]);
  expectShape('z', z, [batch, seq, dInner]);
  expectShape('B', B, [batch, seq, dState]);
  expectShape('C', C, [batch, seq, dState]);
  expectShape('D', D, [dInner]);
  const bias = options.deltaBias ?? null;
  if (bias) expectShape('deltaBias', bias, [dInner]);
  const h0 = options.initialState ?? null;
  if (h0 && h0.length !== batch * dInner * dState) {
    throw new Error(
      `selectiveScan: initialState holds ${h0.length} values, expected batch * dInner * dState = ${batch * dInner * dState}`,
    );
  }
  const chunk = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunk) || chunk <= 0) {
    throw new Error(`selectiveScan: chunkSize must be a positive integer, got ${chunk}`);
  }
  if (naiveOps()) {
    const initialState = h0 ? new Tensor(h0.slice(), [batch, dInner, dState]) : undefined;
    const { out, lastState } = naiveSelectiveScan(u, delta, A, B, C, D, z, { ...options, initialState });
    return { out, lastState: lastState.detach() };
  }
  const sizes = scanSizes({
    batch,
    seq,
    dInner,
    dState,
    chunk,
    deltaSoftplus: options.deltaSoftplus ?? false,
  });
  const inputs = bias ? [u, delta, A, B, C, D, z, bias] : [u, delta, A, B, C, D, z];
  const needsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const out = new Float32Array(batch * seq * dInner);
  const last = new Float32Array(batch * dInner * dState);
  const checkpoints = needsGrad ? new Float32Array(batch * dInner * Math.ceil(seq / chunk) * dState) : null;
  const k = mambaKernels();
  k.selectiveScan(
    u.data,
    delta.data,
    A.data,
    B.data,
    C.data,
    D.data,
    z.data,
    bias?.data ?? null,
    h0,
    out,
    last,
    checkpoints,
    ...sizes,
  );
  const y = record('selectiveScan', new Tensor(out, [batch, seq, dInner]), inputs, (g) => {
    const grads = [u, delta, A, B, C, D, z].map((t) => new Float32Array(t.data.length));
    const [gu, gDelta, gA, gB, gC, gD, gz] = grads;
    k.selectiveScanGrad(
      u.data,
      delta.data,
      A.data,
      B.data,
      C.data,
      D.data,
      z.data,
      bias?.data ?? null,
      checkpoints as Float32Array,
      g.data,
      gu,
      gDelta,
      gA,
      gB,
      gC,
      gD,
      gz,
      ...sizes,
    );
    const result = [u, delta, A, B, C, D, z].map((t, i) => t.withData(grads[i]));
    if (bias) result.push(sumTo(result[1], [dInner]));
    return result;
  });
  return { out: y, lastState: new Tensor(last, [batch, dInner, dState]) };
}
