#include "framework/models/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

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

namespace {

/// Fills a kernel {fan_in, fan_out} from `rng` in row-major order.
void init_kernel(Param& kernel, Init init, double scale, Rng& rng) {
  const double fan_in = static_cast<double>(kernel.shape[0]);
  const double fan_out = static_cast<double>(kernel.shape[1]);
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

}  // namespace

Network::Network(const NetworkSpec& spec, std::uint64_t seed) : spec_(spec) {
  if (spec.inputs == 0 || spec.classes == 0) throw std::invalid_argument("network: empty shape");
  std::size_t width = spec.inputs;
  const std::size_t count = spec.hidden.size() + 1;
  for (std::size_t i = 0; i < count; ++i) {
    const bool output = i + 1 == count;
    const std::size_t units = output ? spec.classes : spec.hidden[i];
    auto dense = std::make_unique<Dense>("dense_" + std::to_string(i), width, units);
    Rng rng = Rng::stream(seed, "init", i);
    init_kernel(dense->kernel(), spec.init, spec.init_scale, rng);
    Block block;
    block.dense = std::move(dense);
    if (!output) {
      block.activation = std::make_unique<ActivationLayer>(
          activation_name(spec.activation) + "_" + std::to_string(i), spec.activation);
    }
    dense_.push_back(static_cast<Dense*>(block.dense.get()));
    blocks_.push_back(std::move(block));
    width = units;
  }
}

Network::~Network() = default;

void Network::add_input_layer(LayerPtr layer) {
  if (finalized_) throw std::logic_error("network: add_input_layer after finalize");
  input_layers_.push_back(std::move(layer));
}

void Network::add_pre_activation(std::size_t hidden_index, LayerPtr layer) {
  if (finalized_ || hidden_index >= hidden_count()) {
    throw std::logic_error("network: bad pre-activation slot");
  }
  blocks_[hidden_index].pre_activation.push_back(std::move(layer));
}

void Network::add_post_activation(std::size_t hidden_index, LayerPtr layer) {
  if (finalized_ || hidden_index >= hidden_count()) {
    throw std::logic_error("network: bad post-activation slot");
  }
  blocks_[hidden_index].post_activation.push_back(std::move(layer));
}

std::string Network::unique_name(const std::string& base) const {
  auto taken = [this](const std::string& name) {
    for (const auto& l : input_layers_) {
      if (l->name() == name) return true;
    }
    for (const auto& b : blocks_) {
      if (b.dense->name() == name || (b.activation && b.activation->name() == name)) return true;
      for (const auto& l : b.pre_activation) {
        if (l->name() == name) return true;
      }
      for (const auto& l : b.post_activation) {
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

void Network::finalize(std::size_t capacity) {
  order_.clear();
  for (auto& l : input_layers_) order_.push_back(l.get());
  for (auto& b : blocks_) {
    order_.push_back(b.dense.get());
    for (auto& l : b.pre_activation) order_.push_back(l.get());
    if (b.activation) order_.push_back(b.activation.get());
    for (auto& l : b.post_activation) order_.push_back(l.get());
  }
  std::size_t width = spec_.inputs;
  std::vector<std::pair<std::size_t, Layer*>> widths;
  for (Layer* l : order_) {
    l->allocate(capacity, width);
    width = l->output_width(width);
    widths.emplace_back(width, l);
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
  if (mode == Mode::kTrain && parallel::threads() > 1) {
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

}  // namespace reglab::models
