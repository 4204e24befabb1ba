// The depthwise causal conv1d as plain loops (family "conv"): the readable oracle of the native kernels in
// native/src/mixers/conv.cc, which take exactly the same arguments. Channels-last, as the projections
// produce it: x, out [batch, seq, channels]; weight [channels, width] (tap width - 1 is the current token);
// bias [channels]; window [batch, width - 1, channels], the inputs before x (oldest first) or null for zeros.
//   pre[b, t, c] = bias[c] + sum over k < width of weight[c, k] x[b, t - width + 1 + k, c]
//   out = silu(pre) or pre
import { kernelFamily } from '../../../backend/index.js';

type F32 = Float32Array;

interface Sizes {
  batch: number;
  seq: number;
  channels: number;
  width: number;
}

/** x at time s of sequence b, channel c; before s = 0 from the window, or zero. */
function input(x: F32, window: F32 | null, b: number, s: number, c: number, n: Sizes): number {
  if (s >= 0) return x[(b * n.seq + s) * n.channels + c];
  return window ? window[(b * (n.width - 1) + n.width - 1 + s) * n.channels + c] : 0;
}

function preActivation(
  x: F32,
  weight: F32,
  bias: F32 | null,
  window: F32 | null,
  b: number,
  t: number,
  c: number,
  n: Sizes,
): number {
  let pre = bias ? bias[c] : 0;
  for (let k = 0; k < n.width; k++) {
    pre += weight[c * n.width + k] * input(x, window, b, t - n.width + 1 + k, c, n);
  }
  return pre;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function causalConv1d(
  x: F32,
  weight: F32,
  bias: F32 | null,
  window: F32 | null,
  out: F32,
  batch: number,
  seq: number,
  channels: number,
  width: number,
  silu: boolean,
): void {
  const n = { batch, seq, channels, width };
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      for (let c = 0; c < channels; c++) {
        const pre = preActivation(x, weight, bias, window, b, t, c, n);
        out[(b * seq + t) * channels + c] = silu ? pre * sigmoid(pre) : pre;
      }
    }
  }
}

/**
 * Writes gx, gWeight and, when given, gBias (with or without a bias: its gradient is the same) from gOut.
 * The pre-activation is recomputed; the window is a constant.
 */
function causalConv1dGrad(
  x: F32,
  weight: F32,
  bias: F32 | null,
  window: F32 | null,
  gOut: F32,
  gx: F32,
  gWeight: F32,
  gBias: F32 | null,
  batch: number,
  seq: number,
  channels: number,
  width: number,
  silu: boolean,
): void {
  const n = { batch, seq, channels, width };
  gx.fill(0);
  gWeight.fill(0);
  gBias?.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      for (let c = 0; c < channels; c++) {
        const pre = preActivation(x, weight, bias, window, b, t, c, n);
        const s = sigmoid(pre);
        const gPre = gOut[(b * seq + t) * channels + c] * (silu ? s * (1 + pre * (1 - s)) : 1);
        if (gBias) gBias[c] += gPre;
        for (let k = 0; k < width; k++) {
          const src = t - width + 1 + k;
          gWeight[c * width + k] += gPre * input(x, window, b, src, c, n);
          if (src >= 0) gx[(b * seq + src) * channels + c] += gPre * weight[c * width + k];
        }
      }
    }
  }
}

export const convKernels = kernelFamily('conv', { causalConv1d, causalConv1dGrad });
