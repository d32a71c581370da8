#include "framework/models/layer.hpp"

#include <functional>
#include <numeric>

namespace reglab::models {

Param::Param(std::string param_name, std::vector<std::size_t> param_shape, bool kernel)
    : name(std::move(param_name)), shape(std::move(param_shape)), is_kernel(kernel) {
  const std::size_t count =
      std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
  value = xt::zeros<float>({count});
  grad = xt::zeros<float>({count});
}

std::string Shape::str() const {
  if (is_vector()) return std::to_string(channels);
  return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
}

void Layer::allocate(std::size_t capacity, const Shape& input) {
  in_shape_ = input;
  out_ = xt::zeros<float>({capacity, output_shape(input).size()});
  grad_in_ = xt::zeros<float>({backward_capacity(capacity), input.size()});
}

std::size_t WeightLayer::fan_in() const {
  const Param& k = kernel();
  return units() == 0 ? 0 : k.value.size() / units();
}

}  // namespace reglab::models
