/// Finite-difference gradient checking for tests.
///
/// `check_gradient` perturbs entries of a float buffer by +-h, evaluates a scalar loss, and
/// compares the central difference (f(x+h) - f(x-h)) / 2h with the analytic gradient. Losses are
/// accumulated in double but the layers compute in float32, so h is large-ish (1e-2 by default)
/// and the test passes when |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>

namespace reglab::testing {

struct GradCheckResult {
  std::size_t checked = 0;
  std::size_t failed = 0;
  double worst_abs_error = 0.0;
};

/// Checks `analytic[i]` against central differences of `loss` w.r.t. `x[i]` for every i in
/// [0, count) (stride `stride` to subsample large buffers). `loss` must read `x` afresh each call.
inline GradCheckResult check_gradient(float* x, const float* analytic, std::size_t count,
                                      const std::function<double()>& loss, double h = 1e-2,
                                      double rtol = 2e-2, double atol = 1e-4,
                                      std::size_t stride = 1) {
  GradCheckResult r;
  for (std::size_t i = 0; i < count; i += stride) {
    const float saved = x[i];
    x[i] = static_cast<float>(saved + h);
    const double up = loss();
    x[i] = static_cast<float>(saved - h);
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2.0 * h);
    const double err = std::abs(numeric - static_cast<double>(analytic[i]));
    const double scale = std::max(std::abs(numeric), std::abs(static_cast<double>(analytic[i])));
    ++r.checked;
    r.worst_abs_error = std::max(r.worst_abs_error, err);
    if (err > atol + rtol * scale) {
      ++r.failed;
      if (r.failed <= 5) {
        MESSAGE("gradient mismatch at " << i << ": numeric " << numeric << " analytic "
                                        << analytic[i]);
      }
    }
  }
  return r;
}

}  // namespace reglab::testing
