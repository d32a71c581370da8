#include "framework/regularizers/dropout.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/core/parallel.hpp"

namespace reglab::regularizers {

namespace {

void check_rate(double rate, const char* what) {
  if (!(rate >= 0.0 && rate < 1.0)) {
    throw std::invalid_argument(std::string("dropout: ") + what + " must be in [0, 1)");
  }
}

/// The shortest "%.*g" text that reads back (strtof) as exactly `v`: "0.8" for 0.8f.
std::string float_text(float v) {
  std::array<char, 32> buf{};
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf.data(), buf.size(), "%.*g", digits, static_cast<double>(v));
    if (std::strtof(buf.data(), nullptr) == v) break;
  }
  return buf.data();
}

}  // namespace

DropoutOptions DropoutOptions::read(config::OptionReader& reader) {
  DropoutOptions o;
  o.rate = reader.get_double("rate", o.rate, config::Range::closed_open(0.0, 1.0));
  o.input_rate =
      reader.get_double("input_rate", o.input_rate, config::Range::closed_open(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  o.spatial = reader.get_bool("spatial", false);
  const std::string scaling = reader.get_string("scaling", "inverted", {"inverted", "weight"});
  o.scaling = scaling == "weight" ? DropoutScaling::kWeight : DropoutScaling::kInverted;
  return o;
}

const char* scaling_name(DropoutScaling scaling) {
  return scaling == DropoutScaling::kWeight ? "weight" : "inverted";
}

DropoutLayer::DropoutLayer(std::string name, double rate, Rng rng, bool spatial,
                           DropoutScaling scaling)
    : NoiseLayer(std::move(name), rng, spatial), rate_(rate), scaling_(scaling) {
  check_rate(rate, "rate");
}

std::string DropoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": rate " << rate_;
  if (scaling_ == DropoutScaling::kWeight) {
    os << ", scaling weight (eval x " << float_text(eval_scale()) << ")";
  }
  return os.str();
}

float DropoutLayer::eval_scale() const {
  return scaling_ == DropoutScaling::kWeight ? static_cast<float>(1.0 - rate_) : 1.0f;
}

void DropoutLayer::draw(float* m, std::size_t count, Rng& rng) const {
  const float drop = static_cast<float>(rate_);
  const float scale =
      scaling_ == DropoutScaling::kWeight ? 1.0f : static_cast<float>(1.0 / (1.0 - rate_));
  // Branch-free: keep = 0 or 1 exactly, so m is 0 or scale as with a conditional, without a
  // mispredicted branch on every other unit.
  for (std::size_t i = 0; i < count; ++i) {
    const float keep = static_cast<float>(!(rng.uniform() < drop));
    m[i] = keep * scale;
  }
}

Dropout::Dropout(const DropoutOptions& options) : options_(options) {
  check_rate(options.rate, "rate");
  check_rate(options.input_rate, "input_rate");
}

RegularizerPtr Dropout::from_config(config::OptionReader& reader) {
  return std::make_unique<Dropout>(DropoutOptions::read(reader));
}

std::string Dropout::describe() const {
  std::ostringstream os;
  os << "dropout(rate=" << options_.rate << ", input_rate=" << options_.input_rate;
  if (options_.layers != LayerSelection::kAll) {
    os << ", layers=" << options_.layers.str();
  }
  if (options_.spatial) os << ", spatial=true";
  if (options_.scaling != DropoutScaling::kInverted)
    os << ", scaling=" << scaling_name(options_.scaling);
  os << ")";
  return os.str();
}

void Dropout::attach(models::Network& net, const AttachContext& ctx) {
  if (options_.input_rate > 0.0) {
    net.add_input_layer(
        std::make_unique<DropoutLayer>(net.unique_name("dropout_input"), options_.input_rate,
                                       noise_stream(ctx, "dropout", 0), false, options_.scaling));
  }
  if (options_.rate == 0.0) return;
  for (const std::size_t i : selected_layers(options_.layers, net)) {
    net.add_post_activation(
        i, std::make_unique<DropoutLayer>(net.unique_name("dropout_" + std::to_string(i)),
                                          options_.rate, noise_stream(ctx, "dropout", i + 1),
                                          options_.spatial, options_.scaling));
  }
}

}  // namespace reglab::regularizers
