/// Uout: Li, Chen, Hu and Yang 2019, "Understanding the Disharmony between Dropout and Batch
/// Normalization by Variance Shift", CVPR, section 5.
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

/// Options of `uout`.
struct UoutOptions {
  double beta = 0.1;  ///< half-width of the uniform noise, [0, 1]
  /// hidden layers that get noise (`layers: all | last`)
  LayerSelection layers = LayerSelection::kAll;

  /// Reads `beta` and `layers`; throws ConfigError (file, line, column) when out of range.
  static UoutOptions read(config::OptionReader& reader);
};

/// Uniform multiplicative noise on every column of its input.
///
/// Train mode: y = x + r * x = x * (1 + r), r ~ U(-beta, beta) drawn per entry from the layer's
/// own Rng stream, so E[y] = x and Var[y] = x^2 * beta^2 / 3. The authors propose it as a
/// dropout whose variance shift between train and eval mode is smaller than Bernoulli
/// dropout's, which matters when batch normalisation follows it. Backward
/// multiplies by the same factor: dx = dy * (1 + r). The factors 1 + r are kept in a buffer
/// allocated once in allocate().
/// Eval mode: identity, y = x and dx = dy. beta 0 is the identity in both modes (no draws).
class UoutLayer : public NoiseLayer {
 public:
  /// Throws std::invalid_argument unless 0 <= beta <= 1.
  UoutLayer(std::string name, double beta, Rng rng);

  /// "uout_0: beta 0.1".
  std::string describe() const override;

  double beta() const { return beta_; }

 protected:
  bool active() const override { return beta_ > 0.0; }
  /// m = 1 + r, r = beta * (2u - 1), u uniform in [0, 1).
  void draw(float* m, std::size_t count, Rng& rng) const override;

 private:
  double beta_;
};

/// The `uout` regularizer: inserts a UoutLayer "uout_<i>" into the post-activation slot of every
/// hidden layer (or of the last one, `layers: last`) if beta > 0. Noise comes from
/// noise_stream(ctx, "uout", i + 1) for hidden layer i (slot 0, the input, is not used).
class Uout : public Regularizer {
 public:
  /// Throws std::invalid_argument unless 0 <= beta <= 1.
  explicit Uout(const UoutOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "uout"; }
  /// "uout(beta=0.1)", with ", layers=last" for `layers: last`.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

  const UoutOptions& options() const { return options_; }

 private:
  UoutOptions options_;
};

}  // namespace reglab::regularizers
