// A sparse code's kernels as plain loops (family "sae"): the readable oracle of native/src/sae.cc, which
// takes exactly the same arguments. A code is, per row, k feature indices and their values, [rows, k];
// w is a dictionary [features, dim] (the decoder, or the encoder's transpose).
import { kernelFamily } from '../../backend/index.js';

type F32 = Float32Array;
type I32 = Int32Array;

/** a ranks before b: larger, or equal with the lower index. */
const before = (row: F32, a: number, b: number) => row[a] > row[b] || (row[a] === row[b] && a < b);

export const saeKernels = kernelFamily('sae', {
  topkSelect(x: F32, allowed: F32 | null, indices: I32, rows: number, k: number, features: number): void {
    const pool = Int32Array.from({ length: features }, (_, i) => i).filter((i) => allowed?.[i] !== 0);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * features, (r + 1) * features);
      const best = [...pool].sort((a, b) => (before(row, a, b) ? -1 : 1)).slice(0, k);
      indices.set(best, r * k);
    }
  },

  sparseDecode(
    values: F32,
    indices: I32,
    w: F32,
    bias: F32 | null,
    out: F32,
    rows: number,
    k: number,
    _features: number,
    dim: number,
  ): void {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < dim; c++) out[r * dim + c] = bias ? bias[c] : 0;
      for (let i = 0; i < k; i++) {
        const a = values[r * k + i];
        const base = indices[r * k + i] * dim;
        for (let c = 0; c < dim; c++) out[r * dim + c] += a * w[base + c];
      }
    }
  },

  sparseDecodeGrad(
    values: F32,
    indices: I32,
    w: F32,
    gOut: F32,
    gValues: F32,
    gW: F32,
    rows: number,
    k: number,
    _features: number,
    dim: number,
  ): void {
    gW.fill(0);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < k; i++) {
        const base = indices[r * k + i] * dim;
        let dot = 0;
        for (let c = 0; c < dim; c++) {
          dot += gOut[r * dim + c] * w[base + c];
          gW[base + c] += values[r * k + i] * gOut[r * dim + c];
        }
        gValues[r * k + i] = dot;
      }
    }
  },

  sparseOuter(
    g: F32,
    indices: I32,
    x: F32,
    out: F32,
    rows: number,
    k: number,
    _features: number,
    dim: number,
  ): void {
    out.fill(0);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < k; i++) {
        const base = indices[r * k + i] * dim;
        for (let c = 0; c < dim; c++) out[base + c] += g[r * k + i] * x[r * dim + c];
      }
    }
  },
});
