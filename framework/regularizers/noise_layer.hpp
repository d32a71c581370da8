/// What the noise regularizers share (dropout, gaussian_dropout, uout) and kl_sparsity uses too:
/// the choice of hidden layers they act on, the seed tree of their noise streams, and the layer
/// that multiplies activations by noise in train mode.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::config {
class OptionReader;
}

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

}  // namespace reglab::regularizers
