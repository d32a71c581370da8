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

void Layer::allocate(std::size_t capacity, std::size_t input_width) {
  out_ = xt::zeros<float>({capacity, output_width(input_width)});
  grad_in_ = xt::zeros<float>({capacity, input_width});
}

}  // namespace reglab::models
