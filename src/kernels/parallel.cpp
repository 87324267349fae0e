// Persistent thread pool behind ParallelFor.
//
// One job at a time: the caller publishes (fn, num_tasks) under `mutex_`, bumps
// `generation_` and resets `claim_`, which holds (generation << 32 | next task index).
// Workers that see a new generation take a snapshot of the job under the same mutex,
// then claim task indices with a compare-and-swap on `claim_` that succeeds only while
// the claim word still carries their snapshot's generation. A worker that wakes up late
// (its job already finished, maybe the next one already published) therefore claims
// nothing and goes back to waiting; the caller never waits for such a worker, which
// matters on busy machines where a preempted worker may not run again for milliseconds.
// A claimed task always belongs to the current job, whose `fn` stays alive until the
// caller has seen all its tasks done.
//
// Workers spin for a short while (kWorkerSpin, tens of microseconds) before
// sleeping on a condition variable, so back-to-back parallel sections (a layer after a
// layer) do not pay a futex wake-up each, while an idle pool does not burn the shared
// cores.
#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fixar::kern {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spin budgets, in time rather than pause counts: one `pause` costs ~10 cycles on older
// x86 cores but ~140 on Skylake-SP and later, where the former 20 000-pause spin lasted
// about a millisecond after every parallel section. On the shared 2-core machine a
// spinning worker takes the core from the caller's serial work (perf: ~24 % of samples).
constexpr auto kWorkerSpin = std::chrono::microseconds(30);  // then sleep on the condition
constexpr auto kCallerSpin = std::chrono::microseconds(10);  // then yield between checks
constexpr int kPausesPerClockCheck = 16;

// Calls done() between pauses until it returns true or `budget` has passed; returns done().
template <typename Done>
bool SpinFor(std::chrono::steady_clock::duration budget, const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < kPausesPerClockCheck; ++i) {
      if (done()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

thread_local bool t_inside_parallel_for = false;  // nested calls run serially

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads) {
    for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Caller holds the pool's call lock (one job at a time).
  void Run(int num_tasks, const std::function<void(int)>& fn) {
    std::uint32_t gen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      num_tasks_ = num_tasks;
      done_tasks_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      gen = static_cast<std::uint32_t>(generation_.load(std::memory_order_relaxed) + 1);
      claim_.store(static_cast<std::uint64_t>(gen) << 32, std::memory_order_release);
      generation_.fetch_add(1, std::memory_order_release);
      if (sleeping_ > 0) wake_.notify_all();
    }
    RunTasks(gen, fn, num_tasks);
    // Every task is claimed; wait for the ones still running on workers. Spin briefly
    // (the usual case: a worker finishing its last task), then yield the core: on the
    // shared machine a worker that is still busy has usually been preempted, and spinning
    // would keep it (or the process that preempted it) off this core.
    auto all_done = [&] { return done_tasks_.load(std::memory_order_acquire) == num_tasks; };
    if (!SpinFor(kCallerSpin, all_done))
      while (!all_done()) std::this_thread::yield();
    std::exception_ptr error;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error = error_;
      fn_ = nullptr;
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  // Claims and runs tasks of job `gen` until none is left (or the job is no longer current).
  void RunTasks(std::uint32_t gen, const std::function<void(int)>& fn, int num_tasks) {
    std::uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<std::uint32_t>(c >> 32) != gen) return;
      const auto t = static_cast<std::uint32_t>(c);
      if (t >= static_cast<std::uint32_t>(num_tasks)) return;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        fn(static_cast<int>(t));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      done_tasks_.fetch_add(1, std::memory_order_acq_rel);
      c = claim_.load(std::memory_order_acquire);
    }
  }

  void WorkerLoop() {
    t_inside_parallel_for = true;
    std::uint64_t seen = 0;
    for (;;) {
      // Spin, then sleep, until a new generation appears.
      SpinFor(kWorkerSpin, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      const std::function<void(int)>* fn = nullptr;
      int num_tasks = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (generation_.load(std::memory_order_acquire) == seen) {
          ++sleeping_;
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
          --sleeping_;
        }
        seen = generation_.load(std::memory_order_acquire);
        if (stop_) return;
        fn = fn_;
        num_tasks = num_tasks_;
      }
      if (fn != nullptr) RunTasks(static_cast<std::uint32_t>(seen), *fn, num_tasks);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int sleeping_ = 0;   // guarded by mutex_
  bool stop_ = false;  // guarded by mutex_
  const std::function<void(int)>* fn_ = nullptr;  // guarded by mutex_
  int num_tasks_ = 0;                             // guarded by mutex_
  std::exception_ptr error_;                      // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> claim_{0};  // (generation << 32) | next task index
  std::atomic<int> done_tasks_{0};
};

int ThreadsFromEnvironment() {
  const char* env = std::getenv("FIXAR_THREADS");
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 1 || n > 256) {
      throw std::invalid_argument(std::string("FIXAR_THREADS='") + env +
                                  "' is not a thread count; valid: an integer in 1..256");
    }
    return static_cast<int>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 256u));
}

std::mutex g_pool_mutex;  // guards g_pool; held while a job runs
std::unique_ptr<ThreadPool> g_pool;
// Read without the pool lock: a task on the calling thread may ask NumThreads().
std::atomic<int> g_num_threads{0};  // 0: not yet read from the environment
std::mutex g_init_mutex;

int CurrentNumThreads() {
  int n = g_num_threads.load(std::memory_order_acquire);
  if (n != 0) return n;
  std::lock_guard<std::mutex> lock(g_init_mutex);
  n = g_num_threads.load(std::memory_order_acquire);
  if (n == 0) {
    n = ThreadsFromEnvironment();
    g_num_threads.store(n, std::memory_order_release);
  }
  return n;
}

}  // namespace

int NumThreads() { return CurrentNumThreads(); }

void SetNumThreads(int n) {
  if (n < 1 || n > 256) {
    throw std::invalid_argument("kern::SetNumThreads: " + std::to_string(n) +
                                " threads requested; valid: 1..256");
  }
  std::lock_guard<std::mutex> init_lock(g_init_mutex);
  g_num_threads.store(n, std::memory_order_release);  // the next ParallelFor resizes the pool
}

void ParallelFor(int num_tasks, const std::function<void(int task)>& fn) {
  if (num_tasks <= 0) return;
  auto run_serially = [&] {
    for (int t = 0; t < num_tasks; ++t) fn(t);
  };
  if (num_tasks == 1 || t_inside_parallel_for) return run_serially();
  // Another application thread already runs a job: do this one on the calling thread.
  std::unique_lock<std::mutex> lock(g_pool_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return run_serially();
  const int threads = CurrentNumThreads();
  if (threads == 1) {
    lock.unlock();
    return run_serially();
  }
  if (!g_pool || g_pool->num_threads() != threads) g_pool = std::make_unique<ThreadPool>(threads);
  t_inside_parallel_for = true;
  try {
    g_pool->Run(num_tasks, fn);
  } catch (...) {
    t_inside_parallel_for = false;
    throw;
  }
  t_inside_parallel_for = false;
}

Range BlockRange(int n, int parts, int part, int align) {
  if (parts < 1 || part < 0 || part >= parts || align < 1 || n < 0) {
    throw std::invalid_argument("kern::BlockRange: invalid arguments n=" + std::to_string(n) +
                                " parts=" + std::to_string(parts) + " part=" +
                                std::to_string(part) + " align=" + std::to_string(align) +
                                " (need n >= 0, parts >= 1, 0 <= part < parts, align >= 1)");
  }
  const long units = (static_cast<long>(n) + align - 1) / align;
  const long base = units / parts, extra = units % parts;
  const long begin_unit = part * base + std::min<long>(part, extra);
  const long end_unit = begin_unit + base + (part < extra ? 1 : 0);
  const long begin = std::min<long>(n, begin_unit * align);
  const long end = std::min<long>(n, end_unit * align);
  return {static_cast<int>(begin), static_cast<int>(end)};
}

}  // namespace fixar::kern
