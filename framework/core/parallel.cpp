#include "framework/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace reglab::parallel {
namespace {

unsigned read_fp_state() {
#if defined(__x86_64__) || defined(__i386__)
  return _mm_getcsr();
#else
  return 0;
#endif
}

void write_fp_state(unsigned state) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(state);
#else
  (void)state;
#endif
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

thread_local bool tl_in_job = false;

/// How long an idle worker polls for the next job before it sleeps.
constexpr std::chrono::microseconds kPollTime{200};

/// N - 1 workers waiting for jobs. A job is a function of the thread's index (0 = caller).
/// Workers poll briefly after each job (the next product or loop usually follows within
/// microseconds), then sleep on a condition variable.
class Pool {
 public:
  // Stopping the workers only joins threads; std::terminate on a failed join is acceptable at
  // process exit.
  ~Pool() { resize(1); }  // NOLINT(bugprone-exception-escape)

  int size() const { return size_; }

  void resize(int threads) {
    if (threads < 1) throw std::invalid_argument("parallel: threads must be >= 1");
    if (threads == size_) return;
    stop_workers();
    size_ = threads;
    stopping_ = false;
    const std::uint64_t current = generation_.load();
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this, i, current] { loop(i, current); });
    }
  }

  void run(FunctionRef<void(int)> job) {
    if (size_ == 1 || tl_in_job) {
      for (int i = 0; i < size_; ++i) job(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      fp_state_ = read_fp_state();
      error_ = nullptr;
      pending_.store(size_ - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    execute(job, 0);
    while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void execute(FunctionRef<void(int)> job, int index) {
    tl_in_job = true;
    try {
      job(index);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    tl_in_job = false;
  }

  void loop(int index, std::uint64_t seen) {
    for (;;) {
      // Poll for about 200 microseconds (during training the next job follows within a few),
      // then sleep until woken.
      std::uint64_t gen = generation_.load(std::memory_order_acquire);
      if (gen == seen) {
        const auto deadline = std::chrono::steady_clock::now() + kPollTime;
        while (gen == seen && !stopping_.load(std::memory_order_relaxed)) {
          for (int i = 0; i < 64 && gen == seen; ++i) {
            cpu_relax();
            gen = generation_.load(std::memory_order_acquire);
          }
          if (std::chrono::steady_clock::now() > deadline) break;
        }
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return stopping_.load() || generation_.load(std::memory_order_acquire) != seen;
        });
        gen = generation_.load(std::memory_order_acquire);
      }
      if (stopping_.load()) return;
      seen = gen;
      const FunctionRef<void(int)>* job;
      unsigned state;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        job = job_;
        state = fp_state_;
      }
      write_fp_state(state);
      execute(*job, index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const FunctionRef<void(int)>* job_ = nullptr;
  unsigned fp_state_ = 0;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void set_threads(int threads) { pool().resize(threads); }

int threads() { return pool().size(); }

void for_range(std::size_t count, FunctionRef<void(std::size_t, std::size_t)> fn,
               std::size_t min_parallel) {
  const std::size_t t = static_cast<std::size_t>(pool().size());
  if (t == 1 || count < min_parallel || tl_in_job) {
    if (count > 0) fn(0, count);
    return;
  }
  const std::size_t chunk = ((count + t - 1) / t + 15) / 16 * 16;
  pool().run([&](int index) {
    const std::size_t begin = std::min(count, static_cast<std::size_t>(index) * chunk);
    const std::size_t end = std::min(count, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

void for_tasks(std::size_t count, FunctionRef<void(std::size_t)> task) {
  if (pool().size() == 1 || count < 2 || tl_in_job) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  pool().run([&](int /*index*/) {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) task(i);
  });
}

}  // namespace reglab::parallel
