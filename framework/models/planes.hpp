/// Loops over the (sample, channel) planes of an NCHW batch on the run's threads.
///
/// The spatial layers (conv2d's im2col and col2im, pooling, maxout) treat each plane of one
/// sample's channel as an independent task: a task writes only its own outputs and sums in its
/// own fixed order, so results do not depend on how the pool splits the planes.
#pragma once

#include <cstddef>

#include "framework/core/parallel.hpp"

namespace reglab::models {

/// Calls fn(s, c) once for every sample s < n and channel c < channels, in chunks on the run's
/// threads. `work` is the number of values one call touches, so that small batches stay on the
/// calling thread (parallel::kMinParallel).
template <class Fn>
void for_planes(std::size_t n, std::size_t channels, std::size_t work, const Fn& fn) {
  parallel::for_range(
      n * channels,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t t = begin; t < end; ++t) fn(t / channels, t % channels);
      },
      parallel::kMinParallel / (work + 1) + 1);
}

}  // namespace reglab::models
