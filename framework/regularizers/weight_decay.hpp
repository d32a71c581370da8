/// Decoupled weight decay.
#pragma once

#include <string>

#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `weight_decay`.
struct WeightDecayOptions {
  double rate = 5e-4;  ///< decay per unit learning rate, >= 0

  /// Reads `rate`; throws ConfigError (file, line, column) when negative or not a number.
  static WeightDecayOptions read(config::OptionReader& reader);
};

/// Decoupled weight decay (Loshchilov and Hutter 2019, "Decoupled Weight Decay
/// Regularization", ICLR): after every optimizer update, each dense kernel shrinks by
///   W <- W - lr * rate * W = (1 - lr * rate) * W,
/// where lr is the step's learning rate (the schedule included), as in PyTorch's AdamW
/// `weight_decay`. Biases are not decayed. The decay never enters the gradient, so with Adam it
/// is not rescaled by the second-moment estimate (unlike `l2`); with plain SGD it matches `l2`
/// with lambda = rate up to a second-order term. Because it runs after the update, it decays the
/// updated weights, W <- (1 - lr*rate)(W - lr*u), whereas AdamW decays before the update,
/// W <- (1 - lr*rate) W - lr*u; the difference is lr^2 * rate * u. Train-time only: eval mode
/// is unaffected.
class WeightDecay : public Regularizer {
 public:
  /// Throws std::invalid_argument if rate < 0.
  explicit WeightDecay(const WeightDecayOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "weight_decay"; }
  /// "weight_decay(rate=0.0005)".
  std::string describe() const override;
  void after_update(models::Network& net, const StepContext& ctx) override;

 private:
  WeightDecayOptions options_;
};

}  // namespace reglab::regularizers
