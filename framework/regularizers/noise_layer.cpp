#include "framework/regularizers/noise_layer.hpp"

#include <algorithm>
#include <cstddef>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"

namespace reglab::regularizers {

namespace {

/// A stack layer's name: its type, "_" and a count ("conv2d_0").
bool is_layer_name(const std::string& s) {
  const auto cut = s.rfind('_');
  if (cut == std::string::npos || cut == 0 || cut + 1 == s.size()) return false;
  for (std::size_t i = cut + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string LayerSelection::str() const {
  if (kind == kAll) return "all";
  if (kind == kLast) return "last";
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", " : "") + names[i];
  return out + "]";
}

LayerSelection read_layer_selection(config::OptionReader& reader) {
  LayerSelection s;
  if (!reader.has("layers")) return s;
  const config::ConfigNode node = reader.child("layers");
  if (node.is_sequence()) {
    if (node.size() == 0) node.fail("layers: the list of layer names is empty");
    s.kind = LayerSelection::kNamed;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const config::ConfigNode item = node.at(i);
      if (!item.is_scalar() || !is_layer_name(item.scalar())) {
        item.fail(
            "expected a weight layer's name such as conv2d_0 or dense_1 (a list names "
            "layers; all, hidden and last are written without brackets)");
      }
      s.names.push_back(item.scalar());
    }
    return s;
  }
  const std::string v = reader.get_string("layers", "all", {"all", "hidden", "last"});
  s.kind = v == "last" ? LayerSelection::kLast : LayerSelection::kAll;
  return s;
}

std::vector<std::size_t> selected_layers(const LayerSelection& selection,
                                         const models::Network& net) {
  const std::size_t hidden = net.hidden_count();
  std::vector<std::size_t> out;
  if (selection.kind == LayerSelection::kAll) {
    for (std::size_t i = 0; i < hidden; ++i) out.push_back(i);
  } else if (selection.kind == LayerSelection::kLast) {
    if (hidden > 0) out.push_back(hidden - 1);
  } else {
    const auto& weights = net.weight_layers();
    for (std::size_t i = 0; i < hidden; ++i) {
      for (const auto& name : selection.names) {
        if (weights[i]->name() == name) out.push_back(i);
      }
    }
    for (const auto& name : selection.names) {
      bool found = false;
      for (std::size_t i = 0; i < hidden; ++i) found = found || weights[i]->name() == name;
      if (!found) {
        std::string known;
        for (std::size_t i = 0; i < hidden; ++i) known += (i > 0 ? ", " : "") + weights[i]->name();
        throw ConfigError("layers: '" + name + "' is not a hidden weight layer of the model" +
                          " (hidden layers: " + (known.empty() ? "none" : known) + ")");
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

Rng noise_stream(const AttachContext& ctx, std::string_view name, std::size_t slot) {
  const std::uint64_t index = (static_cast<std::uint64_t>(ctx.position) << 32) + slot;
  return Rng::stream(derive_seed(ctx.seed, "dropout_arm", ctx.arm), name, index);
}

void NoiseLayer::allocate(std::size_t capacity, const models::Shape& input) {
  Layer::allocate(capacity, input);
  noise_ = Matrix(std::array<std::size_t, 2>{capacity, input.size()}, 1.0f);
  group_ = spatial_ ? input.spatial() : 1;
}

void NoiseLayer::draw_rows(std::size_t n) {
  float* m = noise_.data();
  const std::size_t count = n * noise_.shape()[1];
  if (group_ == 1) {
    draw(m, count, rng_);
    return;
  }
  // One multiplier per (row, channel), drawn in that order, then spread over the channel's
  // positions from the back so that no multiplier is overwritten before it is copied.
  const std::size_t groups = count / group_;
  draw(m, groups, rng_);
  for (std::size_t g = groups; g-- > 0;) {
    const float v = m[g];
    std::fill(m + g * group_, m + (g + 1) * group_, v);
  }
}

void NoiseLayer::copy_scaled(const float* from, float* to, std::size_t count) const {
  const float s = eval_scale();
  if (s == 1.0f) {
    parallel::for_range(count, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) to[i] = from[i];
    });
    return;
  }
  parallel::for_range(count, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) to[i] = s * from[i];
  });
}

void NoiseLayer::prepare(std::size_t n, Mode mode) {
  if (mode == Mode::kEval || !active() || n > noise_.shape()[0]) return;
  draw_rows(n);
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
  const bool noisy = mode != Mode::kEval && active();
  const std::size_t prepared = prepared_rows_;
  prepared_rows_ = 0;
  if (!noisy) {
    if (prepared != 0) throw std::logic_error(name_ + ": noise prepared for a train-mode forward");
    copy_scaled(in, out, count);
    return;
  }
  const float* m = noise_.data();
  if (prepared == 0) {
    draw_rows(n);
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
    copy_scaled(g, gi, count);
    return;
  }
  const float* m = noise_.data();
  parallel::for_range(count, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) gi[i] = g[i] * m[i];
  });
}

}  // namespace reglab::regularizers
