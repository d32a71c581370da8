#include "framework/regularizers/dropout.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
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

}  // namespace

LayerSelection read_layer_selection(config::OptionReader& reader) {
  const std::string v = reader.get_string("layers", "all", {"all", "last"});
  return v == "last" ? LayerSelection::kLast : LayerSelection::kAll;
}

std::string layer_selection_name(LayerSelection selection) {
  return selection == LayerSelection::kLast ? "last" : "all";
}

std::size_t first_selected(LayerSelection selection, std::size_t hidden) {
  return selection == LayerSelection::kLast && hidden > 0 ? hidden - 1 : 0;
}

Rng noise_stream(const AttachContext& ctx, std::string_view name, std::size_t slot) {
  const std::uint64_t index = (static_cast<std::uint64_t>(ctx.position) << 32) + slot;
  return Rng::stream(derive_seed(ctx.seed, "dropout_arm", ctx.arm), name, index);
}

DropoutOptions DropoutOptions::read(config::OptionReader& reader) {
  DropoutOptions o;
  o.rate = reader.get_double("rate", o.rate, config::Range::closed_open(0.0, 1.0));
  o.input_rate =
      reader.get_double("input_rate", o.input_rate, config::Range::closed_open(0.0, 1.0));
  o.layers = read_layer_selection(reader);
  return o;
}

void NoiseLayer::allocate(std::size_t capacity, std::size_t input_width) {
  Layer::allocate(capacity, input_width);
  noise_ = Matrix(std::array<std::size_t, 2>{capacity, input_width}, 1.0f);
}

void NoiseLayer::prepare(std::size_t n, Mode mode) {
  if (mode != Mode::kTrain || !active() || n > noise_.shape()[0]) return;
  draw(noise_.data(), n * noise_.shape()[1], rng_);
  prepared_rows_ = n;
}

void NoiseLayer::forward(const Matrix& x, std::size_t n, Mode mode) {
  const std::size_t count = n * noise_.shape()[1];
  if (n > noise_.shape()[0] || n > x.shape()[0] || x.shape()[1] != noise_.shape()[1]) {
    throw std::logic_error(name_ + ": input does not match the allocated buffers");
  }
  const float* in = x.data();
  float* out = out_.data();
  last_train_ = mode == Mode::kTrain && active();
  const std::size_t prepared = prepared_rows_;
  prepared_rows_ = 0;
  if (!last_train_) {
    if (prepared != 0) throw std::logic_error(name_ + ": noise prepared for a train-mode forward");
    parallel::for_range(count, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) out[i] = in[i];
    });
    return;
  }
  const float* m = noise_.data();
  if (prepared == 0) {
    draw(noise_.data(), count, rng_);
  } else if (prepared != n) {
    throw std::logic_error(name_ + ": noise prepared for another batch size");
  }
  parallel::for_range(count, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) out[i] = in[i] * m[i];
  });
}

void NoiseLayer::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                          bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t count = n * noise_.shape()[1];
  const float* g = grad_out.data();
  float* gi = grad_in_.data();
  if (!last_train_) {
    parallel::for_range(count, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) gi[i] = g[i];
    });
    return;
  }
  const float* m = noise_.data();
  parallel::for_range(count, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) gi[i] = g[i] * m[i];
  });
}

DropoutLayer::DropoutLayer(std::string name, double rate, Rng rng)
    : NoiseLayer(std::move(name), rng), rate_(rate) {
  check_rate(rate, "rate");
}

std::string DropoutLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": rate " << rate_;
  return os.str();
}

void DropoutLayer::draw(float* m, std::size_t count, Rng& rng) const {
  const float drop = static_cast<float>(rate_);
  const float scale = static_cast<float>(1.0 / (1.0 - rate_));
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
    os << ", layers=" << layer_selection_name(options_.layers);
  }
  os << ")";
  return os.str();
}

void Dropout::attach(models::Network& net, const AttachContext& ctx) {
  if (options_.input_rate > 0.0) {
    net.add_input_layer(std::make_unique<DropoutLayer>(
        net.unique_name("dropout_input"), options_.input_rate, noise_stream(ctx, "dropout", 0)));
  }
  if (options_.rate == 0.0) return;
  const std::size_t hidden = net.hidden_count();
  for (std::size_t i = first_selected(options_.layers, hidden); i < hidden; ++i) {
    net.add_post_activation(
        i, std::make_unique<DropoutLayer>(net.unique_name("dropout_" + std::to_string(i)),
                                          options_.rate, noise_stream(ctx, "dropout", i + 1)));
  }
}

}  // namespace reglab::regularizers
