// The LSTM recurrence as kernels (family "lstm"): the whole sequence forward, keeping what backward needs,
// and backpropagation through time over the same sequence in reverse. These js versions are the readable
// oracle; native/src/mixers/lstm.cc has the fast ones (same arguments).
//
// Layouts, with G = 4 * hidden and rows b * seq + t:
//   gx     [B, T, G]  x_t W_ih^T + b_ih + b_hh, gate blocks in PyTorch's order i, f, g, o
//   whh    [G, H]     weight_hh_l0
//   h0, c0 [B, H]     the state before t = 0
//   y, c   [B, T, H]  h_t and c_t for every t
//   gates  [B, T, G]  the activated gates sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
import { kernelFamily } from '../../../backend/index.js';
import { UNARY } from '../../../backend/scalar.js';

const sigmoid = UNARY.sigmoid.f;
const tanh = UNARY.tanh.f;

/** Runs the recurrence over all T steps from (h0, c0), writing y, c and gates. */
function forward(
  gx: Float32Array,
  whh: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  y: Float32Array,
  c: Float32Array,
  gates: Float32Array,
  batch: number,
  seq: number,
  hidden: number,
): void {
  const H = hidden;
  const G = 4 * H;
  const pre = new Float32Array(G);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const row = b * seq + t;
      // h_{t-1} and c_{t-1}: the previous row of y and c, or the initial state.
      const [hPrev, hAt] = t === 0 ? [h0, b * H] : [y, (row - 1) * H];
      const [cPrev, cAt] = t === 0 ? [c0, b * H] : [c, (row - 1) * H];
      for (let j = 0; j < G; j++) {
        let s = gx[row * G + j];
        for (let k = 0; k < H; k++) s += whh[j * H + k] * hPrev[hAt + k];
        pre[j] = s;
      }
      for (let u = 0; u < H; u++) {
        const i = sigmoid(pre[u]);
        const f = sigmoid(pre[H + u]);
        const g = tanh(pre[2 * H + u]);
        const o = sigmoid(pre[3 * H + u]);
        const cu = f * cPrev[cAt + u] + i * g;
        c[row * H + u] = cu;
        y[row * H + u] = o * tanh(cu);
        gates[row * G + u] = i;
        gates[row * G + H + u] = f;
        gates[row * G + 2 * H + u] = g;
        gates[row * G + 3 * H + u] = o;
      }
    }
  }
}

/**
 * Backpropagation through time. From gy (dL/dh_t for every t) and gc (dL/dc_T), writes dgates (dL with
 * respect to the gate pre-activations, which is also dL/dgx), and dh0, dc0 (dL/dh0, dL/dc0). Going back
 * one step: dh_{t-1} = W_hh^T dgates_t, dc_{t-1} = dc_t * f_t.
 */
function backward(
  gates: Float32Array,
  c: Float32Array,
  c0: Float32Array,
  whh: Float32Array,
  gy: Float32Array,
  gc: Float32Array,
  dgates: Float32Array,
  dh0: Float32Array,
  dc0: Float32Array,
  batch: number,
  seq: number,
  hidden: number,
): void {
  const H = hidden;
  const G = 4 * H;
  const dhNext = new Float32Array(H);
  const dcNext = new Float32Array(H);
  for (let b = 0; b < batch; b++) {
    dhNext.fill(0);
    dcNext.set(gc.subarray(b * H, (b + 1) * H));
    for (let t = seq - 1; t >= 0; t--) {
      const row = b * seq + t;
      const [cPrev, cAt] = t === 0 ? [c0, b * H] : [c, (row - 1) * H];
      for (let u = 0; u < H; u++) {
        const i = gates[row * G + u];
        const f = gates[row * G + H + u];
        const g = gates[row * G + 2 * H + u];
        const o = gates[row * G + 3 * H + u];
        const tc = tanh(c[row * H + u]);
        const dh = gy[row * H + u] + dhNext[u];
        const dc = dcNext[u] + dh * o * (1 - tc * tc);
        dgates[row * G + u] = dc * g * i * (1 - i);
        dgates[row * G + H + u] = dc * cPrev[cAt + u] * f * (1 - f);
        dgates[row * G + 2 * H + u] = dc * i * (1 - g * g);
        dgates[row * G + 3 * H + u] = dh * tc * o * (1 - o);
        dcNext[u] = dc * f;
      }
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let j = 0; j < G; j++) s += whh[j * H + k] * dgates[row * G + j];
        dhNext[k] = s;
      }
    }
    dh0.set(dhNext, b * H);
    dc0.set(dcNext, b * H);
  }
}

export const lstmKernels = kernelFamily('lstm', { forward, backward });
