// Mamba's selective scan, forward and backward, channels-last (the js oracle and the math:
// src/mixers/ops/mamba/kernels.ts). Its causal conv1d is shared with the delta-rule layers (conv.cc).
//
// Scan forward: each task is one batch element and a block of 16 channels and walks time once, each
// channel's state (d_state floats) in a small buffer. Per step, the scalars of the block (delta after
// softplus, the gate) are computed in loops vectorised over its channels, the state update in a loop
// vectorised over d_state (one AVX-512 register at d_state 16), and C . h by a halving tree.
// Backward: per chunk of `chunk` steps, last chunk first, and per channel, the chunk's states and decays
// are recomputed from the checkpoint the forward saved (a few KiB, in L1), then the reverse scan runs over
// them carrying dL/dh. gA and gD sum over the batch and gB and gC over channels, so tasks write partial
// sums that are added up at the end: no atomics, and the same result whatever the scheduling (the
// channel split, and so the rounding of gB and gC, follows the thread count).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../generated/kernels.h"
#include "../parallel.h"
#include "../vmath.h"

namespace {

struct ScanDims {
  int batch, seq, d_inner, d_state, chunk;
  bool softplus;
  int chunks;
};

// A chunk longer than the sequence is one chunk of it (as many checkpoints), and scratch is sized by the
// chunk: hence the clamp.
ScanDims scan_dims(int batch, int seq, int d_inner, int d_state, int chunk, bool softplus) {
  chunk = std::min(chunk, std::max(seq, 1));
  return {batch, seq, d_inner, d_state, chunk, softplus, (seq + chunk - 1) / chunk};
}

// Channels per forward task: a cache line of u, delta, z per step.
constexpr int kChannelBlock = 16;

// delta after its bias and (when asked) the softplus, and d(step)/d(delta): branch-free, so that the loops
// computing them for a row of channels or a run of steps vectorise.
inline float step_size(float raw, bool softplus) { return softplus ? jl::softplus_approx(raw) : raw; }
inline float step_size_grad(float raw, bool softplus) {
  return softplus ? (raw > 20.0f ? 1.0f : jl::sigmoid_approx(raw)) : 1.0f;
}

inline float silu(float x) { return x * jl::sigmoid_approx(x); }
inline float silu_grad(float x) {
  const float s = jl::sigmoid_approx(x);
  return s * (1.0f + x * (1.0f - s));
}

// p[0] + ... + p[n - 1], overwriting p. At d_state 16, a halving tree of vector adds: GCC ends an `omp simd`
// reduction with an in-order chain of scalar adds, which would cost as much as the state update itself.
template <int kN>
inline float sum_of(float* p, int n_rt) {
  if constexpr (kN == 16) {
#pragma omp simd
    for (int n = 0; n < 8; n++) p[n] += p[n + 8];
#pragma omp simd
    for (int n = 0; n < 4; n++) p[n] += p[n + 4];
    return (p[0] + p[2]) + (p[1] + p[3]);
  } else {
    float s = 0;
    for (int n = 0; n < n_rt; n++) s += p[n];
    return s;
  }
}

// The state update of one channel for one step, vectorised over d_state: h = exp(dt a) h + dx b; returns
// C . h (prod: scratch of d_state floats). kN > 0 fixes d_state at compile time (one AVX-512 register at
// 16), 0 reads it from n_rt.
template <int kN>
inline float scan_step(float* h, const float* a, const float* bt, const float* ct, float dt, float dx, float* prod,
                       int n_rt) {
  const int N = kN > 0 ? kN : n_rt;
#pragma omp simd
  for (int n = 0; n < N; n++) {
    h[n] = jl::exp_approx(dt * a[n]) * h[n] + dx * bt[n];
    prod[n] = ct[n] * h[n];
  }
  return sum_of<kN>(prod, N);
}

template <int kN>
void scan_forward(const float* u, const float* delta, const float* A, const float* B, const float* C, const float* D,
                  const float* z, const float* bias, const float* h0, float* out, float* last, float* ckpt,
                  const ScanDims& s) {
  const int N = kN > 0 ? kN : s.d_state, Di = s.d_inner, T = s.seq;
  const int blocks = (Di + kChannelBlock - 1) / kChannelBlock;
  jl::parallel_for(s.batch * blocks, [&](int task) {
    const int b = task / blocks, c0 = (task % blocks) * kChannelBlock, nc = std::min(kChannelBlock, Di - c0);
    std::vector<float> state(static_cast<size_t>(nc) * N), prod(N);
    for (int c = 0; c < nc; c++) {
      float* h = state.data() + static_cast<size_t>(c) * N;
      if (h0) std::memcpy(h, h0 + (static_cast<long>(b) * Di + c0 + c) * N, N * sizeof(float));
      else std::fill(h, h + N, 0.0f);
    }
    float dt[kChannelBlock], y[kChannelBlock];
    for (int t = 0; t < T; t++) {
      const long row = static_cast<long>(b) * T + t;
      const float* bt = B + row * N;
      const float* ct = C + row * N;
      const float* ur = u + row * Di + c0;
      const float* dr = delta + row * Di + c0;
      if (ckpt && t % s.chunk == 0) {
        for (int c = 0; c < nc; c++) {
          std::memcpy(ckpt + ((static_cast<long>(b) * Di + c0 + c) * s.chunks + t / s.chunk) * N,
                      state.data() + static_cast<size_t>(c) * N, N * sizeof(float));
        }
      }
#pragma omp simd
      for (int c = 0; c < nc; c++) dt[c] = step_size(dr[c] + (bias ? bias[c0 + c] : 0.0f), s.softplus);
      for (int c = 0; c < nc; c++) {
        y[c] = scan_step<kN>(state.data() + static_cast<size_t>(c) * N, A + static_cast<long>(c0 + c) * N, bt, ct,
                             dt[c], dt[c] * ur[c], prod.data(), N);
      }
      const float* zr = z + row * Di + c0;
      float* o = out + row * Di + c0;
#pragma omp simd
      for (int c = 0; c < nc; c++) o[c] = (y[c] + D[c0 + c] * ur[c]) * silu(zr[c]);
    }
    for (int c = 0; c < nc; c++) {
      std::memcpy(last + (static_cast<long>(b) * Di + c0 + c) * N, state.data() + static_cast<size_t>(c) * N,
                  N * sizeof(float));
    }
  });
}

struct ScanGrads {
  float *gu, *gdelta, *gA, *gB, *gC, *gD, *gz;
};

template <int kN>
void scan_backward(const float* u, const float* delta, const float* A, const float* B, const float* C, const float* D,
                   const float* z, const float* bias, const float* ckpt, const float* gout, const ScanGrads& g,
                   const ScanDims& s) {
  const int N = kN > 0 ? kN : s.d_state, Di = s.d_inner, T = s.seq, K = s.chunk;
  const long rows = static_cast<long>(s.batch) * T;
  // Enough tasks to keep every thread busy, and no more channel blocks than needed: each block beyond the
  // first costs a partial copy of gB and gC.
  const int batch = std::max(s.batch, 1);
  const int per_batch = std::max(1, std::min((4 * jl::num_threads() + batch - 1) / batch, (Di + 7) / 8));
  const int width = std::max(1, (Di + per_batch - 1) / per_batch);
  const int blocks = (Di + width - 1) / width;
  std::vector<float> part_bc(blocks > 1 ? static_cast<size_t>(blocks) * 2 * rows * N : 0);
  if (blocks <= 1) {
    std::fill(g.gB, g.gB + rows * N, 0.0f);
    std::fill(g.gC, g.gC + rows * N, 0.0f);
  }
  std::vector<float> part_a(static_cast<size_t>(s.batch) * Di * N, 0.0f);
  std::vector<float> part_d(static_cast<size_t>(s.batch) * Di, 0.0f);
  jl::parallel_for(s.batch * blocks, [&](int task) {
    const int b = task / blocks, blk = task % blocks;
    const int c0 = blk * width, c1 = std::min(Di, c0 + width);
    float* gb_rows = (blocks > 1 ? part_bc.data() + static_cast<size_t>(blk) * 2 * rows * N : g.gB) +
                     static_cast<long>(b) * T * N;
    float* gc_rows = (blocks > 1 ? part_bc.data() + (static_cast<size_t>(blk) * 2 + 1) * rows * N : g.gC) +
                     static_cast<long>(b) * T * N;
    // Per step of the chunk: states, decays, and the scalars of the step (y before the gate, dt, its
    // derivative, x, the gate silu(z) and its derivative).
    std::vector<float> hs(static_cast<size_t>(K) * N), as(static_cast<size_t>(K) * N);
    std::vector<float> ys(K), dts(K), dsteps(K), xs(K), gates(K), dgates(K), p1(N), p2(N);
    std::vector<float> carry(static_cast<size_t>(c1 - c0) * N, 0.0f);  // dL/dh_t from later steps, per channel
    for (int k = s.chunks - 1; k >= 0; k--) {
      const int t0 = k * K, len = std::min(K, T - t0);
      const long first = (static_cast<long>(b) * T + t0) * Di;  // element (b, t0, 0)
      for (int c = c0; c < c1; c++) {
        const float* a_c = A + static_cast<long>(c) * N;
        const float* h_start = ckpt + ((static_cast<long>(b) * Di + c) * s.chunks + k) * N;
        const float bias_c = bias ? bias[c] : 0.0f;
#pragma omp simd
        for (int j = 0; j < len; j++) {
          const long i = first + static_cast<long>(j) * Di + c;
          const float raw = delta[i] + bias_c;
          dts[j] = step_size(raw, s.softplus);
          dsteps[j] = step_size_grad(raw, s.softplus);
          xs[j] = u[i];
          gates[j] = silu(z[i]);
          dgates[j] = silu_grad(z[i]);
        }
        // Recompute the chunk's states and decays from its checkpoint.
        const float* prev = h_start;
        for (int j = 0; j < len; j++) {
          const long row = static_cast<long>(b) * T + t0 + j;
          const float* bt = B + row * N;
          const float* ct = C + row * N;
          float* h = hs.data() + static_cast<size_t>(j) * N;
          float* a = as.data() + static_cast<size_t>(j) * N;
          const float dt = dts[j], dx = dt * xs[j];
#pragma omp simd
          for (int n = 0; n < N; n++) {
            a[n] = jl::exp_approx(dt * a_c[n]);
            h[n] = a[n] * prev[n] + dx * bt[n];
            p1[n] = ct[n] * h[n];
          }
          ys[j] = sum_of<kN>(p1.data(), N) + D[c] * xs[j];
          prev = h;
        }
        // Reverse over the chunk, carrying dL/dh.
        float* gh = carry.data() + static_cast<size_t>(c - c0) * N;
        float* ga = part_a.data() + (static_cast<long>(b) * Di + c) * N;
        float gd_acc = 0;
        for (int j = len - 1; j >= 0; j--) {
          const int t = t0 + j;
          const long row = static_cast<long>(b) * T + t, i = row * Di + c;
          const float* bt = B + row * N;
          const float* ct = C + row * N;
          const float* h = hs.data() + static_cast<size_t>(j) * N;
          const float* hp = j > 0 ? hs.data() + static_cast<size_t>(j - 1) * N : h_start;
          const float* a = as.data() + static_cast<size_t>(j) * N;
          float* gbt = gb_rows + static_cast<long>(t) * N;
          float* gct = gc_rows + static_cast<long>(t) * N;
          const float gy = gout[i] * gates[j];
          g.gz[i] = gout[i] * ys[j] * dgates[j];
          const float x = xs[j], dt = dts[j], dx = dt * x;
          gd_acc += gy * x;
#pragma omp simd
          for (int n = 0; n < N; n++) {
            const float gn = gh[n] + gy * ct[n];
            gct[n] += gy * h[n];
            const float gexp = gn * hp[n] * a[n];  // dL/d(dt a[n])
            ga[n] += gexp * dt;
            gbt[n] += gn * dx;
            p1[n] = gn * bt[n];
            p2[n] = gexp * a_c[n];
            gh[n] = gn * a[n];
          }
          const float gx = sum_of<kN>(p1.data(), N);  // dL/d(dt x)
          g.gu[i] = gy * D[c] + gx * dt;
          g.gdelta[i] = (sum_of<kN>(p2.data(), N) + gx * x) * dsteps[j];
        }
        part_d[static_cast<long>(b) * Di + c] += gd_acc;
      }
    }
  });
  // Add up the partial sums.
  jl::parallel_for(Di, [&](int c) {
    float* ga = g.gA + static_cast<long>(c) * N;
    float gd = 0;
    std::fill(ga, ga + N, 0.0f);
    for (int b = 0; b < s.batch; b++) {
      const float* p = part_a.data() + (static_cast<long>(b) * Di + c) * N;
      for (int n = 0; n < N; n++) ga[n] += p[n];
      gd += part_d[static_cast<long>(b) * Di + c];
    }
    g.gD[c] = gd;
  });
  if (blocks > 1) {
    const long span = rows * N;
    const int pieces = static_cast<int>(std::min<long>(rows, 256));
    jl::parallel_for(pieces, [&](int p) {
      const long from = span * p / pieces, to = span * (p + 1) / pieces;
      for (int which = 0; which < 2; which++) {
        float* dst = which == 0 ? g.gB : g.gC;
        std::fill(dst + from, dst + to, 0.0f);
        for (int blk = 0; blk < blocks; blk++) {
          const float* src = part_bc.data() + (static_cast<size_t>(blk) * 2 + which) * span;
#pragma omp simd
          for (long e = from; e < to; e++) dst[e] += src[e];
        }
      }
    });
  }
}

}  // namespace

// The kernel-table entries (src/backend/kernels.ts), called by the generated bindings once every argument
// has been checked. dState 16 gets a version with the state size known at compile time.
void jl::mamba::selective_scan(const float* u, const float* delta, const float* A, const float* B, const float* C,
                               const float* D, const float* z, const float* deltaBias, const float* h0, float* out,
                               float* last, float* checkpoints, int batch, int seq, int dInner, int dState,
                               int chunk, bool deltaSoftplus) {
  const ScanDims s = scan_dims(batch, seq, dInner, dState, chunk, deltaSoftplus);
  const auto forward = s.d_state == 16 ? scan_forward<16> : scan_forward<0>;
  forward(u, delta, A, B, C, D, z, deltaBias, h0, out, last, checkpoints, s);
}

void jl::mamba::selective_scan_grad(const float* u, const float* delta, const float* A, const float* B,
                                    const float* C, const float* D, const float* z, const float* deltaBias,
                                    const float* checkpoints, const float* gOut, float* gu, float* gDelta, float* gA,
                                    float* gB, float* gC, float* gD, float* gz, int batch, int seq, int dInner,
                                    int dState, int chunk, bool deltaSoftplus) {
  const ScanDims s = scan_dims(batch, seq, dInner, dState, chunk, deltaSoftplus);
  const auto backward = s.d_state == 16 ? scan_backward<16> : scan_backward<0>;
  backward(u, delta, A, B, C, D, z, deltaBias, checkpoints, gOut, ScanGrads{gu, gDelta, gA, gB, gC, gD, gz}, s);
}

