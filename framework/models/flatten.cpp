#include "framework/models/flatten.hpp"

#include <algorithm>
#include <memory>

#include "framework/core/parallel.hpp"

namespace reglab::models {

namespace {

/// dst[i] = src[i] for i < count, in chunks on the run's threads.
void copy(const float* src, float* dst, std::size_t count) {
  parallel::for_range(count, [&](std::size_t begin, std::size_t end) {
    std::copy(src + begin, src + end, dst + begin);
  });
}

}  // namespace

std::string Flatten::describe() const {
  return name_ + ": " + in_shape_.str() + " -> " + output_shape(in_shape_).str();
}

void Flatten::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  copy(x.data(), out_.data(), n * in_shape_.size());
}

void Flatten::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                       bool need_input_grad) {
  if (need_input_grad) copy(grad_out.data(), grad_in_.data(), n * in_shape_.size());
}

LayerRecipe flatten_recipe(config::OptionReader& /*reader*/) {
  LayerRecipe r;
  r.kind = "flatten";
  r.flatten = true;
  r.build = [](const LayerBuild& b) -> LayerPtr { return std::make_unique<Flatten>(b.name); };
  return r;
}

}  // namespace reglab::models
