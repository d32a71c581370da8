#include "framework/models/activation.hpp"

#include <cmath>

namespace reglab::models {

void ActivationLayer::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const std::size_t count = n * x.shape()[1];
  const float* __restrict in = x.data();
  float* __restrict y = out_.data();
  switch (kind_) {
    case Activation::kRelu:
      // Branch-free (the sign of an activation is a coin flip for the branch predictor), so the
      // compiler vectorises it; NaN and -0 map to +0 as before.
      for (std::size_t i = 0; i < count; ++i) {
        const float v = in[i];
        y[i] = v > 0.0f ? v : 0.0f;
      }
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
  const float* __restrict y = out_.data();
  const float* __restrict g = grad_out.data();
  float* __restrict d = grad_in_.data();
  switch (kind_) {
    case Activation::kRelu:
      // The gradient is loaded unconditionally so the select is branch-free and vectorised.
      for (std::size_t i = 0; i < count; ++i) {
        const float gi = g[i];
        d[i] = y[i] > 0.0f ? gi : 0.0f;
      }
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
