/// The Adam optimizer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/optim/optimizer.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::optim {

/// Adam (Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization"), bias-corrected, in
/// the PyTorch formulation (eps added after the square root). At step t = 1, 2, ... for each
/// weight w with gradient g:
///   m <- beta1 * m + (1 - beta1) * g            (m, v start at 0)
///   v <- beta2 * v + (1 - beta2) * g^2
///   mhat = m / (1 - beta1^t),  vhat = v / (1 - beta2^t)
///   w <- w - lr * mhat / (sqrt(vhat) + eps)
/// The first step therefore moves each weight by about lr * sign(g). Moments are float32, one
/// pair of buffers per param, allocated on the first step; later steps must pass the same params
/// in the same order and allocate nothing. The bias corrections are computed in double once per
/// step; the per-weight loop is float32 on raw pointers (it vectorises when compiled with
/// -fno-math-errno, which lets the compiler use a vector square root). Optimizers have no
/// train/eval behaviour: they only run during training.
/// The options of `optimizer: {name: adam, ...}`.
struct AdamOptions {
  double beta1 = 0.9;    ///< in [0, 1)
  double beta2 = 0.999;  ///< in [0, 1)
  double eps = 1e-8;     ///< > 0
  /// Reads `beta1`, `beta2`, `eps` with the ranges above; the caller calls finish().
  static AdamOptions read(config::OptionReader& reader);
};

class Adam : public Optimizer {
 public:
  /// Throws std::invalid_argument unless beta1, beta2 are in [0, 1) and eps > 0.
  explicit Adam(const AdamOptions& options = {});
  /// The registry factory: AdamOptions::read, then the constructor.
  static OptimizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "adam"; }
  /// "adam(beta1=0.9, beta2=0.999, eps=1e-08)".
  std::string describe() const override;
  void step(const std::vector<models::Param*>& params, double lr) override;
  void save_state(StateBlob& blob) const override;
  void load_state(const StateBlob& blob, const std::vector<models::Param*>& params) override;

  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  /// Number of steps taken so far (t after the last step).
  std::size_t steps() const { return t_; }

 private:
  double beta1_;
  double beta2_;
  double eps_;
  std::size_t t_ = 0;
  std::vector<Vector> m_;  ///< first moments, one per param
  std::vector<Vector> v_;  ///< second moments, one per param
};

}  // namespace reglab::optim
