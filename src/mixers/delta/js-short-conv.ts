// Causal depthwise convolution over time followed by SiLU (the "short convolution" in front of q, k, v):
//   y[t, d] = silu(sum over i < W of w[d, i] x[t - W + 1 + i, d])
// x [B, T, D], weight [D, W] (tap W - 1 is the current token). Inputs before t = 0 come from `cache`
// [B, W - 1, D] (the last inputs of the previous call, oldest first) or are zero.

type F32 = Float32Array;

/** The input at time s (negative: from the cache) of channel d in batch b. */
function input(x: F32, cache: F32 | null, b: number, s: number, d: number, T: number, D: number, W: number) {
  if (s >= 0) return x[(b * T + s) * D + d];
  return cache ? cache[(b * (W - 1) + W - 1 + s) * D + d] : 0;
}

function preActivation(
  x: F32,
  w: F32,
  cache: F32 | null,
  b: number,
  t: number,
  d: number,
  T: number,
  D: number,
  W: number,
) {
  let z = 0;
  for (let i = 0; i < W; i++) z += w[d * W + i] * input(x, cache, b, t - W + 1 + i, d, T, D, W);
  return z;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function shortConv(
  x: F32,
  w: F32,
  cache: F32 | null,
  y: F32,
  B: number,
  T: number,
  D: number,
  W: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        const z = preActivation(x, w, cache, b, t, d, T, D, W);
        y[(b * T + t) * D + d] = z * sigmoid(z);
      }
    }
  }
}

/** Writes gx [B, T, D] and gw [D, W] (the cache is a constant). */
export function shortConvGrad(
  x: F32,
  w: F32,
  cache: F32 | null,
  gy: F32,
  gx: F32,
  gw: F32,
  B: number,
  T: number,
  D: number,
  W: number,
): void {
  gx.fill(0);
  gw.fill(0);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        const z = preActivation(x, w, cache, b, t, d, T, D, W);
        const s = sigmoid(z);
        const gz = gy[(b * T + t) * D + d] * s * (1 + z * (1 - s));
        for (let i = 0; i < W; i++) {
          const from = t - W + 1 + i;
          gw[d * W + i] += gz * input(x, cache, b, from, d, T, D, W);
          if (from >= 0) gx[(b * T + from) * D + d] += gz * w[d * W + i];
        }
      }
    }
  }
}
