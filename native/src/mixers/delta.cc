// The delta-rule kernels (src/mixers/ops/delta/): the chunkwise recurrence forward and backward, the
// token-by-token recurrence for generation and the per-head L2 norm (the short convolution is conv.cc,
// shared with Mamba). The math is that of the js versions (kernels.ts there), which are the oracle; the
// argument lists are the kernel table's (src/backend/kernels.ts). Here every chunk product is a jl::sgemm
// on small dense buffers, and the (batch, head) pairs run in parallel, each walking its chunks in order
// (only the K x V state crosses chunk borders).
//
// Per chunk of n positions with start state S0 [K, V], gam = running sum of g inside the chunk:
//   A = strictly-lower(beta_r exp(gam_r - gam_j) k_r . k_j),  T = (I + A)^-1
//   W = T diag(beta exp(gam)) K,  U = T diag(beta) V - W S0
//   O = scale (diag(exp(gam)) Q S0 + lower(exp(gam_r - gam_j) q_r . k_j) U)
//   S = exp(gam_n) S0 + (diag(exp(gam_n - gam)) K)^T U
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../gemm.h"
#include "../generated/kernels.h"
#include "../parallel.h"
#include "../vmath.h"

namespace jl {
namespace {

struct Dims {
  int B, T, H, K, V, C;
  float scale;
  long row(int b, int t, int h) const { return (static_cast<long>(b) * T + t) * H + h; }
};

// Dense row-major product with natural leading dims: C (m x n) = alpha op(A) op(B) + beta C.
void mm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, const float* B, float beta, float* C) {
  sgemm(ta, tb, m, n, k, alpha, A, ta ? m : k, B, tb ? k : n, beta, C, n);
}

float dot(const float* a, const float* b, int n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// One chunk's intermediates, in buffers sized for a full chunk and used as n x n / n x D when n < C.
struct Chunk {
  int n = 0;
  // gam: running log decay; decay_r = exp(gam_r); tail_j = exp(gam_n - gam_j); e_rj = exp(gam_r - gam_j)
  // for j <= r (0 above the diagonal).
  std::vector<float> q, k, v, beta, gam, decay, tail, e, kk, a, t, kb, vb, w, u0, u, p;
  explicit Chunk(const Dims& d)
      : q(d.C * d.K), k(d.C * d.K), v(d.C * d.V), beta(d.C), gam(d.C), decay(d.C), tail(d.C), e(d.C * d.C),
        kk(d.C * d.C), a(d.C * d.C), t(d.C * d.C), kb(d.C * d.K), vb(d.C * d.V), w(d.C * d.K), u0(d.C * d.V),
        u(d.C * d.V), p(d.C * d.C) {}

  // Everything up to the pseudo-values U = T Vb - W S0.
  void prepare(const Dims& d, const float* Q, const float* Kk, const float* Vv, const float* Beta, const float* G,
               int b, int h, int t0, int len, const float* s0) {
    n = len;
    const int K = d.K, V = d.V;
    float acc = 0;
    for (int r = 0; r < n; r++) {
      const long row = d.row(b, t0 + r, h);
      std::memcpy(&q[r * K], Q + row * K, K * sizeof(float));
      std::memcpy(&k[r * K], Kk + row * K, K * sizeof(float));
      std::memcpy(&v[r * V], Vv + row * V, V * sizeof(float));
      beta[r] = Beta[row];
      acc += G ? G[row] : 0.0f;
      gam[r] = acc;
    }
    // Each decay is one exp of a difference (never a quotient of exps, which would overflow).
    for (int r = 0; r < n; r++) {
      decay[r] = std::exp(gam[r]);
      tail[r] = std::exp(gam[n - 1] - gam[r]);
      float* er = &e[r * n];
      if (G) {
        const float gr = gam[r];
#pragma omp simd
        for (int j = 0; j <= r; j++) er[j] = exp_approx(gr - gam[j]);
      } else {
        std::fill(er, er + r + 1, 1.0f);
      }
      std::fill(er + r + 1, er + n, 0.0f);
    }
    mm(false, true, n, n, K, 1, k.data(), k.data(), 0, kk.data());
    for (int r = 0; r < n; r++) {
      const float br = beta[r];
#pragma omp simd
      for (int j = 0; j < n; j++) a[r * n + j] = j < r ? br * e[r * n + j] * kk[r * n + j] : 0.0f;
    }
    // Forward substitution: row r of T is e_r minus A_rm times row m, over m < r.
    for (int r = 0; r < n; r++) {
      float* tr = &t[r * n];
      std::fill(tr, tr + n, 0.0f);
      tr[r] = 1;
      for (int m = 0; m < r; m++) {
        const float arm = a[r * n + m];
        const float* tm = &t[m * n];
#pragma omp simd
        for (int j = 0; j <= m; j++) tr[j] -= arm * tm[j];
      }
    }
    for (int r = 0; r < n; r++) {
      const float sk = beta[r] * decay[r], sv = beta[r];
#pragma omp simd
      for (int i = 0; i < K; i++) kb[r * K + i] = sk * k[r * K + i];
#pragma omp simd
      for (int i = 0; i < V; i++) vb[r * V + i] = sv * v[r * V + i];
    }
    mm(false, false, n, K, n, 1, t.data(), kb.data(), 0, w.data());
    mm(false, false, n, V, n, 1, t.data(), vb.data(), 0, u0.data());
    std::copy(u0.begin(), u0.begin() + n * V, u.begin());
    mm(false, false, n, V, K, -1, w.data(), s0, 1, u.data());
    mm(false, true, n, n, K, 1, q.data(), k.data(), 0, p.data());
#pragma omp simd
    for (int i = 0; i < n * n; i++) p[i] *= e[i];
  }
};

void chunked_forward(const Dims& d, const float* q, const float* k, const float* v, const float* beta, const float* g,
                   float* o, float* states, float* state) {
  const int K = d.K, V = d.V, N = (d.T + d.C - 1) / d.C;
  parallel_for(d.B * d.H, [&](int bh) {
    const int b = bh / d.H, h = bh % d.H;
    Chunk c(d);
    std::vector<float> out(d.C * V), kf(d.C * K);
    float* s = state + static_cast<long>(bh) * K * V;
    for (int ci = 0; ci < N; ci++) {
      const int t0 = ci * d.C, n = std::min(d.C, d.T - t0);
      std::memcpy(states + (static_cast<long>(bh) * N + ci) * K * V, s, K * V * sizeof(float));
      c.prepare(d, q, k, v, beta, g, b, h, t0, n, s);
      mm(false, false, n, V, K, 1, c.q.data(), s, 0, out.data());
      for (int r = 0; r < n; r++) {
        const float decay = c.decay[r];
#pragma omp simd
        for (int i = 0; i < V; i++) out[r * V + i] *= decay;
      }
      mm(false, false, n, V, n, 1, c.p.data(), c.u.data(), 1, out.data());
      for (int r = 0; r < n; r++) {
        float* dst = o + d.row(b, t0 + r, h) * V;
#pragma omp simd
        for (int i = 0; i < V; i++) dst[i] = d.scale * out[r * V + i];
      }
      const float total = c.decay[n - 1];
      for (int j = 0; j < n; j++) {
        const float f = c.tail[j];
#pragma omp simd
        for (int i = 0; i < K; i++) kf[j * K + i] = f * c.k[j * K + i];
      }
#pragma omp simd
      for (int i = 0; i < K * V; i++) s[i] *= total;
      mm(true, false, K, V, n, 1, kf.data(), c.u.data(), 1, s);
    }
  });
}

void chunked_backward(const Dims& d, const float* q, const float* k, const float* v, const float* beta, const float* g,
                    const float* states, const float* gO, float* gq, float* gk, float* gv, float* gbeta, float* gg) {
  const int K = d.K, V = d.V, C = d.C, N = (d.T + d.C - 1) / d.C;
  parallel_for(d.B * d.H, [&](int bh) {
    const int b = bh / d.H, h = bh % d.H;
    Chunk c(d);
    std::vector<float> dO(C * V), du(C * V), kdS(C * V), dVb(C * V);
    std::vector<float> dq(C * K), dk(C * K), dSu(C * K), dOs(C * K), qd(C * K), dW(C * K), dKb(C * K);
    std::vector<float> dP(C * C), dA(C * C);
    std::vector<float> dbeta(C), dgam(C), dS(K * V, 0.0f), dS0(K * V);
    for (int ci = N - 1; ci >= 0; ci--) {
      const int t0 = ci * C, n = std::min(C, d.T - t0);
      const float* s0 = states + (static_cast<long>(bh) * N + ci) * K * V;
      c.prepare(d, q, k, v, beta, g, b, h, t0, n, s0);
      for (int r = 0; r < n; r++) {
        const float* src = gO + d.row(b, t0 + r, h) * V;
#pragma omp simd
        for (int i = 0; i < V; i++) dO[r * V + i] = d.scale * src[i];
      }
      std::fill(dbeta.begin(), dbeta.end(), 0.0f);
      std::fill(dgam.begin(), dgam.end(), 0.0f);
      const float total = c.decay[n - 1];

      // Final state S = exp(gam_n) S0 + sum_j F_j k_j u_j^T, F_j = exp(gam_n - gam_j).
#pragma omp simd
      for (int i = 0; i < K * V; i++) dS0[i] = total * dS[i];
      dgam[n - 1] += total * dot(s0, dS.data(), K * V);
      mm(false, false, n, V, K, 1, c.k.data(), dS.data(), 0, kdS.data());
      mm(false, true, n, K, V, 1, c.u.data(), dS.data(), 0, dSu.data());
      for (int j = 0; j < n; j++) {
        const float f = c.tail[j];
#pragma omp simd
        for (int i = 0; i < V; i++) du[j * V + i] = f * kdS[j * V + i];
#pragma omp simd
        for (int i = 0; i < K; i++) dk[j * K + i] = f * dSu[j * K + i];
        if (j == n - 1) continue;  // F = 1 there: no decay to differentiate
        const float df = f * dot(&c.k[j * K], &dSu[j * K], K);
        dgam[n - 1] += df;
        dgam[j] -= df;
      }

      // Output O = diag(exp(gam)) Q S0 + P U (scale already in dO).
      mm(false, true, n, K, V, 1, dO.data(), s0, 0, dOs.data());
      for (int r = 0; r < n; r++) {
        const float decay = c.decay[r];
#pragma omp simd
        for (int i = 0; i < K; i++) {
          dq[r * K + i] = decay * dOs[r * K + i];
          qd[r * K + i] = decay * c.q[r * K + i];
        }
        dgam[r] += decay * dot(&c.q[r * K], &dOs[r * K], K);
      }
      mm(true, false, K, V, n, 1, qd.data(), dO.data(), 1, dS0.data());
      mm(false, true, n, n, V, 1, dO.data(), c.u.data(), 0, dP.data());
      mm(true, false, n, V, n, 1, c.p.data(), dO.data(), 1, du.data());
      // P = lower(exp(gam_r - gam_j) q_r . k_j): dP becomes the gradient of Q K^T. The diagonal's decay is
      // exp(0), with nothing to differentiate.
      for (int r = 0; r < n; r++) {
        float* dp = &dP[r * n];
        const float* pr = &c.p[r * n];
        const float* er = &c.e[r * n];
        float row = 0;
#pragma omp simd reduction(+ : row)
        for (int j = 0; j < r; j++) {
          const float y = dp[j] * pr[j];
          row += y;
          dgam[j] -= y;
        }
        dgam[r] += row;
#pragma omp simd
        for (int j = 0; j <= r; j++) dp[j] *= er[j];
        std::fill(dp + r + 1, dp + n, 0.0f);
      }
      mm(false, false, n, K, n, 1, dP.data(), c.k.data(), 1, dq.data());
      mm(true, false, n, K, n, 1, dP.data(), c.q.data(), 1, dk.data());

      // U = T Vb - W S0, W = T Kb.
      mm(false, true, n, K, V, -1, du.data(), s0, 0, dW.data());
      mm(true, false, K, V, n, -1, c.w.data(), du.data(), 1, dS0.data());
      mm(true, false, n, K, n, 1, c.t.data(), dW.data(), 0, dKb.data());
      mm(true, false, n, V, n, 1, c.t.data(), du.data(), 0, dVb.data());
      for (int r = 0; r < n; r++) {
        const float decay = c.decay[r], br = c.beta[r];
        const float kdKb = dot(&c.k[r * K], &dKb[r * K], K);
#pragma omp simd
        for (int i = 0; i < K; i++) dk[r * K + i] += br * decay * dKb[r * K + i];
        float* dst = gv + d.row(b, t0 + r, h) * V;
#pragma omp simd
        for (int i = 0; i < V; i++) dst[i] = br * dVb[r * V + i];
        dbeta[r] += decay * kdKb + dot(&c.v[r * V], &dVb[r * V], V);
        dgam[r] += br * decay * kdKb;
      }
      // T = (I + A)^-1 gives dA = -T^T dT T^T with dT = dW Kb^T + dU0 Vb^T; as T^T dW = dKb, T^T dU0 = dVb,
      // T Kb = W and T Vb = U0, that is dA = -(dKb W^T + dVb U0^T): two thin products instead of four.
      // Only its strictly lower part reaches A.
      mm(false, true, n, n, K, -1, dKb.data(), c.w.data(), 0, dA.data());
      mm(false, true, n, n, V, -1, dVb.data(), c.u0.data(), 1, dA.data());
      for (int r = 0; r < n; r++) {
        float* da = &dA[r * n];
        const float* er = &c.e[r * n];
        const float* kkr = &c.kk[r * n];
        const float* ar = &c.a[r * n];
        const float br = c.beta[r];
        float row = 0, db = 0;
#pragma omp simd reduction(+ : row, db)
        for (int j = 0; j < r; j++) {
          const float d = da[j];
          db += d * er[j] * kkr[j];
          const float y = d * ar[j];
          row += y;
          dgam[j] -= y;
          da[j] = d * br * er[j];  // now the gradient of k_r . k_j
        }
        dbeta[r] += db;
        dgam[r] += row;
        std::fill(da + r, da + n, 0.0f);
      }
      mm(false, false, n, K, n, 1, dA.data(), c.k.data(), 1, dk.data());
      mm(true, false, n, K, n, 1, dA.data(), c.k.data(), 1, dk.data());

      float acc = 0;
      for (int r = n - 1; r >= 0; r--) {
        const long row = d.row(b, t0 + r, h);
        std::memcpy(gq + row * K, &dq[r * K], K * sizeof(float));
        std::memcpy(gk + row * K, &dk[r * K], K * sizeof(float));
        gbeta[row] = dbeta[r];
        acc += dgam[r];  // gam is a running sum of g
        if (gg) gg[row] = acc;
      }
      std::swap(dS, dS0);
    }
  });
}

void recurrent(const Dims& d, const float* q, const float* k, const float* v, const float* beta,
                       const float* g, float* o, float* state) {
  const int K = d.K, V = d.V;
  parallel_for(d.B * d.H, [&](int bh) {
    const int b = bh / d.H, h = bh % d.H;
    float* s = state + static_cast<long>(bh) * K * V;
    std::vector<float> u(V);
    for (int t = 0; t < d.T; t++) {
      const long row = d.row(b, t, h);
      const float* qt = q + row * K;
      const float* kt = k + row * K;
      const float* vt = v + row * V;
      const float decay = g ? std::exp(g[row]) : 1.0f, br = beta[row];
      std::fill(u.begin(), u.end(), 0.0f);
      for (int i = 0; i < K; i++) {
        float* si = s + i * V;
        const float ki = kt[i];
#pragma omp simd
        for (int j = 0; j < V; j++) {
          si[j] *= decay;
          u[j] += si[j] * ki;
        }
      }
#pragma omp simd
      for (int j = 0; j < V; j++) u[j] = br * (vt[j] - u[j]);
      float* ot = o + row * V;
      std::fill(ot, ot + V, 0.0f);
      for (int i = 0; i < K; i++) {
        float* si = s + i * V;
        const float ki = kt[i], qi = d.scale * qt[i];
#pragma omp simd
        for (int j = 0; j < V; j++) {
          si[j] += ki * u[j];
          ot[j] += qi * si[j];
        }
      }
    }
  });
}

constexpr int kRowsPerTask = 256;

}  // namespace

void delta::l2_norm(const float* x, float* y, long rows, int D, float eps) {
  const int tasks = static_cast<int>((rows + kRowsPerTask - 1) / kRowsPerTask);
  parallel_for(tasks, [&](int task) {
    const long r1 = std::min<long>(rows, (task + 1L) * kRowsPerTask);
    for (long r = static_cast<long>(task) * kRowsPerTask; r < r1; r++) {
      const float* xr = x + r * D;
      const float inv = 1.0f / std::sqrt(dot(xr, xr, D) + eps);
      float* yr = y + r * D;
#pragma omp simd
      for (int i = 0; i < D; i++) yr[i] = xr[i] * inv;
    }
  });
}

void delta::l2_norm_grad(const float* x, const float* gy, float* gx, long rows, int D, float eps) {
  const int tasks = static_cast<int>((rows + kRowsPerTask - 1) / kRowsPerTask);
  parallel_for(tasks, [&](int task) {
    const long r1 = std::min<long>(rows, (task + 1L) * kRowsPerTask);
    for (long r = static_cast<long>(task) * kRowsPerTask; r < r1; r++) {
      const float* xr = x + r * D;
      const float* gr = gy + r * D;
      const float inv = 1.0f / std::sqrt(dot(xr, xr, D) + eps);
      const float yg = inv * dot(xr, gr, D);
      float* out = gx + r * D;
#pragma omp simd
      for (int i = 0; i < D; i++) out[i] = inv * (gr[i] - xr[i] * inv * yg);
    }
  });
}

// The kernel-table entries (src/backend/kernels.ts), called by the generated bindings once every argument
// has been checked. A chunk longer than the sequence is one chunk of the sequence, and its scratch is
// sized by the chunk: hence the clamp.
inline int chunk_of(int chunk, int T) { return std::min(chunk, std::max(T, 1)); }

void delta::chunk_forward(const float* q, const float* k, const float* v, const float* beta, const float* g, float* o,
                          float* states, float* state, int B, int T, int H, int K, int V, int chunkSize, float scale) {
  chunked_forward(Dims{B, T, H, K, V, chunk_of(chunkSize, T), scale}, q, k, v, beta, g, o, states, state);
}

void delta::chunk_backward(const float* q, const float* k, const float* v, const float* beta, const float* g,
                           const float* states, const float* gO, float* gq, float* gk, float* gv, float* gbeta,
                           float* gg, int B, int T, int H, int K, int V, int chunkSize, float scale) {
  chunked_backward(Dims{B, T, H, K, V, chunk_of(chunkSize, T), scale}, q, k, v, beta, g, states, gO, gq, gk, gv, gbeta, gg);
}

void delta::recurrent_forward(const float* q, const float* k, const float* v, const float* beta, const float* g,
                              float* o, float* state, int B, int T, int H, int K, int V, float scale) {
  recurrent(Dims{B, T, H, K, V, 1, scale}, q, k, v, beta, g, o, state);
}


}  // namespace jl
