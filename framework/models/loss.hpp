/// Softmax cross-entropy, computed stably from logits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "framework/core/tensor.hpp"

namespace reglab::models {

struct LossResult {
  double loss = 0.0;        ///< mean over the n rows
  std::size_t correct = 0;  ///< rows whose arg-max logit equals the label
};

/// L = -(1/n) sum_i log softmax(z_i)[y_i], with log softmax(z) = z - max(z) - log sum exp(z -
/// max(z)) so large logits never overflow. If `grad` is not null, writes dL/dz =
/// (softmax(z) - onehot(y)) / n into its first n rows. The loss is accumulated in double; a
/// non-finite logit gives a non-finite loss (the caller detects divergence).
LossResult softmax_cross_entropy(const Matrix& logits, const std::uint8_t* labels, std::size_t n,
                                 Matrix* grad);

}  // namespace reglab::models
