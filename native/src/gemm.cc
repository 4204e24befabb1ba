// (header comment written at the end)

#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "parallel.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace jl {
namespace {

// ---------------------------------------------------------------------------
// Vector abstraction: W floats per register.
#if defined(__AVX512F__)
using vec = __m512;
constexpr int W = 16;
inline vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm512_storeu_ps(p, v); }
inline vec vset1(float x) { return _mm512_set1_ps(x); }
inline vec vzero() { return _mm512_setzero_ps(); }
inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline vec vmul(vec a, vec b) { return _mm512_mul_ps(a, b); }
inline float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using vec = __m256;
constexpr int W = 8;
inline vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm256_storeu_ps(p, v); }
inline vec vset1(float x) { return _mm256_set1_ps(x); }
inline vec vzero() { return _mm256_setzero_ps(); }
inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline vec vmul(vec a, vec b) { return _mm256_mul_ps(a, b); }
inline float vsum(vec v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#else
typedef float vec __attribute__((vector_size(16)));
constexpr int W = 4;
inline vec vload(const float* p) { vec v; std::memcpy(&v, p, sizeof v); return v; }
inline void vstore(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec vset1(float x) { return vec{x, x, x, x}; }
inline vec vzero() { return vec{0, 0, 0, 0}; }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline vec vmul(vec a, vec b) { return a * b; }
inline float vsum(vec v) { return (v[0] + v[1]) + (v[2] + v[3]); }
#endif

// ---------------------------------------------------------------------------
// Blocking parameters.
#ifndef T_MR
#define T_MR 14
#endif
#ifndef T_NV
#define T_NV 2
#endif
#ifndef T_KC
#define T_KC 256
#endif
#ifndef T_MC
#define T_MC 168
#endif
#ifndef T_NC
#define T_NC 4096
#endif
#ifndef T_MB
#define T_MB 4096
#endif
#if defined(__AVX512F__)
constexpr int MR = T_MR, NV = T_NV;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int MR = 6, NV = 2;
#else
constexpr int MR = 4, NV = 2;
#endif
constexpr int NR = NV * W;
constexpr int KC = T_KC;
constexpr int KCP = KC + 16;      // row stride of a packed row-layout A panel
constexpr int MC = T_MC / MR;     // panels of A per L2 block
constexpr int NC = T_NC;          // columns of B per packed block (multiple of NR)
constexpr int MB = T_MB;          // rows of A packed at once

// ---------------------------------------------------------------------------
// Aligned, grow-only scratch buffers, one set per thread.
struct Buffer {
  float* data = nullptr;
  size_t size = 0;
  ~Buffer() { std::free(data); }
  float* get(size_t n) {
    if (n > size) {
      std::free(data);
      size = (n + 1023) & ~size_t(1023);
      data = static_cast<float*>(std::aligned_alloc(64, size * sizeof(float)));
    }
    return data;
  }
};
thread_local Buffer tl_a, tl_b;

// ---------------------------------------------------------------------------
// Micro-kernel: C[0:mr, 0:nr] = alpha * Ap * Bp + beta * C over kc steps.
// Ap element (i, p) is at Ap[i * RSA + p * CSA]; Bp row p is Bp[p * NR ...].
template <int RSA, int CSA>
void kernel(int kc, const float* __restrict Ap, const float* __restrict Bp, float* C, int ldc,
            int mr, int nr, float alpha, float beta) {
  vec c[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) c[i][v] = vzero();

  for (int p = 0; p < kc; ++p) {
    vec b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = vload(Bp + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const vec a = vset1(Ap[i * RSA]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) c[i][v] = vfma(a, b[v], c[i][v]);
    }
    Ap += CSA;
    Bp += NR;
  }

  const vec va = vset1(alpha);
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* cp = C + i * ldc + v * W;
        vec r = vmul(va, c[i][v]);
        if (beta != 0.0f) r = vfma(vset1(beta), vload(cp), r);
        vstore(cp, r);
      }
    return;
  }
  alignas(64) float t[MR * NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) vstore(t + i * NR + v * W, c[i][v]);
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) {
      float r = alpha * t[i * NR + j];
      if (beta != 0.0f) r += beta * C[i * ldc + j];
      C[i * ldc + j] = r;
    }
}

// ---------------------------------------------------------------------------
// Packing.

// One MR-row panel of op(A) for rows [0, mr), k-range [0, kc).
// Not transposed: row layout, Ap[i * KCP + p] = A[i * lda + p].
void pack_a_rows(const float* A, int lda, int mr, int kc, float* Ap) {
  for (int i = 0; i < MR; ++i) {
    if (i < mr)
      std::memcpy(Ap + i * KCP, A + (size_t)i * lda, kc * sizeof(float));
    else
      std::memset(Ap + i * KCP, 0, kc * sizeof(float));
  }
}

// Transposed (A is k x m): column layout, Ap[p * MR + i] = A[p * lda + i].
void pack_a_cols(const float* A, int lda, int mr, int kc, float* Ap) {
  for (int p = 0; p < kc; ++p) {
    const float* src = A + (size_t)p * lda;
    float* dst = Ap + p * MR;
    for (int i = 0; i < mr; ++i) dst[i] = src[i];
    for (int i = mr; i < MR; ++i) dst[i] = 0.0f;
  }
}

// One NR-column panel of op(B) for columns [0, nr): Bp[p * NR + j].
// Not transposed (B is k x n): Bp[p * NR + j] = B[p * ldb + j].
void pack_b_rows(const float* B, int ldb, int nr, int kc, float* Bp) {
  for (int p = 0; p < kc; ++p) {
    const float* src = B + (size_t)p * ldb;
    float* dst = Bp + p * NR;
    if (nr == NR) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) vstore(dst + v * W, vload(src + v * W));
    } else {
      for (int j = 0; j < nr; ++j) dst[j] = src[j];
      for (int j = nr; j < NR; ++j) dst[j] = 0.0f;
    }
  }
}

#if defined(__AVX512F__)
// In-register transpose of a 16x16 block held in r[0..15].
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}
#endif

// Transposed (B is n x k): Bp[p * NR + j] = B[j * ldb + p].
void pack_b_cols(const float* B, int ldb, int nr, int kc, float* Bp) {
  int p0 = 0;
#if defined(__AVX512F__)
  if (nr == NR) {
    for (; p0 + 16 <= kc; p0 += 16) {
      for (int h = 0; h < NR; h += 16) {
        __m512 r[16];
        for (int j = 0; j < 16; ++j) r[j] = _mm512_loadu_ps(B + (size_t)(h + j) * ldb + p0);
        transpose16(r);
        for (int q = 0; q < 16; ++q) _mm512_storeu_ps(Bp + (p0 + q) * NR + h, r[q]);
      }
    }
  }
#endif
  for (int j = 0; j < NR; ++j) {
    const float* src = B + (size_t)j * ldb;
    for (int p = p0; p < kc; ++p) Bp[p * NR + j] = j < nr ? src[p] : 0.0f;
  }
}

// ---------------------------------------------------------------------------
// Blocked, packed GEMM.

struct Problem {
  bool ta, tb;
  int m, n, k;
  float alpha;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float beta;
  float* C;
  int ldc;
};

// Packs panels [first, last) of A rows [ic, ic + mb) (panels of MR rows) for
// k range [pc, pc + kc) into Ap (panel stride MR * KCP).
void pack_a_range(const Problem& P, int ic, int mb, int pc, int kc, int first, int last,
                  float* Ap) {
  for (int q = first; q < last; ++q) {
    const int i = ic + q * MR;
    const int mr = std::min(MR, ic + mb - i);
    float* dst = Ap + (size_t)q * MR * KCP;
    if (P.ta)
      pack_a_cols(P.A + (size_t)pc * P.lda + i, P.lda, mr, kc, dst);
    else
      pack_a_rows(P.A + (size_t)i * P.lda + pc, P.lda, mr, kc, dst);
  }
}

void pack_b_range(const Problem& P, int jc, int nc, int pc, int kc, int first, int last,
                  float* Bp) {
  for (int q = first; q < last; ++q) {
    const int j = jc + q * NR;
    const int nr = std::min(NR, jc + nc - j);
    float* dst = Bp + (size_t)q * NR * KC;
    if (P.tb)
      pack_b_cols(P.B + (size_t)j * P.ldb + pc, P.ldb, nr, kc, dst);
    else
      pack_b_rows(P.B + (size_t)pc * P.ldb + j, P.ldb, nr, kc, dst);
  }
}

// Computes C rows [ic + r0*MR, ic + r1*MR) x columns [jc + c0*NR, jc + c1*NR)
// (clipped) from packed panels.
void compute_range(const Problem& P, int ic, int mb, int jc, int nc, int kc, float beta,
                   const float* Ap, const float* Bp, int r0, int r1, int c0, int c1) {
  for (int rb = r0; rb < r1; rb += MC) {
    const int re = std::min(r1, rb + MC);
    for (int q = c0; q < c1; ++q) {
      const int j = jc + q * NR;
      const int nr = std::min(NR, jc + nc - j);
      const float* b = Bp + (size_t)q * NR * KC;
      for (int r = rb; r < re; ++r) {
        const int i = ic + r * MR;
        const int mr = std::min(MR, ic + mb - i);
        const float* a = Ap + (size_t)r * MR * KCP;
        float* c = P.C + (size_t)i * P.ldc + j;
        if (P.ta)
          kernel<1, MR>(kc, a, b, c, P.ldc, mr, nr, P.alpha, beta);
        else
          kernel<KCP, 1>(kc, a, b, c, P.ldc, mr, nr, P.alpha, beta);
      }
    }
  }
}

void gemm_packed(const Problem& P) {
  const int T = num_threads();
  for (int jc = 0; jc < P.n; jc += NC) {
    const int nc = std::min(NC, P.n - jc);
    const int np = (nc + NR - 1) / NR;
    for (int pc = 0; pc < P.k; pc += KC) {
      const int kc = std::min(KC, P.k - pc);
      const float beta = pc == 0 ? P.beta : 1.0f;
      float* Bp = tl_b.get((size_t)np * NR * KC);
      for (int ic = 0; ic < P.m; ic += MB) {
        const int mb = std::min(MB, P.m - ic);
        const int mp = (mb + MR - 1) / MR;
        float* Ap = tl_a.get((size_t)mp * MR * KCP);
        const bool pack_b = ic == 0;
        // Phase 1: pack the A block (and the B block on first use).
        const int pack_tasks = std::min(T, mp + (pack_b ? np : 0));
        parallel_for(pack_tasks, [&](int t) {
          pack_a_range(P, ic, mb, pc, kc, mp * t / pack_tasks, mp * (t + 1) / pack_tasks, Ap);
          if (pack_b)
            pack_b_range(P, jc, nc, pc, kc, np * t / pack_tasks, np * (t + 1) / pack_tasks, Bp);
        });
        // Phase 2: split the tiles into R x Cs rectangles.
        int R = T;
        while (R > 1 && (T % R != 0 || mp < 4 * R)) --R;
        const int Cs = std::min(T / R, np);
        parallel_for(R * Cs, [&](int t) {
          const int rr = t / Cs, cc = t % Cs;
          compute_range(P, ic, mb, jc, nc, kc, beta, Ap, Bp, mp * rr / R, mp * (rr + 1) / R,
                        np * cc / Cs, np * (cc + 1) / Cs);
        });
      }
    }
  }
}

}  // namespace

void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
    return;
  }
  gemm_packed(Problem{transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc});
}

void sgemm_batched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
                   const float* A, int lda, long strideA, const float* B, int ldb, long strideB,
                   float beta, float* C, int ldc, long strideC) {
  parallel_for(batch, [&](int b) {
    sgemm(transA, transB, m, n, k, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta,
          C + b * strideC, ldc);
  });
}

}  // namespace jl
