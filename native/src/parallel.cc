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
// run on at least that many CPUs, each worker is pinned to its own CPU, none
// of them the CPU the pool's creator was on. Without pinning, the scheduler of
// the VMs we run on keeps the caller and the worker on one vCPU for seconds at
// a time, and 2 threads run at 1-thread speed (measured: 512^3 GEMM at 100
// GFLOP/s instead of 205, with cpu/wall = 1.0). The caller itself is never
// pinned: its CPU mask is the host's (threads it creates later inherit it).
// Instead, a job that finds the caller on a worker's CPU first nudges it off:
// the caller's mask is narrowed to exclude that CPU, which moves it at once,
// and restored straight after, which leaves it where it now is. And a caller
// waiting for a worker yields after a short spin, so the two never spin
// against each other on one CPU. Set JIELONG_AFFINITY=0 to leave affinity
// alone.

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

using Fn = std::function<void(int)>;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

thread_local bool tl_in_task = false;

#if defined(__linux__)
// Pins the calling thread to one CPU; returns false if that failed.
bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
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
    leave_worker_cpus();

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
  }

  // Returns one CPU per thread, the calling thread's current one first, or
  // nothing when pinning is off or not possible. Only the workers are pinned:
  // the caller's affinity belongs to the caller (and to every thread it
  // creates later, which inherits it).
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
#endif
    return cpus;
  }

  // Moves the calling thread off the workers' CPUs if it is on one, leaving
  // its CPU mask as it was (see the note at the top).
  void leave_worker_cpus() {
#if defined(__linux__)
    if (worker_cpus_.empty()) return;
    const int here = sched_getcpu();
    if (std::find(worker_cpus_.begin(), worker_cpus_.end(), here) == worker_cpus_.end()) return;
    cpu_set_t mask, elsewhere;
    if (pthread_getaffinity_np(pthread_self(), sizeof mask, &mask) != 0) return;
    elsewhere = mask;
    for (int c : worker_cpus_) CPU_CLR(c, &elsewhere);
    if (CPU_COUNT(&elsewhere) == 0) return;
    if (pthread_setaffinity_np(pthread_self(), sizeof elsewhere, &elsewhere) == 0)
      pthread_setaffinity_np(pthread_self(), sizeof mask, &mask);
#endif
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
    if (cpu >= 0) pin_to(cpu);
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
          sleep_cv_.wait(lock, [&] {
            return stop_.load() || static_cast<uint32_t>(ticket_.load() >> 32) != seen;
          });
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
