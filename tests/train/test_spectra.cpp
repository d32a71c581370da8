#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/train/spectra.hpp"

namespace reglab::train {
namespace {

TEST_CASE("spectra: spectral norm and stable rank of a matrix with known singular values") {
  // W = diag(3, 2, 1) padded to 4 x 3: singular values 3, 2, 1.
  const std::vector<float> w = {3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0};
  const Spectrum s = spectrum(w.data(), 4, 3);
  CHECK(s.spectral_norm == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(s.stable_rank == doctest::Approx(14.0 / 9.0).epsilon(1e-12));
  CHECK(std::isnan(s.alpha));  // 3 eigenvalues: too few for a power law
  // The transposed matrix has the same spectrum (the smaller Gram matrix is used).
  const std::vector<float> t = {3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0};
  const std::vector<double> a = gram_eigenvalues(w.data(), 4, 3),
                            b = gram_eigenvalues(t.data(), 3, 4);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-12));
  CHECK(a[0] == doctest::Approx(1.0));
  CHECK(a[2] == doctest::Approx(9.0));
}

TEST_CASE("spectra: the power-law fit recovers alpha from Pareto samples (fixed seed)") {
  for (double alpha : {2.0, 3.0, 4.5}) {
    CAPTURE(alpha);
    Rng rng(42);
    std::vector<double> x(4000);
    for (auto& v : x) v = 0.5 * std::pow(1.0 - rng.uniform_double(), -1.0 / (alpha - 1.0));
    std::sort(x.begin(), x.end());
    Spectrum s;
    fit_power_law(x, s);
    // The MLE's standard error is (alpha - 1) / sqrt(n); the tail chosen by KS is most of the
    // sample, so 5 standard errors of the full sample (n = 4000) bound the error with margin.
    CHECK(std::abs(s.alpha - alpha) < 5.0 * (alpha - 1.0) / std::sqrt(1000.0));
    CHECK(s.tail >= kMinTail);
    CHECK(s.x_min >= 0.5);
  }
}

TEST_CASE("spectra: no power law without enough positive eigenvalues") {
  Spectrum s;
  fit_power_law({0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0}, s);
  CHECK(std::isnan(s.alpha));
  fit_power_law({1.0, 2.0, 3.0, 4.0, 5.0}, s);
  CHECK(std::isfinite(s.alpha));
  CHECK(s.tail == 5);
  fit_power_law({2.0, 2.0, 2.0, 2.0, 2.0, 2.0}, s);  // all equal: no tail to fit
  CHECK(std::isnan(s.alpha));
}

}  // namespace
}  // namespace reglab::train
