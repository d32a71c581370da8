#include "framework/regularizers/gaussian_dropout.hpp"

#include <array>
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

void check_rate(double rate, const char* what) {
  if (!(rate >= 0.0 && rate < 1.0)) {
    throw std::invalid_argument(std::string("gaussian_dropout: ") + what + " must be in [0, 1)");
  }
}

}  // namespace

GaussianDropoutOptions GaussianDropoutOptions::read(config::OptionReader& reader) {
  GaussianDropoutOptions o;
  o.rate = reader.get_double("rate", o.rate, config::Range::closed_open(0.0, 1.0));
  o.input_rate =
      reader.get_double("input_rate", o.input_rate, config::Range::closed_open(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  return o;
}

GaussianDropoutLayer::GaussianDropoutLayer(std::string name, double rate, Rng rng)
    : NoiseLayer(std::move(name), rng), rate_(rate), sigma_(0.0) {
  check_rate(rate, "rate");
  sigma_ = std::sqrt(rate / (1.0 - rate));
}

std::string GaussianDropoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": rate " << rate_ << " (sigma " << sigma_ << ")";
  return os.str();
}

void GaussianDropoutLayer::draw(float* m, std::size_t count, Rng& rng) const {
  for (std::size_t i = 0; i < count; ++i) m[i] = static_cast<float>(1.0 + sigma_ * rng.normal());
}

GaussianDropout::GaussianDropout(const GaussianDropoutOptions& options) : options_(options) {
  check_rate(options.rate, "rate");
  check_rate(options.input_rate, "input_rate");
}

RegularizerPtr GaussianDropout::from_config(config::OptionReader& reader) {
  return std::make_unique<GaussianDropout>(GaussianDropoutOptions::read(reader));
}

std::string GaussianDropout::describe() const {
  std::ostringstream os;
  os << "gaussian_dropout(rate=" << options_.rate << ", input_rate=" << options_.input_rate;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << options_.layers.str();
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
  for (const std::size_t i : selected_layers(options_.layers, net)) {
    net.add_post_activation(i, std::make_unique<GaussianDropoutLayer>(
                                   net.unique_name("gaussian_dropout_" + std::to_string(i)),
                                   options_.rate, noise_stream(ctx, "gaussian_dropout", i + 1)));
  }
}

}  // namespace reglab::regularizers
