// Persistent thread pool behind jl::parallel_for.
//
// One job is in flight at a time. It is published through a single 64-bit
// atomic "ticket": the high 32 bits are a generation number that changes with
// every job, the low 32 bits count the tasks not yet handed out. A thread
// claims a task by a compare-and-swap that decrements the count while the
// generation still matches, and runs index count-1. Because the generation is
// part of the word, a worker that wakes up late can never claim a task of a
// newer job by mistake, and it reads the job's function only after a
// successful claim, when the job cannot have finished yet.
//
// Idle workers spin on the ticket for kSpinMicros (so back-to-back ops, the
// common case, start within a microsecond or so) and then sleep on a
// condition variable, so an idle process does not burn CPU. The caller wakes
// sleepers only when there are any, and always works on its own job, so it is
// never held up by a sleeping worker.
//
// Affinity (Linux): when the pool has more than one thread and the process may
// run on at least that many CPUs, each worker is pinned to a CPU of its own,
// and the caller to one that no worker has, but only for a burst of jobs.
// Without pinning, the scheduler of the VMs we run on keeps the caller and a
// worker on one vCPU for seconds at a time, and 2 threads run at 1-thread
// speed (measured: 512^3 GEMM at 100 GFLOP/s instead of 205, with cpu/wall =
// 1.0); pinning the workers alone leaves training 15% slower than pinning the
// caller too (B12 T64 tiny GPT: 36 against 31 ms per step at the 10th
// percentile). But the caller's CPU mask is the host's, and threads it starts
// inherit it, so it gets its mask back when the pool idles: a sleeping worker
// restores it after kUnpinAfter with no job. A training loop issues jobs
// microseconds apart and stays pinned throughout (unpinning at every 100 us
// gap lost most of the gain); a caller that stops using the pool is unpinned
// within kUnpinAfter. Set JIELONG_AFFINITY=0 to leave affinity alone.

#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace jl {
namespace {

constexpr int kMaxThreads = 64;
constexpr int kSpinMicros = 100;
constexpr int kWaitSpins = 2000;  // ~10-50 us of pause before a waiting caller yields
constexpr auto kUnpinAfter = std::chrono::milliseconds(20);  // idle time that gives the caller its mask back

using Fn = std::function<void(int)>;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

thread_local bool tl_in_task = false;

#if defined(__linux__)
// Pins a thread to one CPU; returns false if that failed.
bool pin_thread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}
#endif

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  int threads() const { return threads_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> user(user_mu_);
    stop_workers();
    start(threads);
  }

  // Returns false (doing nothing) when the pool is in use by another thread.
  bool run(int n, const Fn& fn) {
    std::unique_lock<std::mutex> user(user_mu_, std::try_to_lock);
    if (!user.owns_lock()) return false;
    pin_caller();

    fn_.store(&fn, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    const uint32_t gen = static_cast<uint32_t>(ticket_.load() >> 32) + 1;
    ticket_.store(uint64_t(gen) << 32 | uint32_t(n), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lock(sleep_mu_); }
      sleep_cv_.notify_all();
    }

    tl_in_task = true;
    work(gen);
    tl_in_task = false;
    for (int spins = 0; done_.load(std::memory_order_acquire) < n; ++spins) {
      if (spins < kWaitSpins) cpu_relax();
      else std::this_thread::yield();
    }

    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void start(int threads) {
    threads_ = threads;
    stop_.store(false);
    const std::vector<int> cpus = choose_cpus(threads);
    caller_cpu_ = cpus.empty() ? -1 : cpus[0];
    worker_cpus_.assign(cpus.begin() + (cpus.empty() ? 0 : 1), cpus.end());
    for (int i = 1; i < threads; ++i) {
      const int cpu = cpus.empty() ? -1 : cpus[i];
      workers_.emplace_back([this, cpu] { worker_loop(cpu); });
    }
  }

  void stop_workers() {
    stop_.store(true, std::memory_order_seq_cst);
    { std::lock_guard<std::mutex> lock(sleep_mu_); }
    sleep_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    unpin_caller();
  }

  // Returns one CPU per thread, the calling thread's current one first (the
  // caller's, the rest the workers'), or nothing when pinning is off or not
  // possible.
  std::vector<int> choose_cpus(int threads) {
    std::vector<int> cpus;
#if defined(__linux__)
    const char* env = std::getenv("JIELONG_AFFINITY");
    if (threads < 2 || (env && std::atoi(env) == 0)) return cpus;
    cpu_set_t allowed;
    if (pthread_getaffinity_np(pthread_self(), sizeof allowed, &allowed) != 0) return cpus;
    const int current = sched_getcpu();
    if (current >= 0 && CPU_ISSET(current, &allowed)) cpus.push_back(current);
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed) && c != current) cpus.push_back(c);
    if ((int)cpus.size() < threads) return {};
    cpus.resize(threads);
#endif
    return cpus;
  }

  // Pins the calling thread to a CPU no worker has, remembering its mask,
  // unless it is pinned already. Called with user_mu_ held.
  void pin_caller() {
#if defined(__linux__)
    if (caller_cpu_ < 0) return;
    const pthread_t self = pthread_self();
    if (caller_pinned_ && pthread_equal(caller_, self)) return;
    unpin_caller();
    if (pthread_getaffinity_np(self, sizeof caller_mask_, &caller_mask_) != 0) return;
    if (!CPU_ISSET(caller_cpu_, &caller_mask_)) return;
    int here = sched_getcpu();
    if (here < 0 || !CPU_ISSET(here, &caller_mask_) ||
        std::find(worker_cpus_.begin(), worker_cpus_.end(), here) != worker_cpus_.end())
      here = caller_cpu_;
    if (!pin_thread(self, here)) return;
    caller_ = self;
    caller_pinned_ = true;
#endif
  }

  // Gives the pinned caller its own mask back. Called with user_mu_ held.
  void unpin_caller() {
#if defined(__linux__)
    if (caller_pinned_) pthread_setaffinity_np(caller_, sizeof caller_mask_, &caller_mask_);
    caller_pinned_ = false;
#endif
  }

  // Unpins the caller unless a job is in flight (or being set up).
  void unpin_caller_if_idle() {
    std::unique_lock<std::mutex> user(user_mu_, std::try_to_lock);
    if (user.owns_lock()) unpin_caller();
  }

  // Claims and runs tasks of job `gen` until none are left.
  void work(uint32_t gen) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<uint32_t>(t >> 32) != gen || static_cast<uint32_t>(t) == 0) return;
      if (!ticket_.compare_exchange_weak(t, t - 1, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
        continue;
      const int index = static_cast<int>(static_cast<uint32_t>(t) - 1);
      try {
        (*fn_.load(std::memory_order_relaxed))(index);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_release);
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  void worker_loop(int cpu) {
#if defined(__linux__)
    if (cpu >= 0) pin_thread(pthread_self(), cpu);
#endif
    tl_in_task = true;
    uint32_t seen = static_cast<uint32_t>(ticket_.load() >> 32);
    for (;;) {
      // Spin for a while, then sleep until the generation changes.
      auto spin_start = std::chrono::steady_clock::now();
      for (int i = 0;; ++i) {
        if (stop_.load(std::memory_order_relaxed)) return;
        if (static_cast<uint32_t>(ticket_.load(std::memory_order_relaxed) >> 32) != seen) break;
        cpu_relax();
        if ((i & 255) == 255 && std::chrono::steady_clock::now() - spin_start >
                                    std::chrono::microseconds(kSpinMicros)) {
          std::unique_lock<std::mutex> lock(sleep_mu_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          const auto woken = [&] {
            return stop_.load() || static_cast<uint32_t>(ticket_.load() >> 32) != seen;
          };
          if (caller_pinned_.load() && !sleep_cv_.wait_for(lock, kUnpinAfter, woken)) {
            lock.unlock();
            unpin_caller_if_idle();  // busy: a job is being set up, and its end brings us back here
            lock.lock();
          }
          sleep_cv_.wait(lock, woken);
          sleepers_.fetch_sub(1, std::memory_order_relaxed);
          spin_start = std::chrono::steady_clock::now();
        }
      }
      seen = static_cast<uint32_t>(ticket_.load(std::memory_order_acquire) >> 32);
      work(seen);
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::vector<int> worker_cpus_;  // the CPUs the workers are pinned to (empty: none)
  int caller_cpu_ = -1;           // where a caller goes when it is on a worker's CPU (-1: no pinning)
#if defined(__linux__)
  pthread_t caller_{};  // these two are guarded by user_mu_
  cpu_set_t caller_mask_{};
#endif
  std::atomic<bool> caller_pinned_{false};  // written under user_mu_
  std::mutex user_mu_;  // held by the thread running a job (and by resize)

  std::atomic<uint64_t> ticket_{0};  // generation << 32 | tasks not handed out
  std::atomic<const Fn*> fn_{nullptr};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mu_;
  std::exception_ptr error_;

  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::atomic<int> sleepers_{0};

};

int default_threads() {
  int n = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("JIELONG_THREADS")) {
    const int v = std::atoi(env);
    if (v > 0) n = v;
  }
  return std::clamp(n, 1, kMaxThreads);
}

// Created on first use and deliberately never destroyed: joining threads from
// static destructors at process exit is fragile, and the OS reclaims them.
Pool& pool() {
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }

void set_num_threads(int n) {
  n = std::clamp(n, 1, kMaxThreads);
  if (n != pool().threads()) pool().resize(n);
}

void parallel_for(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (n == 1 || tl_in_task || pool().threads() == 1 || !pool().run(n, fn)) {
    for (int i = 0; i < n; ++i) fn(i);
  }
}

}  // namespace jl
