/// KL-divergence sparsity penalty on hidden activations: Lee, Ekanadham and Ng 2008, "Sparse deep
/// belief net model for visual area V2", NIPS; Ng, "Sparse autoencoder", CS294A lecture notes;
/// used with L2 in Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov 2014, "Dropout: A
/// Simple Way to Prevent Neural Networks from Overfitting", JMLR 15:1929-1958, Table 9
/// ("L2 + KL-sparsity").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/regularizers/noise_layer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `kl_sparsity`.
struct KlSparsityOptions {
  double beta = 1e-3;    ///< weight of the penalty, >= 0
  double target = 0.05;  ///< target mean activation rho, (0, 1)
  /// hidden layers whose activations are penalised (`layers: all | last`)
  LayerSelection layers = LayerSelection::kAll;

  /// Reads `beta`, `target` and `layers`; throws ConfigError (file, line, column) when out of
  /// range.
  static KlSparsityOptions read(config::OptionReader& reader);
};

/// Measures the mean activation of each unit over a batch and back-propagates the gradient of
/// the KL sparsity penalty. The forward pass is the identity in both modes.
///
/// Train mode, for the activations a (n rows, one column per unit j):
///   rho_hat_j = clamp(sum_i a_ij / n, eps, 1 - eps),  eps = 1e-4,
///   penalty   = beta * sum_j KL(rho || rho_hat_j),
///   KL(rho || q) = rho * log(rho / q) + (1 - rho) * log((1 - rho) / (1 - q)),
/// and backward adds the penalty's gradient to the incoming one:
///   dx_ij = dy_ij + beta / n * (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)),
/// with the second term 0 for units whose mean was clamped. Sums are taken in double.
///
/// Clamping: the penalty assumes activations in [0, 1] (sigmoid units, as in Lee et al. and Ng's
/// notes); KL is infinite at q = 0 or 1 and undefined outside. A mean outside [eps, 1 - eps] is
/// clamped, so the penalty stays finite, and treated as the clamped constant, so its gradient is
/// 0 (the derivative of the clamp). In particular a ReLU unit whose batch mean exceeds 1 (ReLU is
/// unbounded), a dead ReLU unit (mean 0) and a tanh unit with a negative mean add a constant to
/// the loss and receive no sparsity gradient.
/// Eval mode: identity, nothing recorded, dx = dy; penalty() keeps the last train-mode value.
/// The per-unit buffers are allocated once in allocate().
class KlSparsityLayer : public models::Layer {
 public:
  /// Lower clamp of rho_hat (the upper one is 1 - kEps).
  static constexpr double kEps = 1e-4;

  /// Throws std::invalid_argument unless beta >= 0 and 0 < target < 1.
  KlSparsityLayer(std::string name, double beta, double target);

  std::string name() const override { return name_; }
  /// "kl_sparsity_0: target 0.05, beta 0.001".
  std::string describe() const override;
  void allocate(std::size_t capacity, const models::Shape& input) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

  /// beta * sum_j KL(target || rho_hat_j) of the last train-mode forward (0 before any).
  double penalty() const { return penalty_; }
  /// The clamped mean activations rho_hat_j of the last train-mode forward.
  const std::vector<double>& rho_hat() const { return rho_hat_; }

 private:
  std::string name_;
  double beta_;
  double target_;
  double penalty_ = 0.0;
  std::vector<double> rho_hat_;
  std::vector<double> grad_;  ///< per unit: d penalty / d a_ij (the same for every row i)
  bool last_train_ = false;
};

/// The `kl_sparsity` regularizer: inserts a KlSparsityLayer "kl_sparsity_<i>" into the
/// post-activation slot of every hidden layer (or of the last one, `layers: last`), if beta > 0.
/// penalty() is the sum of the attached layers' last train-mode penalties (the trainer calls it
/// right after the train-mode forward); the gradient flows through the layers' backward, so
/// add_penalty_gradient() does nothing. The regularizer keeps pointers to the layers of the
/// network given to the last attach(), which must outlive it.
class KlSparsity : public Regularizer {
 public:
  /// Throws std::invalid_argument unless beta >= 0 and 0 < target < 1.
  explicit KlSparsity(const KlSparsityOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "kl_sparsity"; }
  /// "kl_sparsity(beta=0.001, target=0.05)", with ", layers=last" for `layers: last`.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;
  double penalty(const models::Network& net) const override;

  const KlSparsityOptions& options() const { return options_; }
  /// The layers inserted by the last attach().
  const std::vector<KlSparsityLayer*>& layers() const { return layers_; }

 private:
  KlSparsityOptions options_;
  std::vector<KlSparsityLayer*> layers_;
};

}  // namespace reglab::regularizers
