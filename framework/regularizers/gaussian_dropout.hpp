/// Gaussian dropout: Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov 2014, "Dropout:
/// A Simple Way to Prevent Neural Networks from Overfitting", JMLR 15:1929-1958, section 10
/// ("Multiplicative Gaussian Noise") and Table 10.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/regularizers/noise_layer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `gaussian_dropout`, the same keys and meaning as `dropout`: a rate gives the noise
/// the variance of Bernoulli dropout's inverted mask at that drop rate.
struct GaussianDropoutOptions {
  double rate = 0.5;        ///< hidden units: noise variance rate / (1 - rate), [0, 1)
  double input_rate = 0.0;  ///< input units: noise variance input_rate / (1 - input_rate), [0, 1)
  /// hidden layers that get noise; the input slot depends on input_rate only
  LayerSelection layers = LayerSelection::kAll;

  /// Reads `rate`, `input_rate` and `layers`; throws ConfigError (file, line, column) when out of
  /// range.
  static GaussianDropoutOptions read(config::OptionReader& reader);
};

/// Multiplicative Gaussian noise on every column of its input.
///
/// Train mode: y = x * m, m ~ N(1, sigma^2) drawn per entry from the layer's own Rng stream, with
/// sigma^2 = rate / (1 - rate). This is the paper's sigma^2 = (1 - p) / p with retention
/// p = 1 - rate, the variance of the inverted Bernoulli mask Bernoulli(p) / p, so E[y] = x and
/// Var[y] match Bernoulli dropout at the same rate. Backward multiplies by the same noise:
/// dx = dy * m. The noise is kept in a buffer allocated once in allocate().
/// Eval mode: identity, y = x and dx = dy. rate 0 is the identity in both modes (no draws).
class GaussianDropoutLayer : public NoiseLayer {
 public:
  /// Throws std::invalid_argument unless 0 <= rate < 1.
  GaussianDropoutLayer(std::string name, double rate, Rng rng);

  /// "gaussian_dropout_0: rate 0.5 (sigma 1)".
  std::string describe() const override;

  double rate() const { return rate_; }
  /// Standard deviation of the noise, sqrt(rate / (1 - rate)).
  double sigma() const { return sigma_; }

 protected:
  bool active() const override { return rate_ > 0.0; }
  /// m = 1 + sigma * normal().
  void draw(float* m, std::size_t count, Rng& rng) const override;

 private:
  double rate_;
  double sigma_;
};

/// The `gaussian_dropout` regularizer: inserts a GaussianDropoutLayer into the post-activation
/// slot of every hidden layer (or of the last one, `layers: last`), named
/// "gaussian_dropout_<i>", if rate > 0, and into the input slot ("gaussian_dropout_input") if
/// input_rate > 0. Noise comes from noise_stream(ctx, "gaussian_dropout", slot), slot 0 the
/// input and slot i + 1 hidden layer i.
class GaussianDropout : public Regularizer {
 public:
  /// Throws std::invalid_argument if a rate is outside [0, 1).
  explicit GaussianDropout(const GaussianDropoutOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "gaussian_dropout"; }
  /// "gaussian_dropout(rate=0.5, input_rate=0)", with ", layers=last" for `layers: last`.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

  const GaussianDropoutOptions& options() const { return options_; }

 private:
  GaussianDropoutOptions options_;
};

}  // namespace reglab::regularizers
