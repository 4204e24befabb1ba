// A sparse autoencoder's code kernels (the js oracle and the math: src/lens/sae/kernels.ts). A code is,
// per row, k feature indices and their values; w is a dictionary [features, dim].
//
// topkSelect keeps a min-heap of the k best per row, so most entries cost one comparison against its
// root. sparseDecode and its gradient go row by row (tasks own rows; the dictionary's gradient is summed
// per task in a buffer of its own and added up at the end, so no row of gW is written by two threads).
// sparseOuter is a transposed scatter: tasks own blocks of features, and each walks the code for them.
#include <algorithm>
#include <cstring>
#include <vector>

#include "generated/kernels.h"
#include "parallel.h"

namespace jl {
namespace {

// a ranks before b: larger, or equal with the lower index.
inline bool before(const float* row, int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); }

// Heap of the k best so far in heap[0..k), the worst at the root; candidates arrive in index order, so an
// equal value never displaces the root. pool is null for every column 0..n.
void select_row(const float* row, const int* pool, int n, int k, int* heap, int* out) {
  // With "ranks before" as the order, a std heap keeps the worst kept at its front.
  auto better = [row](int a, int b) { return before(row, a, b); };
  for (int i = 0; i < k; i++) heap[i] = pool ? pool[i] : i;
  std::make_heap(heap, heap + k, better);
  float floor = row[heap[0]];
  for (int i = k; i < n; i++) {
    const int c = pool ? pool[i] : i;
    if (row[c] > floor) {
      std::pop_heap(heap, heap + k, better);
      heap[k - 1] = c;
      std::push_heap(heap, heap + k, better);
      floor = row[heap[0]];
    }
  }
  std::sort(heap, heap + k, better);
  std::copy(heap, heap + k, out);
}

constexpr int kRows = 16;

}  // namespace

void sae::topk_select(const float* x, const float* allowed, int32_t* indices, int rows, int k, int features) {
  std::vector<int> pool;
  if (allowed)
    for (int f = 0; f < features; f++)
      if (allowed[f] != 0.0f) pool.push_back(f);
  const int n = allowed ? static_cast<int>(pool.size()) : features;
  if (n < k) {  // the caller checks this; never read past the pool
    std::fill(indices, indices + static_cast<long>(rows) * k, 0);
    return;
  }
  parallel_for((rows + kRows - 1) / kRows, [&](int task) {
    std::vector<int> heap(k);
    for (int r = task * kRows; r < std::min(rows, (task + 1) * kRows); r++) {
      select_row(x + static_cast<long>(r) * features, allowed ? pool.data() : nullptr, n, k, heap.data(),
                 indices + static_cast<long>(r) * k);
    }
  });
}

void sae::sparse_decode(const float* values, const int32_t* indices, const float* w, const float* bias, float* out,
                        int rows, int k, int features, int dim) {
  (void)features;
  parallel_for((rows + kRows - 1) / kRows, [&](int task) {
    for (int r = task * kRows; r < std::min(rows, (task + 1) * kRows); r++) {
      float* o = out + static_cast<long>(r) * dim;
      if (bias) {
        std::copy(bias, bias + dim, o);
      } else {
        std::fill(o, o + dim, 0.0f);
      }
      for (int i = 0; i < k; i++) {
        const float a = values[static_cast<long>(r) * k + i];
        const float* wi = w + static_cast<long>(indices[static_cast<long>(r) * k + i]) * dim;
#pragma omp simd
        for (int c = 0; c < dim; c++) o[c] += a * wi[c];
      }
    }
  });
}

void sae::sparse_decode_grad(const float* values, const int32_t* indices, const float* w, const float* gOut,
                             float* gValues, float* gW, int rows, int k, int features, int dim) {
  const long size = static_cast<long>(features) * dim;
  const int tasks = std::max(1, std::min(num_threads(), (rows + kRows - 1) / kRows));
  std::vector<std::vector<float>> partial(tasks - 1, std::vector<float>());
  parallel_for(tasks, [&](int task) {
    float* gw = gW;
    if (task > 0) {
      partial[task - 1].assign(size, 0.0f);
      gw = partial[task - 1].data();
    } else {
      std::fill(gW, gW + size, 0.0f);
    }
    const int r0 = static_cast<int>(static_cast<long>(rows) * task / tasks);
    const int r1 = static_cast<int>(static_cast<long>(rows) * (task + 1) / tasks);
    for (int r = r0; r < r1; r++) {
      const float* g = gOut + static_cast<long>(r) * dim;
      for (int i = 0; i < k; i++) {
        const long at = static_cast<long>(r) * k + i;
        const long base = static_cast<long>(indices[at]) * dim;
        const float a = values[at];
        const float* wi = w + base;
        float* gwi = gw + base;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int c = 0; c < dim; c++) {
          dot += g[c] * wi[c];
          gwi[c] += a * g[c];
        }
        gValues[at] = dot;
      }
    }
  });
  for (const auto& p : partial)
    for (long i = 0; i < size; i++) gW[i] += p[i];
}

void sae::sparse_outer(const float* g, const int32_t* indices, const float* x, float* out, int rows, int k,
                       int features, int dim) {
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(features) * dim);
  // Entries grouped by feature (a counting sort), so each task owns whole rows of out.
  std::vector<int> start(features + 1, 0);
  const long n = static_cast<long>(rows) * k;
  for (long e = 0; e < n; e++) start[indices[e] + 1]++;
  for (int f = 0; f < features; f++) start[f + 1] += start[f];
  std::vector<long> order(n);
  std::vector<int> fill(start.begin(), start.end() - 1);
  for (long e = 0; e < n; e++) order[fill[indices[e]]++] = e;
  constexpr int kFeatures = 64;
  parallel_for((features + kFeatures - 1) / kFeatures, [&](int task) {
    for (int f = task * kFeatures; f < std::min(features, (task + 1) * kFeatures); f++) {
      float* o = out + static_cast<long>(f) * dim;
      for (int e = start[f]; e < start[f + 1]; e++) {
        const long at = order[e];
        const float a = g[at];
        if (a == 0.0f) continue;
        const float* xr = x + (at / k) * dim;
#pragma omp simd
        for (int c = 0; c < dim; c++) o[c] += a * xr[c];
      }
    }
  });
}

}  // namespace jl
