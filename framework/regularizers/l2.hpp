/// L2 penalty on dense kernels (weight decay coupled to the loss).
#pragma once

#include <string>

#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `l2`.
struct L2Options {
  double lambda = 1e-4;  ///< penalty coefficient, >= 0

  /// Reads `lambda`; throws ConfigError (file, line, column) when negative or not a number.
  static L2Options read(config::OptionReader& reader);
};

/// L2 penalty (Tikhonov regularisation; "L2" in Srivastava et al. 2014, Table 9):
///   penalty = (lambda / 2) * sum_k sum_ij W_k[i,j]^2,   d penalty / d W = lambda * W,
/// over dense kernels only (Param::is_kernel); biases are not penalised. With plain SGD this
/// is exactly PyTorch's `weight_decay=lambda` (which adds lambda * W to the gradient) and Keras's
/// `l2(lambda / 2)`. It acts through the loss only, so train and eval modes do not differ; the
/// reported training loss includes the penalty.
class L2 : public Regularizer {
 public:
  /// Throws std::invalid_argument if lambda < 0.
  explicit L2(const L2Options& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "l2"; }
  /// "l2(lambda=0.0001)".
  std::string describe() const override;
  double penalty(const models::Network& net) const override;
  void add_penalty_gradient(models::Network& net) const override;

 private:
  L2Options options_;
};

}  // namespace reglab::regularizers
