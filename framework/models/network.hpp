/// A feed-forward network: a stack of layers read from the model's YAML, with slots where
/// regularizers insert theirs.
///
/// The stack is an ordered list of layers (dense, conv2d, pooling, activations, ...). The layers
/// with a kernel (WeightLayer: dense, conv2d) divide it into blocks; the last weight layer is the
/// output layer, every other one is "hidden layer i" (i counts weight layers from 0). The slots:
///   [input slot]             before the first layer (input dropout)
///   weight layer i
///   [pre-activation slot i]  right after weight layer i (batch_norm_i)
///   ... activation, pooling of block i ...
///   [post-activation slot i] after block i's last layer other than a flatten, i.e. after its
///                            activation and pooling and before the next weight layer (dropout_i)
/// For the `mlp` short form (dense_i, activation_i, ..., dense_out) these are exactly the slots
/// around dense_i and activation_i. Within a slot, layers run in the order they were added, which
/// is the order of the `regularizers:` list.
///
/// Layer names are the layer type and its count among the stack's layers of that type
/// ("conv2d_0", "relu_1", "dense_2"); kernels are drawn from Rng stream "init"/i of the run seed,
/// i being the weight layer's index. So an `mlp` and the stack it expands to are the same network,
/// bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/models/layer.hpp"

namespace reglab::models {

class Dense;

/// The non-linearity between dense layers.
enum class Activation { kRelu, kTanh, kSigmoid };

/// Parses "relu" / "tanh" / "sigmoid"; returns false if unknown.
bool parse_activation(const std::string& text, Activation& out);
std::string activation_name(Activation a);

/// Weight initialisation of kernels (biases start at zero).
enum class Init { kGlorotUniform, kHeUniform, kHeNormal, kNormal };
bool parse_init(const std::string& text, Init& out);
std::string init_name(Init i);

/// Fills `kernel` from `rng` in its storage order: glorot_uniform U(-l, l) with
/// l = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010), he_uniform l = sqrt(6 / fan_in),
/// he_normal N(0, 2 / fan_in) (He et al. 2015), normal N(0, scale^2). For a convolution, fan_in =
/// in_channels * kh * kw and fan_out = filters * kh * kw (the Keras and PyTorch convention).
void init_kernel(Param& kernel, Init init, double scale, double fan_in, double fan_out, Rng& rng);

/// What a layer recipe needs to build its layer.
struct LayerBuild {
  std::string name;         ///< unique in the network, e.g. "conv2d_0"
  Shape input;              ///< shape of one input sample
  std::size_t classes = 0;  ///< the dataset's classes (`units: classes`)
  Init init = Init::kGlorotUniform;
  double init_scale = 0.01;
  std::uint64_t seed = 0;        ///< run seed: kernels draw from Rng::stream(seed, "init", index)
  std::size_t weight_index = 0;  ///< index of this layer among the weight layers
};

/// One entry of a model's stack as read from YAML when the run is planned: the layer type's
/// registry name, its options in canonical form, and how to build the layer once the input shape
/// is known (when the data is loaded).
struct LayerRecipe {
  std::string kind;  ///< registry name, e.g. "conv2d"; also the layer's name prefix
  /// Options as (key, JSON value) pairs in a fixed order, e.g. {"filters", "32"}, {"padding",
  /// "\"same\""}; stored with the run (Network::model_json) so a tool can rebuild the network.
  std::vector<std::pair<std::string, std::string>> options;
  bool weighted = false;  ///< builds a WeightLayer (a block of the network)
  bool flatten = false;   ///< a shape-only layer that the post-activation slot sits in front of
  std::string where;      ///< where it was configured ("run.yaml:7:5"), for build errors
  /// Builds the layer; throws std::invalid_argument when the input shape does not suit it.
  std::function<LayerPtr(const LayerBuild&)> build;
};

struct NetworkSpec {
  std::size_t inputs = 0;  ///< values per sample (set from the data)
  /// Shape of one sample (set from the data); channels == 0 means {inputs, 1, 1}.
  Shape input_shape;
  std::size_t classes = 0;
  /// The stack. Empty: the `mlp` short form below (softmax regression if `hidden` is empty).
  std::vector<LayerRecipe> layers;
  std::vector<std::size_t> hidden;  ///< mlp short form: widths of the hidden dense layers
  Activation activation = Activation::kRelu;
  Init init = Init::kGlorotUniform;
  double init_scale = 0.01;  ///< standard deviation for Init::kNormal
};

/// The stack an `mlp` short form stands for: dense(hidden[0]), activation, ..., dense(classes).
std::vector<LayerRecipe> mlp_stack(const std::vector<std::size_t>& hidden, Activation activation);
/// The recipes of the built-in dense and activation layers (models/layers.cpp).
LayerRecipe dense_recipe(std::size_t units);  ///< units 0: the dataset's classes
LayerRecipe activation_recipe(Activation activation);

class Network {
 public:
  /// Builds the stack's layers for samples of spec.input_shape (or {inputs, 1, 1}). Throws
  /// ConfigError naming the layer's configuration when a layer cannot take its input shape.
  Network(const NetworkSpec& spec, std::uint64_t seed);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const NetworkSpec& spec() const { return spec_; }
  /// Weight layers other than the output layer.
  std::size_t hidden_count() const { return weights_.size() - 1; }
  /// Shape of one input sample.
  const Shape& input_shape() const { return input_shape_; }
  /// Shape in pre-activation slot i (weight layer i's output) and in post-activation slot i.
  const Shape& pre_activation_shape(std::size_t hidden_index) const;
  const Shape& post_activation_shape(std::size_t hidden_index) const;

  /// Slot insertion, before finalize(). `hidden_index` < hidden_count(). A slot layer must keep
  /// the shape of its input.
  void add_input_layer(LayerPtr layer);
  void add_pre_activation(std::size_t hidden_index, LayerPtr layer);
  void add_post_activation(std::size_t hidden_index, LayerPtr layer);

  /// `base` if no layer has that name yet, else `base_2`, `base_3`, ... (two instances of one
  /// regularizer in a run get distinct layer names, so their saved weights do not collide).
  std::string unique_name(const std::string& base) const;

  /// Fixes the layer order and allocates every buffer for batches of up to `capacity` rows, and
  /// the buffers only backward() uses for `train_capacity` rows (0: `capacity`).
  void finalize(std::size_t capacity, std::size_t train_capacity = 0);
  std::size_t capacity() const { return capacity_; }

  /// Runs rows [0, n) of `x` (n x inputs) and returns the logits buffer (rows [0, n) valid).
  const Matrix& forward(const Matrix& x, std::size_t n, Mode mode);
  /// Back-propagates the gradient of the loss w.r.t. the logits; fills every Param::grad.
  void backward(const Matrix& x, const Matrix& grad_logits, std::size_t n);

  /// Every layer in execution order (after finalize()).
  const std::vector<Layer*>& layers() const { return order_; }
  /// Weight layers (dense, conv2d) in order; the last one is the output layer. Cached, so
  /// regularizers can call it every step without allocating.
  const std::vector<WeightLayer*>& weight_layers() const { return weights_; }
  /// The dense layers among them, in order.
  const std::vector<Dense*>& dense_layers() const { return dense_; }
  /// Every trainable parameter in execution order (after finalize()), cached like dense_layers().
  const std::vector<Param*>& params() const { return params_; }
  /// One line per layer.
  std::string describe() const;
  /// The stack as JSON: {"input": [c, h, w], "classes": k, "init": "...", "layers": [{"kind":
  /// "conv2d", "name": "conv2d_0", "options": {...}, "output": [c, h, w]}, ...]}. Layers added by
  /// regularizers are not part of it (the run's regularizers say where they go).
  std::string model_json() const;

 private:
  /// A layer of the stack with the slot layers that follow it.
  struct Item {
    LayerPtr layer;
    std::string kind;
    std::vector<std::pair<std::string, std::string>> options;
    Shape output;
    std::vector<LayerPtr> pre;   ///< pre-activation slot (weight layers only)
    std::vector<LayerPtr> post;  ///< post-activation slot (a block's last layer)
  };
  NetworkSpec spec_;
  Shape input_shape_;
  std::vector<LayerPtr> input_layers_;
  std::vector<Item> stack_;
  std::vector<std::size_t> weight_item_;  ///< stack_ index of weight layer i
  std::vector<std::size_t> post_item_;    ///< stack_ index holding post-activation slot i
  std::vector<Layer*> order_;
  /// order_ sorted by output width, widest first: Layer::prepare tasks, so that threads pick
  /// the largest noise draws first and finish together.
  std::vector<Layer*> prepare_order_;
  std::size_t first_trainable_ = 0;  ///< index in order_ of the first layer with parameters
  std::vector<WeightLayer*> weights_;
  std::vector<Dense*> dense_;
  std::vector<Param*> params_;
  std::size_t capacity_ = 0;
  bool finalized_ = false;
};

}  // namespace reglab::models
