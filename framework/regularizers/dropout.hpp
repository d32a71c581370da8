/// Dropout: Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov 2014, "Dropout: A Simple
/// Way to Prevent Neural Networks from Overfitting", JMLR 15:1929-1958.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/regularizers/noise_layer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `dropout`. Both rates are DROP probabilities (Keras `rate`, PyTorch `p`); the
/// paper's retention probability is p = 1 - rate (its recipe p = 0.5 hidden, p = 0.8 input is
/// rate 0.5, input_rate 0.2).
struct DropoutOptions {
  double rate = 0.5;        ///< drop probability of hidden units, [0, 1)
  double input_rate = 0.0;  ///< drop probability of input units, [0, 1)
  /// hidden layers that get dropout; the input slot depends on input_rate only
  LayerSelection layers = LayerSelection::kAll;
  /// Drop whole channels of feature maps (one mask entry per sample and channel, shared by its
  /// positions: SpatialDropout, Tompson et al. 2015) instead of single entries. The same as
  /// element-wise dropout after a dense layer.
  bool spatial = false;

  /// Reads `rate`, `input_rate`, `layers` and `spatial`; throws ConfigError (file, line, column)
  /// when out of range.
  static DropoutOptions read(config::OptionReader& reader);
};

/// Inverted dropout on every column of its input.
///
/// Train mode: y = x * m / (1 - rate), m ~ Bernoulli(1 - rate) drawn per entry from the layer's
/// own Rng stream. The paper keeps units with probability p = 1 - rate and instead scales the
/// weights by p at test time; scaling by 1/p during training gives the same expectation,
/// E[y] = x, and leaves eval mode untouched. The mask (0 or 1/(1 - rate)) is kept in a buffer
/// allocated once, and backward multiplies by the same mask: dx = dy * m / (1 - rate).
/// Eval mode: identity, y = x and dx = dy.
class DropoutLayer : public NoiseLayer {
 public:
  /// Throws std::invalid_argument unless 0 <= rate < 1.
  DropoutLayer(std::string name, double rate, Rng rng, bool spatial = false);

  /// "dropout_0: rate 0.5".
  std::string describe() const override;

  double rate() const { return rate_; }
  /// The scale factors of the last train-mode forward (rows [0, n) valid).
  const Matrix& mask() const { return noise(); }

 protected:
  bool active() const override { return rate_ > 0.0; }
  /// m = 0 with probability rate, else 1 / (1 - rate).
  void draw(float* m, std::size_t count, Rng& rng) const override;

 private:
  double rate_;
};

/// The `dropout` regularizer: inserts a DropoutLayer into the post-activation slot of every
/// hidden layer (`layers: all`), of the last one only (`layers: last`) or of the named ones
/// (`layers: [conv2d_0, dense_0]`: after that block's activation and pooling), named "dropout_<i>",
/// if rate > 0, and into the input slot ("dropout_input") if input_rate > 0. Masks come from
/// noise_stream(ctx, "dropout", slot), slot 0 being the input and slot i + 1 hidden layer i
/// (whatever `layers` is), so every layer of every dropout instance has its own stream.
class Dropout : public Regularizer {
 public:
  /// Throws std::invalid_argument if a rate is outside [0, 1).
  explicit Dropout(const DropoutOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "dropout"; }
  /// "dropout(rate=0.5, input_rate=0.2)", with ", layers=last" appended for `layers: last` and
  /// ", spatial=true" for spatial dropout.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace reglab::regularizers
