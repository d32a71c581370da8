#include "framework/regularizers/kl_sparsity.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

namespace {

void check_options(double beta, double target) {
  if (!(beta >= 0.0)) throw std::invalid_argument("kl_sparsity: beta must be >= 0");
  if (!(target > 0.0 && target < 1.0)) {
    throw std::invalid_argument("kl_sparsity: target must be in (0, 1)");
  }
}

}  // namespace

KlSparsityOptions KlSparsityOptions::read(config::OptionReader& reader) {
  KlSparsityOptions o;
  o.beta = reader.get_double("beta", o.beta, config::Range::at_least(0.0));
  o.target = reader.get_double("target", o.target, config::Range{0.0, 1.0, false, false});
  o.layers = read_layer_selection(reader);
  return o;
}

KlSparsityLayer::KlSparsityLayer(std::string name, double beta, double target)
    : name_(std::move(name)), beta_(beta), target_(target) {
  check_options(beta, target);
}

std::string KlSparsityLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": target " << target_ << ", beta " << beta_;
  return os.str();
}

void KlSparsityLayer::allocate(std::size_t capacity, const models::Shape& input) {
  Layer::allocate(capacity, input);
  rho_hat_.assign(input.size(), target_);
  grad_.assign(input.size(), 0.0);
}

void KlSparsityLayer::forward(const Matrix& x, std::size_t n, Mode mode) {
  const std::size_t units = rho_hat_.size();
  if (n > out_.shape()[0] || n > x.shape()[0] || x.shape()[1] != units) {
    throw std::logic_error(name_ + ": input does not match the allocated buffers");
  }
  const float* in = x.data();
  float* out = out_.data();
  for (std::size_t k = 0; k < n * units; ++k) out[k] = in[k];
  last_train_ = mode == Mode::kTrain && n > 0;
  if (!last_train_) return;
  std::fill(rho_hat_.begin(), rho_hat_.end(), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < units; ++j) rho_hat_[j] += in[i * units + j];
  }
  const double count = static_cast<double>(n);
  const double rho = target_;
  double kl = 0.0;
  for (std::size_t j = 0; j < units; ++j) {
    const double mean = rho_hat_[j] / count;
    const double q = std::clamp(mean, kEps, 1.0 - kEps);
    rho_hat_[j] = q;
    kl += rho * std::log(rho / q) + (1.0 - rho) * std::log((1.0 - rho) / (1.0 - q));
    grad_[j] = q == mean ? beta_ / count * (-rho / q + (1.0 - rho) / (1.0 - q)) : 0.0;
  }
  penalty_ = beta_ * kl;
}

void KlSparsityLayer::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                               bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t units = rho_hat_.size();
  const float* g = grad_out.data();
  float* gi = grad_in_.data();
  if (!last_train_) {
    for (std::size_t k = 0; k < n * units; ++k) gi[k] = g[k];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < units; ++j) {
      const std::size_t k = i * units + j;
      gi[k] = static_cast<float>(static_cast<double>(g[k]) + grad_[j]);
    }
  }
}

KlSparsity::KlSparsity(const KlSparsityOptions& options) : options_(options) {
  check_options(options.beta, options.target);
}

RegularizerPtr KlSparsity::from_config(config::OptionReader& reader) {
  return std::make_unique<KlSparsity>(KlSparsityOptions::read(reader));
}

std::string KlSparsity::describe() const {
  std::ostringstream os;
  os << "kl_sparsity(beta=" << options_.beta << ", target=" << options_.target;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << options_.layers.str();
  }
  os << ")";
  return os.str();
}

void KlSparsity::attach(models::Network& net, const AttachContext& /*ctx*/) {
  layers_.clear();
  if (options_.beta == 0.0) return;
  for (const std::size_t i : selected_layers(options_.layers, net)) {
    auto layer = std::make_unique<KlSparsityLayer>(
        net.unique_name("kl_sparsity_" + std::to_string(i)), options_.beta, options_.target);
    layers_.push_back(layer.get());
    net.add_post_activation(i, std::move(layer));
  }
}

double KlSparsity::penalty(const models::Network& /*net*/) const {
  double sum = 0.0;
  for (const KlSparsityLayer* layer : layers_) sum += layer->penalty();
  return sum;
}

}  // namespace reglab::regularizers
