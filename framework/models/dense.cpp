#include "framework/models/dense.hpp"

#include <cblas.h>

namespace reglab::models {

Dense::Dense(std::string name, std::size_t inputs, std::size_t units)
    : name_(std::move(name)),
      inputs_(inputs),
      units_(units),
      kernel_("kernel", {inputs, units}, true),
      bias_("bias", {units}, false) {}

std::string Dense::describe() const {
  return name_ + ": dense " + std::to_string(inputs_) + " -> " + std::to_string(units_);
}

void Dense::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const int m = static_cast<int>(n);
  const int k = static_cast<int>(inputs_);
  const int u = static_cast<int>(units_);
  float* y = out_.data();
  const float* b = bias_.value.data();
  // Y = broadcast(b); Y += X W  (beta = 1 adds the bias without a second pass over Y).
  for (std::size_t r = 0; r < n; ++r) {
    float* row = y + r * units_;
    for (std::size_t j = 0; j < units_; ++j) row[j] = b[j];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, u, k, 1.0f, x.data(), k,
              kernel_.value.data(), u, 1.0f, y, u);
}

void Dense::backward(const Matrix& x, const Matrix& grad_out, std::size_t n, bool need_input_grad) {
  const int m = static_cast<int>(n);
  const int k = static_cast<int>(inputs_);
  const int u = static_cast<int>(units_);
  const float* dy = grad_out.data();
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, u, m, 1.0f, x.data(), k, dy, u, 0.0f,
              kernel_.grad.data(), u);
  float* db = bias_.grad.data();
  for (std::size_t j = 0; j < units_; ++j) db[j] = 0.0f;
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = dy + r * units_;
    for (std::size_t j = 0; j < units_; ++j) db[j] += row[j];
  }
  if (need_input_grad) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, u, 1.0f, dy, u, kernel_.value.data(),
                u, 0.0f, grad_in_.data(), k);
  }
}

}  // namespace reglab::models
