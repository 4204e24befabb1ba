// The fast path of a TopK SAE (the profile's verdict: a dense step spent most of its time sorting rows and
// multiplying by codes that are zero but for k of d_sae). The code is kept as (indices, values) [rows, k];
// the encoder's forward stays one dense product (every pre-activation is needed to choose the k), but its
// backward, the decoder both ways and the selection touch only the k chosen features per row:
//   values[r, i] = relu(pre[r, idx[r, i]]),  pre = (x - b_dec) W_enc + b_enc    (topkEncode)
//   x̂[r] = sum_i values[r, i] W_dec[idx[r, i]] + b_dec                          (sparseDecode)
// The dense forms (SparseAutoencoder.encode and decode) are the oracle they are tested against.
import { add, IntTensor, matmul, noGrad, record, sub, Tensor, transpose } from '../../tensor/index.js';
import { saeKernels } from './kernels.js';

/** A sparse code: for each row, k feature indices and their values (a differentiable [rows, k]). */
export interface SparseCode {
  indices: IntTensor;
  values: Tensor;
}

/** Dense pre-activations (x - b_dec) W_enc + b_enc, [rows, d_sae], outside the graph. */
export function densePre(x: Tensor, W_enc: Tensor, b_enc: Tensor, b_dec: Tensor | null): Float32Array {
  return noGrad(() => add(matmul(b_dec ? sub(x, b_dec) : x, W_enc), b_enc).data);
}

/**
 * Each row's k largest pre-activations (ties to the lower index), or the k largest among `allowed` features
 * (TopK's auxiliary loss picks among the dead), through a ReLU; gradients flow to W_enc, b_enc and b_dec.
 */
export function topkEncode(
  pre: Float32Array,
  x: Tensor,
  W_enc: Tensor,
  b_enc: Tensor,
  b_dec: Tensor | null,
  k: number,
  allowed?: Uint8Array,
): SparseCode {
  const [dIn, d] = W_enc.shape;
  const rows = pre.length / d;
  const kernels = saeKernels();
  const candidates = allowed ? allowed.reduce((n, a) => n + (a ? 1 : 0), 0) : d;
  if (k > candidates) throw new Error(`topkEncode: k = ${k} of only ${candidates} candidates`);
  const indices = new Int32Array(rows * k);
  kernels.topkSelect(pre, allowed ? Float32Array.from(allowed) : null, indices, rows, k, d);
  const values = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) values[r * k + i] = Math.max(pre[r * d + indices[r * k + i]], 0);
  }
  const inputs = b_dec ? [W_enc, b_enc, b_dec] : [W_enc, b_enc];
  const out = record('topkEncode', new Tensor(values, [rows, k]), inputs, (g) => {
    // Through the ReLU: only positive pre-activations pass their gradient.
    const gpre = new Float32Array(rows * k);
    const gb = new Float32Array(d);
    for (let i = 0; i < gpre.length; i++) {
      gpre[i] = values[i] > 0 ? g.data[i] : 0;
      gb[indices[i]] += gpre[i];
    }
    const centred = b_dec ? noGrad(() => sub(x, b_dec)).data : x.data;
    const gWT = new Float32Array(d * dIn);
    kernels.sparseOuter(gpre, indices, centred, gWT, rows, k, d, dIn);
    const gW = noGrad(() => transpose(new Tensor(gWT, [d, dIn]), 0, 1));
    const grads = [gW, new Tensor(gb, [d])];
    if (!b_dec) return grads;
    // x - b_dec enters every row: its gradient is -W_enc gb.
    const gbDec = noGrad(() => matmul(W_enc, new Tensor(gb, [d, 1]))).data.map((v) => -v);
    return [...grads, new Tensor(gbDec, [dIn])];
  });
  return { indices: new IntTensor(indices, [rows, k]), values: out };
}

/** x̂ = sum of the chosen decoder rows weighted by their values (+ b_dec), [rows, d_in]. */
export function sparseDecode(code: SparseCode, W_dec: Tensor, b_dec: Tensor | null): Tensor {
  const [rows, k] = code.values.shape;
  const [features, dIn] = W_dec.shape;
  const kernels = saeKernels();
  const idx = code.indices.data;
  const out = new Float32Array(rows * dIn);
  kernels.sparseDecode(code.values.data, idx, W_dec.data, b_dec?.data ?? null, out, rows, k, features, dIn);
  const inputs = b_dec ? [code.values, W_dec, b_dec] : [code.values, W_dec];
  return record('sparseDecode', new Tensor(out, [rows, dIn]), inputs, (g) => {
    const gv = new Float32Array(rows * k);
    const gW = new Float32Array(features * dIn);
    kernels.sparseDecodeGrad(code.values.data, idx, W_dec.data, g.data, gv, gW, rows, k, features, dIn);
    const grads = [new Tensor(gv, [rows, k]), new Tensor(gW, [features, dIn])];
    if (!b_dec) return grads;
    const gb = new Float32Array(dIn);
    for (let r = 0; r < rows; r++) for (let c = 0; c < dIn; c++) gb[c] += g.data[r * dIn + c];
    return [...grads, new Tensor(gb, [dIn])];
  });
}
