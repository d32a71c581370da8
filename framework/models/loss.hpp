/// Losses: softmax cross-entropy (classification, from logits) and squared error (regression,
/// linear output).
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

/// Squared error of a linear output against float targets:
///   L = (1/(2n)) sum_i sum_k (z_ik - t_ik)^2,   dL/dz_ik = (z_ik - t_ik) / n,
/// i.e. half the mean over rows of the squared Euclidean distance (the convention of Krogh and
/// Hertz 1992, "A Simple Weight Decay Can Improve Generalization", NIPS 4, with their sum over
/// patterns divided by n). `targets` has at least n rows and as many columns as `outputs`. If
/// `grad` is not null, writes the gradient into its first n rows. `correct` is always 0: a
/// regression has no accuracy. Accumulated in double; a non-finite output gives a non-finite loss.
LossResult squared_error(const Matrix& outputs, const Matrix& targets, std::size_t n, Matrix* grad);

}  // namespace reglab::models
