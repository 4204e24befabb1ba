// Pointwise, reduction, row-wise (softmax, norms, cross-entropy) and optimizer kernels. The math is the
// js backend's (src/backend/js.ts); what is added here is SIMD (omp simd loops over vmath.h) and splitting
// big work across the thread pool.
#include "generated/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "parallel.h"
#include "vmath.h"

namespace jl {
namespace {

constexpr long kGrain = 1 << 15;  // elements below which waking a second thread costs more than it saves

// Calls f(lo, hi) over [0, n), split into one contiguous range per thread when n >= 2 * grain.
template <class F>
void parallel_range(long n, long grain, F&& f) {
  const int threads = num_threads();
  if (threads == 1 || n < 2 * grain) {
    if (n > 0) f(0L, n);
    return;
  }
  const long tasks = std::min<long>(threads, n / grain);
  parallel_for(static_cast<int>(tasks), [&](int i) { f(n * i / tasks, n * (i + 1) / tasks); });
}

template <class F>
void map(const float* x, float* y, long n, F f) {
  parallel_range(n, kGrain, [&](long lo, long hi) {
#pragma omp simd
    for (long i = lo; i < hi; i++) y[i] = f(x[i]);
  });
}

template <class F>
void map_grad(const float* x, const float* gy, float* gx, long n, F df) {
  parallel_range(n, kGrain, [&](long lo, long hi) {
#pragma omp simd
    for (long i = lo; i < hi; i++) gx[i] = gy[i] * df(x[i]);
  });
}

constexpr float kSqrt2OverPi = 0.7978845608f;
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2Pi = 0.3989422804f;

}  // namespace

void unary(int op, const float* x, float* y, long n) {
  switch (op) {
    case U_NEG: return map(x, y, n, [](float v) { return -v; });
    case U_EXP: return map(x, y, n, [](float v) { return exp_approx(v); });
    case U_LOG: return map(x, y, n, [](float v) { return log_approx(v); });
    case U_SQRT: return map(x, y, n, [](float v) { return std::sqrt(v); });
    case U_RSQRT: return map(x, y, n, [](float v) { return 1.0f / std::sqrt(v); });
    case U_TANH: return map(x, y, n, [](float v) { return tanh_approx(v); });
    case U_SIGMOID: return map(x, y, n, [](float v) { return sigmoid_approx(v); });
    case U_RELU: return map(x, y, n, [](float v) { return v > 0 || v != v ? v : 0.0f; });
    case U_GELU: return map(x, y, n, [](float v) { return v * normal_cdf_approx(v); });
    case U_GELU_TANH:
      return map(x, y, n, [](float v) { return 0.5f * v * (1.0f + tanh_approx(kSqrt2OverPi * (v + kGeluC * v * v * v))); });
    case U_SILU: return map(x, y, n, [](float v) { return v * sigmoid_approx(v); });
    case U_SOFTPLUS: return map(x, y, n, [](float v) { return softplus_approx(v); });
    case U_ABS: return map(x, y, n, [](float v) { return std::fabs(v); });
    case U_SIN: return map(x, y, n, [](float v) { return std::sin(v); });
    case U_COS: return map(x, y, n, [](float v) { return std::cos(v); });
    case U_SQUARE: return map(x, y, n, [](float v) { return v * v; });
    case U_RECIPROCAL: return map(x, y, n, [](float v) { return 1.0f / v; });
  }
}

void unary_grad(int op, const float* x, const float* gy, float* gx, long n) {
  switch (op) {
    case U_NEG: return map_grad(x, gy, gx, n, [](float) { return -1.0f; });
    case U_EXP: return map_grad(x, gy, gx, n, [](float v) { return exp_approx(v); });
    case U_LOG: return map_grad(x, gy, gx, n, [](float v) { return 1.0f / v; });
    case U_SQRT: return map_grad(x, gy, gx, n, [](float v) { return 0.5f / std::sqrt(v); });
    case U_RSQRT: return map_grad(x, gy, gx, n, [](float v) { return -0.5f / (v * std::sqrt(v)); });
    case U_TANH:
      return map_grad(x, gy, gx, n, [](float v) { return tanh_grad_approx(v); });
    case U_SIGMOID:
      return map_grad(x, gy, gx, n, [](float v) { return sigmoid_grad_approx(v); });
    case U_RELU: return map_grad(x, gy, gx, n, [](float v) { return v > 0 ? 1.0f : 0.0f; });
    case U_GELU:
      return map_grad(x, gy, gx, n, [](float v) {
        return normal_cdf_approx(v) + v * kInvSqrt2Pi * exp_approx(-0.5f * v * v);
      });
    case U_GELU_TANH:
      return map_grad(x, gy, gx, n, [](float v) {
        const float u = kSqrt2OverPi * (v + kGeluC * v * v * v);
        return 0.5f * (1.0f + tanh_approx(u)) +
               0.5f * v * tanh_grad_approx(u) * kSqrt2OverPi * (1.0f + 3.0f * kGeluC * v * v);
      });
    case U_SILU:
      return map_grad(x, gy, gx, n, [](float v) {
        // silu' = s + x s (1 - s)
        return sigmoid_approx(v) + v * sigmoid_grad_approx(v);
      });
    case U_SOFTPLUS: return map_grad(x, gy, gx, n, [](float v) { return v > 20.0f ? 1.0f : sigmoid_approx(v); });
    case U_ABS: return map_grad(x, gy, gx, n, [](float v) { return v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f; });
    case U_SIN: return map_grad(x, gy, gx, n, [](float v) { return std::cos(v); });
    case U_COS: return map_grad(x, gy, gx, n, [](float v) { return -std::sin(v); });
    case U_SQUARE: return map_grad(x, gy, gx, n, [](float v) { return 2.0f * v; });
    case U_RECIPROCAL: return map_grad(x, gy, gx, n, [](float v) { return -1.0f / (v * v); });
  }
}

namespace {

// Offset of row `r` (a flat index over all dims but the last) for each operand.
inline void row_offsets(long r, int rank, const int* shape, const int* const* strides, int operands, long* offsets) {
  for (int t = 0; t < operands; t++) offsets[t] = 0;
  for (int d = rank - 2; d >= 0; d--) {
    const long i = r % shape[d];
    r /= shape[d];
    for (int t = 0; t < operands; t++) offsets[t] += i * strides[t][d];
  }
}

template <class F>
void binary_t(F f, const float* a, const float* b, float* out, int rank, const int* shape, const int* as,
              const int* bs) {
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const long inner = shape[rank - 1];
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const long sa = as[rank - 1], sb = bs[rank - 1];
  const int* strides[2] = {as, bs};
  parallel_range(rows, std::max(1L, kGrain / std::max(inner, 1L)), [&](long lo, long hi) {
    long off[2];
    for (long r = lo; r < hi; r++) {
      row_offsets(r, rank, shape, strides, 2, off);
      const float* pa = a + off[0];
      const float* pb = b + off[1];
      float* po = out + r * inner;
      // The three layouts that cover nearly every call, each as a plain SIMD loop.
      if (sa == 1 && sb == 1) {
#pragma omp simd
        for (long j = 0; j < inner; j++) po[j] = f(pa[j], pb[j]);
      } else if (sa == 1 && sb == 0) {
        const float bv = pb[0];
#pragma omp simd
        for (long j = 0; j < inner; j++) po[j] = f(pa[j], bv);
      } else if (sa == 0 && sb == 1) {
        const float av = pa[0];
#pragma omp simd
        for (long j = 0; j < inner; j++) po[j] = f(av, pb[j]);
      } else {
        for (long j = 0; j < inner; j++) po[j] = f(pa[j * sa], pb[j * sb]);
      }
    }
  });
}

}  // namespace

void binary(int op, const float* a, const float* b, float* out, const int32_t* dims) {
  const int rank = dims[0];
  const int *shape = dims + 1, *as = shape + rank, *bs = as + rank;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return;
  }
  auto run = [&](auto f) { binary_t(f, a, b, out, rank, shape, as, bs); };
  switch (op) {
    case B_ADD: return run([](float x, float y) { return x + y; });
    case B_SUB: return run([](float x, float y) { return x - y; });
    case B_MUL: return run([](float x, float y) { return x * y; });
    case B_DIV: return run([](float x, float y) { return x / y; });
    case B_POW: return run([](float x, float y) { return std::pow(x, y); });
    case B_MAXIMUM: return run([](float x, float y) { return x >= y || x != x ? x : y; });
    case B_MINIMUM: return run([](float x, float y) { return x <= y || x != x ? x : y; });
    case B_EQ: return run([](float x, float y) { return x == y ? 1.0f : 0.0f; });
    case B_NE: return run([](float x, float y) { return x != y ? 1.0f : 0.0f; });
    case B_LT: return run([](float x, float y) { return x < y ? 1.0f : 0.0f; });
    case B_LE: return run([](float x, float y) { return x <= y ? 1.0f : 0.0f; });
    case B_GT: return run([](float x, float y) { return x > y ? 1.0f : 0.0f; });
    case B_GE: return run([](float x, float y) { return x >= y ? 1.0f : 0.0f; });
  }
}

void copy_strided(const float* x, float* out, const int32_t* dims, long offset) {
  const int rank = dims[0];
  const int *shape = dims + 1, *strides = shape + rank;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return;
  }
  if (rank == 0) {
    out[0] = x[offset];
    return;
  }
  const long inner = shape[rank - 1];
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const long s = strides[rank - 1];
  const int* st[1] = {strides};
  parallel_range(rows, std::max(1L, kGrain / std::max(inner, 1L)), [&](long lo, long hi) {
    long off;
    for (long r = lo; r < hi; r++) {
      row_offsets(r, rank, shape, st, 1, &off);
      const float* src = x + offset + off;
      float* dst = out + r * inner;
      if (s == 1) {
        std::memcpy(dst, src, inner * sizeof(float));
      } else {
        for (long j = 0; j < inner; j++) dst[j] = src[j * s];
      }
    }
  });
}

namespace {

// Runs f(o, i0, i1) over the [outer, inner] grid of a reduction in tasks of whole rows (inner == 1) or
// column blocks, so that both "sum each row" and "sum over rows" split across threads.
template <class F>
void for_reduction(long outer, long size, long inner, F&& f) {
  constexpr long kBlock = 512;
  const long blocks = (inner + kBlock - 1) / kBlock;
  const long grain = std::max(1L, kGrain / std::max(1L, size * std::min(inner, kBlock)));
  parallel_range(outer * blocks, grain, [&](long lo, long hi) {
    for (long t = lo; t < hi; t++) {
      const long o = t / blocks, i0 = (t % blocks) * kBlock;
      f(o, i0, std::min(inner, i0 + kBlock));
    }
  });
}

}  // namespace

void sum_axis(const float* x, float* out, long outer, long size, long inner) {
  for_reduction(outer, size, inner, [&](long o, long i0, long i1) {
    const float* base = x + o * size * inner;
    if (inner == 1) {
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (long r = 0; r < size; r++) s += base[r];
      out[o] = static_cast<float>(s);
      return;
    }
    double acc[512] = {0};
    for (long r = 0; r < size; r++) {
      const float* row = base + r * inner;
#pragma omp simd
      for (long i = i0; i < i1; i++) acc[i - i0] += row[i];
    }
    for (long i = i0; i < i1; i++) out[o * inner + i] = static_cast<float>(acc[i - i0]);
  });
}

void max_axis(const float* x, float* out, int32_t* argmax, long outer, long size, long inner) {
  for_reduction(outer, size, inner, [&](long o, long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      float best = -INFINITY;
      int32_t at = 0;
      for (long r = 0; r < size; r++) {
        const float v = x[(o * size + r) * inner + i];
        if (v > best || v != v) {
          best = v;
          at = static_cast<int32_t>(r);
          if (v != v) break;  // NaN propagates, as in PyTorch
        }
      }
      out[o * inner + i] = best;
      argmax[o * inner + i] = at;
    }
  });
}

void logsumexp_axis(const float* x, float* out, long outer, long size, long inner) {
  for_reduction(outer, size, inner, [&](long o, long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      const float* p = x + o * size * inner + i;
      float mx = -INFINITY;
      for (long r = 0; r < size; r++) mx = std::max(mx, p[r * inner]);
      if (mx == -INFINITY) {
        out[o * inner + i] = mx;
        continue;
      }
      double s = 0;
      for (long r = 0; r < size; r++) s += exp_approx(p[r * inner] - mx);
      out[o * inner + i] = mx + static_cast<float>(std::log(s));
    }
  });
}

void cumsum_axis(const float* x, float* out, long outer, long size, long inner) {
  for_reduction(outer, size, inner, [&](long o, long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      double s = 0;
      for (long r = 0; r < size; r++) {
        const long at = (o * size + r) * inner + i;
        s += x[at];
        out[at] = static_cast<float>(s);
      }
    }
  });
}

namespace {

template <class F>
void for_rows(long rows, long cols, F&& f) {
  parallel_range(rows, std::max(1L, kGrain / std::max(cols, 1L)), [&](long lo, long hi) {
    for (long r = lo; r < hi; r++) f(r);
  });
}

inline float row_max(const float* x, long n) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (long j = 0; j < n; j++) mx = std::max(mx, x[j]);
  return mx;
}

// log sum exp over a row; an all -inf row gives -inf.
inline float row_lse(const float* x, long n) {
  const float mx = row_max(x, n);
  if (mx == -INFINITY) return mx;
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < n; j++) s += exp_approx(x[j] - mx);
  return mx + std::log(s);
}

inline float row_dot(const float* a, const float* b, long n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

// Gradients of per-column parameters (norm weights and biases) summed over rows: each thread adds into a
// private buffer, then the buffers are added in a fixed order so results do not depend on timing.
template <class F>
void rows_with_param_grads(long rows, long cols, float* gw, float* gb, F&& row) {
  const int threads = num_threads();
  const long tasks = (threads == 1 || rows * cols < 2 * kGrain) ? 1 : std::min<long>(threads, rows);
  std::vector<float> partial(static_cast<size_t>(tasks * 2 * cols), 0.0f);
  auto run = [&](int t) {
    float* pw = partial.data() + t * 2 * cols;
    for (long r = rows * t / tasks; r < rows * (t + 1) / tasks; r++) row(r, pw, pw + cols);
  };
  if (tasks == 1) run(0);
  else parallel_for(static_cast<int>(tasks), run);
  for (long t = 0; t < tasks; t++) {
    const float* pw = partial.data() + t * 2 * cols;
    for (long j = 0; j < cols; j++) {
      if (gw) gw[j] += pw[j];
      if (gb) gb[j] += pw[cols + j];
    }
  }
}

}  // namespace

void softmax(const float* x, float* y, long rows, long cols) {
  for_rows(rows, cols, [&](long r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float lse = row_lse(xr, cols);
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = exp_approx(xr[j] - lse);
  });
}

void softmax_grad(const float* y, const float* gy, float* gx, long rows, long cols) {
  for_rows(rows, cols, [&](long r) {
    const long o = r * cols;
    const float dot = row_dot(gy + o, y + o, cols);
#pragma omp simd
    for (long j = 0; j < cols; j++) gx[o + j] = y[o + j] * (gy[o + j] - dot);
  });
}

void log_softmax(const float* x, float* y, long rows, long cols) {
  for_rows(rows, cols, [&](long r) {
    const float lse = row_lse(x + r * cols, cols);
#pragma omp simd
    for (long j = 0; j < cols; j++) y[r * cols + j] = x[r * cols + j] - lse;
  });
}

void log_softmax_grad(const float* y, const float* gy, float* gx, long rows, long cols) {
  for_rows(rows, cols, [&](long r) {
    const long o = r * cols;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (long j = 0; j < cols; j++) sum += gy[o + j];
#pragma omp simd
    for (long j = 0; j < cols; j++) gx[o + j] = gy[o + j] - exp_approx(y[o + j]) * sum;
  });
}

void cross_entropy(const float* x, const int32_t* t, long rows, long cols, int ignore, float* loss, float* lse) {
  for_rows(rows, cols, [&](long r) {
    lse[r] = row_lse(x + r * cols, cols);
    loss[r] = t[r] == ignore ? 0.0f : lse[r] - x[r * cols + t[r]];
  });
}

void cross_entropy_grad(const float* x, const int32_t* t, const float* lse, const float* g_loss, long rows,
                        long cols, int ignore, float* gx) {
  for_rows(rows, cols, [&](long r) {
    float* g = gx + r * cols;
    if (t[r] == ignore) {
      std::memset(g, 0, cols * sizeof(float));
      return;
    }
    const float* xr = x + r * cols;
    const float scale = g_loss[r], l = lse[r];
#pragma omp simd
    for (long j = 0; j < cols; j++) g[j] = scale * exp_approx(xr[j] - l);
    g[t[r]] -= scale;
  });
}

void layer_norm(const float* x, const float* w, const float* b, long rows, long cols, float eps, float* y,
                float* mean, float* rstd) {
  for_rows(rows, cols, [&](long r) {
    const float* xr = x + r * cols;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (long j = 0; j < cols; j++) s += xr[j];
    const float mu = s / cols;
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (long j = 0; j < cols; j++) v += (xr[j] - mu) * (xr[j] - mu);
    const float rs = 1.0f / std::sqrt(v / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    float* yr = y + r * cols;
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = (xr[j] - mu) * rs * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);
  });
}

void layer_norm_grad(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                     long rows, long cols, float* gx, float* gw, float* gb) {
  rows_with_param_grads(rows, cols, gw, gb, [&](long r, float* pw, float* pb) {
    const float* xr = x + r * cols;
    const float* gr = gy + r * cols;
    const float mu = mean[r], rs = rstd[r];
    float mean_g = 0, mean_gx = 0;
#pragma omp simd reduction(+ : mean_g, mean_gx)
    for (long j = 0; j < cols; j++) {
      const float xhat = (xr[j] - mu) * rs;
      const float g = gr[j] * (w ? w[j] : 1.0f);
      mean_g += g;
      mean_gx += g * xhat;
      pw[j] += gr[j] * xhat;
      pb[j] += gr[j];
    }
    mean_g /= cols;
    mean_gx /= cols;
    float* out = gx + r * cols;
#pragma omp simd
    for (long j = 0; j < cols; j++) {
      const float xhat = (xr[j] - mu) * rs;
      out[j] = rs * (gr[j] * (w ? w[j] : 1.0f) - mean_g - xhat * mean_gx);
    }
  });
}

void rms_norm(const float* x, const float* w, long rows, long cols, float eps, float* y, float* rstd) {
  for_rows(rows, cols, [&](long r) {
    const float* xr = x + r * cols;
    const float rs = 1.0f / std::sqrt(row_dot(xr, xr, cols) / cols + eps);
    rstd[r] = rs;
    float* yr = y + r * cols;
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = xr[j] * rs * (w ? w[j] : 1.0f);
  });
}

void rms_norm_grad(const float* x, const float* w, const float* rstd, const float* gy, long rows, long cols,
                   float* gx, float* gw) {
  rows_with_param_grads(rows, cols, gw, nullptr, [&](long r, float* pw, float*) {
    const float* xr = x + r * cols;
    const float* gr = gy + r * cols;
    const float rs = rstd[r];
    float mean_gx = 0;
#pragma omp simd reduction(+ : mean_gx)
    for (long j = 0; j < cols; j++) {
      mean_gx += gr[j] * (w ? w[j] : 1.0f) * xr[j];
      pw[j] += gr[j] * xr[j] * rs;
    }
    mean_gx /= cols;
    float* out = gx + r * cols;
#pragma omp simd
    for (long j = 0; j < cols; j++) out[j] = rs * (gr[j] * (w ? w[j] : 1.0f) - xr[j] * rs * rs * mean_gx);
  });
}

void adamw(float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, float eps,
           float weight_decay, int step, long n) {
  const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), step));
  const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta2), step));
  const float decay = 1.0f - lr * weight_decay;
  parallel_range(n, kGrain, [&](long lo, long hi) {
#pragma omp simd
    for (long i = lo; i < hi; i++) {
      m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
      v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
      p[i] = p[i] * decay - lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
  });
}

}  // namespace jl
