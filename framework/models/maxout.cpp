#include "framework/models/maxout.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/models/planes.hpp"

namespace reglab::models {

namespace {

/// The largest number of pieces the one-byte argmax can name.
constexpr std::size_t kMaxPieces = 256;

}  // namespace

Maxout::Maxout(std::string name, std::size_t pieces) : name_(std::move(name)), pieces_(pieces) {
  if (pieces_ == 0 || pieces_ > kMaxPieces) {
    throw std::invalid_argument(name_ + ": pieces must be in [1, " + std::to_string(kMaxPieces) +
                                "]");
  }
}

std::string Maxout::describe() const {
  return name_ + ": " + in_shape_.str() + " -> " + out_shape_.str() + ", pieces " +
         std::to_string(pieces_);
}

Shape Maxout::output_shape(const Shape& input) const {
  if (input.channels == 0 || input.channels % pieces_ != 0) {
    const std::string what = input.is_vector() ? " inputs" : " input channels";
    throw std::invalid_argument(name_ + ": " + std::to_string(input.channels) + what +
                                " are not divisible into groups of " + std::to_string(pieces_) +
                                " pieces");
  }
  return {input.channels / pieces_, input.height, input.width};
}

void Maxout::allocate(std::size_t capacity, const Shape& input) {
  Layer::allocate(capacity, input);
  out_shape_ = output_shape(input);
  argmax_.assign(capacity * out_shape_.size(), 0);
}

void Maxout::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const std::size_t area = in_shape_.spatial(), units = in_shape_.channels / pieces_;
  const std::size_t group = pieces_ * area;  // one output channel's inputs, contiguous
  const float* xp = x.data();
  float* yp = out_.data();
  std::uint8_t* arg = argmax_.data();
  for_planes(n, units, group, [&](std::size_t b, std::size_t c) {
    const float* in = xp + (b * units + c) * group;
    const std::size_t o = (b * units + c) * area;
    std::copy(in, in + area, yp + o);
    std::fill(arg + o, arg + o + area, std::uint8_t{0});
    for (std::size_t i = 1; i < pieces_; ++i) {
      const float* piece = in + i * area;
      for (std::size_t p = 0; p < area; ++p) {
        if (piece[p] > yp[o + p]) {
          yp[o + p] = piece[p];
          arg[o + p] = static_cast<std::uint8_t>(i);
        }
      }
    }
  });
}

void Maxout::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                      bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t area = in_shape_.spatial(), units = in_shape_.channels / pieces_;
  const std::size_t group = pieces_ * area;
  const float* g = grad_out.data();
  const std::uint8_t* arg = argmax_.data();
  float* dxp = grad_in_.data();
  for_planes(n, units, group, [&](std::size_t b, std::size_t c) {
    float* dx = dxp + (b * units + c) * group;
    const std::size_t o = (b * units + c) * area;
    std::fill(dx, dx + group, 0.0f);
    for (std::size_t p = 0; p < area; ++p) dx[arg[o + p] * area + p] = g[o + p];
  });
}

LayerRecipe maxout_recipe(config::OptionReader& reader) {
  const auto pieces = static_cast<std::size_t>(reader.require_int("pieces", 2, 64));
  LayerRecipe r;
  r.kind = "maxout";
  r.options = {{"pieces", std::to_string(pieces)}};
  r.build = [pieces](const LayerBuild& b) -> LayerPtr {
    auto layer = std::make_unique<Maxout>(b.name, pieces);
    layer->output_shape(b.input);  // throws unless the channels divide into groups
    return layer;
  };
  return r;
}

}  // namespace reglab::models
