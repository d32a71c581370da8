#include "framework/regularizers/noise_layer.hpp"

#include <cstddef>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/parallel.hpp"

namespace reglab::regularizers {

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

}  // namespace reglab::regularizers
