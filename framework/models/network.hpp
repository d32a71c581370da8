/// A feed-forward network: dense layers with an activation between them and slots where
/// regularizers insert layers.
///
/// Layout for hidden layer i (in this order):
///   [input slot]                 layers applied to the input (input dropout), before dense_0 only
///   dense_i                      x W + b, W stored {inputs, units} row-major
///   [pre-activation slot i]      e.g. batch_norm_i
///   activation_i                 relu / tanh / sigmoid
///   [post-activation slot i]     e.g. dropout_i
/// followed by the output dense layer producing logits. Within a slot, layers run in the order
/// they were added, which is the order of the `regularizers:` list.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/models/layer.hpp"

namespace reglab::models {

class Dense;

/// The non-linearity between dense layers.
enum class Activation { kRelu, kTanh, kSigmoid };

/// Parses "relu" / "tanh" / "sigmoid"; returns false if unknown.
bool parse_activation(const std::string& text, Activation& out);
std::string activation_name(Activation a);

/// Weight initialisation of dense kernels (biases start at zero).
enum class Init { kGlorotUniform, kHeUniform, kHeNormal, kNormal };
bool parse_init(const std::string& text, Init& out);
std::string init_name(Init i);

struct NetworkSpec {
  std::size_t inputs = 0;
  std::vector<std::size_t> hidden;  ///< widths of hidden layers (empty: softmax regression)
  std::size_t classes = 0;
  Activation activation = Activation::kRelu;
  Init init = Init::kGlorotUniform;
  double init_scale = 0.01;  ///< standard deviation for Init::kNormal
};

class Network {
 public:
  /// Builds the dense and activation layers; kernels are drawn from Rng streams "init"/i of `seed`.
  Network(const NetworkSpec& spec, std::uint64_t seed);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const NetworkSpec& spec() const { return spec_; }
  std::size_t hidden_count() const { return spec_.hidden.size(); }

  /// Slot insertion, before finalize(). `hidden_index` < hidden_count().
  void add_input_layer(LayerPtr layer);
  void add_pre_activation(std::size_t hidden_index, LayerPtr layer);
  void add_post_activation(std::size_t hidden_index, LayerPtr layer);

  /// `base` if no layer has that name yet, else `base_2`, `base_3`, ... (two instances of one
  /// regularizer in a run get distinct layer names, so their saved weights do not collide).
  std::string unique_name(const std::string& base) const;

  /// Fixes the layer order and allocates every buffer for batches of up to `capacity` rows.
  void finalize(std::size_t capacity);
  std::size_t capacity() const { return capacity_; }

  /// Runs rows [0, n) of `x` (n x inputs) and returns the logits buffer (rows [0, n) valid).
  const Matrix& forward(const Matrix& x, std::size_t n, Mode mode);
  /// Back-propagates the gradient of the loss w.r.t. the logits; fills every Param::grad.
  void backward(const Matrix& x, const Matrix& grad_logits, std::size_t n);

  /// Every layer in execution order (after finalize()).
  const std::vector<Layer*>& layers() const { return order_; }
  /// Dense layers in order; the last one is the output layer. Cached, so regularizers can call
  /// it every step without allocating.
  const std::vector<Dense*>& dense_layers() const { return dense_; }
  /// Every trainable parameter in execution order (after finalize()), cached like dense_layers().
  const std::vector<Param*>& params() const { return params_; }
  /// One line per layer.
  std::string describe() const;

 private:
  struct Block {
    LayerPtr dense;
    std::vector<LayerPtr> pre_activation;
    LayerPtr activation;  // null for the output block
    std::vector<LayerPtr> post_activation;
  };
  NetworkSpec spec_;
  std::vector<LayerPtr> input_layers_;
  std::vector<Block> blocks_;
  std::vector<Layer*> order_;
  /// order_ sorted by output width, widest first: Layer::prepare tasks, so that threads pick
  /// the largest noise draws first and finish together.
  std::vector<Layer*> prepare_order_;
  std::size_t first_trainable_ = 0;  ///< index in order_ of the first layer with parameters
  std::vector<Dense*> dense_;
  std::vector<Param*> params_;
  std::size_t capacity_ = 0;
  bool finalized_ = false;
};

}  // namespace reglab::models
