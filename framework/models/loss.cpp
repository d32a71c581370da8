#include "framework/models/loss.hpp"

#include <cmath>

namespace reglab::models {

LossResult softmax_cross_entropy(const Matrix& logits, const std::uint8_t* labels, std::size_t n,
                                 Matrix* grad) {
  const std::size_t classes = logits.shape()[1];
  const float inv_n = 1.0f / static_cast<float>(n);
  LossResult r;
  for (std::size_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * classes;
    std::size_t arg = 0;
    float max = z[0];
    for (std::size_t c = 1; c < classes; ++c) {
      if (z[c] > max) {
        max = z[c];
        arg = c;
      }
    }
    double sum = 0.0;
    for (std::size_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c] - max));
    const double log_sum = std::log(sum);
    r.loss -= static_cast<double>(z[labels[i]] - max) - log_sum;
    if (arg == labels[i]) ++r.correct;
    if (grad != nullptr) {
      float* g = grad->data() + i * classes;
      for (std::size_t c = 0; c < classes; ++c) {
        const auto p = static_cast<float>(std::exp(static_cast<double>(z[c] - max) - log_sum));
        g[c] = (p - (c == labels[i] ? 1.0f : 0.0f)) * inv_n;
      }
    }
  }
  r.loss /= static_cast<double>(n);
  return r;
}

LossResult squared_error(const Matrix& outputs, const Matrix& targets, std::size_t n,
                         Matrix* grad) {
  const std::size_t k = outputs.shape()[1];
  const float inv_n = 1.0f / static_cast<float>(n);
  LossResult r;
  for (std::size_t i = 0; i < n * k; ++i) {
    const float d = outputs.data()[i] - targets.data()[i];
    r.loss += static_cast<double>(d) * static_cast<double>(d);
    if (grad != nullptr) grad->data()[i] = d * inv_n;
  }
  r.loss /= 2.0 * static_cast<double>(n);
  return r;
}

}  // namespace reglab::models
