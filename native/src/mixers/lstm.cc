// The LSTM recurrence (family "lstm", js oracle in src/mixers/ops/lstm/kernels.ts, same arguments and layouts).
// Time cannot be split, so the work is split over the batch: each task owns a few sequences and walks
// them through all T steps. Per step, the recurrent product of those rows with W_hh is one small
// register-blocked GEMM (the rows share every load of the weights, which stay in cache across steps),
// followed by the gate nonlinearities, vectorised over the hidden units.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../generated/kernels.h"
#include "../parallel.h"
#include "../vmath.h"

namespace {

constexpr int kMaxRows = 4;  // sequences per task, sharing each pass over the weights
constexpr int kCols = 32;    // output columns held in registers per pass

int padded(int n) { return (n + kCols - 1) / kCols * kCols; }

// A p x n matrix M (M[q][j] = src[q * sq + j * sj]) cut into panels of kCols columns, each stored
// contiguously (panel, q, column), zero-padded past n: the product then streams through memory in order
// instead of striding down rows that all fall into the same few cache sets.
std::vector<float> pack_panels(const float* src, long sq, long sj, int p, int n) {
  std::vector<float> out(static_cast<size_t>(padded(n)) * p, 0.0f);
  for (int j = 0; j < n; j++) {
    float* panel = out.data() + static_cast<size_t>(j / kCols) * p * kCols + j % kCols;
    for (int q = 0; q < p; q++) panel[static_cast<size_t>(q) * kCols] = src[q * sq + j * sj];
  }
  return out;
}

// out[r][0..n) += sum_q a[r][q] * M[q][0..n) for R rows, M packed by pack_panels, n a multiple of kCols.
template <int R>
void rows_times_matrix(int p, int n, const float* const* a, const float* panels, float* const* out) {
  for (int j0 = 0; j0 < n; j0 += kCols) {
    const float* panel = panels + static_cast<long>(j0) * p;
    float acc[R][kCols];
    for (int r = 0; r < R; r++) std::memcpy(acc[r], out[r] + j0, sizeof acc[r]);
    for (int q = 0; q < p; q++) {
      const float* mq = panel + static_cast<long>(q) * kCols;
      for (int r = 0; r < R; r++) {
        const float s = a[r][q];
#pragma omp simd
        for (int c = 0; c < kCols; c++) acc[r][c] += s * mq[c];
      }
    }
    for (int r = 0; r < R; r++) std::memcpy(out[r] + j0, acc[r], sizeof acc[r]);
  }
}

void rows_times_matrix(int rows, int p, int n, const float* const* a, const float* panels, float* const* out) {
  switch (rows) {
    case 1: return rows_times_matrix<1>(p, n, a, panels, out);
    case 2: return rows_times_matrix<2>(p, n, a, panels, out);
    case 3: return rows_times_matrix<3>(p, n, a, panels, out);
    default: return rows_times_matrix<4>(p, n, a, panels, out);
  }
}

// Splits the batch into tasks of at most kMaxRows sequences, at least one per thread when there are enough.
template <class F>
void over_batch(int batch, const F& fn) {
  const int tasks = std::min(batch, std::max(jl::num_threads(), (batch + kMaxRows - 1) / kMaxRows));
  jl::parallel_for(tasks, [&](int k) {
    const int b0 = static_cast<int>(static_cast<long>(batch) * k / tasks);
    const int b1 = static_cast<int>(static_cast<long>(batch) * (k + 1) / tasks);
    fn(b0, b1 - b0);
  });
}

}  // namespace

// The kernel-table entries (src/backend/kernels.ts), called by the generated bindings once every argument
// has been checked.
void jl::lstm::forward(const float* gx, const float* whh, const float* h0, const float* c0, float* y, float* c,
                  float* gates, int batch, int seq, int H) {
  const int G = 4 * H, Gp = padded(G);
  // W_hh^T (H x 4H): h_{t-1} times it gives all four gates' recurrent parts.
  const std::vector<float> whh_t = pack_panels(whh, 1, H, H, G);
  over_batch(batch, [&](int b0, int rows) {
    std::vector<float> pre(static_cast<size_t>(rows) * Gp);
    const float* h_prev[kMaxRows] = {};
    const float* c_prev[kMaxRows] = {};
    float* pre_rows[kMaxRows] = {};
    for (int r = 0; r < rows; r++) pre_rows[r] = pre.data() + static_cast<size_t>(r) * Gp;
    for (int t = 0; t < seq; t++) {
      for (int r = 0; r < rows; r++) {
        const long row = static_cast<long>(b0 + r) * seq + t;
        h_prev[r] = t == 0 ? h0 + static_cast<long>(b0 + r) * H : y + (row - 1) * H;
        c_prev[r] = t == 0 ? c0 + static_cast<long>(b0 + r) * H : c + (row - 1) * H;
        std::memcpy(pre_rows[r], gx + row * G, G * sizeof(float));
      }
      rows_times_matrix(rows, H, Gp, h_prev, whh_t.data(), pre_rows);
      for (int r = 0; r < rows; r++) {
        const long row = static_cast<long>(b0 + r) * seq + t;
        const float* p = pre_rows[r];
        const float* cp = c_prev[r];
        float* gr = gates + row * G;
        float* cr = c + row * H;
        float* yr = y + row * H;
#pragma omp simd
        for (int u = 0; u < H; u++) {
          const float i = jl::sigmoid_approx(p[u]);
          const float f = jl::sigmoid_approx(p[H + u]);
          const float g = jl::tanh_approx(p[2 * H + u]);
          const float o = jl::sigmoid_approx(p[3 * H + u]);
          const float cu = f * cp[u] + i * g;
          cr[u] = cu;
          yr[u] = o * jl::tanh_approx(cu);
          gr[u] = i;
          gr[H + u] = f;
          gr[2 * H + u] = g;
          gr[3 * H + u] = o;
        }
      }
    }
  });
}

void jl::lstm::backward(const float* gates, const float* c, const float* c0, const float* whh, const float* gy,
                   const float* gc, float* dgates, float* dh0, float* dc0, int batch, int seq, int H) {
  const int G = 4 * H, Hp = padded(H);
  const std::vector<float> whh_panels = pack_panels(whh, H, 1, G, H);
  over_batch(batch, [&](int b0, int rows) {
    // dh and dc hold dL/dh_t and dL/dc_t of the step being processed; at the end, dL/dh0 and dL/dc0.
    std::vector<float> dh_store(static_cast<size_t>(rows) * Hp, 0.0f);
    float* dh[kMaxRows] = {};
    float* dc[kMaxRows] = {};
    const float* dg_rows[kMaxRows] = {};
    for (int r = 0; r < rows; r++) {
      dh[r] = dh_store.data() + static_cast<size_t>(r) * Hp;
      dc[r] = dc0 + static_cast<long>(b0 + r) * H;
      std::memcpy(dc[r], gc + static_cast<long>(b0 + r) * H, H * sizeof(float));
    }
    for (int t = seq - 1; t >= 0; t--) {
      for (int r = 0; r < rows; r++) {
        const long row = static_cast<long>(b0 + r) * seq + t;
        const float* gr = gates + row * G;
        const float* cr = c + row * H;
        const float* cp = t == 0 ? c0 + static_cast<long>(b0 + r) * H : c + (row - 1) * H;
        const float* gyr = gy + row * H;
        float* dgr = dgates + row * G;
        float* dhr = dh[r];
        float* dcr = dc[r];
#pragma omp simd
        for (int u = 0; u < H; u++) {
          const float i = gr[u], f = gr[H + u], g = gr[2 * H + u], o = gr[3 * H + u];
          const float tc = jl::tanh_approx(cr[u]);
          const float dhu = gyr[u] + dhr[u];
          const float dcu = dcr[u] + dhu * o * (1.0f - tc * tc);
          dgr[u] = dcu * g * i * (1.0f - i);
          dgr[H + u] = dcu * cp[u] * f * (1.0f - f);
          dgr[2 * H + u] = dcu * i * (1.0f - g * g);
          dgr[3 * H + u] = dhu * tc * o * (1.0f - o);
          dcr[u] = dcu * f;
        }
        std::fill(dhr, dhr + Hp, 0.0f);
        dg_rows[r] = dgr;
      }
      // dh_{t-1} = W_hh^T dgates_t: the rows of W_hh (4H x H) weighted by dgates.
      rows_times_matrix(rows, G, Hp, dg_rows, whh_panels.data(), dh);
    }
    for (int r = 0; r < rows; r++) std::memcpy(dh0 + static_cast<long>(b0 + r) * H, dh[r], H * sizeof(float));
  });
}
