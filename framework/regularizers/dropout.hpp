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
#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Which hidden post-activation slots a noise or sparsity regularizer acts on (its `layers` key,
/// shared by dropout, gaussian_dropout, uout and kl_sparsity). kLast is "dropout after the last
/// batch-norm layer", the remedy of Li, Chen, Hu and Yang 2019 ("Understanding the Disharmony
/// between Dropout and Batch Normalization by Variance Shift", CVPR, section 5). batch_norm sits
/// in the pre-activation slots, so with kLast no noisy activation feeds a batch-norm layer and
/// its running variance suffers no train-to-eval "variance shift".
enum class LayerSelection {
  kAll,   ///< every hidden layer (`layers: all`, the default)
  kLast,  ///< only the last hidden layer (`layers: last`)
};

/// Reads `layers` (all | last, default all); any other value throws ConfigError naming the key
/// and listing the choices.
LayerSelection read_layer_selection(config::OptionReader& reader);
/// "all" or "last".
std::string layer_selection_name(LayerSelection selection);
/// The first hidden layer index covered by `selection` in a network of `hidden` hidden layers:
/// 0 for kAll, hidden - 1 for kLast (0 when there are none). Indices [first, hidden) are covered.
std::size_t first_selected(LayerSelection selection, std::size_t hidden);
/// The noise stream of slot `slot` (0 = input, i + 1 = hidden layer i) of the regularizer at
/// ctx.position: Rng::stream(derive_seed(seed, "dropout_arm", arm), name, (position << 32) +
/// slot), so every layer of every instance draws from its own stream and arms differ.
Rng noise_stream(const AttachContext& ctx, std::string_view name, std::size_t slot);

/// Options of `dropout`. Both rates are DROP probabilities (Keras `rate`, PyTorch `p`); the
/// paper's retention probability is p = 1 - rate (its recipe p = 0.5 hidden, p = 0.8 input is
/// rate 0.5, input_rate 0.2).
struct DropoutOptions {
  double rate = 0.5;        ///< drop probability of hidden units, [0, 1)
  double input_rate = 0.0;  ///< drop probability of input units, [0, 1)
  /// hidden layers that get dropout; the input slot depends on input_rate only
  LayerSelection layers = LayerSelection::kAll;

  /// Reads `rate`, `input_rate` and `layers`; throws ConfigError (file, line, column) when out of
  /// range.
  static DropoutOptions read(config::OptionReader& reader);
};

/// A layer that multiplies its input by per-entry noise in train mode and is the identity in eval
/// mode: the shared mechanism of dropout, gaussian_dropout and uout. Train mode: draw() fills the
/// multipliers m (a buffer allocated once), y = x * m, and backward multiplies by the same m,
/// dx = dy * m. Eval mode, or a layer whose noise is off (active() false): y = x, dx = dy, and
/// nothing is drawn. The layer owns its Rng stream (listed by streams() for checkpoints).
class NoiseLayer : public models::Layer {
 public:
  NoiseLayer(std::string name, Rng rng) : name_(std::move(name)), rng_(rng) {}

  std::string name() const override { return name_; }
  void allocate(std::size_t capacity, std::size_t input_width) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  /// Draws the multipliers of the next train-mode forward over n rows (the same numbers, from
  /// the same stream, that forward would draw).
  void prepare(std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
  std::vector<Rng*> streams() override { return {&rng_}; }

  /// The multipliers of the last train-mode forward (rows [0, n) valid).
  const Matrix& noise() const { return noise_; }

 protected:
  /// False when the layer's noise is switched off (rate or beta 0).
  virtual bool active() const = 0;
  /// Writes `count` multipliers to `m`, drawn from `rng`, in order.
  virtual void draw(float* m, std::size_t count, Rng& rng) const = 0;

  std::string name_;

 private:
  Rng rng_;
  Matrix noise_;
  bool last_train_ = false;
  std::size_t prepared_rows_ = 0;  ///< rows of noise_ drawn by prepare() and not yet used
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
  DropoutLayer(std::string name, double rate, Rng rng);

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
/// hidden layer (`layers: all`) or of the last one only (`layers: last`), named "dropout_<i>",
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
  /// "dropout(rate=0.5, input_rate=0.2)", with ", layers=last" appended for `layers: last`.
  std::string describe() const override;
  void attach(models::Network& net, const AttachContext& ctx) override;

  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace reglab::regularizers
