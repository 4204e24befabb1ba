// The LSTM recurrence over a whole sequence as one autograd op: one kernel call forward, one BPTT kernel
// call backward (plus a GEMM for dW_hh), instead of a dozen small ops per timestep (which is naive.ts, the
// form it runs under withNaiveOps).
import { backend } from '../../../backend/index.js';
import { record, reshape, slice, Tensor } from '../../../tensor/index.js';
import { naiveOps } from '../form.js';
import { lstmKernels } from './kernels.js';
import { naiveLstmScan } from './naive.js';

export interface LSTMScan {
  /** h_t for every t: [B, T, H]. */
  output: Tensor;
  /** The final state h_T and c_T: [B, H] each (h_0, c_0 when T = 0). */
  h: Tensor;
  c: Tensor;
}

function shapeError(gx: Tensor, whh: Tensor, h0: Tensor, c0: Tensor): Error {
  const s = (t: Tensor) => `[${t.shape}]`;
  return new Error(
    `lstmScan: expected gx [B, T, 4H], weight_hh [4H, H], h0 and c0 [B, H]; got gx ${s(gx)}, weight_hh ${s(whh)}, h0 ${s(h0)}, c0 ${s(c0)}`,
  );
}

/**
 * Runs c_t = f_t * c_{t-1} + i_t * g_t, h_t = o_t * tanh(c_t) from (h0, c0), where the gates come from
 * gx_t + W_hh h_{t-1} (gx = x W_ih^T + b_ih + b_hh, computed for all t beforehand as one GEMM).
 * Gradients flow to gx, weightHH, h0 and c0, from the outputs and from the final state.
 */
export function lstmScan(gx: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor): LSTMScan {
  const [G, H] = weightHH.shape;
  const [B, T] = gx.shape;
  const stateShape = (t: Tensor) => t.ndim === 2 && t.shape[0] === B && t.shape[1] === H;
  if (gx.ndim !== 3 || weightHH.ndim !== 2 || G !== 4 * H || gx.shape[2] !== G) {
    throw shapeError(gx, weightHH, h0, c0);
  }
  if (!stateShape(h0) || !stateShape(c0)) throw shapeError(gx, weightHH, h0, c0);
  if (T === 0) return { output: new Tensor(new Float32Array(0), [B, 0, H]), h: h0, c: c0 };
  if (naiveOps()) return naiveLstmScan(gx, weightHH, h0, c0);

  const y = new Float32Array(B * T * H);
  const c = new Float32Array(B * T * H);
  const gates = new Float32Array(B * T * G);
  lstmKernels().forward(gx.data, weightHH.data, h0.data, c0.data, y, c, gates, B, T, H);
  const cLast = new Float32Array(B * H);
  for (let b = 0; b < B; b++) cLast.set(c.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);

  const inputs = [gx, weightHH, h0, c0];
  // Outputs and final cell state are separate nodes; each runs BPTT with its own gradient (the other
  // zero) and the sums agree by linearity. Training reads only the outputs, so it pays for one pass.
  const bptt = (gy: Float32Array, gc: Float32Array): (Tensor | null)[] => {
    const dgates = new Float32Array(B * T * G);
    const dh0 = new Float32Array(B * H);
    const dc0 = new Float32Array(B * H);
    lstmKernels().backward(gates, c, c0.data, weightHH.data, gy, gc, dgates, dh0, dc0, B, T, H);
    return [
      gx.withData(dgates),
      weightHH.requiresGrad ? weightHH.withData(gradWeightHH(dgates, y, h0.data, B, T, H)) : null,
      h0.withData(dh0),
      c0.withData(dc0),
    ];
  };
  const output = record('lstmScan', new Tensor(y, [B, T, H]), inputs, (g) =>
    bptt(g.data, new Float32Array(B * H)),
  );
  const cT = record('lstmScan.c', new Tensor(cLast, [B, H]), inputs, (g) =>
    bptt(new Float32Array(B * T * H), g.data),
  );
  return { output, h: reshape(slice(output, 1, T - 1, T), [B, H]), c: cT };
}

/** dW_hh = sum over b, t of dgates_t h_{t-1}^T: one GEMM over all B * T rows against the shifted outputs. */
function gradWeightHH(
  dgates: Float32Array,
  y: Float32Array,
  h0: Float32Array,
  B: number,
  T: number,
  H: number,
): Float32Array {
  const G = 4 * H;
  const hPrev = new Float32Array(B * T * H);
  for (let b = 0; b < B; b++) {
    hPrev.set(h0.subarray(b * H, (b + 1) * H), b * T * H);
    hPrev.set(y.subarray(b * T * H, (b * T + T - 1) * H), (b * T + 1) * H);
  }
  const out = new Float32Array(G * H);
  backend().gemm({
    batch: 1,
    m: G,
    n: H,
    k: B * T,
    transA: true,
    transB: false,
    alpha: 1,
    beta: 0,
    a: dgates,
    lda: G,
    strideA: 0,
    b: hPrev,
    ldb: H,
    strideB: 0,
    c: out,
    ldc: H,
    strideC: 0,
  });
  return out;
}
