// The machine's fp32 peak, measured by the native probe (native/src/peak.cc): one task of independent
// vector FMAs per thread. The benches run on shared VMs whose processor changes between sessions, so a
// GEMM figure means most as a share of this, measured beside it.
import { getNumThreads, nativeAddon, setNumThreads } from './native.js';

const ROUNDS = 200_000; // 2 * 16 * 12 * 200k = 77 MFLOP per task: ~1 ms, short enough to find a quiet moment
const FLOPS_PER_ROUND = 2 * 16 * 12;

/**
 * Best GFLOP/s of the FMA probe on `threads` threads over `windows` tries, or null without the native
 * addon. The thread count in effect before the call is restored.
 */
export function measurePeak(threads: number, windows = 20): number | null {
  const probe = nativeAddon()?.fmaPeak as
    | ((out: Float32Array, tasks: number, rounds: number) => void)
    | undefined;
  if (!probe) return null;
  const before = getNumThreads();
  setNumThreads(threads);
  try {
    const out = new Float32Array(threads);
    probe(out, threads, ROUNDS); // wakes the workers
    let best = 0;
    for (let w = 0; w < windows; w++) {
      const start = performance.now();
      probe(out, threads, ROUNDS);
      const seconds = (performance.now() - start) / 1000;
      best = Math.max(best, (threads * ROUNDS * FLOPS_PER_ROUND) / seconds / 1e9);
    }
    return best;
  } finally {
    setNumThreads(before);
  }
}
