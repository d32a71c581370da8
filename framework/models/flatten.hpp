/// Flatten: an image's feature maps read as one feature vector.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// {C, H, W} -> {C H W, 1, 1}: the values of a row stay where they are (channel-major, PyTorch's
/// `flatten` order); only the shape the next layers see changes. Forward copies the rows, backward
/// copies the gradient back. A dense layer reads an image row the same way; what a flatten changes
/// is the shape the layers after it see, and where the network's post-activation slot sits (in
/// front of it, network.hpp). Same in train and eval mode.
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }
  /// "flatten_0: 32x7x7 -> 1568" (after allocate()).
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return {input.size(), 1, 1}; }
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

 private:
  std::string name_;
};

/// Registry factory of `flatten` (no options); the recipe is marked `flatten`.
LayerRecipe flatten_recipe(config::OptionReader& reader);

}  // namespace reglab::models
