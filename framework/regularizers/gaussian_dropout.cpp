#include "framework/regularizers/gaussian_dropout.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/experiment/options.hpp"

namespace reglab::regularizers {

namespace {

void check_rate(double rate, const char* what) {
  if (!(rate >= 0.0 && rate < 1.0)) {
    throw std::invalid_argument(std::string("gaussian_dropout: ") + what + " must be in [0, 1)");
  }
}

}  // namespace

GaussianDropoutOptions GaussianDropoutOptions::read(experiment::OptionReader& reader) {
  GaussianDropoutOptions o;
  o.rate = reader.get_double("rate", o.rate, experiment::Range::closed_open(0.0, 1.0));
  o.input_rate =
      reader.get_double("input_rate", o.input_rate, experiment::Range::closed_open(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  return o;
}

GaussianDropoutLayer::GaussianDropoutLayer(std::string name, double rate, Rng rng)
    : name_(std::move(name)), rate_(rate), sigma_(0.0), rng_(rng) {
  check_rate(rate, "rate");
  sigma_ = std::sqrt(rate / (1.0 - rate));
}

std::string GaussianDropoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": rate " << rate_ << " (sigma " << sigma_ << ")";
  return os.str();
}

void GaussianDropoutLayer::allocate(std::size_t capacity, std::size_t input_width) {
  Layer::allocate(capacity, input_width);
  noise_ = Matrix(std::array<std::size_t, 2>{capacity, input_width}, 1.0f);
}

void GaussianDropoutLayer::forward(const Matrix& x, std::size_t n, Mode mode) {
  const std::size_t count = n * noise_.shape()[1];
  if (n > noise_.shape()[0] || n > x.shape()[0] || x.shape()[1] != noise_.shape()[1]) {
    throw std::logic_error(name_ + ": input does not match the allocated buffers");
  }
  const float* in = x.data();
  float* out = out_.data();
  last_train_ = mode == Mode::kTrain && rate_ > 0.0;
  if (!last_train_) {
    for (std::size_t i = 0; i < count; ++i) out[i] = in[i];
    return;
  }
  float* m = noise_.data();
  for (std::size_t i = 0; i < count; ++i) {
    m[i] = static_cast<float>(1.0 + sigma_ * rng_.normal());
    out[i] = in[i] * m[i];
  }
}

void GaussianDropoutLayer::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
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

GaussianDropout::GaussianDropout(const GaussianDropoutOptions& options) : options_(options) {
  check_rate(options.rate, "rate");
  check_rate(options.input_rate, "input_rate");
}

RegularizerPtr GaussianDropout::from_config(experiment::OptionReader& reader) {
  return std::make_unique<GaussianDropout>(GaussianDropoutOptions::read(reader));
}

std::string GaussianDropout::describe() const {
  std::ostringstream os;
  os << "gaussian_dropout(rate=" << options_.rate << ", input_rate=" << options_.input_rate;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << layer_selection_name(options_.layers);
  }
  os << ")";
  return os.str();
}

void GaussianDropout::attach(models::Network& net, const AttachContext& ctx) {
  if (options_.input_rate > 0.0) {
    net.add_input_layer(std::make_unique<GaussianDropoutLayer>(
        net.unique_name("gaussian_dropout_input"), options_.input_rate,
        noise_stream(ctx, "gaussian_dropout", 0)));
  }
  if (options_.rate == 0.0) return;
  const std::size_t hidden = net.hidden_count();
  for (std::size_t i = first_selected(options_.layers, hidden); i < hidden; ++i) {
    net.add_post_activation(i, std::make_unique<GaussianDropoutLayer>(
                                   net.unique_name("gaussian_dropout_" + std::to_string(i)),
                                   options_.rate, noise_stream(ctx, "gaussian_dropout", i + 1)));
  }
}

}  // namespace reglab::regularizers
