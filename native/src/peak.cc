// The machine's fp32 FMA peak, measured rather than looked up (the benches run on shared VMs whose
// processor changes from one day to the next): each task runs rounds of 12 independent 16-wide FMAs,
// enough in flight to cover the FMA latency on the x86 cores we have seen, and the pool runs one task
// per thread. GEMM figures are then read as a share of what the cores can do at all.
#include "generated/kernels.h"
#include "parallel.h"

namespace {

typedef float vec16 __attribute__((vector_size(64)));
constexpr int kChains = 12;

float fma_rounds(long rounds) {
  vec16 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = vec16{} + 0.001f * static_cast<float>(j);
  const vec16 scale = vec16{} + 0.999f, shift = vec16{} + 0.001f;  // stays near 1: no overflow, no denormals
  for (long r = 0; r < rounds; ++r) {
    for (int j = 0; j < kChains; ++j) acc[j] = acc[j] * scale + shift;
  }
  float sum = 0;
  for (int j = 0; j < kChains; ++j)
    for (int l = 0; l < 16; ++l) sum += acc[j][l];
  return sum;
}

}  // namespace

void jl::fma_peak(float* out, int tasks, long rounds) {
  jl::parallel_for(tasks, [&](int t) { out[t] = fma_rounds(rounds); });
}
