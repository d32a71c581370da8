#include "framework/models/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/activation.hpp"
#include "framework/models/dense.hpp"

namespace reglab::models {

bool parse_activation(const std::string& text, Activation& out) {
  if (text == "relu")
    out = Activation::kRelu;
  else if (text == "tanh")
    out = Activation::kTanh;
  else if (text == "sigmoid")
    out = Activation::kSigmoid;
  else
    return false;
  return true;
}

std::string activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "?";
}

bool parse_init(const std::string& text, Init& out) {
  if (text == "glorot_uniform")
    out = Init::kGlorotUniform;
  else if (text == "he_uniform")
    out = Init::kHeUniform;
  else if (text == "he_normal")
    out = Init::kHeNormal;
  else if (text == "normal")
    out = Init::kNormal;
  else
    return false;
  return true;
}

std::string init_name(Init i) {
  switch (i) {
    case Init::kGlorotUniform:
      return "glorot_uniform";
    case Init::kHeUniform:
      return "he_uniform";
    case Init::kHeNormal:
      return "he_normal";
    case Init::kNormal:
      return "normal";
  }
  return "?";
}

void init_kernel(Param& kernel, Init init, double scale, double fan_in, double fan_out, Rng& rng) {
  float* w = kernel.value.data();
  const std::size_t count = kernel.value.size();
  switch (init) {
    case Init::kGlorotUniform:
    case Init::kHeUniform: {
      const double limit = init == Init::kGlorotUniform ? std::sqrt(6.0 / (fan_in + fan_out))
                                                        : std::sqrt(6.0 / fan_in);
      for (std::size_t i = 0; i < count; ++i) {
        w[i] = static_cast<float>((2.0 * rng.uniform_double() - 1.0) * limit);
      }
      break;
    }
    case Init::kHeNormal:
    case Init::kNormal: {
      const double sd = init == Init::kHeNormal ? std::sqrt(2.0 / fan_in) : scale;
      for (std::size_t i = 0; i < count; ++i) w[i] = static_cast<float>(rng.normal() * sd);
      break;
    }
  }
}

std::vector<LayerRecipe> mlp_stack(const std::vector<std::size_t>& hidden, Activation activation) {
  std::vector<LayerRecipe> stack;
  for (std::size_t units : hidden) {
    stack.push_back(dense_recipe(units));
    stack.push_back(activation_recipe(activation));
  }
  stack.push_back(dense_recipe(0));
  return stack;
}

namespace {

std::string json_shape(const Shape& s) {
  return "[" + std::to_string(s.channels) + ", " + std::to_string(s.height) + ", " +
         std::to_string(s.width) + "]";
}

}  // namespace

Network::Network(const NetworkSpec& spec, std::uint64_t seed) : spec_(spec) {
  input_shape_ = spec.input_shape.channels == 0 ? Shape{spec.inputs, 1, 1} : spec.input_shape;
  if (input_shape_.size() == 0 || spec.classes == 0) {
    throw std::invalid_argument("network: empty shape");
  }
  if (spec.inputs != 0 && spec.inputs != input_shape_.size()) {
    throw std::invalid_argument("network: inputs differ from the input shape's size");
  }
  spec_.inputs = input_shape_.size();
  if (spec_.layers.empty()) spec_.layers = mlp_stack(spec.hidden, spec.activation);
  std::vector<std::size_t> kind_count;
  std::vector<std::string> kinds;
  Shape shape = input_shape_;
  for (const LayerRecipe& recipe : spec_.layers) {
    auto it = std::find(kinds.begin(), kinds.end(), recipe.kind);
    std::size_t k = static_cast<std::size_t>(it - kinds.begin());
    if (it == kinds.end()) {
      kinds.push_back(recipe.kind);
      kind_count.push_back(0);
    }
    LayerBuild b;
    b.name = recipe.kind + "_" + std::to_string(kind_count[k]++);
    b.input = shape;
    b.classes = spec_.classes;
    b.init = spec_.init;
    b.init_scale = spec_.init_scale;
    b.seed = seed;
    b.weight_index = weight_item_.size();
    Item item;
    try {
      item.layer = recipe.build(b);
      item.output = item.layer->output_shape(shape);
    } catch (const std::invalid_argument& e) {
      const std::string where = recipe.where.empty() ? "" : recipe.where + ": ";
      throw ConfigError(where + "layer " + b.name + " (input " + shape.str() + "): " + e.what());
    }
    item.kind = recipe.kind;
    item.options = recipe.options;
    if (recipe.weighted) {
      auto* w = dynamic_cast<WeightLayer*>(item.layer.get());
      if (w == nullptr) throw std::logic_error(recipe.kind + ": weighted recipe without kernel");
      weight_item_.push_back(stack_.size());
      weights_.push_back(w);
      if (auto* d = dynamic_cast<Dense*>(w)) dense_.push_back(d);
    }
    shape = item.output;
    stack_.push_back(std::move(item));
  }
  if (weights_.empty()) {
    throw ConfigError("model: the layer stack needs at least one dense or conv2d layer");
  }
  if (weight_item_.back() + 1 != stack_.size() || shape != Shape{spec_.classes, 1, 1}) {
    throw ConfigError("model: the last layer must be a dense layer with units: classes (" +
                      std::to_string(spec_.classes) + "); the stack ends with " +
                      stack_.back().layer->name() + " giving " + shape.str());
  }
  for (std::size_t i = 0; i + 1 < weight_item_.size(); ++i) {
    std::size_t at = weight_item_[i + 1] - 1;
    while (at > weight_item_[i] && spec_.layers[at].flatten) --at;
    post_item_.push_back(at);
  }
}

Network::~Network() = default;

const Shape& Network::pre_activation_shape(std::size_t hidden_index) const {
  if (hidden_index >= hidden_count()) throw std::logic_error("network: bad hidden index");
  return stack_[weight_item_[hidden_index]].output;
}

const Shape& Network::post_activation_shape(std::size_t hidden_index) const {
  if (hidden_index >= hidden_count()) throw std::logic_error("network: bad hidden index");
  return stack_[post_item_[hidden_index]].output;
}

void Network::add_input_layer(LayerPtr layer) {
  if (finalized_) throw std::logic_error("network: add_input_layer after finalize");
  input_layers_.push_back(std::move(layer));
}

void Network::add_pre_activation(std::size_t hidden_index, LayerPtr layer) {
  if (finalized_ || hidden_index >= hidden_count()) {
    throw std::logic_error("network: bad pre-activation slot");
  }
  stack_[weight_item_[hidden_index]].pre.push_back(std::move(layer));
}

void Network::add_post_activation(std::size_t hidden_index, LayerPtr layer) {
  if (finalized_ || hidden_index >= hidden_count()) {
    throw std::logic_error("network: bad post-activation slot");
  }
  stack_[post_item_[hidden_index]].post.push_back(std::move(layer));
}

std::string Network::unique_name(const std::string& base) const {
  auto taken = [this](const std::string& name) {
    for (const auto& l : input_layers_) {
      if (l->name() == name) return true;
    }
    for (const auto& item : stack_) {
      if (item.layer->name() == name) return true;
      for (const auto& l : item.pre) {
        if (l->name() == name) return true;
      }
      for (const auto& l : item.post) {
        if (l->name() == name) return true;
      }
    }
    return false;
  };
  if (!taken(base)) return base;
  for (int k = 2;; ++k) {
    std::string name = base + "_" + std::to_string(k);
    if (!taken(name)) return name;
  }
}

void Network::finalize(std::size_t capacity, std::size_t train_capacity) {
  order_.clear();
  for (auto& l : input_layers_) order_.push_back(l.get());
  for (auto& item : stack_) {
    order_.push_back(item.layer.get());
    for (auto& l : item.pre) order_.push_back(l.get());
    for (auto& l : item.post) order_.push_back(l.get());
  }
  Shape shape = input_shape_;
  std::vector<std::pair<std::size_t, Layer*>> widths;
  for (Layer* l : order_) {
    if (train_capacity != 0) l->set_backward_capacity(train_capacity);
    l->allocate(capacity, shape);
    shape = l->output_shape(shape);
    widths.emplace_back(shape.size(), l);
  }
  std::stable_sort(widths.begin(), widths.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  prepare_order_.clear();
  for (const auto& [w, l] : widths) prepare_order_.push_back(l);
  params_.clear();
  first_trainable_ = order_.size();
  for (std::size_t k = 0; k < order_.size(); ++k) {
    for (Param* p : order_[k]->params()) params_.push_back(p);
    if (first_trainable_ == order_.size() && !order_[k]->params().empty()) first_trainable_ = k;
  }
  capacity_ = capacity;
  finalized_ = true;
}

const Matrix& Network::forward(const Matrix& x, std::size_t n, Mode mode) {
  // Noise layers draw their multipliers from independent streams, so on a multi-threaded run
  // they draw all at once before the pass (the same numbers as drawing one layer at a time).
  if (mode != Mode::kEval && parallel::threads() > 1) {
    parallel::for_tasks(prepare_order_.size(),
                        [&](std::size_t k) { prepare_order_[k]->prepare(n, mode); });
  }
  const Matrix* in = &x;
  for (Layer* l : order_) {
    l->forward(*in, n, mode);
    in = &l->output();
  }
  return *in;
}

void Network::backward(const Matrix& x, const Matrix& grad_logits, std::size_t n) {
  const Matrix* grad = &grad_logits;
  // Layers before the first one with parameters (input dropout) have nothing to learn: the
  // backward pass stops at that layer, which skips its input gradient (for the first dense layer,
  // a GEMM as large as its weight gradient).
  for (std::size_t k = order_.size(); k-- > first_trainable_;) {
    const Matrix& input = k == 0 ? x : order_[k - 1]->output();
    order_[k]->backward(input, *grad, n, k > first_trainable_);
    grad = &order_[k]->input_grad();
  }
}

std::string Network::describe() const {
  std::string out;
  for (Layer* l : order_) out += l->describe() + "\n";
  return out;
}

std::string Network::model_json() const {
  std::string out = "{\"input\": " + json_shape(input_shape_) +
                    ", \"classes\": " + std::to_string(spec_.classes) + ", \"init\": \"" +
                    init_name(spec_.init) + "\", \"layers\": [";
  for (std::size_t i = 0; i < stack_.size(); ++i) {
    const Item& item = stack_[i];
    if (i > 0) out += ", ";
    out += "{\"kind\": \"" + item.kind + "\", \"name\": \"" + item.layer->name() +
           "\", \"options\": {";
    for (std::size_t k = 0; k < item.options.size(); ++k) {
      if (k > 0) out += ", ";
      out += "\"" + item.options[k].first + "\": " + item.options[k].second;
    }
    out += "}, \"output\": " + json_shape(item.output) + "}";
  }
  return out + "]}";
}

}  // namespace reglab::models
