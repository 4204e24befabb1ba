// Mamba's selective scan as plain loops: forward, and backward by a reverse scan. These are the readable
// oracle; the native versions (native/src/mixers/mamba.cc, "mamba.<name>") take exactly the same arguments.
// (Its causal conv1d is shared with other layers: ../conv/.)
//
// Layouts are channels-last, as the linear layers produce them: u, delta, z, out [batch, seq, dInner];
// B, C [batch, seq, dState]; A [dInner, dState]; D, deltaBias [dInner]; states h [batch, dInner, dState].
// Checkpoints [batch, dInner, chunks, dState] hold the state before each chunk of `chunk` steps (chunk 0:
// the initial state), which is all the backward needs to recompute the rest.
import { kernelFamily } from '../../../backend/index.js';

type F32 = Float32Array;

/** Sizes of a scan. */
export interface ScanDims {
  batch: number;
  seq: number;
  dInner: number;
  dState: number;
  chunk: number;
  deltaSoftplus: boolean;
}

/** The sizes as the kernels take them, after their buffers. */
export function scanSizes(d: ScanDims) {
  return [d.batch, d.seq, d.dInner, d.dState, d.chunk, d.deltaSoftplus] as const;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// As torch.nn.functional.softplus: linear above 20.
const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const softplusGrad = (x: number) => (x > 20 ? 1 : sigmoid(x));

/**
 * out = (C_t . h_t + D u_t) * silu(z_t), with h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t per channel,
 * delta_t = softplus(delta_t + deltaBias) when deltaSoftplus. Starts from h0 (or zeros), writes the final
 * state to `last` and, when `checkpoints` is given, the state before every chunk.
 */
function selectiveScan(
  u: F32,
  delta: F32,
  A: F32,
  B: F32,
  C: F32,
  D: F32,
  z: F32,
  deltaBias: F32 | null,
  h0: F32 | null,
  out: F32,
  last: F32,
  checkpoints: F32 | null,
  batch: number,
  T: number,
  Di: number,
  N: number,
  chunk: number,
  deltaSoftplus: boolean,
): void {
  const chunks = Math.ceil(T / chunk);
  const h = new Float64Array(N);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < Di; c++) {
      const state = (b * Di + c) * N;
      for (let n = 0; n < N; n++) h[n] = h0 ? h0[state + n] : 0;
      for (let t = 0; t < T; t++) {
        if (checkpoints && t % chunk === 0) {
          const at = ((b * Di + c) * chunks + t / chunk) * N;
          for (let n = 0; n < N; n++) checkpoints[at + n] = h[n];
        }
        const i = (b * T + t) * Di + c;
        const raw = delta[i] + (deltaBias ? deltaBias[c] : 0);
        const dt = deltaSoftplus ? softplus(raw) : raw;
        let y = D[c] * u[i];
        for (let n = 0; n < N; n++) {
          h[n] = Math.exp(dt * A[c * N + n]) * h[n] + dt * B[(b * T + t) * N + n] * u[i];
          y += C[(b * T + t) * N + n] * h[n];
        }
        out[i] = y * z[i] * sigmoid(z[i]);
      }
      for (let n = 0; n < N; n++) last[state + n] = h[n];
    }
  }
}

/**
 * Gradients of selectiveScan given gOut, by the reverse scan. With g the gradient reaching h_t (from y_t
 * and, through exp(delta_{t+1} A), from h_{t+1}):
 *   g_t = gy_t C_t + exp(delta_{t+1} A) g_{t+1},  gy_t = gOut_t silu(z_t)
 *   gC_t += gy_t h_t,  gB_t += g_t delta_t u_t,  gu_t = gy_t D + delta_t (g_t . B_t)
 *   gdelta_t = sum_n g_t[n] (A[n] exp(delta_t A[n]) h_{t-1}[n] + B_t[n] u_t) (times softplus' of the input)
 *   gA[n] += g_t[n] delta_t exp(delta_t A[n]) h_{t-1}[n]
 * gdelta is the gradient of the `delta` input (before bias and softplus); deltaBias's is its sum over
 * batch and time, left to the caller. This version re-runs the whole forward from checkpoint 0 and keeps
 * every state; the native one recomputes chunk by chunk from the checkpoints.
 */
function selectiveScanGrad(
  u: F32,
  delta: F32,
  A: F32,
  B: F32,
  C: F32,
  D: F32,
  z: F32,
  deltaBias: F32 | null,
  checkpoints: F32,
  gOut: F32,
  gu: F32,
  gDelta: F32,
  gA: F32,
  gB: F32,
  gC: F32,
  gD: F32,
  gz: F32,
  batch: number,
  T: number,
  Di: number,
  N: number,
  chunk: number,
  deltaSoftplus: boolean,
): void {
  const chunks = Math.ceil(T / chunk);
  gA.fill(0);
  gB.fill(0);
  gC.fill(0);
  gD.fill(0);
  // hs[t + 1] is h_t, hs[0] the initial state.
  const hs = new Float64Array((T + 1) * N);
  const dts = new Float64Array(T);
  const g = new Float64Array(N);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < Di; c++) {
      const first = (b * Di + c) * chunks * N;
      for (let n = 0; n < N; n++) hs[n] = checkpoints[first + n];
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * Di + c;
        const raw = delta[i] + (deltaBias ? deltaBias[c] : 0);
        dts[t] = deltaSoftplus ? softplus(raw) : raw;
        for (let n = 0; n < N; n++) {
          const prev = hs[t * N + n];
          hs[(t + 1) * N + n] =
            Math.exp(dts[t] * A[c * N + n]) * prev + dts[t] * B[(b * T + t) * N + n] * u[i];
        }
      }
      g.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const i = (b * T + t) * Di + c;
        const row = (b * T + t) * N;
        const dt = dts[t];
        const s = sigmoid(z[i]);
        let y = D[c] * u[i];
        for (let n = 0; n < N; n++) y += C[row + n] * hs[(t + 1) * N + n];
        const gy = gOut[i] * z[i] * s;
        gz[i] = gOut[i] * y * s * (1 + z[i] * (1 - s));
        gD[c] += gy * u[i];
        let gut = gy * D[c];
        let gdt = 0;
        for (let n = 0; n < N; n++) {
          const a = Math.exp(dt * A[c * N + n]);
          const gh = g[n] + gy * C[row + n];
          gC[row + n] += gy * hs[(t + 1) * N + n];
          const gExponent = gh * hs[t * N + n] * a;
          gdt += gExponent * A[c * N + n] + gh * B[row + n] * u[i];
          gA[c * N + n] += gExponent * dt;
          gB[row + n] += gh * dt * u[i];
          gut += gh * dt * B[row + n];
          g[n] = gh * a;
        }
        gu[i] = gut;
        gDelta[i] = deltaSoftplus ? gdt * softplusGrad(delta[i] + (deltaBias ? deltaBias[c] : 0)) : gdt;
      }
    }
  }
}

/** The active implementations: native where the addon has them, these loops otherwise. */
export const mambaKernels = kernelFamily('mamba', {
  selectiveScan,
  selectiveScanGrad,
});
