// The reference backend: plain loops, accumulating in float64, written to be read. Every native kernel is
// tested against these.
import { type Backend, type BinaryOp, type Gemm, type UnaryOp, unpackDims } from './backend.js';
import { jsAttention } from './js-attention.js';
import { BINARY, UNARY } from './scalar.js';

function gemm(g: Gemm): void {
  const { m, n, k, transA, transB, alpha, beta, a, lda, b, ldb, c, ldc } = g;
  const acc = new Float64Array(n);
  for (let bi = 0; bi < g.batch; bi++) {
    const oa = bi * g.strideA;
    const ob = bi * g.strideB;
    const oc = bi * g.strideC;
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[oa + p * lda + i] : a[oa + i * lda + p];
        if (transB) for (let j = 0; j < n; j++) acc[j] += aip * b[ob + j * ldb + p];
        else for (let j = 0; j < n; j++) acc[j] += aip * b[ob + p * ldb + j];
      }
      for (let j = 0; j < n; j++) {
        const old = beta === 0 ? 0 : beta * c[oc + i * ldc + j];
        c[oc + i * ldc + j] = alpha * acc[j] + old;
      }
    }
  }
}

/**
 * Calls visit(offsets, count) once per innermost row of `shape`, where offsets[t] is where operand t's row
 * starts; the caller walks the row itself with that operand's innermost stride.
 */
function walkRows(
  shape: number[],
  strides: number[][],
  visit: (offsets: number[], count: number) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    visit(
      strides.map(() => 0),
      1,
    );
    return;
  }
  if (shape.some((d) => d === 0)) return;
  const index = new Array<number>(rank - 1).fill(0);
  const offsets = strides.map(() => 0);
  for (;;) {
    visit(offsets, shape[rank - 1]);
    let d = rank - 2;
    for (; d >= 0; d--) {
      index[d]++;
      for (let t = 0; t < strides.length; t++) offsets[t] += strides[t][d];
      if (index[d] < shape[d]) break;
      for (let t = 0; t < strides.length; t++) offsets[t] -= strides[t][d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

function binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void {
  const f = BINARY[op];
  const { shape, strides } = unpackDims(dims, 2);
  const last = shape.length - 1;
  const sa = last < 0 ? 0 : strides[0][last];
  const sb = last < 0 ? 0 : strides[1][last];
  let o = 0;
  walkRows(shape, strides, ([ia, ib], count) => {
    for (let j = 0; j < count; j++) out[o++] = f(a[ia + j * sa], b[ib + j * sb]);
  });
}

function copyStrided(x: Float32Array, out: Float32Array, dims: Int32Array, offset: number): void {
  const {
    shape,
    strides: [strides],
  } = unpackDims(dims, 1);
  const s = shape.length === 0 ? 0 : strides[shape.length - 1];
  let o = 0;
  walkRows(shape, [strides], ([at], count) => {
    const ix = offset + at;
    for (let j = 0; j < count; j++) out[o++] = x[ix + j * s];
  });
}

function unary(op: UnaryOp, x: Float32Array, out: Float32Array): void {
  const { f } = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
}

function unaryGrad(op: UnaryOp, x: Float32Array, gy: Float32Array, gx: Float32Array): void {
  const { df } = UNARY[op];
  for (let i = 0; i < x.length; i++) gx[i] = gy[i] * df(x[i]);
}

function sumAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let r = 0; r < size; r++) s += x[(o * size + r) * inner + i];
      out[o * inner + i] = s;
    }
  }
}

function maxAxis(
  x: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  outer: number,
  size: number,
  inner: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = Number.NEGATIVE_INFINITY;
      let at = 0;
      for (let r = 0; r < size; r++) {
        const v = x[(o * size + r) * inner + i];
        if (v > best || Number.isNaN(v)) {
          best = v;
          at = r;
          if (Number.isNaN(v)) break; // NaN propagates, as in PyTorch
        }
      }
      out[o * inner + i] = best;
      argmax[o * inner + i] = at;
    }
  }
}

function logsumexpAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let mx = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < size; r++) mx = Math.max(mx, x[(o * size + r) * inner + i]);
      if (mx === Number.NEGATIVE_INFINITY) {
        out[o * inner + i] = mx; // all -inf: log(0)
        continue;
      }
      let s = 0;
      for (let r = 0; r < size; r++) s += Math.exp(x[(o * size + r) * inner + i] - mx);
      out[o * inner + i] = mx + Math.log(s);
    }
  }
}

function cumsumAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let r = 0; r < size; r++) {
        const at = (o * size + r) * inner + i;
        s += x[at];
        out[at] = s;
      }
    }
  }
}

function rowLogSumExp(x: Float32Array, base: number, cols: number): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) mx = Math.max(mx, x[base + j]);
  if (mx === Number.NEGATIVE_INFINITY) return mx;
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[base + j] - mx);
  return mx + Math.log(s);
}

function softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(x[r * cols + j] - lse);
  }
}

// dx = y * (gy - sum(gy * y)): the softmax Jacobian applied to gy.
function softmaxGrad(y: Float32Array, gy: Float32Array, gx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += gy[r * cols + j] * y[r * cols + j];
    for (let j = 0; j < cols; j++) gx[r * cols + j] = y[r * cols + j] * (gy[r * cols + j] - dot);
  }
}

function logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = x[r * cols + j] - lse;
  }
}

// dx = gy - softmax(x) * sum(gy), with softmax(x) = exp(y).
function logSoftmaxGrad(
  y: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += gy[r * cols + j];
    for (let j = 0; j < cols; j++) gx[r * cols + j] = gy[r * cols + j] - Math.exp(y[r * cols + j]) * sum;
  }
}

function crossEntropy(
  logits: Float32Array,
  targets: Int32Array,
  rows: number,
  cols: number,
  ignoreIndex: number,
  loss: Float32Array,
  lse: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    lse[r] = rowLogSumExp(logits, r * cols, cols);
    const t = targets[r];
    loss[r] = t === ignoreIndex ? 0 : lse[r] - logits[r * cols + t];
  }
}

function crossEntropyGrad(
  logits: Float32Array,
  targets: Int32Array,
  lse: Float32Array,
  gLoss: Float32Array,
  rows: number,
  cols: number,
  ignoreIndex: number,
  gx: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(logits[r * cols + j] - lse[r]);
      gx[r * cols + j] = t === ignoreIndex ? 0 : gLoss[r] * (p - (j === t ? 1 : 0));
    }
  }
}

function layerNorm(
  x: Float32Array,
  weight: Float32Array | null,
  bias: Float32Array | null,
  rows: number,
  cols: number,
  eps: number,
  out: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mu = 0;
    for (let j = 0; j < cols; j++) mu += x[base + j];
    mu /= cols;
    let variance = 0;
    for (let j = 0; j < cols; j++) variance += (x[base + j] - mu) ** 2;
    variance /= cols; // biased, as PyTorch's layer_norm
    const rs = 1 / Math.sqrt(variance + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[base + j] - mu) * rs;
      out[base + j] = xhat * (weight ? weight[j] : 1) + (bias ? bias[j] : 0);
    }
  }
}

// With xhat = (x - mean) * rstd and g = gy * weight: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
function layerNormGrad(
  x: Float32Array,
  weight: Float32Array | null,
  mean: Float32Array,
  rstd: Float32Array,
  gy: Float32Array,
  rows: number,
  cols: number,
  gx: Float32Array,
  gw: Float32Array | null,
  gb: Float32Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let meanG = 0;
    let meanGX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[base + j] - mean[r]) * rstd[r];
      const g = gy[base + j] * (weight ? weight[j] : 1);
      meanG += g;
      meanGX += g * xhat;
      if (gw) gw[j] += gy[base + j] * xhat;
      if (gb) gb[j] += gy[base + j];
    }
    meanG /= cols;
    meanGX /= cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[base + j] - mean[r]) * rstd[r];
      const g = gy[base + j] * (weight ? weight[j] : 1);
      gx[base + j] = rstd[r] * (g - meanG - xhat * meanGX);
    }
  }
}

function rmsNorm(
  x: Float32Array,
  weight: Float32Array | null,
  rows: number,
  cols: number,
  eps: number,
  out: Float32Array,
  rstd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let ms = 0;
    for (let j = 0; j < cols; j++) ms += x[base + j] * x[base + j];
    const rs = 1 / Math.sqrt(ms / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = x[base + j] * rs * (weight ? weight[j] : 1);
  }
}

// With g = gy * weight: dx = rstd * (g - x * rstd^2 * mean(g * x)).
function rmsNormGrad(
  x: Float32Array,
  weight: Float32Array | null,
  rstd: Float32Array,
  gy: Float32Array,
  rows: number,
  cols: number,
  gx: Float32Array,
  gw: Float32Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const rs = rstd[r];
    let meanGX = 0;
    for (let j = 0; j < cols; j++) {
      meanGX += gy[base + j] * (weight ? weight[j] : 1) * x[base + j];
      if (gw) gw[j] += gy[base + j] * x[base + j] * rs;
    }
    meanGX /= cols;
    for (let j = 0; j < cols; j++) {
      const g = gy[base + j] * (weight ? weight[j] : 1);
      gx[base + j] = rs * (g - x[base + j] * rs * rs * meanGX);
    }
  }
}

// torch.optim.AdamW: decay the weights, then the bias-corrected Adam step.
function adamw(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  step: number,
): void {
  const c1 = 1 - beta1 ** step;
  const c2 = 1 - beta2 ** step;
  for (let i = 0; i < p.length; i++) {
    p[i] -= lr * weightDecay * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}

export const jsBackend: Backend = {
  name: 'js',
  gemm,
  unary,
  unaryGrad,
  binary,
  copyStrided,
  sumAxis,
  maxAxis,
  logsumexpAxis,
  cumsumAxis,
  softmax,
  softmaxGrad,
  logSoftmax,
  logSoftmaxGrad,
  crossEntropy,
  crossEntropyGrad,
  layerNorm,
  layerNormGrad,
  rmsNorm,
  rmsNormGrad,
  ...jsAttention,
  adamw,
};
