/// Element-wise work on the run's threads.
///
/// A run with `threads: N` runs on this pool: a small persistent set of N - 1 workers plus the
/// calling thread. Matrix products are cut into blocks, one single-threaded OpenBLAS call each
/// (core/gemm.hpp), and the loops between them (activations, dropout, the optimizer update, bias
/// gradients) are split into chunks. OpenBLAS itself always runs single-threaded.
///
/// Reproducibility: every use in reglab splits work so that each output element is computed by
/// the same arithmetic in the same order whatever the split (element-wise loops, sums kept within
/// one column, one random stream per task), so results do not depend on the pool's size or on
/// scheduling. Workers copy the caller's floating-point control state (flush-to-zero,
/// denormals-are-zero, rounding) before each job. Calls from inside a job run inline. The pool
/// must be driven from one thread at a time (a run's training thread).
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace reglab::parallel {

template <class Signature>
class FunctionRef;

/// A non-owning reference to a callable (no allocation, unlike std::function): the training
/// step must not allocate. Valid only while the referenced callable lives.
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

/// Element-wise loops over fewer elements than this run on the calling thread: below it, waking
/// a worker costs more than it saves.
inline constexpr std::size_t kMinParallel = 32768;

/// Sets the number of threads products and element-wise loops use, the caller included (>= 1; 1
/// runs every loop inline). Starts or stops workers as needed.
void set_threads(int threads);
/// The current number of threads (1 until set_threads is called).
int threads();

/// Calls fn(begin, end) on contiguous, disjoint chunks covering [0, count), one chunk per thread
/// (the caller takes the first). Chunk boundaries are multiples of 16 elements. Loops shorter
/// than `min_parallel` elements run inline as fn(0, count). Rethrows the first exception a chunk
/// threw, after every chunk has finished.
void for_range(std::size_t count, FunctionRef<void(std::size_t, std::size_t)> fn,
               std::size_t min_parallel = kMinParallel);

/// Calls task(i) for every i in [0, count), each exactly once, spread over the threads in an
/// unspecified order (tasks must be independent). Rethrows the first exception after all
/// tasks finished.
void for_tasks(std::size_t count, FunctionRef<void(std::size_t)> task);

}  // namespace reglab::parallel
