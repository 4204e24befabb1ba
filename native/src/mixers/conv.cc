// The depthwise causal conv1d that Mamba and the delta-rule layers put in front of their recurrences,
// forward and backward, channels-last (the js oracle and the math: src/mixers/ops/conv/kernels.ts).
//
// A task is a block of channels, contiguous in memory, so the loops over it vectorise; the taps are
// transposed to [width, channels] so that they are read the same way. Forward tasks are (batch, block)
// pairs. Backward tasks own a block across the whole batch and sum its weight and bias gradients in
// their own buffers (no partial sums to add up, no cache line written by two threads); gx[s] collects
// gpre[t] w[k] from the `width` steps t that read s, all inside the task.
#include <algorithm>
#include <vector>

#include "../generated/kernels.h"
#include "../parallel.h"
#include "../vmath.h"

namespace jl {
namespace {

constexpr int kBlock = 64;

struct Conv {
  int batch, seq, channels, width;
  bool silu;

  long row(int b, int t) const { return (static_cast<long>(b) * seq + t) * channels; }
};

// weight [C, K] as [K, C].
std::vector<float> transpose_taps(const float* w, const Conv& d) {
  std::vector<float> wt(static_cast<size_t>(d.width) * d.channels);
  for (int c = 0; c < d.channels; c++)
    for (int k = 0; k < d.width; k++) wt[static_cast<size_t>(k) * d.channels + c] = w[static_cast<long>(c) * d.width + k];
  return wt;
}

// The input row tap k reads at step t: x at t - K + 1 + k, before t = 0 a row of the window, or null (zeros).
const float* tap_input(const float* x, const float* window, const Conv& d, int b, int t, int k) {
  const int s = t - d.width + 1 + k;
  if (s >= 0) return x + d.row(b, s);
  return window ? window + (static_cast<long>(b) * (d.width - 1) + d.width - 1 + s) * d.channels : nullptr;
}

// pre[0..n) = bias + sum_k w[k] x[t - K + 1 + k] for channels c0..c0 + n at step t of sequence b.
void pre_activation(const float* x, const float* wt, const float* bias, const float* window, const Conv& d, int b,
                    int t, int c0, int n, float* pre) {
  if (bias) {
    std::copy(bias + c0, bias + c0 + n, pre);
  } else {
    std::fill(pre, pre + n, 0.0f);
  }
  for (int k = 0; k < d.width; k++) {
    const float* in = tap_input(x, window, d, b, t, k);
    if (!in) continue;
    in += c0;
    const float* wk = wt + static_cast<long>(k) * d.channels + c0;
#pragma omp simd
    for (int c = 0; c < n; c++) pre[c] += wk[c] * in[c];
  }
}

void forward(const float* x, const float* w, const float* bias, const float* window, float* out, const Conv& d) {
  const std::vector<float> wt = transpose_taps(w, d);
  const int blocks = (d.channels + kBlock - 1) / kBlock;
  parallel_for(d.batch * blocks, [&](int task) {
    const int b = task / blocks, c0 = (task % blocks) * kBlock, n = std::min(kBlock, d.channels - c0);
    float pre[kBlock];
    for (int t = 0; t < d.seq; t++) {
      pre_activation(x, wt.data(), bias, window, d, b, t, c0, n, pre);
      float* o = out + d.row(b, t) + c0;
      if (d.silu) {
#pragma omp simd
        for (int c = 0; c < n; c++) o[c] = pre[c] * sigmoid_approx(pre[c]);
      } else {
        std::copy(pre, pre + n, o);
      }
    }
  });
}

void backward(const float* x, const float* w, const float* bias, const float* window, const float* gout, float* gx,
              float* gw, float* gbias, const Conv& d) {
  const std::vector<float> wt = transpose_taps(w, d);
  const int blocks = (d.channels + kBlock - 1) / kBlock;
  parallel_for(blocks, [&](int blk) {
    const int c0 = blk * kBlock, n = std::min(kBlock, d.channels - c0);
    float gpre[kBlock], gb[kBlock] = {};
    std::vector<float> gwt(static_cast<size_t>(d.width) * kBlock, 0.0f);  // this block's taps, [width, kBlock]
    for (int b = 0; b < d.batch; b++) {
      for (int t = 0; t < d.seq; t++) std::fill_n(gx + d.row(b, t) + c0, n, 0.0f);
      for (int t = 0; t < d.seq; t++) {
        const float* go = gout + d.row(b, t) + c0;
        if (d.silu) {
          pre_activation(x, wt.data(), bias, window, d, b, t, c0, n, gpre);
#pragma omp simd
          for (int c = 0; c < n; c++) {
            const float z = gpre[c], s = sigmoid_approx(z);
            gpre[c] = go[c] * s * (1 + z * (1 - s));
          }
        } else {
          std::copy(go, go + n, gpre);
        }
        if (gbias) {
#pragma omp simd
          for (int c = 0; c < n; c++) gb[c] += gpre[c];
        }
        for (int k = 0; k < d.width; k++) {
          const float* in = tap_input(x, window, d, b, t, k);
          if (!in) continue;
          in += c0;
          float* gwk = gwt.data() + static_cast<size_t>(k) * kBlock;
#pragma omp simd
          for (int c = 0; c < n; c++) gwk[c] += gpre[c] * in[c];
          const int s = t - d.width + 1 + k;
          if (s < 0) continue;
          float* gxs = gx + d.row(b, s) + c0;
          const float* wk = wt.data() + static_cast<long>(k) * d.channels + c0;
#pragma omp simd
          for (int c = 0; c < n; c++) gxs[c] += gpre[c] * wk[c];
        }
      }
    }
    if (gbias) std::copy(gb, gb + n, gbias + c0);
    for (int c = 0; c < n; c++)
      for (int k = 0; k < d.width; k++) gw[static_cast<long>(c0 + c) * d.width + k] = gwt[static_cast<size_t>(k) * kBlock + c];
  });
}

}  // namespace

// The kernel-table entries (src/backend/kernels.ts; arguments checked by the generated bindings).
void conv::causal_conv1d(const float* x, const float* weight, const float* bias, const float* window, float* out,
                         int batch, int seq, int channels, int width, bool silu) {
  forward(x, weight, bias, window, out, Conv{batch, seq, channels, width, silu});
}

void conv::causal_conv1d_grad(const float* x, const float* weight, const float* bias, const float* window,
                              const float* gOut, float* gx, float* gWeight, float* gBias, int batch, int seq,
                              int channels, int width, bool silu) {
  backward(x, weight, bias, window, gOut, gx, gWeight, gBias, Conv{batch, seq, channels, width, silu});
}

}  // namespace jl
