#include "framework/models/activation.hpp"

#include <cmath>

#include "framework/core/parallel.hpp"

namespace reglab::models {

void ActivationLayer::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  parallel::for_range(n * x.shape()[1], [&](std::size_t b, std::size_t e) {
    forward_range(x.data(), out_.data(), b, e);
  });
}

void ActivationLayer::forward_range(const float* __restrict in, float* __restrict y,
                                    std::size_t begin, std::size_t end) const {
  switch (kind_) {
    case Activation::kRelu:
      // Branch-free (the sign of an activation is a coin flip for the branch predictor), so the
      // compiler vectorises it; NaN and -0 map to +0 as before.
      for (std::size_t i = begin; i < end; ++i) {
        const float v = in[i];
        y[i] = v > 0.0f ? v : 0.0f;
      }
      break;
    case Activation::kTanh:
      for (std::size_t i = begin; i < end; ++i) y[i] = std::tanh(in[i]);
      break;
    case Activation::kSigmoid:
      for (std::size_t i = begin; i < end; ++i) y[i] = 1.0f / (1.0f + std::exp(-in[i]));
      break;
  }
}

void ActivationLayer::backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                               bool need_input_grad) {
  if (!need_input_grad) return;
  parallel::for_range(n * x.shape()[1], [&](std::size_t b, std::size_t e) {
    backward_range(out_.data(), grad_out.data(), grad_in_.data(), b, e);
  });
}

void ActivationLayer::backward_range(const float* __restrict y, const float* __restrict g,
                                     float* __restrict d, std::size_t begin,
                                     std::size_t end) const {
  switch (kind_) {
    case Activation::kRelu:
      // The gradient is loaded unconditionally so the select is branch-free and vectorised.
      for (std::size_t i = begin; i < end; ++i) {
        const float gi = g[i];
        d[i] = y[i] > 0.0f ? gi : 0.0f;
      }
      break;
    case Activation::kTanh:
      for (std::size_t i = begin; i < end; ++i) d[i] = g[i] * (1.0f - y[i] * y[i]);
      break;
    case Activation::kSigmoid:
      for (std::size_t i = begin; i < end; ++i) d[i] = g[i] * y[i] * (1.0f - y[i]);
      break;
  }
}

}  // namespace reglab::models
