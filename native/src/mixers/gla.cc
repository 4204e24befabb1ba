// Gated linear attention on the CPU (linear attention, RetNet and GLA share it): the chunkwise forward and
// backward and the step-by-step recurrence of src/mixers/ops/gla/kernels.ts, with the same arguments.
//
//   S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T,   o_t = scale * S_t^T q_t
//
// Each (batch, head) pair is one task; it walks its chunks in order carrying S (K x V). Within a chunk of L
// steps, G_i is the cumulative log decay from the chunk's start (every g <= 0, so G falls with i), and
//   o_i = scale [ (q_i exp(G_i))^T S + sum_{j<=i} (sum_d q_id k_jd exp(G_id - G_jd)) v_j ]
//   S  <- diag(exp(G_L)) S + sum_j (k_j exp(G_L - G_j)) v_j^T.
// The js oracle evaluates exp(G_id - G_jd) for every pair and dim. Here the intra-chunk part goes by
// sub-blocks of kSub query rows, as fla's chunk_gla does: the factor splits through the reference R = G_i0
// (the sub-block's first row) into (q_i exp(G_i - R)) . (k_j exp(R - G_j)), so scores are one GEMM and the
// exps cost O(L K), not O(L^2 K). Against keys of earlier sub-blocks both factors are <= 1. Inside the
// diagonal sub-block exp(R - G_j) >= 1 grows with the decay over the sub-block; when that exceeds e^60 in
// some dim (float32 would overflow soon after), the diagonal's kSub^2 / 2 pairs are summed one by one with
// the exact exp(G_id - G_jd) instead, so no decay, however strong, overflows.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../gemm.h"
#include "../generated/kernels.h"
#include "../parallel.h"
#include "../vmath.h"

namespace {

using jl::exp_approx;

constexpr int kSub = 16;

struct Dims {
  long B, T, H, K, V, C;
  float scale;
};

// C = alpha op(A) op(B) + beta C on row-major blocks (beta 0: C is only written).
inline void gemm(bool ta, bool tb, long m, long n, long k, float alpha, const float* A, long lda, const float* B,
                 long ldb, float beta, float* C, long ldc) {
  jl::sgemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, A, static_cast<int>(lda),
            B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
}

inline void axpy(float a, const float* x, float* y, long n) {
#pragma omp simd
  for (long i = 0; i < n; i++) y[i] += a * x[i];
}

// One (batch, head) pair's rows: q/k/g row t at q + t * ks, v/o row t at v + t * vs.
struct Head {
  const float* q;
  const float* k;
  const float* v;
  const float* g;  // per-key log decay, or null
  float g_head;    // per-head log decay (0 for linear attention) when g is null
  long ks, vs, koff, voff;

  Head(const Dims& s, int task, const float* q0, const float* k0, const float* v0, const float* g0,
       const float* g_head0) {
    const long b = task / s.H, h = task % s.H;
    ks = s.H * s.K;
    vs = s.H * s.V;
    koff = b * s.T * ks + h * s.K;
    voff = b * s.T * vs + h * s.V;
    q = q0 + koff;
    k = k0 + koff;
    v = v0 + voff;
    g = g0 ? g0 + koff : nullptr;
    g_head = g_head0 ? g_head0[h] : 0.0f;
  }

  // G[i * K + d] = cumulative log decay of steps t0 .. t0 + i.
  void cumulative_decay(float* G, long t0, long L, long K) const {
    for (long i = 0; i < L; i++) {
      const float* gi = g ? g + (t0 + i) * ks : nullptr;
      float* Gi = G + i * K;
      for (long d = 0; d < K; d++) Gi[d] = (i > 0 ? Gi[d - K] : 0.0f) + (gi ? gi[d] : g_head);
    }
  }

  // out[i * K + d] = x_i[d] exp(sign (G[i * K + d] - ref[d])) for rows x_i = x + i * stride, i < L (ref null: 0).
  static void decayed(const float* x, long stride, const float* G, const float* ref, float sign, long L, long K,
                      float* out) {
    for (long i = 0; i < L; i++) {
      const float* xi = x + i * stride;
      const float* Gi = G + i * K;
      float* oi = out + i * K;
#pragma omp simd
      for (long d = 0; d < K; d++) oi[d] = xi[d] * exp_approx(sign * (Gi[d] - (ref ? ref[d] : 0.0f)));
    }
  }
};

// Zeroes the scores of keys after their query: A is rows i0..i1 of the chunk against keys 0..i1.
void causal_mask(float* A, long i0, long i1) {
  for (long i = i0; i < i1; i++) std::fill(A + (i - i0) * i1 + i + 1, A + (i - i0 + 1) * i1, 0.0f);
}

// The diagonal sub-block, rows and keys i0..i1, pair by pair: A_ij = sum_d q_id k_jd exp(G_id - G_jd) for
// j <= i (0 above), A holding rows i0..i1 against keys 0..i1. With dA given (backward) it also adds
// dq_i += dA_ij k_j exp(G_i - G_j) and dk_j += dA_ij q_i exp(G_i - G_j), reusing each exp.
void diagonal_block(const Head& hd, long K, long t0, long i0, long i1, const float* G, float* A, const float* dA,
                    float* dQ, float* dK) {
  for (long i = i0; i < i1; i++) {
    const float* qi = hd.q + (t0 + i) * hd.ks;
    const float* Gi = G + i * K;
    float* Ai = A + (i - i0) * i1;
    for (long j = i0; j <= i; j++) {
      const float* kj = hd.k + (t0 + j) * hd.ks;
      const float* Gj = G + j * K;
      float a = 0;
      if (dA) {
        const float da = dA[(i - i0) * i1 + j];
        float* dq = dQ + i * K;
        float* dk = dK + j * K;
#pragma omp simd reduction(+ : a)
        for (long d = 0; d < K; d++) {
          const float e = exp_approx(Gi[d] - Gj[d]);
          a += qi[d] * kj[d] * e;
          dq[d] += da * kj[d] * e;
          dk[d] += da * qi[d] * e;
        }
      } else {
#pragma omp simd reduction(+ : a)
        for (long d = 0; d < K; d++) a += qi[d] * kj[d] * exp_approx(Gi[d] - Gj[d]);
      }
      Ai[j] = a;
    }
    std::fill(Ai + i + 1, Ai + i1, 0.0f);
  }
}

// Largest decay (in log) over one sub-block for which its diagonal still goes through the factored form.
constexpr float kMaxSpread = 60.0f;

// Per-task scratch, sized once: G, the decayed q/k factors, one sub-block's scores.
struct Scratch {
  std::vector<float> G, qt, kt, A;
  explicit Scratch(const Dims& s) : G(s.C * s.K), qt(s.C * s.K), kt(s.C * s.K), A(kSub * s.C) {}

  // The intra-chunk scores A of rows i0..i1 against keys 0..i1, causal. Returns how many keys went through
  // the factored form, qt = q_i exp(G_i - R) and kt = k_j exp(R - G_j) (left in qt, kt): all i1 of them, or
  // only the i0 before the diagonal when its decay is too strong, the diagonal then summed exactly (with dA
  // given, in the backward, adding its pairs' dq and dk too).
  long sub_block_scores(const Head& hd, long K, long t0, long i0, long i1, const float* dA = nullptr,
                        float* dQ = nullptr, float* dK = nullptr) {
    const float* R = G.data() + i0 * K;
    const float* last = G.data() + (i1 - 1) * K;
    float spread = 0.0f;
    for (long d = 0; d < K; d++) spread = std::max(spread, R[d] - last[d]);
    const long keys = spread < kMaxSpread ? i1 : i0;
    Head::decayed(hd.q + (t0 + i0) * hd.ks, hd.ks, G.data() + i0 * K, R, 1.0f, i1 - i0, K, qt.data());
    Head::decayed(hd.k + t0 * hd.ks, hd.ks, G.data(), R, -1.0f, keys, K, kt.data());
    if (keys > 0) gemm(false, true, i1 - i0, keys, K, 1.0f, qt.data(), K, kt.data(), K, 0.0f, A.data(), i1);
    if (keys == i1) {
      causal_mask(A.data(), i0, i1);
    } else {
      diagonal_block(hd, K, t0, i0, i1, G.data(), A.data(), dA, dQ, dK);
    }
    return keys;
  }
};

// S <- diag(exp(G_L)) S + kg^T v with kg_j = k_j exp(G_L - G_j), over the chunk at t0 (kg left in w.kt).
void advance_state(const Head& hd, const Dims& s, Scratch& w, float* S, long t0, long L) {
  const long K = s.K, V = s.V;
  const float* Gl = w.G.data() + (L - 1) * K;
  for (long d = 0; d < K; d++) {
    const float a = exp_approx(Gl[d]);
#pragma omp simd
    for (long e = 0; e < V; e++) S[d * V + e] *= a;
  }
  for (long j = 0; j < L; j++) {
    const float* kj = hd.k + (t0 + j) * hd.ks;
    const float* Gj = w.G.data() + j * K;
    float* kg = w.kt.data() + j * K;
#pragma omp simd
    for (long d = 0; d < K; d++) kg[d] = kj[d] * exp_approx(Gl[d] - Gj[d]);
  }
  gemm(true, false, K, V, L, 1.0f, w.kt.data(), K, hd.v + t0 * hd.vs, hd.vs, 1.0f, S, V);
}

void chunk_forward_task(const Dims& s, const Head& hd, const float* s0, float* o, float* s_out, int task) {
  const long K = s.K, V = s.V, C = s.C;
  Scratch w(s);
  std::vector<float> S(K * V, 0.0f), qg(kSub * K);
  if (s0) std::memcpy(S.data(), s0 + task * K * V, K * V * sizeof(float));
  for (long t0 = 0; t0 < s.T; t0 += C) {
    const long L = std::min(C, s.T - t0);
    hd.cumulative_decay(w.G.data(), t0, L, K);
    const float* vc = hd.v + t0 * hd.vs;
    float* oc = o + hd.voff + t0 * hd.vs;
    for (long i0 = 0; i0 < L; i0 += kSub) {
      const long i1 = std::min(L, i0 + kSub), rows = i1 - i0;
      // From the carried state: o_i = scale (q_i exp(G_i))^T S.
      Head::decayed(hd.q + (t0 + i0) * hd.ks, hd.ks, w.G.data() + i0 * K, nullptr, 1.0f, rows, K, qg.data());
      gemm(false, false, rows, V, K, s.scale, qg.data(), K, S.data(), V, 0.0f, oc + i0 * hd.vs, hd.vs);
      // Within the chunk: o_i += scale sum_j A_ij v_j.
      w.sub_block_scores(hd, K, t0, i0, i1);
      gemm(false, false, rows, V, i1, s.scale, w.A.data(), i1, vc, hd.vs, 1.0f, oc + i0 * hd.vs, hd.vs);
    }
    advance_state(hd, s, w, S.data(), t0, L);
  }
  if (s_out) std::memcpy(s_out + task * K * V, S.data(), K * V * sizeof(float));
}

void chunk_backward_task(const Dims& s, const Head& hd, const float* s0, const float* dO, float* dq, float* dk,
                         float* dv, float* dg, int task) {
  const long K = s.K, V = s.V, C = s.C, chunks = (s.T + C - 1) / C;
  const float scale = s.scale;
  Scratch w(s);
  // The state entering every chunk, recomputed rather than kept from the forward.
  std::vector<float> starts(chunks * K * V, 0.0f);
  if (s0) std::memcpy(starts.data(), s0 + task * K * V, K * V * sizeof(float));
  for (long n = 0; n + 1 < chunks; n++) {
    float* S = starts.data() + (n + 1) * K * V;
    std::memcpy(S, starts.data() + n * K * V, K * V * sizeof(float));
    hd.cumulative_decay(w.G.data(), n * C, C, K);
    advance_state(hd, s, w, S, n * C, C);
  }
  std::vector<float> dS(K * V, 0.0f), dQ(C * K), dK(C * K), dV(C * V), dKs(C * K), Fk(C * K), qg(C * K),
      dA(kSub * C), dqt(kSub * K), dkt(C * K), extra(K);
  for (long n = chunks - 1; n >= 0; n--) {
    const long t0 = n * C, L = std::min(C, s.T - t0);
    const float* S = starts.data() + n * K * V;
    const float* vc = hd.v + t0 * hd.vs;
    const float* dOc = dO + hd.voff + t0 * hd.vs;
    hd.cumulative_decay(w.G.data(), t0, L, K);
    const float* G = w.G.data();
    const float* Gl = G + (L - 1) * K;
    // From the carried state: dq_i = scale exp(G_i) * (S dO_i).
    gemm(false, true, L, K, V, scale, dOc, hd.vs, S, V, 0.0f, dQ.data(), K);
    for (long i = 0; i < L * K; i++) dQ[i] *= exp_approx(G[i]);
    std::fill(dK.begin(), dK.begin() + L * K, 0.0f);
    std::fill(dV.begin(), dV.begin() + L * V, 0.0f);
    // Within the chunk, sub-block by sub-block, through the same factors as the forward.
    for (long i0 = 0; i0 < L; i0 += kSub) {
      const long i1 = std::min(L, i0 + kSub), rows = i1 - i0;
      gemm(false, true, rows, i1, V, scale, dOc + i0 * hd.vs, hd.vs, vc, hd.vs, 0.0f, dA.data(), i1);
      causal_mask(dA.data(), i0, i1);
      const long keys = w.sub_block_scores(hd, K, t0, i0, i1, dA.data(), dQ.data(), dK.data());
      gemm(true, false, i1, V, rows, scale, w.A.data(), i1, dOc + i0 * hd.vs, hd.vs, 1.0f, dV.data(), V);
      if (keys == 0) continue;
      // Through the factors: dq_i += (dA kt)_i exp(G_i - R), dk_j += (dA^T qt)_j exp(R - G_j).
      gemm(false, false, rows, K, keys, 1.0f, dA.data(), i1, w.kt.data(), K, 0.0f, dqt.data(), K);
      gemm(true, false, keys, K, rows, 1.0f, dA.data(), i1, w.qt.data(), K, 0.0f, dkt.data(), K);
      const float* R = G + i0 * K;
      for (long i = i0; i < i1; i++) {
#pragma omp simd
        for (long d = 0; d < K; d++) dQ[i * K + d] += dqt[(i - i0) * K + d] * exp_approx(G[i * K + d] - R[d]);
      }
      for (long j = 0; j < keys; j++) {
#pragma omp simd
        for (long d = 0; d < K; d++) dK[j * K + d] += dkt[j * K + d] * exp_approx(R[d] - G[j * K + d]);
      }
    }
    // Through the state handed on, S' = ... + kg^T v with kg_j = k_j F_j, F_j = exp(G_L - G_j).
    for (long j = 0; j < L; j++) {
      const float* kj = hd.k + (t0 + j) * hd.ks;
#pragma omp simd
      for (long d = 0; d < K; d++) {
        Fk[j * K + d] = exp_approx(Gl[d] - G[j * K + d]);
        w.kt[j * K + d] = kj[d] * Fk[j * K + d];
      }
    }
    gemm(false, true, L, K, V, 1.0f, vc, hd.vs, dS.data(), V, 0.0f, dKs.data(), K);
    gemm(false, false, L, V, K, 1.0f, w.kt.data(), K, dS.data(), V, 1.0f, dV.data(), V);
    std::fill(extra.begin(), extra.end(), 0.0f);
    for (long j = 0; j < L; j++) {
      const float* kj = hd.k + (t0 + j) * hd.ks;
#pragma omp simd
      for (long d = 0; d < K; d++) {
        const float from_state = Fk[j * K + d] * dKs[j * K + d];
        dK[j * K + d] += from_state;
        extra[d] += kj[d] * from_state;
      }
    }
    if (dg) {
      // dG_i = q_i dq_i - k_i dk_i, plus the chunk-end terms on the last step; dg = reverse cumsum of dG.
      for (long d = 0; d < K; d++) {
        float carried = 0;
        for (long e = 0; e < V; e++) carried += S[d * V + e] * dS[d * V + e];
        extra[d] += exp_approx(Gl[d]) * carried;
      }
      for (long i = L - 1; i >= 0; i--) {
        const float* qi = hd.q + (t0 + i) * hd.ks;
        const float* ki = hd.k + (t0 + i) * hd.ks;
        float* out = dg + hd.koff + (t0 + i) * hd.ks;
#pragma omp simd
        for (long d = 0; d < K; d++) {
          extra[d] += qi[d] * dQ[i * K + d] - ki[d] * dK[i * K + d];
          out[d] = extra[d];
        }
      }
    }
    // dS for the chunk before: diag(exp(G_L)) dS + scale sum_i (q_i exp(G_i)) dO_i^T.
    for (long d = 0; d < K; d++) {
      const float a = exp_approx(Gl[d]);
#pragma omp simd
      for (long e = 0; e < V; e++) dS[d * V + e] *= a;
    }
    Head::decayed(hd.q + t0 * hd.ks, hd.ks, G, nullptr, 1.0f, L, K, qg.data());
    gemm(true, false, K, V, L, scale, qg.data(), K, dOc, hd.vs, 1.0f, dS.data(), V);
    for (long i = 0; i < L; i++) {
      std::memcpy(dq + hd.koff + (t0 + i) * hd.ks, dQ.data() + i * K, K * sizeof(float));
      std::memcpy(dk + hd.koff + (t0 + i) * hd.ks, dK.data() + i * K, K * sizeof(float));
      std::memcpy(dv + hd.voff + (t0 + i) * hd.vs, dV.data() + i * V, V * sizeof(float));
    }
  }
}

void recurrent_task(const Dims& s, const Head& hd, float* state, float* o, int task) {
  const long K = s.K, V = s.V;
  float* S = state + task * K * V;
  float* o_head = o + hd.voff;
  for (long t = 0; t < s.T; t++) {
    const float* qt = hd.q + t * hd.ks;
    const float* kt = hd.k + t * hd.ks;
    const float* vt = hd.v + t * hd.vs;
    const float* gt = hd.g ? hd.g + t * hd.ks : nullptr;
    float* ot = o_head + t * hd.vs;
    std::fill(ot, ot + V, 0.0f);
    for (long d = 0; d < K; d++) {
      const float a = exp_approx(gt ? gt[d] : hd.g_head);
      float* Sd = S + d * V;
#pragma omp simd
      for (long e = 0; e < V; e++) Sd[e] = a * Sd[e] + kt[d] * vt[e];
      axpy(s.scale * qt[d], Sd, ot, V);
    }
  }
}

}  // namespace

// The kernel-table entries (src/backend/kernels.ts), called by the generated bindings once every argument
// has been checked. Each (batch, head) pair is one task. A chunk longer than the sequence is one chunk of
// the sequence, and the scratch is sized by the chunk: hence the clamp.
inline int chunk_of(int chunk, int T) { return std::min(chunk, std::max(T, 1)); }

void jl::gla::chunk_forward(const float* q, const float* k, const float* v, const float* g, const float* gHead,
                            const float* s0, float* o, float* sOut, int B, int T, int H, int K, int V, int C,
                            float scale) {
  const Dims s{B, T, H, K, V, chunk_of(C, T), scale};
  jl::parallel_for(B * H, [&](int task) {
    chunk_forward_task(s, Head(s, task, q, k, v, g, gHead), s0, o, sOut, task);
  });
}

void jl::gla::chunk_backward(const float* q, const float* k, const float* v, const float* g, const float* gHead,
                             const float* s0, const float* dO, float* dq, float* dk, float* dv, float* dg, int B,
                             int T, int H, int K, int V, int C, float scale) {
  if (T == 0) return;  // no gradients to write, and no chunk to recompute
  const Dims s{B, T, H, K, V, chunk_of(C, T), scale};
  jl::parallel_for(B * H, [&](int task) {
    chunk_backward_task(s, Head(s, task, q, k, v, g, gHead), s0, dO, dq, dk, dv, dg, task);
  });
}

void jl::gla::recurrent_forward(const float* q, const float* k, const float* v, const float* g, const float* gHead,
                                float* state, float* o, int B, int T, int H, int K, int V, float scale) {
  const Dims s{B, T, H, K, V, 1, scale};
  jl::parallel_for(B * H, [&](int task) { recurrent_task(s, Head(s, task, q, k, v, g, gHead), state, o, task); });
}
