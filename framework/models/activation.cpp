#include "framework/models/activation.hpp"

#include <cmath>

namespace reglab::models {

void ActivationLayer::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const std::size_t count = n * x.shape()[1];
  const float* in = x.data();
  float* y = out_.data();
  switch (kind_) {
    case Activation::kRelu:
      for (std::size_t i = 0; i < count; ++i) y[i] = in[i] > 0.0f ? in[i] : 0.0f;
      break;
    case Activation::kTanh:
      for (std::size_t i = 0; i < count; ++i) y[i] = std::tanh(in[i]);
      break;
    case Activation::kSigmoid:
      for (std::size_t i = 0; i < count; ++i) y[i] = 1.0f / (1.0f + std::exp(-in[i]));
      break;
  }
}

void ActivationLayer::backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                               bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t count = n * x.shape()[1];
  const float* y = out_.data();
  const float* g = grad_out.data();
  float* d = grad_in_.data();
  switch (kind_) {
    case Activation::kRelu:
      for (std::size_t i = 0; i < count; ++i) d[i] = y[i] > 0.0f ? g[i] : 0.0f;
      break;
    case Activation::kTanh:
      for (std::size_t i = 0; i < count; ++i) d[i] = g[i] * (1.0f - y[i] * y[i]);
      break;
    case Activation::kSigmoid:
      for (std::size_t i = 0; i < count; ++i) d[i] = g[i] * y[i] * (1.0f - y[i]);
      break;
  }
}

}  // namespace reglab::models
