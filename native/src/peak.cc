// The machine's fp32 FMA peak, measured rather than looked up (the benches run on shared VMs whose
// processor changes from one day to the next): each task runs rounds of 12 independent 16-wide FMAs,
// enough in flight to cover the FMA latency on the x86 cores we have seen, and the pool runs one task
// per thread. GEMM figures are then read as a share of what the cores can do at all.
#include "napi_args.h"
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

// fmaPeak(out, tasks, rounds): out[t] gets task t's checksum; 2 * 16 * 12 * rounds flops per task.
void fma_peak(const jl::Args& a) {
  const long tasks = a.integer(1), rounds = a.integer(2);
  if (tasks < 1 || tasks > 64) a.fail("tasks must be in 1..64");
  float* out = a.f32(0, static_cast<size_t>(tasks));
  jl::parallel_for(static_cast<int>(tasks), [&](int t) { out[t] = fma_rounds(rounds); });
}

}  // namespace

JL_EXPORT("fmaPeak", fma_peak);
