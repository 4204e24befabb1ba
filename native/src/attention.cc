// Causal attention on the CPU, flash-attention style in what it stores (only a log-sum-exp per query row,
// never the T x T probabilities) but not in how it computes: each (batch, head) pair is one task, and
// within it queries go in tiles of kQueryTile rows, whose scores against all earlier keys are one GEMM,
// softmaxed in place, then multiplied into V by another GEMM. Q, K and V are read straight out of the
// fused qkv projection through leading dimensions, so no permute copies are made.
#include "generated/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "parallel.h"
#include "vmath.h"

namespace jl {
namespace {

constexpr int kQueryTile = 64;

// Turns scaled scores of query row i (valid keys 0..i, later ones masked) into probabilities; returns lse.
float softmax_causal_row(float* row, int valid, int keys) {
  float mx = -INFINITY;
  for (int j = 0; j < valid; j++) mx = std::max(mx, row[j]);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < valid; j++) {
    row[j] = exp_approx(row[j] - mx);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int j = 0; j < valid; j++) row[j] *= inv;
  std::fill(row + valid, row + keys, 0.0f);
  return mx + std::log(sum);
}

}  // namespace

void causal_attention(const float* qkv, float* out, float* lse, int batch, int seq, int heads, int head_dim,
                      float scale) {
  const int dm = heads * head_dim, width = 3 * dm;
  parallel_for(batch * heads, [&](int task) {
    const int b = task / heads, h = task % heads;
    const float* q = qkv + static_cast<long>(b) * seq * width + h * head_dim;
    const float* k = q + dm;
    const float* v = q + 2 * dm;
    float* o = out + static_cast<long>(b) * seq * dm + h * head_dim;
    float* l = lse + static_cast<long>(task) * seq;
    std::vector<float> p(static_cast<size_t>(kQueryTile) * seq);
    for (int i0 = 0; i0 < seq; i0 += kQueryTile) {
      const int rows = std::min(kQueryTile, seq - i0), keys = i0 + rows;
      sgemm(false, true, rows, keys, head_dim, scale, q + static_cast<long>(i0) * width, width, k, width, 0.0f,
            p.data(), keys);
      for (int r = 0; r < rows; r++) l[i0 + r] = softmax_causal_row(p.data() + r * keys, i0 + r + 1, keys);
      sgemm(false, false, rows, head_dim, keys, 1.0f, p.data(), keys, v, width, 0.0f,
            o + static_cast<long>(i0) * dm, dm);
    }
  });
}

void causal_attention_grad(const float* qkv, const float* out, const float* lse, const float* gy, float* gqkv,
                           int batch, int seq, int heads, int head_dim, float scale) {
  const int dm = heads * head_dim, width = 3 * dm;
  parallel_for(batch * heads, [&](int task) {
    const int b = task / heads, h = task % heads;
    const long row0 = static_cast<long>(b) * seq;
    const float* q = qkv + row0 * width + h * head_dim;
    const float* k = q + dm;
    const float* v = q + 2 * dm;
    const float* o = out + row0 * dm + h * head_dim;
    const float* go = gy + row0 * dm + h * head_dim;
    float* gq = gqkv + row0 * width + h * head_dim;
    float* gk = gq + dm;
    float* gv = gq + 2 * dm;
    const float* l = lse + static_cast<long>(task) * seq;
    for (int t = 0; t < seq; t++) {
      std::memset(gk + static_cast<long>(t) * width, 0, head_dim * sizeof(float));
      std::memset(gv + static_cast<long>(t) * width, 0, head_dim * sizeof(float));
    }
    std::vector<float> p(static_cast<size_t>(kQueryTile) * seq), dp(static_cast<size_t>(kQueryTile) * seq);
    for (int i0 = 0; i0 < seq; i0 += kQueryTile) {
      const int rows = std::min(kQueryTile, seq - i0), keys = i0 + rows;
      const float* qt = q + static_cast<long>(i0) * width;
      const float* got = go + static_cast<long>(i0) * dm;
      // P from the saved log-sum-exp; dP = dO V^T.
      sgemm(false, true, rows, keys, head_dim, scale, qt, width, k, width, 0.0f, p.data(), keys);
      sgemm(false, true, rows, keys, head_dim, 1.0f, got, dm, v, width, 0.0f, dp.data(), keys);
      for (int r = 0; r < rows; r++) {
        const int i = i0 + r, valid = i + 1;
        float* pr = p.data() + r * keys;
        float* dr = dp.data() + r * keys;
        const float* oi = o + static_cast<long>(i) * dm;
        const float* gi = go + static_cast<long>(i) * dm;
        float delta = 0;
#pragma omp simd reduction(+ : delta)
        for (int d = 0; d < head_dim; d++) delta += gi[d] * oi[d];
        const float li = l[i];
#pragma omp simd
        for (int j = 0; j < valid; j++) {
          pr[j] = exp_approx(pr[j] - li);
          dr[j] = pr[j] * (dr[j] - delta);  // dS
        }
        std::fill(pr + valid, pr + keys, 0.0f);
        std::fill(dr + valid, dr + keys, 0.0f);
      }
      // dQ = scale dS K; dK += scale dS^T Q; dV += P^T dO.
      sgemm(false, false, rows, head_dim, keys, scale, dp.data(), keys, k, width, 0.0f,
            gq + static_cast<long>(i0) * width, width);
      sgemm(true, false, keys, head_dim, rows, scale, dp.data(), keys, qt, width, 1.0f, gk, width);
      sgemm(true, false, keys, head_dim, rows, 1.0f, p.data(), keys, got, dm, 1.0f, gv, width);
    }
  });
}

void cached_attention(const float* qkv, float* k_cache, float* v_cache, float* out, int batch, int seq, int heads,
                      int head_dim, int pos, int capacity, float scale) {
  const int dm = heads * head_dim, width = 3 * dm, keys = pos + seq;
  parallel_for(batch * heads, [&](int task) {
    const int b = task / heads, h = task % heads;
    const float* q = qkv + static_cast<long>(b) * seq * width + h * head_dim;
    float* kc = k_cache + static_cast<long>(task) * capacity * head_dim;
    float* vc = v_cache + static_cast<long>(task) * capacity * head_dim;
    for (int t = 0; t < seq; t++) {
      std::memcpy(kc + static_cast<long>(pos + t) * head_dim, q + static_cast<long>(t) * width + dm,
                  head_dim * sizeof(float));
      std::memcpy(vc + static_cast<long>(pos + t) * head_dim, q + static_cast<long>(t) * width + 2 * dm,
                  head_dim * sizeof(float));
    }
    std::vector<float> p(static_cast<size_t>(seq) * keys);
    sgemm(false, true, seq, keys, head_dim, scale, q, width, kc, head_dim, 0.0f, p.data(), keys);
    for (int r = 0; r < seq; r++) softmax_causal_row(p.data() + static_cast<long>(r) * keys, pos + r + 1, keys);
    sgemm(false, false, seq, head_dim, keys, 1.0f, p.data(), keys, vc, head_dim, 0.0f,
          out + static_cast<long>(b) * seq * dm + h * head_dim, dm);
  });
}

void rope(float* x, const float* cos, const float* sin, int batch, int seq, int row_width, int rotated_heads,
          int head_dim, int pos, bool inverse) {
  const int half = head_dim / 2;
  const float sign = inverse ? -1.0f : 1.0f;
  parallel_for(batch, [&](int b) {
    for (int t = 0; t < seq; t++) {
      const float* c = cos + static_cast<long>(pos + t) * half;
      const float* s = sin + static_cast<long>(pos + t) * half;
      for (int hd = 0; hd < rotated_heads; hd++) {
        float* a = x + (static_cast<long>(b) * seq + t) * row_width + hd * head_dim;
        float* z = a + half;
#pragma omp simd
        for (int i = 0; i < half; i++) {
          const float x1 = a[i], x2 = z[i], si = sign * s[i];
          a[i] = x1 * c[i] - x2 * si;
          z[i] = x2 * c[i] + x1 * si;
        }
      }
    }
  });
}

}  // namespace jl
