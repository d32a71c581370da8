/// One of the two translation units that instantiate xtensor-blas (xt::linalg) templates (the
/// other is data/ridge.cpp).
#include "framework/train/spectra.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

namespace reglab::train {

std::vector<double> gram_eigenvalues(const float* w, std::size_t rows, std::size_t cols) {
  xt::xtensor<double, 2> m = xt::zeros<double>({rows, cols});
  std::copy(w, w + rows * cols, m.begin());
  const xt::xtensor<double, 2> gram =
      cols <= rows ? xt::linalg::dot(xt::transpose(m), m) : xt::linalg::dot(m, xt::transpose(m));
  const xt::xtensor<double, 1> eig = xt::linalg::eigvalsh(gram);
  std::vector<double> out(eig.begin(), eig.end());
  std::sort(out.begin(), out.end());
  // Rounding leaves tiny negative values where the true eigenvalue is 0.
  for (double& v : out) v = std::max(v, 0.0);
  return out;
}

void fit_power_law(const std::vector<double>& ascending, Spectrum& out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.alpha = out.x_min = nan;
  out.tail = 0;
  const std::size_t m = ascending.size();
  std::size_t first_positive = 0;
  while (first_positive < m && !(ascending[first_positive] > 0.0)) ++first_positive;
  if (m - first_positive < kMinTail) return;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t start = first_positive; start + kMinTail <= m; ++start) {
    const double x_min = ascending[start];
    if (start > first_positive && x_min == ascending[start - 1]) continue;  // same candidate
    const std::size_t n = m - start;
    double log_sum = 0.0;
    for (std::size_t i = start; i < m; ++i) log_sum += std::log(ascending[i] / x_min);
    if (!(log_sum > 0.0)) continue;  // all tail values equal: no power law
    const double alpha = 1.0 + static_cast<double>(n) / log_sum;
    double d = 0.0;
    for (std::size_t k = 1; k <= n; ++k) {
      const double fit = 1.0 - std::pow(ascending[start + k - 1] / x_min, 1.0 - alpha);
      d = std::max(d, std::abs(static_cast<double>(k) / static_cast<double>(n) - fit));
    }
    if (d < best_d) {
      best_d = d;
      out.alpha = alpha;
      out.x_min = x_min;
      out.tail = n;
    }
  }
}

Spectrum spectrum(const float* w, std::size_t rows, std::size_t cols) {
  Spectrum s;
  const std::vector<double> eig = gram_eigenvalues(w, rows, cols);
  const double top = eig.empty() ? 0.0 : eig.back();
  double sum = 0.0;
  for (double v : eig) sum += v;
  s.spectral_norm = std::sqrt(top);
  s.stable_rank = top > 0.0 ? sum / top : std::numeric_limits<double>::quiet_NaN();
  fit_power_law(eig, s);
  return s;
}

}  // namespace reglab::train
