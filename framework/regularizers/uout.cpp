#include "framework/regularizers/uout.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

namespace {

void check_beta(double beta) {
  if (!(beta >= 0.0 && beta <= 1.0)) throw std::invalid_argument("uout: beta must be in [0, 1]");
}

}  // namespace

UoutOptions UoutOptions::read(config::OptionReader& reader) {
  UoutOptions o;
  o.beta = reader.get_double("beta", o.beta, config::Range::closed(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  return o;
}

UoutLayer::UoutLayer(std::string name, double beta, Rng rng)
    : NoiseLayer(std::move(name), rng), beta_(beta) {
  check_beta(beta);
}

std::string UoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": beta " << beta_;
  return os.str();
}

void UoutLayer::draw(float* m, std::size_t count, Rng& rng) const {
  for (std::size_t i = 0; i < count; ++i) {
    const double r = beta_ * (2.0 * static_cast<double>(rng.uniform()) - 1.0);
    m[i] = static_cast<float>(1.0 + r);
  }
}

Uout::Uout(const UoutOptions& options) : options_(options) { check_beta(options.beta); }

RegularizerPtr Uout::from_config(config::OptionReader& reader) {
  return std::make_unique<Uout>(UoutOptions::read(reader));
}

std::string Uout::describe() const {
  std::ostringstream os;
  os << "uout(beta=" << options_.beta;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << options_.layers.str();
  }
  os << ")";
  return os.str();
}

void Uout::attach(models::Network& net, const AttachContext& ctx) {
  if (options_.beta == 0.0) return;
  for (const std::size_t i : selected_layers(options_.layers, net)) {
    net.add_post_activation(
        i, std::make_unique<UoutLayer>(net.unique_name("uout_" + std::to_string(i)), options_.beta,
                                       noise_stream(ctx, "uout", i + 1)));
  }
}

}  // namespace reglab::regularizers
