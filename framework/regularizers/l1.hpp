/// L1 penalty on dense kernels.
#pragma once

#include <cstddef>
#include <string>

#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `l1`.
struct L1Options {
  double lambda = 1e-5;  ///< penalty coefficient, >= 0
  /// First epoch (1-based, as in the curves) with the penalty on; earlier epochs train without
  /// it: Srivastava et al. 2014, Table 9, "L2 + L1 applied towards the end of training".
  std::size_t start_epoch = 1;

  /// Reads `lambda` and `start_epoch` (integer >= 1); throws ConfigError (file, line, column) when
  /// negative or not a number.
  static L1Options read(config::OptionReader& reader);
};

/// L1 penalty (Tibshirani 1996, "Regression shrinkage and selection via the lasso"; "L1" in
/// Srivastava et al. 2014, Table 9):
///   penalty = lambda * sum_k sum_ij |W_k[i,j]|,   d penalty / d W = lambda * sign(W),
/// with sign(0) = 0 (the subgradient PyTorch's autograd uses for abs), over dense kernels only
/// (Param::is_kernel); biases are not penalised. Equals Keras's `l1(lambda)`. It acts through
/// the loss only, so train and eval modes do not differ.
class L1 : public Regularizer {
 public:
  /// Throws std::invalid_argument if lambda < 0.
  explicit L1(const L1Options& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "l1"; }
  /// "l1(lambda=1e-05)", or "l1(lambda=1e-05, start_epoch=40)".
  std::string describe() const override;
  /// 0 before start_epoch.
  double penalty(const models::Network& net) const override;
  /// Nothing before start_epoch.
  void add_penalty_gradient(models::Network& net) const override;
  void begin_epoch(std::size_t epoch) override;

 private:
  L1Options options_;
  bool active_;
};

}  // namespace reglab::regularizers
