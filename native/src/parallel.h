// Tiny persistent thread pool used by the native kernels.
//
// Workers spin for ~100 us after a job, then sleep on a condition variable.
// On Linux each worker is pinned to a CPU of its own when there are enough,
// and the caller to another one while it keeps the pool busy; its own CPU
// mask comes back once the pool idles (see parallel.cc for why). Set
// JIELONG_AFFINITY=0 to turn that off.

#pragma once

#include <functional>

namespace jl {

// Number of threads parallel_for spreads work over (the caller included).
// Default: std::thread::hardware_concurrency(), overridable by the environment
// variable JIELONG_THREADS, read at first use.
int num_threads();

// Sets the thread count (clamped to 1..64). Must not be called while a
// parallel_for is running.
void set_num_threads(int n);

// Runs fn(i) for every i in [0, n), spread over the pool; the calling thread
// takes part, and the call returns when all n calls have finished. Indices are
// handed out dynamically, so tasks may be uneven. Runs inline, with no
// synchronisation at all, when n == 1, when num_threads() == 1, when called
// from inside a task (no nested parallelism) or while another thread is using
// the pool.
void parallel_for(int n, const std::function<void(int)>& fn);

}  // namespace jl
