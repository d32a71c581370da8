#include "framework/regularizers/uout.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/experiment/options.hpp"

namespace reglab::regularizers {

namespace {

void check_beta(double beta) {
  if (!(beta >= 0.0 && beta <= 1.0)) throw std::invalid_argument("uout: beta must be in [0, 1]");
}

}  // namespace

UoutOptions UoutOptions::read(experiment::OptionReader& reader) {
  UoutOptions o;
  o.beta = reader.get_double("beta", o.beta, experiment::Range::closed(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  return o;
}

UoutLayer::UoutLayer(std::string name, double beta, Rng rng)
    : name_(std::move(name)), beta_(beta), rng_(rng) {
  check_beta(beta);
}

std::string UoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": beta " << beta_;
  return os.str();
}

void UoutLayer::allocate(std::size_t capacity, std::size_t input_width) {
  Layer::allocate(capacity, input_width);
  noise_ = Matrix(std::array<std::size_t, 2>{capacity, input_width}, 1.0f);
}

void UoutLayer::forward(const Matrix& x, std::size_t n, Mode mode) {
  const std::size_t count = n * noise_.shape()[1];
  if (n > noise_.shape()[0] || n > x.shape()[0] || x.shape()[1] != noise_.shape()[1]) {
    throw std::logic_error(name_ + ": input does not match the allocated buffers");
  }
  const float* in = x.data();
  float* out = out_.data();
  last_train_ = mode == Mode::kTrain && beta_ > 0.0;
  if (!last_train_) {
    for (std::size_t i = 0; i < count; ++i) out[i] = in[i];
    return;
  }
  float* m = noise_.data();
  for (std::size_t i = 0; i < count; ++i) {
    const double r = beta_ * (2.0 * static_cast<double>(rng_.uniform()) - 1.0);
    m[i] = static_cast<float>(1.0 + r);
    out[i] = in[i] * m[i];
  }
}

void UoutLayer::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                         bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t count = n * noise_.shape()[1];
  const float* g = grad_out.data();
  float* gi = grad_in_.data();
  if (!last_train_) {
    for (std::size_t i = 0; i < count; ++i) gi[i] = g[i];
    return;
  }
  const float* m = noise_.data();
  for (std::size_t i = 0; i < count; ++i) gi[i] = g[i] * m[i];
}

Uout::Uout(const UoutOptions& options) : options_(options) { check_beta(options.beta); }

RegularizerPtr Uout::from_config(experiment::OptionReader& reader) {
  return std::make_unique<Uout>(UoutOptions::read(reader));
}

std::string Uout::describe() const {
  std::ostringstream os;
  os << "uout(beta=" << options_.beta;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << layer_selection_name(options_.layers);
  }
  os << ")";
  return os.str();
}

void Uout::attach(models::Network& net, const AttachContext& ctx) {
  if (options_.beta == 0.0) return;
  const std::size_t hidden = net.hidden_count();
  for (std::size_t i = first_selected(options_.layers, hidden); i < hidden; ++i) {
    net.add_post_activation(
        i, std::make_unique<UoutLayer>(net.unique_name("uout_" + std::to_string(i)), options_.beta,
                                       noise_stream(ctx, "uout", i + 1)));
  }
}

}  // namespace reglab::regularizers
