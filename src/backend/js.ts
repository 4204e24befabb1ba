// The reference backend: plain loops, accumulating in float64, written to be read. Every native kernel is
// tested against these.
import { type Backend, unpackDims } from './backend.js';
import { jsAttention } from './js-attention.js';
import type { CORE } from './kernels.js';
import { BINARY, UNARY } from './scalar.js';
import type { Kernels } from './signature.js';

/** Every kernel takes its argument types from the table. */
type Core = Kernels<typeof CORE>;

const gemm: Core['gemm'] = (g) => {
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
};

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

const binary: Core['binary'] = (op, a, b, out, dims) => {
  const f = BINARY[op];
  const { shape, strides } = unpackDims(dims, 2);
  const last = shape.length - 1;
  const sa = last < 0 ? 0 : strides[0][last];
  const sb = last < 0 ? 0 : strides[1][last];
  let o = 0;
  walkRows(shape, strides, ([ia, ib], count) => {
    for (let j = 0; j < count; j++) out[o++] = f(a[ia + j * sa], b[ib + j * sb]);
  });
};

const copyStrided: Core['copyStrided'] = (x, out, dims, offset) => {
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
};

const unary: Core['unary'] = (op, x, out) => {
  const { f } = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
};

const unaryGrad: Core['unaryGrad'] = (op, x, gy, gx) => {
  const { df } = UNARY[op];
  for (let i = 0; i < x.length; i++) gx[i] = gy[i] * df(x[i]);
};

const sumAxis: Core['sumAxis'] = (x, out, outer, size, inner) => {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let r = 0; r < size; r++) s += x[(o * size + r) * inner + i];
      out[o * inner + i] = s;
    }
  }
};

const maxAxis: Core['maxAxis'] = (x, out, argmax, outer, size, inner) => {
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
};

const logsumexpAxis: Core['logsumexpAxis'] = (x, out, outer, size, inner) => {
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
};

const cumsumAxis: Core['cumsumAxis'] = (x, out, outer, size, inner) => {
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
};

function rowLogSumExp(x: Float32Array, base: number, cols: number): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) mx = Math.max(mx, x[base + j]);
  if (mx === Number.NEGATIVE_INFINITY) return mx;
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[base + j] - mx);
  return mx + Math.log(s);
}

const softmax: Core['softmax'] = (x, out, rows, cols) => {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(x[r * cols + j] - lse);
  }
};

// dx = y * (gy - sum(gy * y)): the softmax Jacobian applied to gy.
const softmaxGrad: Core['softmaxGrad'] = (y, gy, gx, rows, cols) => {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += gy[r * cols + j] * y[r * cols + j];
    for (let j = 0; j < cols; j++) gx[r * cols + j] = y[r * cols + j] * (gy[r * cols + j] - dot);
  }
};

const logSoftmax: Core['logSoftmax'] = (x, out, rows, cols) => {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = x[r * cols + j] - lse;
  }
};

// dx = gy - softmax(x) * sum(gy), with softmax(x) = exp(y).
const logSoftmaxGrad: Core['logSoftmaxGrad'] = (y, gy, gx, rows, cols) => {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += gy[r * cols + j];
    for (let j = 0; j < cols; j++) gx[r * cols + j] = gy[r * cols + j] - Math.exp(y[r * cols + j]) * sum;
  }
};

const crossEntropy: Core['crossEntropy'] = (logits, targets, rows, cols, ignoreIndex, loss, lse) => {
  for (let r = 0; r < rows; r++) {
    lse[r] = rowLogSumExp(logits, r * cols, cols);
    const t = targets[r];
    loss[r] = t === ignoreIndex ? 0 : lse[r] - logits[r * cols + t];
  }
};

const crossEntropyGrad: Core['crossEntropyGrad'] = (
  logits,
  targets,
  lse,
  gLoss,
  rows,
  cols,
  ignoreIndex,
  gx,
) => {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(logits[r * cols + j] - lse[r]);
      gx[r * cols + j] = t === ignoreIndex ? 0 : gLoss[r] * (p - (j === t ? 1 : 0));
    }
  }
};

const layerNorm: Core['layerNorm'] = (x, weight, bias, rows, cols, eps, out, mean, rstd) => {
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
};

// With xhat = (x - mean) * rstd and g = gy * weight: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
const layerNormGrad: Core['layerNormGrad'] = (x, weight, mean, rstd, gy, rows, cols, gx, gw, gb) => {
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
};

const rmsNorm: Core['rmsNorm'] = (x, weight, rows, cols, eps, out, rstd) => {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let ms = 0;
    for (let j = 0; j < cols; j++) ms += x[base + j] * x[base + j];
    const rs = 1 / Math.sqrt(ms / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = x[base + j] * rs * (weight ? weight[j] : 1);
  }
};

// With g = gy * weight: dx = rstd * (g - x * rstd^2 * mean(g * x)).
const rmsNormGrad: Core['rmsNormGrad'] = (x, weight, rstd, gy, rows, cols, gx, gw) => {
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
};

// torch.optim.AdamW: decay the weights, then the bias-corrected Adam step.
const adamw: Core['adamw'] = (p, g, m, v, lr, beta1, beta2, eps, weightDecay, step) => {
  const c1 = 1 - beta1 ** step;
  const c2 = 1 - beta2 ** step;
  for (let i = 0; i < p.length; i++) {
    p[i] -= lr * weightDecay * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
};

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
