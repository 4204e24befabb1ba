// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
//
// Paths
//  * m <= 16: no packing; B is streamed once per group of up to 8 rows
//    (token-by-token generation is m = 1). n <= 16 goes the same way,
//    computing C^T = op(B)^T op(A)^T.
//  * Everything else: BLIS-style packed GEMM, below.
//  * sgemm_batched: small GEMMs (< 4M multiply-adds), or batches that divide
//    evenly over the threads, run one per task (each on one thread); larger
//    ones run one after another, each using all threads.
//
// Packed GEMM loop nest (T = number of threads; tile sizes of the AVX-512
// build, the AVX2 build uses 6 x 16 tiles and the portable one 4 x 8)
//   for jc in [0, n) step NC = 2048                   B block: kc x nc
//     for pc in [0, k) in equal steps <= KC = 512
//       for ic in [0, m) step MB = 1536                 A block: mb x kc
//         parallel: pack the A block (and the B block, first ic only),
//                   each thread an equal share of the panels
//         parallel: split the grid of (A panel, B panel) tiles into T
//                   rectangles, one per thread; each thread then runs
//           for each slice of MC = 16 A panels         (192 x kc, <= 405 KiB: L2)
//             for each B panel                         (kc x 32, <= 64 KiB: L1/L2)
//               for each A panel of the slice          (12 x kc)
//                 micro-kernel: a 12 x 32 tile of C in 24 zmm registers;
//                 per k step 2 loads of B, 12 broadcasts of A, 24 FMAs.
// Edges are zero-padded in the packed panels; edge tiles of C go through a
// small buffer. Transposes never reach the kernel: B is packed into 32-wide
// rows (a copy when B is k x n, 16x16 in-register transposes when it is
// n x k), and A is packed in whichever of two layouts is a plain copy (rows
// of A when A is m x k, 12-float pieces of rows of A when A is k x m); the
// kernel is compiled for both layouts (compile-time strides).
//
// Why these numbers (measured on the target: Zen4, 2 cores, AVX-512 ops
// double-pumped, so 1 zmm FMA/cycle; an FMA loop peaks at 117 GFLOP/s per
// core, ~3.7 GHz). The VM's speed swings with other guests, so every figure is
// the best of many short runs; differences under ~3% are noise.
//  * Micro-kernel 12 x 32: 117.7 GFLOP/s with its panels in L1, i.e. at peak.
//    Whole GEMM, 1 thread, KC = 256, for 512^3 / 4096x256x1024 / 64 x
//    (128x128 @ 128x32), GFLOP/s: 14x32 101/101/86, 12x32 105/101/91,
//    6x64 110/108/48, 8x48 108/105/64, 28x16 83/82/71. 6x64 is a few %
//    faster on big shapes but wastes half of each tile when n = 32 (attention
//    heads); 12x32 is near the top everywhere.
//  * KC = 512 against 256: 512^3 112 vs 106-110, 1024^3 104-106 vs 98-101
//    (half as many passes over C). k is cut into equal blocks (k = 768 gives
//    2 x 384, not 512 + 256).
//  * MC = 8, 16 and 32 panels were indistinguishable; 16 keeps the A slice
//    well inside the 1 MiB L2.
//  * NC and MB only bound the packing buffers (4 MiB + 3.2 MiB per thread);
//    the B block is re-read from L3, which costs nothing measurable.
//  * Packing a 512 x 256 block of A or B takes ~20 us, ~3.5% of the work
//    done with it at 1 thread; the rest of the gap to peak is cache misses.
//  * Below 2^22 multiply-adds (160^3) the packed path runs on one thread; the
//    small-m path below 2^17. Measured on Zen 5 (2026-12, best of 30 windows,
//    1 vs 2 threads, GFLOP/s): 64^3 102 vs 68, 128^3 178 vs 152, 160^3 181 vs
//    185, 192^3 192 vs 225, 256^3 193 vs 264; m = 1: 1x128x512 4.6 vs 4.9 us,
//    1x128x2048 15.8 vs 10.7 us. (On Zen 4 the packed crossover was near 50^3.)
//
// Threads: both phases split work statically into one equal share per
// thread (the pack phase by panels, the compute phase by the R x S rectangle
// split that minimises the largest share), so each call costs two
// parallel_for rounds per block, ~1 us or less each. With 2 threads this gives
// 216-220 GFLOP/s on 512^3, 1024^3 and 4096x256x1024 (1.93-2.0x one thread),
// provided the two threads really run on two CPUs: see parallel.cc.

#include "gemm.h"

#include "generated/kernels.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "parallel.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps() and trip these
// warnings at -O3 -Wall; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace jl {
namespace {

// ---------------------------------------------------------------------------
// Vector abstraction: `vec` holds W floats.

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
#else  // portable: GCC vector extension (SSE on x86-64, NEON on arm64, ...)
typedef float vec __attribute__((vector_size(16)));
constexpr int W = 4;
inline vec vload(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void vstore(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec vset1(float x) { return vec{x, x, x, x}; }
inline vec vzero() { return vec{0, 0, 0, 0}; }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline vec vmul(vec a, vec b) { return a * b; }
inline float vsum(vec v) { return (v[0] + v[1]) + (v[2] + v[3]); }
#endif

// ---------------------------------------------------------------------------
// Blocking (see the comment at the top for how these were chosen).

#if defined(__AVX512F__)
constexpr int MR = 12, NV = 2;  // 12 x 32 tile: 24 zmm accumulators
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int MR = 6, NV = 2;   // 6 x 16 tile: 12 ymm accumulators
#else
constexpr int MR = 4, NV = 2;   // 4 x 8 tile: 8 xmm accumulators
#endif
constexpr int NR = NV * W;      // columns per micro-tile
constexpr int KC = 512;         // maximum depth of one packed block
constexpr int KCP = KC + 16;    // row stride of row-layout A panels (avoids 4 KiB aliasing)
constexpr int MC = 16;          // A panels (MC * MR rows) per L2-resident block
constexpr int NC = 2048;        // columns of B packed at once (multiple of NR)
constexpr int MB = 1536;        // rows of A packed at once (multiple of MR)

constexpr int kSmallM = 16;                    // m (or n) up to this uses the unpacked path
constexpr double kParallelWork = 1 << 22;      // m*n*k below this runs on one thread
constexpr double kSmallParallelWork = 1 << 17; // the same for the small-m path
constexpr double kBatchSplitWork = 1 << 22;    // batched GEMMs below this go one per task

// ---------------------------------------------------------------------------
// Grow-only, 64-byte aligned scratch buffers, one set per thread.

struct Buffer {
  float* data = nullptr;
  size_t size = 0;
  ~Buffer() { std::free(data); }
  float* get(size_t n) {
    if (n > size) {
      std::free(data);
      size = (n + 1023) & ~size_t(1023);
      data = static_cast<float*>(std::aligned_alloc(64, size * sizeof(float)));
      if (!data) {
        size = 0;
        throw std::bad_alloc();
      }
    }
    return data;
  }
};
thread_local Buffer tl_a, tl_b, tl_c;

// ---------------------------------------------------------------------------
// Micro-kernel: C[0:mr, 0:nr] = alpha * Ap * Bp + beta * C, over kc steps.
// Element (i, p) of the A panel is at Ap[i * RSA + p * CSA], which covers both
// packed layouts; row p of the B panel is Bp[p * NR, p * NR + NR). Full tiles
// are updated straight from registers, edge tiles through a small buffer.

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
        float* cp = C + (size_t)i * ldc + v * W;
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
      float* cp = C + (size_t)i * ldc + j;
      *cp = beta == 0.0f ? alpha * t[i * NR + j] : alpha * t[i * NR + j] + beta * *cp;
    }
}

// ---------------------------------------------------------------------------
// Packing. A panels hold MR rows of op(A), B panels NR columns of op(B), both
// zero-padded at the edges, for one k range of length kc <= KC.
//
// A panel layouts (the kernel handles both, so packing A is always a copy):
//   row layout    Ap[i * KCP + p]  when A is m x k (rows of A copied whole);
//   column layout Ap[p * MR + i]   when A is k x m (MR floats of each row).
// B panel layout: Bp[p * NR + j]; a copy when B is k x n, a transpose (16x16
// blocks in registers) when B is n x k.

// Copies n floats (0 <= n <= N) and zero-fills the rest of dst[0, N).
template <int N>
inline void copy_pad(float* dst, const float* src, int n) {
#if defined(__AVX512F__)
  for (int o = 0; o < N; o += 16) {
    const int avail = std::max(0, std::min(16, n - o));
    const __mmask16 load_mask = (__mmask16)((1u << avail) - 1);
    const __mmask16 store_mask = (__mmask16)((1u << std::min(16, N - o)) - 1);
    _mm512_mask_storeu_ps(dst + o, store_mask, _mm512_maskz_loadu_ps(load_mask, src + o));
  }
#else
  for (int i = 0; i < N; ++i) dst[i] = i < n ? src[i] : 0.0f;
#endif
}

#if defined(__AVX512F__)
// Transposes the 16x16 block held in r[0..15] (row i in r[i]).
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

// B is k x n; B points at element (0, 0) of the panel.
void pack_b_rows(const float* B, int ldb, int nr, int kc, float* Bp) {
  for (int p = 0; p < kc; ++p) {
    const float* src = B + (size_t)p * ldb;
    float* dst = Bp + (size_t)p * NR;
    if (nr == NR) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) vstore(dst + v * W, vload(src + v * W));
    } else {
      copy_pad<NR>(dst, src, nr);
    }
  }
}

// B is n x k (op(B) = B^T); B points at row 0 of the panel.
void pack_b_cols(const float* B, int ldb, int nr, int kc, float* Bp) {
  int p0 = 0;
#if defined(__AVX512F__)
  if (nr == NR) {
    for (; p0 + 16 <= kc; p0 += 16)
      for (int h = 0; h < NR; h += 16) {
        __m512 r[16];
        for (int j = 0; j < 16; ++j) r[j] = _mm512_loadu_ps(B + (size_t)(h + j) * ldb + p0);
        transpose16(r);
        for (int q = 0; q < 16; ++q) _mm512_storeu_ps(Bp + (size_t)(p0 + q) * NR + h, r[q]);
      }
  }
#endif
  for (int j = 0; j < NR; ++j) {
    if (j < nr) {
      const float* src = B + (size_t)j * ldb;
      for (int p = p0; p < kc; ++p) Bp[(size_t)p * NR + j] = src[p];
    } else {
      for (int p = p0; p < kc; ++p) Bp[(size_t)p * NR + j] = 0.0f;
    }
  }
}

// ---------------------------------------------------------------------------
// Packed, blocked GEMM for everything but tiny m or n.

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

// One k block [pc, pc + kc), column block [jc, jc + nc), row block
// [ic, ic + mb), with its packed panels.
struct Block {
  int ic, mb, jc, nc, pc, kc;
  float beta;  // beta for the first k block, 1 after it
  float* Ap;   // panel q at Ap + q * MR * KCP
  float* Bp;   // panel q at Bp + q * NR * KC
  int mp() const { return (mb + MR - 1) / MR; }
  int np() const { return (nc + NR - 1) / NR; }
};

// Packs A panels [first, last) of the block.
void pack_a_range(const Problem& P, const Block& b, int first, int last) {
  if (!P.ta) {
    for (int q = first; q < last; ++q) {
      const int i = q * MR;
      const int mr = std::min(MR, b.mb - i);
      const float* src = P.A + (size_t)(b.ic + i) * P.lda + b.pc;
      float* dst = b.Ap + (size_t)q * MR * KCP;
      for (int r = 0; r < MR; ++r) {
        if (r < mr)
          std::memcpy(dst + r * KCP, src + (size_t)r * P.lda, b.kc * sizeof(float));
        else
          std::memset(dst + r * KCP, 0, b.kc * sizeof(float));
      }
    }
    return;
  }
  // A is k x m: walk it row by row so that each row is read contiguously.
  for (int p = 0; p < b.kc; ++p) {
    const float* src = P.A + (size_t)(b.pc + p) * P.lda + b.ic;
    for (int q = first; q < last; ++q)
      copy_pad<MR>(b.Ap + (size_t)q * MR * KCP + p * MR, src + q * MR,
                   std::min(MR, b.mb - q * MR));
  }
}

// Packs B panels [first, last) of the block.
void pack_b_range(const Problem& P, const Block& b, int first, int last) {
  for (int q = first; q < last; ++q) {
    const int j = b.jc + q * NR;
    const int nr = std::min(NR, b.nc - q * NR);
    float* dst = b.Bp + (size_t)q * NR * KC;
    if (P.tb)
      pack_b_cols(P.B + (size_t)j * P.ldb + b.pc, P.ldb, nr, b.kc, dst);
    else
      pack_b_rows(P.B + (size_t)b.pc * P.ldb + j, P.ldb, nr, b.kc, dst);
  }
}

// Multiplies A panels [r0, r1) by B panels [c0, c1): for each MC-panel slice
// of A (kept in L2), sweep the B panels, each used against every A panel of
// the slice while it is hot.
void compute_range(const Problem& P, const Block& b, int r0, int r1, int c0, int c1) {
  for (int rs = r0; rs < r1; rs += MC) {
    const int re = std::min(r1, rs + MC);
    for (int q = c0; q < c1; ++q) {
      const int j = q * NR;
      const int nr = std::min(NR, b.nc - j);
      const float* bp = b.Bp + (size_t)q * NR * KC;
      for (int r = rs; r < re; ++r) {
        const int i = r * MR;
        const int mr = std::min(MR, b.mb - i);
        const float* ap = b.Ap + (size_t)r * MR * KCP;
        float* c = P.C + (size_t)(b.ic + i) * P.ldc + b.jc + j;
        if (P.ta)
          kernel<1, MR>(b.kc, ap, bp, c, P.ldc, mr, nr, P.alpha, b.beta);
        else
          kernel<KCP, 1>(b.kc, ap, bp, c, P.ldc, mr, nr, P.alpha, b.beta);
      }
    }
  }
}

void gemm_packed(const Problem& P) {
  const int T = (double)P.m * P.n * P.k < kParallelWork ? 1 : num_threads();
  Block b;
  for (b.jc = 0; b.jc < P.n; b.jc += NC) {
    b.nc = std::min(NC, P.n - b.jc);
    const int np = b.np();
    // Equal k blocks of at most KC, a multiple of 16 deep but the last.
    const int kblocks = (P.k + KC - 1) / KC;
    const int kc_step = ((P.k + kblocks - 1) / kblocks + 15) / 16 * 16;
    for (b.pc = 0; b.pc < P.k; b.pc += kc_step) {
      b.kc = std::min(kc_step, P.k - b.pc);
      b.beta = b.pc == 0 ? P.beta : 1.0f;
      b.Bp = tl_b.get((size_t)np * NR * KC);
      for (b.ic = 0; b.ic < P.m; b.ic += MB) {
        b.mb = std::min(MB, P.m - b.ic);
        const int mp = b.mp();
        b.Ap = tl_a.get((size_t)mp * MR * KCP);

        // Phase 1: all threads pack the A block, and the B block the first
        // time it is used, each taking an equal share of the panels.
        const bool pack_b = b.ic == 0;
        const int pack_tasks = std::min(T, mp + (pack_b ? np : 0));
        parallel_for(pack_tasks, [&](int t) {
          pack_a_range(P, b, mp * t / pack_tasks, mp * (t + 1) / pack_tasks);
          if (pack_b) pack_b_range(P, b, np * t / pack_tasks, np * (t + 1) / pack_tasks);
        });

        // Phase 2: split the panel grid into R x S rectangles, one per thread,
        // choosing the split with the smallest largest rectangle (ties go to
        // more row slices: each thread then keeps its own A slice in its L2).
        int R = 1, S = T;
        long best = -1;
        for (int r = T; r >= 1; --r) {
          if (T % r) continue;
          const long cost = (long)((mp + r - 1) / r) * ((np + T / r - 1) / (T / r));
          if (best < 0 || cost < best) best = cost, R = r, S = T / r;
        }
        parallel_for(R * S, [&](int t) {
          const int rr = t / S, ss = t % S;
          compute_range(P, b, mp * rr / R, mp * (rr + 1) / R, np * ss / S, np * (ss + 1) / S);
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Small-m path (m <= kSmallM): no packing; B is streamed once, which is what
// bounds matrix-vector products. a holds alpha * op(A) as M contiguous rows of
// k. Each call computes columns [j0, j1) of C = a * op(B) + beta * C.

// B is k x n. Two ways, depending on M (measured with B = 4 MiB, in L3):
//  - strips: C[0:M, j:j+V*W] accumulates in registers (M * V <= 16) while a
//    V-vector strip of B is read down all k rows. Cheap in instructions, but
//    reading B in short runs per row is slow: 128 B runs stream at 26 GB/s,
//    1 KiB runs at 70 GB/s. Best for M == 1 (V = 16, 1 KiB runs) and for
//    M >= 5, which do enough arithmetic per element of B to hide it (m = 8:
//    105 GFLOP/s).
//  - slices: for M = 2..4, columns go in slices of kSlice; rows of B are taken
//    PB at a time (their M x PB factors held in registers) and read across the
//    whole slice (2 KiB runs), accumulating into an L1-resident buffer.
//    m = 4: 65 GFLOP/s against 50 with strips.
constexpr int kRegs = W == 16 ? 32 : 16;  // vector registers
constexpr int kSlice = 512;

template <int M, int V>
void small_nn_strip(int k, const float* a, const float* B, int ldb, float beta, float* C,
                    int ldc) {
  vec acc[M][V];
  for (int i = 0; i < M; ++i)
    for (int v = 0; v < V; ++v) acc[i][v] = vzero();
  for (int p = 0; p < k; ++p) {
    const float* b = B + (size_t)p * ldb;
    for (int i = 0; i < M; ++i) {
      const vec ai = vset1(a[i * k + p]);
      for (int v = 0; v < V; ++v) acc[i][v] = vfma(ai, vload(b + v * W), acc[i][v]);
    }
  }
  for (int i = 0; i < M; ++i)
    for (int v = 0; v < V; ++v) {
      float* c = C + (size_t)i * ldc + v * W;
      vstore(c, beta == 0.0f ? acc[i][v] : vfma(vset1(beta), vload(c), acc[i][v]));
    }
}

// buf[i][0:nv*W] += a[i][p0:p0+R] * B[p0:p0+R, 0:nv*W]
template <int M, int R>
void small_nn_rows(int k, int p0, const float* a, const float* B, int ldb, int nv,
                   float (*buf)[kSlice]) {
  vec f[R][M];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i) f[r][i] = vset1(a[i * k + p0 + r]);
  const float* b = B + (size_t)p0 * ldb;
  for (int v = 0; v < nv; ++v) {
    vec acc[M];
    for (int i = 0; i < M; ++i) acc[i] = vload(buf[i] + v * W);
    for (int r = 0; r < R; ++r) {
      const vec bv = vload(b + (size_t)r * ldb + v * W);
      for (int i = 0; i < M; ++i) acc[i] = vfma(f[r][i], bv, acc[i]);
    }
    for (int i = 0; i < M; ++i) vstore(buf[i] + v * W, acc[i]);
  }
}

// C[:, 0:nv*W] = a * B[:, 0:nv*W] + beta * C, nv * W <= kSlice.
template <int M>
void small_nn_slice(int k, const float* a, const float* B, int ldb, float beta, float* C,
                    int ldc, int nv) {
  constexpr int PB = std::max(1, kRegs / 2 / M);
  alignas(64) float buf[M][kSlice];
  for (int i = 0; i < M; ++i) std::memset(buf[i], 0, nv * W * sizeof(float));
  int p = 0;
  for (; p + PB <= k; p += PB) small_nn_rows<M, PB>(k, p, a, B, ldb, nv, buf);
  for (; p < k; ++p) small_nn_rows<M, 1>(k, p, a, B, ldb, nv, buf);
  for (int i = 0; i < M; ++i) {
    float* c = C + (size_t)i * ldc;
    for (int v = 0; v < nv; ++v) {
      const vec r = vload(buf[i] + v * W);
      vstore(c + v * W, beta == 0.0f ? r : vfma(vset1(beta), vload(c + v * W), r));
    }
  }
}

template <int M>
void small_nn(int k, const float* a, const float* B, int ldb, float beta, float* C, int ldc,
              int j0, int j1) {
  int j = j0;
  if (M == 1 || M > 4) {
    constexpr int V = M == 1 ? 16 : std::max(1, 16 / M);
    for (; j + V * W <= j1; j += V * W)
      small_nn_strip<M, V>(k, a, B + j, ldb, beta, C + j, ldc);
    for (; j + 4 * W <= j1 && V > 4; j += 4 * W)
      small_nn_strip<M, 4>(k, a, B + j, ldb, beta, C + j, ldc);
    for (; j + W <= j1; j += W) small_nn_strip<M, 1>(k, a, B + j, ldb, beta, C + j, ldc);
  } else {
    for (; j + W <= j1;) {
      const int nv = std::min(kSlice, j1 - j) / W;
      small_nn_slice<M>(k, a, B + j, ldb, beta, C + j, ldc, nv);
      j += nv * W;
    }
  }
  for (; j < j1; ++j)  // the last few (< W) columns
    for (int i = 0; i < M; ++i) {
      float acc = 0.0f;
      for (int p = 0; p < k; ++p) acc += a[i * k + p] * B[(size_t)p * ldb + j];
      float* c = C + (size_t)i * ldc + j;
      *c = beta == 0.0f ? acc : acc + beta * *c;
    }
}

// B is n x k: dot products of the M rows of a with JB rows of B at a time.
template <int M, int JB>
void small_nt_block(int k, const float* a, const float* B, int ldb, float out[M][JB]) {
  vec acc[M][JB];
  for (int i = 0; i < M; ++i)
    for (int jj = 0; jj < JB; ++jj) acc[i][jj] = vzero();
  int p = 0;
  for (; p + W <= k; p += W) {
    vec b[JB];
    for (int jj = 0; jj < JB; ++jj) b[jj] = vload(B + (size_t)jj * ldb + p);
    for (int i = 0; i < M; ++i) {
      const vec ai = vload(a + i * k + p);
      for (int jj = 0; jj < JB; ++jj) acc[i][jj] = vfma(ai, b[jj], acc[i][jj]);
    }
  }
  for (int i = 0; i < M; ++i)
    for (int jj = 0; jj < JB; ++jj) {
      float s = vsum(acc[i][jj]);
      for (int q = p; q < k; ++q) s += a[i * k + q] * B[(size_t)jj * ldb + q];
      out[i][jj] = s;
    }
}

template <int M, int JB>
void small_nt_cols(int k, const float* a, const float* B, int ldb, float beta, float* C, int ldc,
                   int j) {
  float out[M][JB];
  small_nt_block<M, JB>(k, a, B + (size_t)j * ldb, ldb, out);
  for (int i = 0; i < M; ++i)
    for (int jj = 0; jj < JB; ++jj) {
      float* c = C + (size_t)i * ldc + j + jj;
      *c = beta == 0.0f ? out[i][jj] : out[i][jj] + beta * *c;
    }
}

template <int M>
void small_nt(int k, const float* a, const float* B, int ldb, float beta, float* C, int ldc,
              int j0, int j1) {
  constexpr int JB = M == 1 ? 8 : M <= 4 ? 4 : 2;  // M * JB <= 16 accumulators
  int j = j0;
  for (; j + JB <= j1; j += JB) small_nt_cols<M, JB>(k, a, B, ldb, beta, C, ldc, j);
  for (; j < j1; ++j) small_nt_cols<M, 1>(k, a, B, ldb, beta, C, ldc, j);
}

template <int M>
void small_m_range(const Problem& P, const float* a, int j0, int j1) {
  if (P.tb)
    small_nt<M>(P.k, a, P.B, P.ldb, P.beta, P.C, P.ldc, j0, j1);
  else
    small_nn<M>(P.k, a, P.B, P.ldb, P.beta, P.C, P.ldc, j0, j1);
}

void small_m(const Problem& P) {
  // a = alpha * op(A), m contiguous rows of k.
  float* a = tl_a.get((size_t)P.m * P.k);
  for (int i = 0; i < P.m; ++i)
    for (int p = 0; p < P.k; ++p)
      a[(size_t)i * P.k + p] =
          P.alpha * (P.ta ? P.A[(size_t)p * P.lda + i] : P.A[(size_t)i * P.lda + p]);
  // Rows go in groups of at most 8 (each group streams B once).
  const int groups = (P.m + 7) / 8, rows = (P.m + groups - 1) / groups;
  auto range = [&](int j0, int j1) {
    for (int i0 = 0; i0 < P.m; i0 += rows) {
      Problem G = P;
      G.m = std::min(rows, P.m - i0);
      G.C = P.C + (size_t)i0 * P.ldc;
      const float* ag = a + (size_t)i0 * P.k;
      switch (G.m) {
        case 1: small_m_range<1>(G, ag, j0, j1); break;
        case 2: small_m_range<2>(G, ag, j0, j1); break;
        case 3: small_m_range<3>(G, ag, j0, j1); break;
        case 4: small_m_range<4>(G, ag, j0, j1); break;
        case 5: small_m_range<5>(G, ag, j0, j1); break;
        case 6: small_m_range<6>(G, ag, j0, j1); break;
        case 7: small_m_range<7>(G, ag, j0, j1); break;
        default: small_m_range<8>(G, ag, j0, j1); break;
      }
    }
  };
  // Split the columns, in multiples of 64, when there is enough work.
  const int T = (double)P.m * P.n * P.k < kSmallParallelWork ? 1 : num_threads();
  const int chunks = std::min(T, (P.n + 63) / 64);
  if (chunks <= 1) return range(0, P.n);
  const int per = ((P.n + chunks - 1) / chunks + 63) / 64 * 64;
  parallel_for(chunks, [&](int t) {
    range(std::min(P.n, t * per), std::min(P.n, (t + 1) * per));
  });
}

}  // namespace

void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {  // C = beta * C
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float* c = C + (size_t)i * ldc + j;
        *c = beta == 0.0f ? 0.0f : beta * *c;
      }
    return;
  }
  if (m <= kSmallM) {
    small_m(Problem{transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc});
  } else if (n <= kSmallM) {
    // C^T = op(B)^T op(A)^T is a small-m problem: compute it into a scratch
    // buffer, then add it into C.
    float* t = tl_c.get((size_t)n * m);
    small_m(Problem{!transB, !transA, n, m, k, alpha, B, ldb, A, lda, 0.0f, t, m});
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float* c = C + (size_t)i * ldc + j;
        *c = beta == 0.0f ? t[(size_t)j * m + i] : t[(size_t)j * m + i] + beta * *c;
      }
  } else {
    gemm_packed(Problem{transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc});
  }
}

void sgemm_batched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
                   const float* A, int lda, long strideA, const float* B, int ldb, long strideB,
                   float beta, float* C, int ldc, long strideC) {
  if (batch <= 0) return;
  auto one = [&](int i) {
    sgemm(transA, transB, m, n, k, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta,
          C + i * strideC, ldc);
  };
  // Small GEMMs, or enough of them to share evenly: one task per GEMM, each
  // single-threaded. Otherwise one after another, each using all threads.
  const int T = num_threads();
  const double work = (double)m * n * k;
  if (batch > 1 && (work < kBatchSplitWork || batch % T == 0 || batch >= 4 * T))
    parallel_for(batch, one);
  else
    for (int i = 0; i < batch; ++i) one(i);
}

// The kernel-table entry (src/backend/kernels.ts): its argument order, checked by the generated binding.
void gemm(int batch, int m, int n, int k, bool transA, bool transB, float alpha, float beta, const float* a, int lda,
          long strideA, const float* b, int ldb, long strideB, float* c, int ldc, long strideC) {
  sgemm_batched(batch, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC);
}

}  // namespace jl
