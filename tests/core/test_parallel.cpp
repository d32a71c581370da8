// Tests of framework/core/parallel.hpp: coverage of ranges and tasks, exceptions, the
// floating-point state workers run with, resizing, and nested calls.
#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "framework/core/blas.hpp"
#include "framework/core/parallel.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace parallel = reglab::parallel;

namespace {

/// Restores one thread on scope exit, so a failing check cannot leak workers into other tests.
struct PoolSize {
  explicit PoolSize(int n) { parallel::set_threads(n); }
  ~PoolSize() { parallel::set_threads(1); }
};

}  // namespace

TEST_CASE("for_range covers every index exactly once, in 16-aligned chunks, at 1 to 3 threads") {
  for (int t = 1; t <= 3; ++t) {
    PoolSize pool(t);
    CHECK(parallel::threads() == t);
    for (std::size_t count : {0u, 1u, 15u, 16u, 17u, 1000u, 40000u, 100003u}) {
      std::vector<int> hits(count, 0);
      std::mutex mutex;
      std::vector<std::pair<std::size_t, std::size_t>> chunks;
      std::set<std::thread::id> ids;
      parallel::for_range(
          count,
          [&](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) ++hits[i];
            std::lock_guard<std::mutex> lock(mutex);
            chunks.emplace_back(b, e);
            ids.insert(std::this_thread::get_id());
          },
          1000);
      for (std::size_t i = 0; i < count; ++i) REQUIRE(hits[i] == 1);
      for (const auto& [b, e] : chunks) {
        CHECK(b < e);
        if (e != count) CHECK(e % 16 == 0);
      }
      if (count >= 1000 && t > 1) {
        CHECK(chunks.size() == static_cast<std::size_t>(t));
        CHECK(ids.size() == static_cast<std::size_t>(t));  // really on t threads
      } else {
        CHECK(chunks.size() == (count == 0 ? 0u : 1u));
      }
    }
  }
}

TEST_CASE("for_tasks runs every task once and spreads them over the threads") {
  PoolSize pool(2);
  std::vector<std::atomic<int>> runs(64);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  parallel::for_tasks(runs.size(), [&](std::size_t i) {
    ++runs[i];
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard<std::mutex> lock(mutex);
    ids.insert(std::this_thread::get_id());
  });
  for (const auto& r : runs) CHECK(r.load() == 1);
  CHECK(ids.size() == 2);
}

TEST_CASE("an exception in a chunk reaches the caller after every chunk finished") {
  PoolSize pool(2);
  std::atomic<int> finished{0};
  CHECK_THROWS_WITH_AS(parallel::for_range(
                           100000,
                           [&](std::size_t b, std::size_t) {
                             if (b > 0) throw std::runtime_error("chunk failed");
                             std::this_thread::sleep_for(std::chrono::milliseconds(5));
                             ++finished;
                           },
                           1),
                       "chunk failed", std::runtime_error);
  CHECK(finished.load() == 1);
  // The pool still works afterwards.
  std::atomic<std::size_t> sum{0};
  parallel::for_range(
      100000, [&](std::size_t b, std::size_t e) { sum += e - b; }, 1);
  CHECK(sum.load() == 100000);
  CHECK_THROWS_AS(parallel::for_tasks(8,
                                      [](std::size_t i) {
                                        if (i == 5) throw std::logic_error("task 5");
                                      }),
                  std::logic_error);
}

TEST_CASE("workers compute with the caller's flush-to-zero setting") {
  PoolSize pool(2);
  // 1e-39 is subnormal in float: with flush-to-zero / denormals-are-zero, x * 0.5 is 0.
  volatile float tiny = 1e-39f;
  for (bool ftz : {true, false}) {
    reglab::set_flush_denormals(ftz);
    std::vector<float> out(2, -1.0f);
    parallel::for_range(
        32, [&](std::size_t b, std::size_t) { out[b / 16] = tiny * 0.5f; }, 1);
#if defined(__x86_64__) || defined(__i386__)
    CHECK((out[0] == 0.0f) == ftz);
    CHECK((out[1] == 0.0f) == ftz);  // the worker's chunk
#endif
  }
  reglab::set_flush_denormals(false);
}

TEST_CASE("nested calls run inline and resizing keeps the pool usable") {
  PoolSize pool(2);
  std::atomic<std::size_t> inner{0};
  parallel::for_range(
      64,
      [&](std::size_t, std::size_t) {
        parallel::for_range(
            100, [&](std::size_t b, std::size_t e) { inner += e - b; }, 1);
      },
      1);
  CHECK(inner.load() == 200);
  parallel::set_threads(3);
  parallel::set_threads(2);
  parallel::set_threads(2);
  std::atomic<std::size_t> sum{0};
  parallel::for_range(
      5000, [&](std::size_t b, std::size_t e) { sum += e - b; }, 1);
  CHECK(sum.load() == 5000);
  CHECK_THROWS_AS(parallel::set_threads(0), std::invalid_argument);
}
