/// Batch normalisation: Ioffe and Szegedy 2015, "Batch Normalization: Accelerating Deep Network
/// Training by Reducing Internal Covariate Shift", ICML.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `batch_norm`, in the PyTorch convention (momentum 0.1, eps 1e-5). Keras uses the
/// complement: its momentum 0.99 (default, with eps 1e-3) is momentum 0.01 here.
struct BatchNormOptions {
  double momentum = 0.1;  ///< weight of the new batch in the running averages, (0, 1]
  double eps = 1e-5;      ///< added to the variance before the square root, > 0

  /// Reads `momentum` and `eps`; throws ConfigError (file, line, column) when out of range.
  static BatchNormOptions read(config::OptionReader& reader);
};

/// Batch normalisation of each unit of a vector, or of each channel of a feature map.
///
/// After a dense layer the statistics of unit j are taken over the n rows of the batch; after a
/// convolution, those of channel c over the n rows and every position of the channel, m = n * h *
/// w values (section 3.2 of the paper; PyTorch's BatchNorm2d). Below, "column" is a unit or a
/// channel and n is the number of values it has in the batch.
///
/// Train mode, per column over its n values (Ioffe and Szegedy 2015, Algorithm 1):
///   mu = mean(x),  s2 = sum((x - mu)^2) / n  (biased),  x_hat = (x - mu) / sqrt(s2 + eps),
///   y = gamma * x_hat + beta,
/// and the running statistics move towards the batch (PyTorch convention):
///   running_mean <- (1 - momentum) * running_mean + momentum * mu
///   running_var  <- (1 - momentum) * running_var  + momentum * s2 * n / (n - 1)  (unbiased).
/// Backward: dgamma = sum(dy * x_hat), dbeta = sum(dy),
///   dx = gamma / (n * sqrt(s2 + eps)) * (n * dy - dbeta - x_hat * dgamma).
/// A training batch needs n >= 2 (the unbiased variance is undefined otherwise; PyTorch refuses
/// it too). Eval mode is the affine map y = gamma * (x - running_mean) /
/// sqrt(running_var + eps) + beta, with dx = dy * gamma / sqrt(running_var + eps) and the same
/// dgamma, dbeta. gamma starts at 1, beta at 0, running_mean at 0, running_var at 1. No buffer
/// is allocated after allocate().
class BatchNormLayer : public models::Layer {
 public:
  /// `units`: units of a vector input, channels of a feature map. Throws std::invalid_argument
  /// unless units > 0, 0 < momentum <= 1 and eps > 0.
  BatchNormLayer(std::string name, std::size_t units, double momentum, double eps);

  std::string name() const override { return name_; }
  /// "batch_norm_0: 256 units, momentum 0.1, eps 1e-05".
  std::string describe() const override;
  /// Throws std::logic_error unless the input has `units` channels.
  void allocate(std::size_t capacity, const models::Shape& input) override;
  /// Throws reglab::Error for a training batch of fewer than 2 rows.
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
  /// gamma, beta.
  std::vector<models::Param*> params() override { return {&gamma_, &beta_}; }
  /// running_mean, running_var (shape {units}).
  std::vector<models::StateTensor> state() override;

  models::Param& gamma() { return gamma_; }
  models::Param& beta() { return beta_; }
  const Vector& running_mean() const { return running_mean_; }
  const Vector& running_var() const { return running_var_; }
  const Vector* running_variance() const override { return &running_var_; }

 private:
  // Columns [j0, j1) of the forward and backward passes (the pool splits the units).
  void batch_statistics(const Matrix& x, std::size_t n, std::size_t j0, std::size_t j1);
  void normalise(const Matrix& x, std::size_t n, std::size_t j0, std::size_t j1);
  void backward_columns(const Matrix& grad_out, std::size_t n, bool need_input_grad, std::size_t j0,
                        std::size_t j1);

  std::string name_;
  std::size_t units_;
  std::size_t spatial_ = 1;  ///< positions per channel (1 after a dense layer)
  std::size_t size_ = 0;     ///< values per row, units_ * spatial_
  double momentum_;
  double eps_;
  models::Param gamma_;
  models::Param beta_;
  Vector running_mean_;
  Vector running_var_;
  Matrix x_hat_;                 ///< normalised input of the last forward
  std::vector<double> mean_;     ///< per column: the mean used by the last forward
  std::vector<double> inv_std_;  ///< per column: 1 / sqrt(variance + eps) of the last forward
  std::vector<double> acc_;      ///< per column: sum((x - mean)^2), then sum(dy * x_hat)
  std::vector<double> sum_dy_;   ///< per column: sum(dy) in backward
  bool last_train_ = false;
};

/// The `batch_norm` regularizer: inserts a BatchNormLayer "batch_norm_<i>" into every hidden
/// pre-activation slot, i.e. after weight layer i (dense or conv2d) and before its activation, as
/// in Ioffe and Szegedy (the layer's bias is then redundant but kept); per unit after a dense
/// layer, per channel after a convolution.
class BatchNorm : public Regularizer {
 public:
  /// Throws std::invalid_argument unless 0 < momentum <= 1 and eps > 0.
  explicit BatchNorm(const BatchNormOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "batch_norm"; }
  /// "batch_norm(momentum=0.1, eps=1e-05)".
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

 private:
  BatchNormOptions options_;
};

}  // namespace reglab::regularizers
