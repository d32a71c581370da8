/// Statistical checks for tests of random layers and regularizers (installed with reglab, for
/// plugin authors' tests as for reglab's own).
///
/// A random quantity is checked against its expectation within z standard errors of the
/// estimate, with a fixed seed so that the test is deterministic. z = 5 makes a false failure of
/// a correct implementation a 1-in-1.7-million event per check, while a wrong rate or scale
/// (off by a few percent over 10^5 draws) still fails.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace reglab::testing {

/// Mean and unbiased variance of `values`.
struct Moments {
  double mean = 0.0;
  double variance = 0.0;
};

inline Moments moments(const std::vector<double>& values) {
  Moments m;
  if (values.empty()) return m;
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(values.size());
  for (double v : values) m.variance += (v - m.mean) * (v - m.mean);
  if (values.size() > 1) m.variance /= static_cast<double>(values.size() - 1);
  return m;
}

/// True if `successes` of `n` Bernoulli(p) draws is within z binomial standard errors of n*p:
/// |successes/n - p| <= z * sqrt(p (1 - p) / n).
inline bool fraction_within(std::size_t successes, std::size_t n, double p, double z = 5.0) {
  const double nn = static_cast<double>(n);
  return std::abs(static_cast<double>(successes) / nn - p) <= z * std::sqrt(p * (1.0 - p) / nn);
}

/// True if the mean of n draws with true standard deviation `sd` is within z standard errors of
/// `expected`: |mean - expected| <= z * sd / sqrt(n).
inline bool mean_within(double mean, double expected, double sd, std::size_t n, double z = 5.0) {
  return std::abs(mean - expected) <= z * sd / std::sqrt(static_cast<double>(n));
}

}  // namespace reglab::testing
