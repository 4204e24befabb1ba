// The delta-rule kernel family ("delta") in plain loops: the readable oracle of native/src/mixers/delta.cc,
// which exports each as "delta.<name>" with the same arguments. op.ts has the equations these follow.
//   chunkForward, chunkBackward  the chunkwise form: every head is a sequence of chunks of C positions;
//                                within a chunk all work is small dense matrices (kept in float64), between
//                                chunks only the K x V state is carried
//   recurrentForward             one token at a time, as generation runs it (forward only)
//   l2Norm, l2NormGrad           the L2 normalisation of each head of q and k
//
// Layouts: q, k [B, T, H, K]; v, o [B, T, H, V]; beta, g [B, T, H]; state [B, H, K, V] (row i is what key
// coordinate i reads out); states [B, H, N, K, V] holds the state at the start of each of the N chunks.
import { kernelFamily } from '../../../backend/index.js';

type F32 = Float32Array;
type Mat = Float64Array;

/** m x n product of row-major op(a) (m x k) and op(b) (k x n). */
function matmul(a: Mat, b: Mat, m: number, n: number, k: number, transA = false, transB = false): Mat {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue; // triangular operands are half zeros
      for (let j = 0; j < n; j++) c[i * n + j] += aip * (transB ? b[j * k + p] : b[p * n + j]);
    }
  }
  return c;
}

function addInto(into: Mat, x: Mat, alpha = 1): void {
  for (let i = 0; i < into.length; i++) into[i] += alpha * x[i];
}

function dot(a: Mat, ai: number, b: Mat, bi: number, n: number): number {
  let s = 0;
  for (let p = 0; p < n; p++) s += a[ai + p] * b[bi + p];
  return s;
}

/** What a chunk's forward computes before it touches the state; the backward rebuilds it the same way. */
interface Chunk {
  n: number;
  q: Mat;
  k: Mat;
  v: Mat;
  beta: Mat;
  /** Cumulative log decay gam_r = g_1 + ... + g_r within the chunk (all 0 without gating). */
  gam: Mat;
  /** k_r . k_j for all pairs. */
  kk: Mat;
  /** Strictly lower: A_rj = beta_r exp(gam_r - gam_j) k_r . k_j. */
  a: Mat;
  /** (I + A)^-1, unit lower triangular. */
  t: Mat;
  /** diag(beta exp(gam)) K and diag(beta) V. */
  kb: Mat;
  vb: Mat;
  /** W = T Kb and U0 = T Vb: the pseudo-values are U = U0 - W S0. */
  w: Mat;
  u0: Mat;
  /** Lower with diagonal: P_rj = exp(gam_r - gam_j) q_r . k_j. */
  p: Mat;
}

interface Dims {
  T: number;
  H: number;
  K: number;
  V: number;
}

function rows(src: F32, b: number, h: number, t0: number, n: number, width: number, d: Dims): Mat {
  const out = new Float64Array(n * width);
  for (let r = 0; r < n; r++) {
    const at = ((b * d.T + t0 + r) * d.H + h) * width;
    for (let i = 0; i < width; i++) out[r * width + i] = src[at + i];
  }
  return out;
}

function scalars(src: F32 | null, b: number, h: number, t0: number, n: number, d: Dims): Mat {
  const out = new Float64Array(n);
  if (src) for (let r = 0; r < n; r++) out[r] = src[(b * d.T + t0 + r) * d.H + h];
  return out;
}

function prepareChunk(
  q: F32,
  k: F32,
  v: F32,
  beta: F32,
  g: F32 | null,
  b: number,
  h: number,
  t0: number,
  n: number,
  d: Dims,
): Chunk {
  const { K, V } = d;
  const c = {
    n,
    q: rows(q, b, h, t0, n, K, d),
    k: rows(k, b, h, t0, n, K, d),
    v: rows(v, b, h, t0, n, V, d),
    beta: scalars(beta, b, h, t0, n, d),
    gam: scalars(g, b, h, t0, n, d),
  };
  for (let r = 1; r < n; r++) c.gam[r] += c.gam[r - 1];
  const kk = matmul(c.k, c.k, n, n, K, false, true);
  const a = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < r; j++) a[r * n + j] = c.beta[r] * Math.exp(c.gam[r] - c.gam[j]) * kk[r * n + j];
  }
  // Forward substitution, row by row: T_r = e_r - sum over m < r of A_rm T_m.
  const t = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    t[r * n + r] = 1;
    for (let m = 0; m < r; m++) {
      const arm = a[r * n + m];
      for (let j = 0; j <= m; j++) t[r * n + j] -= arm * t[m * n + j];
    }
  }
  const kb = new Float64Array(n * K);
  const vb = new Float64Array(n * V);
  for (let r = 0; r < n; r++) {
    const s = c.beta[r] * Math.exp(c.gam[r]);
    for (let i = 0; i < K; i++) kb[r * K + i] = s * c.k[r * K + i];
    for (let i = 0; i < V; i++) vb[r * V + i] = c.beta[r] * c.v[r * V + i];
  }
  const p = matmul(c.q, c.k, n, n, K, false, true);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < n; j++) p[r * n + j] = j <= r ? p[r * n + j] * Math.exp(c.gam[r] - c.gam[j]) : 0;
  }
  return { ...c, kk, a, t, kb, vb, w: matmul(t, kb, n, K, n), u0: matmul(t, vb, n, V, n), p };
}

/** U = U0 - W S0. */
function pseudoValues(c: Chunk, s: Mat, d: Dims): Mat {
  const u = matmul(c.w, s, c.n, d.V, d.K);
  for (let i = 0; i < u.length; i++) u[i] = c.u0[i] - u[i];
  return u;
}

/** Runs the chunked recurrence from `state` (overwritten with the final state); o and states are outputs. */
function chunkForward(
  q: F32,
  k: F32,
  v: F32,
  beta: F32,
  g: F32 | null,
  o: F32,
  states: F32,
  state: F32,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  chunkSize: number,
  scale: number,
): void {
  const d = { T, H, K, V };
  const chunks = Math.ceil(T / chunkSize);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const s = Float64Array.from(state.subarray(bh * K * V, (bh + 1) * K * V));
      for (let ci = 0; ci < chunks; ci++) {
        const t0 = ci * chunkSize;
        const n = Math.min(chunkSize, T - t0);
        states.set(s, (bh * chunks + ci) * K * V);
        const c = prepareChunk(q, k, v, beta, g, b, h, t0, n, d);
        const u = pseudoValues(c, s, d);
        // o_r = scale (exp(gam_r) q_r S0 + sum over j <= r of P_rj u_j)
        const qs = matmul(c.q, s, n, V, K);
        const pu = matmul(c.p, u, n, V, n);
        for (let r = 0; r < n; r++) {
          const at = ((b * T + t0 + r) * H + h) * V;
          const decay = Math.exp(c.gam[r]);
          for (let i = 0; i < V; i++) o[at + i] = scale * (decay * qs[r * V + i] + pu[r * V + i]);
        }
        // S = exp(gam_n) S0 + sum over j of exp(gam_n - gam_j) k_j u_j^T
        const last = c.gam[n - 1];
        const kf = new Float64Array(n * K);
        for (let j = 0; j < n; j++) {
          const f = Math.exp(last - c.gam[j]);
          for (let i = 0; i < K; i++) kf[j * K + i] = f * c.k[j * K + i];
        }
        const written = matmul(kf, u, K, V, n, true);
        const total = Math.exp(last);
        for (let i = 0; i < s.length; i++) s[i] = total * s[i] + written[i];
      }
      state.set(s, bh * K * V);
    }
  }
}

/**
 * Gradients of the chunked recurrence with respect to q, k, v, beta and g (when gated), given the output
 * gradient gO and the chunk-start states saved by chunkForward. The final state gets no gradient and the
 * initial state is a constant. Every output array is fully written.
 */
function chunkBackward(
  q: F32,
  k: F32,
  v: F32,
  beta: F32,
  g: F32 | null,
  states: F32,
  gO: F32,
  gq: F32,
  gk: F32,
  gv: F32,
  gbeta: F32,
  gg: F32 | null,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  chunkSize: number,
  scale: number,
): void {
  const d = { T, H, K, V };
  const chunks = Math.ceil(T / chunkSize);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      let dS = new Float64Array(K * V); // gradient reaching the state at the end of the current chunk
      for (let ci = chunks - 1; ci >= 0; ci--) {
        const t0 = ci * chunkSize;
        const n = Math.min(chunkSize, T - t0);
        const at0 = (bh * chunks + ci) * K * V;
        const s0 = Float64Array.from(states.subarray(at0, at0 + K * V));
        const c = prepareChunk(q, k, v, beta, g, b, h, t0, n, d);
        const u = pseudoValues(c, s0, d);
        const dO = rows(gO, b, h, t0, n, V, d).map((x) => scale * x);
        const dq = new Float64Array(n * K);
        const dk = new Float64Array(n * K);
        const du = new Float64Array(n * V);
        const dbeta = new Float64Array(n);
        const dgam = new Float64Array(n);
        const dS0 = new Float64Array(K * V);
        const last = c.gam[n - 1];
        const total = Math.exp(last);

        // Final state: S = exp(gam_n) S0 + sum_j F_j k_j u_j^T with F_j = exp(gam_n - gam_j).
        addInto(dS0, dS, total);
        dgam[n - 1] += total * dot(s0, 0, dS, 0, K * V);
        const kdS = matmul(c.k, dS, n, V, K); // row j: k_j^T dS
        const dSu = matmul(u, dS, n, K, V, false, true); // row j: dS u_j
        for (let j = 0; j < n; j++) {
          const f = Math.exp(last - c.gam[j]);
          for (let i = 0; i < V; i++) du[j * V + i] += f * kdS[j * V + i];
          for (let i = 0; i < K; i++) dk[j * K + i] += f * dSu[j * K + i];
          if (j === n - 1) continue; // F = 1 there: no decay to differentiate
          const df = f * dot(c.k, j * K, dSu, j * K, K);
          dgam[n - 1] += df;
          dgam[j] -= df;
        }

        // Output: O = diag(exp(gam)) Q S0 + P U (scale folded into dO).
        const dOs = matmul(dO, s0, n, K, V, false, true); // row r: S0 dO_r
        for (let r = 0; r < n; r++) {
          const decay = Math.exp(c.gam[r]);
          for (let i = 0; i < K; i++) dq[r * K + i] += decay * dOs[r * K + i];
          dgam[r] += decay * dot(c.q, r * K, dOs, r * K, K);
        }
        const qDecayed = c.q.map((x, i) => x * Math.exp(c.gam[Math.floor(i / K)]));
        addInto(dS0, matmul(qDecayed, dO, K, V, n, true));
        const dP = matmul(dO, u, n, n, V, false, true);
        addInto(du, matmul(c.p, dO, n, V, n, true));
        // P = mask o exp(gam_r - gam_j) o Q K^T
        const dqk = new Float64Array(n * n);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j <= r; j++) {
            dqk[r * n + j] = dP[r * n + j] * Math.exp(c.gam[r] - c.gam[j]);
            if (j === r) continue; // the diagonal's decay is exp(0): nothing to differentiate
            const y = dP[r * n + j] * c.p[r * n + j];
            dgam[r] += y;
            dgam[j] -= y;
          }
        }
        addInto(dq, matmul(dqk, c.k, n, K, n));
        addInto(dk, matmul(dqk, c.q, n, K, n, true));

        // Pseudo-values: U = U0 - W S0.
        const dW = matmul(du, s0, n, K, V, false, true).map((x) => -x);
        addInto(dS0, matmul(c.w, du, K, V, n, true), -1);
        // W = T Kb, U0 = T Vb.
        const dT = matmul(dW, c.kb, n, n, K, false, true);
        addInto(dT, matmul(du, c.vb, n, n, V, false, true));
        const dKb = matmul(c.t, dW, n, K, n, true);
        const dVb = matmul(c.t, du, n, V, n, true);
        const dv = new Float64Array(n * V);
        for (let r = 0; r < n; r++) {
          const decay = Math.exp(c.gam[r]);
          const kdKb = dot(c.k, r * K, dKb, r * K, K);
          for (let i = 0; i < K; i++) dk[r * K + i] += c.beta[r] * decay * dKb[r * K + i];
          for (let i = 0; i < V; i++) dv[r * V + i] = c.beta[r] * dVb[r * V + i];
          dbeta[r] += decay * kdKb + dot(c.v, r * V, dVb, r * V, V);
          dgam[r] += c.beta[r] * decay * kdKb;
        }
        // T = (I + A)^-1, so dA = -T^T dT T^T (only its strictly lower part reaches A).
        const dA = matmul(c.t, matmul(dT, c.t, n, n, n, false, true), n, n, n, true);
        const dkk = new Float64Array(n * n);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < r; j++) {
            const da = -dA[r * n + j];
            const e = Math.exp(c.gam[r] - c.gam[j]);
            dkk[r * n + j] = da * c.beta[r] * e;
            dbeta[r] += da * e * c.kk[r * n + j];
            const y = da * c.a[r * n + j];
            dgam[r] += y;
            dgam[j] -= y;
          }
        }
        addInto(dk, matmul(dkk, c.k, n, K, n));
        addInto(dk, matmul(dkk, c.k, n, K, n, true));

        for (let r = 0; r < n; r++) {
          const row = (b * T + t0 + r) * H + h;
          for (let i = 0; i < K; i++) {
            gq[row * K + i] = dq[r * K + i];
            gk[row * K + i] = dk[r * K + i];
          }
          for (let i = 0; i < V; i++) gv[row * V + i] = dv[r * V + i];
          gbeta[row] = dbeta[r];
        }
        // gam is a running sum of g, so g_r collects dgam from r to the chunk's end.
        if (gg) {
          let acc = 0;
          for (let r = n - 1; r >= 0; r--) {
            acc += dgam[r];
            gg[(b * T + t0 + r) * H + h] = acc;
          }
        }
        dS = dS0;
      }
    }
  }
}

// The delta rule one token at a time, as generation runs it (forward only): for each head,
//   S <- exp(g_t) S;  u = beta_t (v_t - S^T k_t);  S <- S + k_t u^T;  o_t = scale S^T q_t
// with S [K, V] updated in place.
function recurrentForward(
  q: F32,
  k: F32,
  v: F32,
  beta: F32,
  g: F32 | null,
  o: F32,
  state: F32,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  scale: number,
): void {
  const u = new Float64Array(V);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const s = Float64Array.from(state.subarray((b * H + h) * K * V, (b * H + h + 1) * K * V));
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * H + h;
        const decay = g ? Math.exp(g[row]) : 1;
        const [qt, kt, vt] = [row * K, row * K, row * V];
        for (let i = 0; i < s.length; i++) s[i] *= decay;
        // What the state currently returns for k_t, and the correction that makes it return v_t.
        u.fill(0);
        for (let i = 0; i < K; i++) for (let j = 0; j < V; j++) u[j] += s[i * V + j] * k[kt + i];
        for (let j = 0; j < V; j++) u[j] = beta[row] * (v[vt + j] - u[j]);
        for (let i = 0; i < K; i++) for (let j = 0; j < V; j++) s[i * V + j] += k[kt + i] * u[j];
        for (let j = 0; j < V; j++) {
          let acc = 0;
          for (let i = 0; i < K; i++) acc += s[i * V + j] * q[qt + i];
          o[row * V + j] = scale * acc;
        }
      }
      state.set(s, (b * H + h) * K * V);
    }
  }
}

// L2 normalisation of each group of D values (one head of q or k): y = x / sqrt(sum x^2 + eps).
function rstd(x: F32, row: number, D: number, eps: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += x[row * D + i] ** 2;
  return 1 / Math.sqrt(s + eps);
}

function l2Norm(x: F32, y: F32, rows: number, D: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const inv = rstd(x, r, D, eps);
    for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * inv;
  }
}

/** gx = (gy - y (y . gy)) / sqrt(sum x^2 + eps). */
function l2NormGrad(x: F32, gy: F32, gx: F32, rows: number, D: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const inv = rstd(x, r, D, eps);
    let yg = 0;
    for (let i = 0; i < D; i++) yg += x[r * D + i] * inv * gy[r * D + i];
    for (let i = 0; i < D; i++) gx[r * D + i] = inv * (gy[r * D + i] - x[r * D + i] * inv * yg);
  }
}

export const deltaKernels = kernelFamily('delta', {
  chunkForward,
  chunkBackward,
  recurrentForward,
  l2Norm,
  l2NormGrad,
});
