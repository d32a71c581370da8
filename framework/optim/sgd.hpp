/// Stochastic gradient descent with optional (Nesterov) momentum.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/optim/optimizer.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::optim {

/// SGD with heavy-ball or Nesterov momentum, in the PyTorch formulation (no dampening by default).
///
/// For each parameter w with gradient g, momentum mu and learning rate lr:
///   mu = 0:            w <- w - lr * g
///   mu > 0:            v <- mu * v + g                      (v starts at 0)
///                      w <- w - lr * v                      (heavy ball, Polyak 1964)
///   mu > 0, nesterov:  w <- w - lr * (g + mu * v)           (Sutskever et al. 2013,
///                      "On the importance of initialization and momentum in deep learning")
/// With a constant lr this equals the classical formulation v <- mu v - lr g; w <- w + v.
/// Rising momentum (Srivastava et al. 2014, Appendix A.1; Hinton et al. 2012's released
/// configuration): with `initial_momentum` mu0 and `momentum_ramp_epochs` T > 0, epoch e (0-based)
/// uses mu(e) = mu0 + (mu - mu0) * min(1, e / T), constant within the epoch; mu is `momentum`.
///
/// Dampening (`dampening: true`; PyTorch's dampening = mu, following the ramp):
///   v <- mu(e) * v + (1 - mu(e)) * g;   w <- w - lr * v
/// The dropout paper's update (Srivastava et al. 2014, Appendix A.1, after Hinton et al. 2012)
/// is dw <- mu dw - (1 - mu) eps g, w <- w + dw. With dw = -lr v and eps = lr the two are the
/// same recursion: -lr v' = mu (-lr v) - (1 - mu) lr g  <=>  v' = mu v + (1 - mu) g, step by step
/// and whatever mu(e) does, so at a constant lr the weights are the paper's. When lr changes
/// (a schedule, at epoch boundaries) the paper's dw keeps the old rates of past steps and ours
/// applies the new rate to all of v, as without dampening (PyTorch's convention). Dampening
/// divides the long-run step by 1/(1 - mu): the paper's eps is `learning_rate` here, unscaled.
/// Nesterov with dampening is refused (as PyTorch does): the look-ahead g + mu v would mix a
/// damped and an undamped gradient.
///
/// The velocity buffers (one per param, float32) are allocated on the first step when mu > 0;
/// later steps must pass the same params in the same order and allocate nothing. Optimizers
/// have no train/eval behaviour: they only run during training.
/// The options of `optimizer: {name: sgd, ...}`.
struct SgdOptions {
  double momentum = 0.0;  ///< in [0, 1)
  bool nesterov = false;  ///< requires momentum > 0
  /// The momentum of epoch 0 with a ramp; unset: `momentum` (no ramp).
  std::optional<double> initial_momentum;
  double momentum_ramp_epochs = 0.0;  ///< >= 0; 0 = no ramp, required > 0 with initial_momentum
  bool dampening = false;             ///< scale g by (1 - mu(e)); not with nesterov
  /// Reads `momentum`, `nesterov`, `initial_momentum`, `momentum_ramp_epochs`, `dampening` with
  /// the ranges above; the caller calls finish() on the reader, which rejects every other key.
  static SgdOptions read(config::OptionReader& reader);
};

class Sgd : public Optimizer {
 public:
  /// Throws std::invalid_argument unless the momenta are in [0, 1), the ramp is >= 0,
  /// momentum > 0 if nesterov, and not nesterov with dampening.
  explicit Sgd(const SgdOptions& options = {});
  /// The registry factory: SgdOptions::read, then the constructor.
  static OptimizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "sgd"; }
  /// "sgd(momentum=0.9, nesterov=false)", with ", dampening=true" when on.
  std::string describe() const override;
  void step(const std::vector<models::Param*>& params, double lr) override;
  void begin_epoch(std::size_t epoch) override;
  void save_state(StateBlob& blob) const override;
  void load_state(const StateBlob& blob, const std::vector<models::Param*>& params) override;

  double momentum() const { return momentum_; }
  /// The momentum used by the current epoch.
  double current_momentum() const { return current_; }
  bool nesterov() const { return nesterov_; }
  bool dampening() const { return dampening_; }

 private:
  double momentum_;
  bool nesterov_;
  bool dampening_;
  double initial_momentum_;
  double ramp_epochs_;
  double current_;
  std::vector<Vector> velocity_;  ///< one per param once the first step ran (mu > 0 only)
  bool initialised_ = false;
};

}  // namespace reglab::optim
