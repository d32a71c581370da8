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

/// Where dropout puts the factor that keeps eval mode consistent with training (`scaling`).
///
/// kInverted (default): train y = x * m / p, eval y = x (today's frameworks: Keras, PyTorch).
/// kWeight: the paper's convention (Srivastava et al. 2014, sections 4 and 10: "the outgoing
/// weights of that unit are multiplied by p at test time", W_test = p W): train y = x * m with a
/// plain 0/1 mask, eval y = p x. Both give E[train output] = eval output; they differ in the
/// scale of the weights that follow the layer (inverted ones are the paper's times p), which
/// matters to a max-norm bound, a penalty weight or a learning rate taken from the paper.
enum class DropoutScaling { kInverted, kWeight };

/// "inverted" or "weight", the YAML spelling.
const char* scaling_name(DropoutScaling scaling);

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
  /// `scaling: inverted | weight` (DropoutScaling), for the hidden and the input layers alike.
  DropoutScaling scaling = DropoutScaling::kInverted;

  /// Reads `rate`, `input_rate`, `layers`, `spatial` and `scaling`; throws ConfigError (file,
  /// line, column, key) when out of range or not one of the choices.
  static DropoutOptions read(config::OptionReader& reader);
};

/// Dropout on every column of its input (Srivastava et al. 2014, section 4), with retention
/// probability p = 1 - rate and m ~ Bernoulli(p) drawn per entry (per channel when spatial) from
/// the layer's own Rng stream. The mask is kept in a buffer allocated once, and backward
/// multiplies by the same mask.
///
/// `scaling: inverted` (default). Train: y = x * m / p, dx = dy * m / p (the mask holds 0 or
/// 1/p). Eval: identity, y = x and dx = dy. E[y] = x in training, so eval needs no factor.
///
/// `scaling: weight`, the paper's formulation. Train: y = x * m, dx = dy * m (the mask holds 0
/// or 1 exactly). Eval: y = p x and dx = p dy, with p rounded once to float32. The paper scales
/// the outgoing weights instead, W_test = p W (its section 10); the layer after a dropout layer
/// is linear in its input up to its bias (dense: W^T (p x) + b = (p W)^T x + b; a convolution
/// likewise; flatten, pooling and ReLU in between commute with a factor p > 0), so the
/// predictions are the paper's, without touching the stored weights (they stay the trained W).
class DropoutLayer : public NoiseLayer {
 public:
  /// Throws std::invalid_argument unless 0 <= rate < 1.
  DropoutLayer(std::string name, double rate, Rng rng, bool spatial = false,
               DropoutScaling scaling = DropoutScaling::kInverted);

  /// "dropout_0: rate 0.5"; with weight scaling "dropout_0: rate 0.5, scaling weight (eval x
  /// 0.5)", the eval factor as the shortest text that reads back as the float32 p.
  std::string describe() const override;

  double rate() const { return rate_; }
  DropoutScaling scaling() const { return scaling_; }
  /// The scale factors of the last train-mode forward (rows [0, n) valid).
  const Matrix& mask() const { return noise(); }

 protected:
  bool active() const override { return rate_ > 0.0; }
  /// m = 0 with probability rate, else 1 / (1 - rate) (inverted) or 1 (weight).
  void draw(float* m, std::size_t count, Rng& rng) const override;
  /// 1 (inverted) or p = 1 - rate as float32 (weight).
  float eval_scale() const override;

 private:
  double rate_;
  DropoutScaling scaling_;
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
  /// "dropout(rate=0.5, input_rate=0.2)", with ", layers=last" appended for `layers: last`,
  /// ", spatial=true" for spatial dropout and ", scaling=weight" for weight scaling.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace reglab::regularizers
