#include "framework/data/ridge.hpp"

#include <stdexcept>
#include <string>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

namespace reglab::data {
namespace {

void check_single_target(const Dataset& d, const char* what) {
  if (!d.regression() || d.targets.shape()[1] != 1) {
    throw std::invalid_argument(std::string(what) + ": needs a regression set with one target");
  }
}

}  // namespace

LinearFit ridge_fit(const Dataset& train, double lambda) {
  check_single_target(train, "ridge_fit");
  if (!(lambda >= 0.0)) throw std::invalid_argument("ridge_fit: lambda must be >= 0");
  const std::size_t p = train.size();
  const std::size_t n = train.features();
  xt::xtensor<double, 2> a = xt::ones<double>({p, n + 1});
  xt::xtensor<double, 1> y = xt::zeros<double>({p});
  for (std::size_t i = 0; i < p; ++i) {
    for (std::size_t j = 0; j < n; ++j) a(i, j) = train.inputs(i, j);
    y(i) = train.targets(i, 0);
  }
  xt::xtensor<double, 1> theta;
  if (lambda > 0.0) {
    const double inv_p = 1.0 / static_cast<double>(p);
    xt::xtensor<double, 2> h = xt::linalg::dot(xt::transpose(a), a) * inv_p;
    for (std::size_t j = 0; j < n; ++j) h(j, j) += lambda;
    const xt::xtensor<double, 1> rhs = xt::linalg::dot(xt::transpose(a), y) * inv_p;
    theta = xt::linalg::solve(h, rhs);
  } else {
    theta = xt::linalg::dot(xt::linalg::pinv(a), y);
  }
  LinearFit fit;
  fit.weights.assign(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(n));
  fit.bias = theta(n);
  return fit;
}

double expected_test_loss(const LinearFit& fit, const std::vector<double>& teacher, double noise) {
  if (fit.weights.size() != teacher.size()) {
    throw std::invalid_argument("expected_test_loss: the fit has " +
                                std::to_string(fit.weights.size()) + " weights, the teacher " +
                                std::to_string(teacher.size()));
  }
  double d2 = 0.0;
  for (std::size_t j = 0; j < teacher.size(); ++j) {
    const double d = fit.weights[j] - teacher[j];
    d2 += d * d;
  }
  return 0.5 * (d2 / static_cast<double>(teacher.size()) + fit.bias * fit.bias + noise * noise);
}

double squared_error(const LinearFit& fit, const Dataset& data) {
  check_single_target(data, "squared_error");
  const std::size_t n = data.features();
  if (fit.weights.size() != n) {
    throw std::invalid_argument("squared_error: the fit has " + std::to_string(fit.weights.size()) +
                                " weights, the data " + std::to_string(n) + " features");
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    double z = fit.bias;
    for (std::size_t j = 0; j < n; ++j) z += fit.weights[j] * data.inputs(i, j);
    const double d = z - data.targets(i, 0);
    sum += d * d;
  }
  return sum / (2.0 * static_cast<double>(data.size()));
}

}  // namespace reglab::data
