#include "framework/models/dense.hpp"

#include <stdexcept>

#include "framework/core/gemm.hpp"
#include "framework/core/parallel.hpp"

namespace reglab::models {

using parallel::kMinParallel;

Dense::Dense(std::string name, std::size_t inputs, std::size_t units)
    : name_(std::move(name)),
      inputs_(inputs),
      units_(units),
      kernel_("kernel", {inputs, units}, true),
      bias_("bias", {units}, false) {}

std::string Dense::describe() const {
  return name_ + ": dense " + std::to_string(inputs_) + " -> " + std::to_string(units_);
}

void Dense::allocate(std::size_t capacity, const Shape& input) {
  if (input.size() != inputs_) {
    throw std::logic_error(name_ + ": input " + input.str() + " has " +
                           std::to_string(input.size()) + " values, not " +
                           std::to_string(inputs_));
  }
  Layer::allocate(capacity, input);
}

void Dense::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const int m = static_cast<int>(n);
  const int k = static_cast<int>(inputs_);
  const int u = static_cast<int>(units_);
  float* y = out_.data();
  const float* b = bias_.value.data();
  // Y = broadcast(b); Y += X W  (beta = 1 adds the bias without a second pass over Y).
  parallel::for_range(
      n,
      [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
          float* row = y + r * units_;
          for (std::size_t j = 0; j < units_; ++j) row[j] = b[j];
        }
      },
      kMinParallel / units_ + 1);
  sgemm(false, false, m, u, k, 1.0f, x.data(), k, kernel_.value.data(), u, 1.0f, y, u);
}

void Dense::backward(const Matrix& x, const Matrix& grad_out, std::size_t n, bool need_input_grad) {
  const int m = static_cast<int>(n);
  const int k = static_cast<int>(inputs_);
  const int u = static_cast<int>(units_);
  const float* dy = grad_out.data();
  sgemm(true, false, k, u, m, 1.0f, x.data(), k, dy, u, 0.0f, kernel_.grad.data(), u);
  // Column ranges on the run's threads; each column is summed over rows in order, as on one.
  float* db = bias_.grad.data();
  parallel::for_range(
      units_,
      [&](std::size_t j0, std::size_t j1) {
        for (std::size_t j = j0; j < j1; ++j) db[j] = 0.0f;
        for (std::size_t r = 0; r < n; ++r) {
          const float* row = dy + r * units_;
          for (std::size_t j = j0; j < j1; ++j) db[j] += row[j];
        }
      },
      kMinParallel / (n + 1) + 1);
  if (need_input_grad) {
    sgemm(false, true, m, k, u, 1.0f, dy, u, kernel_.value.data(), u, 0.0f, grad_in_.data(), k);
  }
}

}  // namespace reglab::models
