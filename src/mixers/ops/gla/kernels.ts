// The gated-linear-attention kernel family ("gla"): one recurrence serves linear attention, RetNet and GLA.
//
//   S_t = diag(a_t) S_{t-1} + k_t v_t^T        (S: K x V per head; a_t = exp(g_t), g_t <= 0 the log decay)
//   o_t = scale * S_t^T q_t
//
// g_t is a per-key-dim vector (GLA), one number per head (RetNet: log gamma_h) or 0 (linear attention).
// Chunkwise form (fla's chunk_gla / chunk_simple_gla). Split time into chunks of C steps; inside a chunk,
// G_i = g_1 + ... + g_i is the cumulative log decay from the chunk's start, and S the state entering it:
//
//   o_i  = scale * [ (q_i * exp(G_i))^T S  +  sum_{j <= i} (sum_d q_id k_jd exp(G_id - G_jd)) v_j ]
//   S'   = diag(exp(G_C)) S + sum_j (k_j * exp(G_C - G_j)) v_j^T
//
// The first term is the inter-chunk part (one small matrix product with the carried state), the sum the
// intra-chunk attention-like part; S' is the state handed to the next chunk. Every exponent is <= 0.
//
// Layouts (as the projections produce them, no permutes): q, k, g [B, T, H, K]; v, o [B, T, H, V];
// gHead [H]; states [B, H, K, V]. These js versions are the readable oracle: the intra-chunk decay is
// computed pair by pair, exactly. native/src/mixers/gla.cc has the fast versions with the same arguments.
import { kernelFamily } from '../../../backend/index.js';

type F32 = Float32Array;

/** Indexing of one (batch, head) pair's rows in the [B, T, H, *] layouts. */
function rows(b: number, h: number, T: number, H: number) {
  return (t: number, width: number) => ((b * T + t) * H + h) * width;
}

/** Log decay of step t, key dim d: per key (GLA), per head (RetNet) or none (linear attention). */
function logDecayOf(
  g: F32 | null,
  gHead: F32 | null,
  h: number,
  K: number,
  row: (t: number, w: number) => number,
) {
  if (g) return (t: number, d: number) => g[row(t, K) + d];
  const c = gHead ? gHead[h] : 0;
  return () => c;
}

/** G[i, d] = cumulative log decay from the chunk starting at t0 through step t0 + i. */
function cumulativeDecay(
  G: Float64Array,
  t0: number,
  L: number,
  K: number,
  decay: (t: number, d: number) => number,
) {
  for (let i = 0; i < L; i++) {
    for (let d = 0; d < K; d++) G[i * K + d] = (i > 0 ? G[(i - 1) * K + d] : 0) + decay(t0 + i, d);
  }
}

/** Carries S (K x V) over one chunk of L steps: S = diag(exp(G_L)) S + sum_j (k_j * exp(G_L - G_j)) v_j^T. */
function advanceState(
  S: Float64Array,
  G: Float64Array,
  k: F32,
  v: F32,
  row: (t: number, w: number) => number,
  t0: number,
  L: number,
  K: number,
  V: number,
) {
  const last = (L - 1) * K;
  for (let d = 0; d < K; d++) {
    const a = Math.exp(G[last + d]);
    for (let e = 0; e < V; e++) S[d * V + e] *= a;
  }
  for (let j = 0; j < L; j++) {
    for (let d = 0; d < K; d++) {
      const w = k[row(t0 + j, K) + d] * Math.exp(G[last + d] - G[j * K + d]);
      for (let e = 0; e < V; e++) S[d * V + e] += w * v[row(t0 + j, V) + e];
    }
  }
}

function loadState(s0: F32 | null, bh: number, KV: number): Float64Array {
  const S = new Float64Array(KV);
  if (s0) for (let i = 0; i < KV; i++) S[i] = s0[bh * KV + i];
  return S;
}

/**
 * o = the chunkwise recurrence over q, k, v from state s0 (null: zeros); the final state goes to sOut
 * when given (it may be s0 itself, updated in place).
 */
function chunkForward(
  q: F32,
  k: F32,
  v: F32,
  g: F32 | null,
  gHead: F32 | null,
  s0: F32 | null,
  o: F32,
  sOut: F32 | null,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  C: number,
  scale: number,
): void {
  const G = new Float64Array(C * K);
  const acc = new Float64Array(V);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const row = rows(b, h, T, H);
      const decay = logDecayOf(g, gHead, h, K, row);
      const S = loadState(s0, b * H + h, K * V);
      for (let t0 = 0; t0 < T; t0 += C) {
        const L = Math.min(C, T - t0);
        cumulativeDecay(G, t0, L, K, decay);
        for (let i = 0; i < L; i++) {
          const qi = row(t0 + i, K);
          acc.fill(0);
          for (let d = 0; d < K; d++) {
            const w = q[qi + d] * Math.exp(G[i * K + d]);
            for (let e = 0; e < V; e++) acc[e] += w * S[d * V + e];
          }
          for (let j = 0; j <= i; j++) {
            const kj = row(t0 + j, K);
            let a = 0;
            for (let d = 0; d < K; d++) a += q[qi + d] * k[kj + d] * Math.exp(G[i * K + d] - G[j * K + d]);
            const vj = row(t0 + j, V);
            for (let e = 0; e < V; e++) acc[e] += a * v[vj + e];
          }
          const oi = row(t0 + i, V);
          for (let e = 0; e < V; e++) o[oi + e] = scale * acc[e];
        }
        advanceState(S, G, k, v, row, t0, L, K, V);
      }
      if (sOut) for (let i = 0; i < K * V; i++) sOut[(b * H + h) * K * V + i] = S[i];
    }
  }
}

/**
 * Gradients of chunkForward's o (given dO) with respect to q, k, v and, for per-key decay, g (dg; pass null
 * otherwise). The states entering each chunk are recomputed, then chunks are visited last to first with
 * dS, the gradient of the state leaving the chunk:
 *   dq_i = scale exp(G_i) * (S dO_i) + intra,      dk_j = exp(G_L - G_j) * (dS v_j) + intra,
 *   dv_j = (k_j * exp(G_L - G_j))^T dS + intra,    dS_prev = diag(exp(G_L)) dS + sum_i scale (q_i exp(G_i)) dO_i^T
 * and, since every decay factor is exp(G_i - G_j) between a query step i and a key step j,
 *   dG_i = q_i * dq_i - k_i * dk_i  (+ on the chunk's last step: sum_j k_j * dk_j(state part) + exp(G_L) (S . dS) 1)
 *   dg_t = sum of dG over the chunk's steps from t on.
 */
function chunkBackward(
  q: F32,
  k: F32,
  v: F32,
  g: F32 | null,
  gHead: F32 | null,
  s0: F32 | null,
  dO: F32,
  dq: F32,
  dk: F32,
  dv: F32,
  dg: F32 | null,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  C: number,
  scale: number,
): void {
  const chunks = Math.ceil(T / C);
  const G = new Float64Array(C * K);
  const dkState = new Float64Array(C * K);
  const dG = new Float64Array(C * K);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const row = rows(b, h, T, H);
      const decay = logDecayOf(g, gHead, h, K, row);
      const S = loadState(s0, b * H + h, K * V);
      const starts: Float64Array[] = [];
      for (let n = 0; n < chunks; n++) {
        const t0 = n * C;
        const L = Math.min(C, T - t0);
        starts.push(S.slice());
        cumulativeDecay(G, t0, L, K, decay);
        advanceState(S, G, k, v, row, t0, L, K, V);
      }
      const dS = new Float64Array(K * V);
      for (let n = chunks - 1; n >= 0; n--) {
        const t0 = n * C;
        const L = Math.min(C, T - t0);
        const Sn = starts[n];
        const last = (L - 1) * K;
        cumulativeDecay(G, t0, L, K, decay);
        for (let i = 0; i < L; i++) {
          dk.fill(0, row(t0 + i, K), row(t0 + i, K) + K);
          dv.fill(0, row(t0 + i, V), row(t0 + i, V) + V);
        }
        for (let i = 0; i < L; i++) {
          const qi = row(t0 + i, K);
          const oi = row(t0 + i, V);
          for (let d = 0; d < K; d++) {
            let s = 0;
            for (let e = 0; e < V; e++) s += dO[oi + e] * Sn[d * V + e];
            dq[qi + d] = scale * Math.exp(G[i * K + d]) * s;
          }
          for (let j = 0; j <= i; j++) {
            const kj = row(t0 + j, K);
            const vj = row(t0 + j, V);
            let a = 0;
            let dA = 0;
            for (let d = 0; d < K; d++) a += q[qi + d] * k[kj + d] * Math.exp(G[i * K + d] - G[j * K + d]);
            for (let e = 0; e < V; e++) dA += dO[oi + e] * v[vj + e];
            a *= scale;
            dA *= scale;
            for (let e = 0; e < V; e++) dv[vj + e] += a * dO[oi + e];
            for (let d = 0; d < K; d++) {
              const E = Math.exp(G[i * K + d] - G[j * K + d]);
              dq[qi + d] += dA * k[kj + d] * E;
              dk[kj + d] += dA * q[qi + d] * E;
            }
          }
        }
        for (let j = 0; j < L; j++) {
          const kj = row(t0 + j, K);
          const vj = row(t0 + j, V);
          for (let d = 0; d < K; d++) {
            const w = Math.exp(G[last + d] - G[j * K + d]);
            let s = 0;
            for (let e = 0; e < V; e++) {
              s += v[vj + e] * dS[d * V + e];
              dv[vj + e] += k[kj + d] * w * dS[d * V + e];
            }
            dkState[j * K + d] = w * s;
            dk[kj + d] += w * s;
          }
        }
        if (dg) {
          for (let i = 0; i < L; i++) {
            const at = row(t0 + i, K);
            for (let d = 0; d < K; d++) dG[i * K + d] = q[at + d] * dq[at + d] - k[at + d] * dk[at + d];
          }
          for (let d = 0; d < K; d++) {
            let s = 0;
            for (let j = 0; j < L; j++) s += k[row(t0 + j, K) + d] * dkState[j * K + d];
            let carried = 0;
            for (let e = 0; e < V; e++) carried += Sn[d * V + e] * dS[d * V + e];
            dG[last + d] += s + Math.exp(G[last + d]) * carried;
          }
          for (let d = 0; d < K; d++) {
            let sum = 0;
            for (let i = L - 1; i >= 0; i--) {
              sum += dG[i * K + d];
              dg[row(t0 + i, K) + d] = sum;
            }
          }
        }
        for (let d = 0; d < K; d++) {
          const a = Math.exp(G[last + d]);
          for (let e = 0; e < V; e++) dS[d * V + e] *= a;
          for (let i = 0; i < L; i++) {
            const w = scale * q[row(t0 + i, K) + d] * Math.exp(G[i * K + d]);
            for (let e = 0; e < V; e++) dS[d * V + e] += w * dO[row(t0 + i, V) + e];
          }
        }
      }
    }
  }
}

/** The recurrence one step at a time (generation), continuing from and updating `state` in place. */
function recurrentForward(
  q: F32,
  k: F32,
  v: F32,
  g: F32 | null,
  gHead: F32 | null,
  state: F32,
  o: F32,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  scale: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const row = rows(b, h, T, H);
      const decay = logDecayOf(g, gHead, h, K, row);
      const S = state.subarray((b * H + h) * K * V, (b * H + h + 1) * K * V);
      for (let t = 0; t < T; t++) {
        const [qt, kt, vt, ot] = [row(t, K), row(t, K), row(t, V), row(t, V)];
        for (let d = 0; d < K; d++) {
          const a = Math.exp(decay(t, d));
          for (let e = 0; e < V; e++) S[d * V + e] = a * S[d * V + e] + k[kt + d] * v[vt + e];
        }
        for (let e = 0; e < V; e++) {
          let s = 0;
          for (let d = 0; d < K; d++) s += q[qt + d] * S[d * V + e];
          o[ot + e] = scale * s;
        }
      }
    }
  }
}

export const glaKernels = kernelFamily('gla', { chunkForward, chunkBackward, recurrentForward });
