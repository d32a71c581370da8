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

/// Which hidden blocks a noise or sparsity regularizer acts on (its `layers` key, shared by
/// dropout, gaussian_dropout, uout and kl_sparsity): `all` (also spelt `hidden`), `last`, or a
/// list of hidden weight-layer names such as [conv2d_1, dense_0] (models/network.hpp names
/// them). kLast is "dropout after the last
/// batch-norm layer", the remedy of Li, Chen, Hu and Yang 2019 ("Understanding the Disharmony
/// between Dropout and Batch Normalization by Variance Shift", CVPR, section 5). batch_norm sits
/// in the pre-activation slots, so with kLast no noisy activation feeds a batch-norm layer and
/// its running variance suffers no train-to-eval "variance shift".
struct LayerSelection {
  enum Kind {
    kAll,    ///< every hidden layer (`layers: all` or `hidden`, the default)
    kLast,   ///< only the last hidden layer (`layers: last`)
    kNamed,  ///< the hidden layers named in `layers: [...]`
  };
  Kind kind = kAll;
  std::vector<std::string> names;  ///< kNamed: weight-layer names, in the order given

  LayerSelection(Kind k = kAll) : kind(k) {}  // NOLINT(google-explicit-constructor)
  bool operator==(const LayerSelection& o) const { return kind == o.kind && names == o.names; }
  bool operator!=(const LayerSelection& o) const { return !(*this == o); }

  /// "all", "last", or "[conv2d_0, dense_0]".
  std::string str() const;
};

/// Reads `layers` (all | hidden | last | a list of names, default all); any other value throws
/// ConfigError naming the key and listing the choices.
LayerSelection read_layer_selection(config::OptionReader& reader);
/// The hidden-layer indices `selection` covers in `net`, ascending. Throws ConfigError for a
/// name that is not a hidden weight layer of the network, listing those that are.
std::vector<std::size_t> selected_layers(const LayerSelection& selection,
                                         const models::Network& net);
/// The noise stream of slot `slot` (0 = input, i + 1 = hidden layer i) of the regularizer at
/// ctx.position: Rng::stream(derive_seed(seed, "dropout_arm", arm), name, (position << 32) +
/// slot), so every layer of every instance draws from its own stream and arms differ.
Rng noise_stream(const AttachContext& ctx, std::string_view name, std::size_t slot);

/// A layer that multiplies its input by per-entry noise in train mode and by a constant in eval
/// mode: the shared mechanism of dropout, gaussian_dropout and uout. Train mode: draw() fills the
/// multipliers m (a buffer allocated once), y = x * m, and backward multiplies by the same m,
/// dx = dy * m. Mode::kSample (one Monte-Carlo sample, no backward) draws and multiplies as in
/// train mode. Eval mode, or a layer whose noise is off (active() false): y = s x, dx = s dy
/// with s = eval_scale(), 1 (the identity, a plain copy) unless a subclass says otherwise
/// (dropout with `scaling: weight`), and nothing is drawn. The layer owns its Rng stream (listed
/// by streams() for checkpoints).
///
/// Spatial noise (Tompson et al. 2015, "Efficient Object Localization Using Convolutional
/// Networks", CVPR: SpatialDropout): with `spatial`, one multiplier per sample and channel is
/// drawn and shared by every position of that channel, so whole feature maps are dropped. On a
/// vector input (one position per channel) it is the same as element-wise noise.
class NoiseLayer : public models::Layer {
 public:
  NoiseLayer(std::string name, Rng rng, bool spatial = false)
      : name_(std::move(name)), rng_(rng), spatial_(spatial) {}

  std::string name() const override { return name_; }
  void allocate(std::size_t capacity, const models::Shape& input) override;
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
  /// The constant s of eval mode (and of a train-mode pass whose noise is off): y = s x.
  virtual float eval_scale() const { return 1.0f; }

  std::string name_;

 private:
  /// Fills rows [0, n) of noise_: one draw per entry, or per channel when spatial.
  void draw_rows(std::size_t n);
  /// to[i] = eval_scale() * from[i] for i < count (a plain copy when the scale is 1).
  void copy_scaled(const float* from, float* to, std::size_t count) const;

  Rng rng_;
  bool spatial_ = false;
  std::size_t group_ = 1;  ///< entries that share one multiplier (positions per channel)
  Matrix noise_;
  bool last_train_ = false;
  std::size_t prepared_rows_ = 0;  ///< rows of noise_ drawn by prepare() and not yet used
};

}  // namespace reglab::regularizers
