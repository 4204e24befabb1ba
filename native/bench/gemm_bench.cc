// Build: g++ -O3 -march=native -std=c++17 -pthread -Inative/src native/bench/gemm_bench.cc native/src/gemm.cc native/src/parallel.cc -o /tmp/gemm_bench
//
// Correctness check of jl::sgemm / jl::sgemm_batched against a naive triple
// loop (relative RMS error), then GFLOP/s for the shapes the library cares
// about, for 1 and 2 threads and all four transpose combinations.
// Usage: gemm_bench [check|perf|all] (default all). Timings are best-of-N.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "gemm.h"
#include "parallel.h"

namespace {

std::mt19937 rng(42);

// Uniform in [-0.75, 1.25): mixed signs, but with a positive mean so that long
// dot products do not cancel to ~0 (which would make a relative error
// meaningless for 1x1 outputs).
std::vector<float> random_vec(size_t n) {
  std::uniform_real_distribution<float> d(-0.75f, 1.25f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Naive reference in double.
void ref_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, int lda,
              const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p) {
        const double a = ta ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
        const double b = tb ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
        s += a * b;
      }
      double r = alpha * s;
      if (beta != 0.0f) r += (double)beta * C[(size_t)i * ldc + j];
      C[(size_t)i * ldc + j] = (float)r;
    }
}

double rel_rms(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = (double)got[i] - want[i];
    num += d * d;
    den += (double)want[i] * want[i];
  }
  if (!std::isfinite(num)) return INFINITY;
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

int failures = 0, checks = 0;
double worst = 0;

// One check: random operands with padded leading dimensions; C is filled with
// NaN when beta == 0 to prove it is treated as write-only.
void check_one(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int batch = 1,
               bool bcastA = false, bool bcastB = false) {
  const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
  const long sizeA = (long)(ta ? k : m) * lda, sizeB = (long)(tb ? n : k) * ldb,
             sizeC = (long)m * ldc;
  const long sA = bcastA ? 0 : sizeA, sB = bcastB ? 0 : sizeB;
  // Allocate exactly up to the last element of the last matrix, so that
  // AddressSanitizer builds catch any read past it.
  auto extent = [&](long stride, long rows, long ld, long cols) {
    return std::max(1L, stride * (batch - 1) + (rows ? (rows - 1) * ld + cols : 0));
  };
  auto A = random_vec(extent(sA, ta ? k : m, lda, ta ? m : k));
  auto B = random_vec(extent(sB, tb ? n : k, ldb, tb ? k : n));
  auto C = random_vec(extent(sizeC, m, ldc, n));
  if (beta == 0.0f) std::fill(C.begin(), C.end(), NAN);
  auto R = C;
  for (int b = 0; b < batch; ++b)
    ref_gemm(ta, tb, m, n, k, alpha, A.data() + b * sA, lda, B.data() + b * sB, ldb, beta,
             R.data() + b * sizeC, ldc);
  if (batch == 1 && !bcastA && !bcastB)
    jl::sgemm(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  else
    jl::sgemm_batched(batch, ta, tb, m, n, k, alpha, A.data(), lda, sA, B.data(), ldb, sB,
                      beta, C.data(), ldc, sizeC);
  // Compare only the m x n parts (padding of C must be untouched: both keep it).
  std::vector<float> g, w;
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < ldc; ++j) {
        const size_t idx = b * sizeC + (size_t)i * ldc + j;
        if (idx >= C.size()) break;
        if (j >= n) {
          const bool same = (std::isnan(C[idx]) && std::isnan(R[idx])) || C[idx] == R[idx];
          if (!same) w.push_back(INFINITY), g.push_back(0);  // padding was written
          continue;
        }
        g.push_back(C[idx]);
        w.push_back(R[idx]);
      }
  const double e = rel_rms(g, w);
  ++checks;
  worst = std::max(worst, e);
  if (!(e < 1e-5)) {
    ++failures;
    std::printf("FAIL ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g batch=%d bcast=%d%d err=%g\n",
                ta, tb, m, n, k, alpha, beta, batch, bcastA, bcastB, e);
  }
}

void run_checks() {
  const int sizes[] = {1, 7, 63, 100, 257, 1000};
  for (int threads : {1, 2}) {
    jl::set_num_threads(threads);
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int m : sizes)
          for (int n : sizes)
            for (int k : sizes) {
              if ((double)m * n * k > 3e7) continue;  // keep the naive reference affordable
              check_one(ta, tb, m, n, k, 1.0f, 0.0f);
            }
    // alpha / beta variants and edge shapes.
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        for (float beta : {0.0f, 1.0f, -0.5f}) {
          check_one(ta, tb, 37, 45, 300, 0.75f, beta);
          check_one(ta, tb, 300, 200, 33, -2.0f, beta);
          check_one(ta, tb, 3, 500, 129, 1.5f, beta);
          check_one(ta, tb, 1, 300, 1000, 1.0f, beta);
        }
        check_one(ta, tb, 50, 60, 0, 1.0f, 0.0f);
        check_one(ta, tb, 50, 60, 0, 1.0f, 0.5f);
        check_one(ta, tb, 50, 60, 10, 0.0f, 2.0f);
        check_one(ta, tb, 0, 60, 10, 1.0f, 0.0f);
        check_one(ta, tb, 60, 0, 10, 1.0f, 0.0f);
        // Around the small-m / small-n paths (m or n <= 16) and tile edges.
        for (int m : {1, 2, 3, 4, 5, 8, 9, 12, 16, 17, 24})
          for (int n : {1, 2, 15, 16, 17, 130, 600})
            for (int k : {1, 31, 200}) check_one(ta, tb, m, n, k, 1.0f, 0.5f);
        // Batched, with and without broadcast operands.
        check_one(ta, tb, 33, 17, 9, 1.0f, 0.0f, 5);
        check_one(ta, tb, 128, 32, 128, 0.5f, 1.0f, 6, true, false);
        check_one(ta, tb, 20, 70, 40, 1.0f, 0.0f, 7, false, true);
        check_one(ta, tb, 1, 64, 100, 1.0f, 0.0f, 3, false, true);
        check_one(ta, tb, 300, 300, 300, 1.0f, 0.0f, 3);
      }
  }
  std::printf("correctness: %d/%d checks passed, worst relative RMS error %.3g\n",
              checks - failures, checks, worst);
}

// ---------------------------------------------------------------------------

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Best-of-N GFLOP/s. The machine is a shared VM whose speed swings from one
// moment to the next (other guests), so time many short rounds (>= 0.2 ms of
// calls each, at least 25 rounds and 0.5 s in all) and keep the fastest.
double bench(int batch, bool ta, bool tb, int m, int n, int k) {
  const int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
  auto A = random_vec((size_t)m * k * batch), B = random_vec((size_t)k * n * batch);
  std::vector<float> C((size_t)m * n * batch);
  auto call = [&] {
    if (batch == 1)
      jl::sgemm(ta, tb, m, n, k, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), ldc);
    else
      jl::sgemm_batched(batch, ta, tb, m, n, k, 1.0f, A.data(), lda, (long)m * k, B.data(), ldb,
                        (long)k * n, 0.0f, C.data(), ldc, (long)m * n);
  };
  call();
  double best = 1e30;
  const double start = now();
  for (int round = 0; round < 25 || now() - start < 0.5; ++round) {
    int it = 0;
    const double t0 = now();
    double t;
    do {
      call();
      ++it;
      t = now() - t0;
    } while (t < 2e-4);
    best = std::min(best, t / it);
  }
  return 2.0 * m * n * k * batch / best / 1e9;
}

struct Shape {
  int batch, m, k, n;
};

void run_perf() {
  const Shape shapes[] = {
      {1, 512, 512, 512},   {1, 1024, 1024, 1024}, {1, 4096, 256, 1024}, {1, 2048, 128, 384},
      {1, 2048, 512, 128},  {64, 128, 32, 128},    {64, 128, 128, 32},   {1, 1, 128, 128},
      {1, 1, 512, 512},     {1, 1, 1024, 1024},    {1, 1, 768, 3072},    {1, 16, 1024, 1024},
  };
  std::printf("%-22s %3s %8s %8s %8s %8s   (GFLOP/s, best round)\n", "batch x m x k x n", "thr",
              "NN", "TN", "NT", "TT");
  for (const Shape& s : shapes)
    for (int threads : {1, 2}) {
      jl::set_num_threads(threads);
      char name[64];
      std::snprintf(name, sizeof name, "%d x %dx%dx%d", s.batch, s.m, s.k, s.n);
      std::printf("%-22s %3d", name, threads);
      for (int t = 0; t < 4; ++t)
        std::printf(" %8.1f", bench(s.batch, t & 1, t >> 1, s.m, s.n, s.k));
      std::printf("\n");
      std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "all";
  if (!std::strcmp(mode, "check") || !std::strcmp(mode, "all")) run_checks();
  if (!std::strcmp(mode, "perf") || !std::strcmp(mode, "all")) run_perf();
  return failures ? 1 : 0;
}
