/// A fully connected layer: y = x W + b.
#pragma once

#include <cstdint>

#include "framework/models/layer.hpp"

namespace reglab::models {

/// Fully connected layer with kernel W {inputs, units} (row-major, so column j holds the incoming
/// weights of unit j) and bias b {units}. Forward: Y = X W + b (cblas_sgemm). Backward:
/// dW = X^T dY, db = sum over rows of dY, dX = dY W^T. Same in train and eval mode.
///
/// An image input (conv feature maps) is read as its flattened row (channel-major, as PyTorch's
/// `flatten`), so `inputs` is the input shape's size.
class Dense : public WeightLayer {
 public:
  Dense(std::string name, std::size_t inputs, std::size_t units);

  std::string name() const override { return name_; }
  std::string describe() const override;
  Shape output_shape(const Shape& /*input*/) const override { return {units_, 1, 1}; }
  /// Throws std::logic_error unless input.size() equals `inputs`.
  void allocate(std::size_t capacity, const Shape& input) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
  using WeightLayer::bias;
  using WeightLayer::kernel;
  Param& kernel() override { return kernel_; }
  Param& bias() override { return bias_; }
  std::size_t units() const override { return units_; }
  std::size_t inputs() const { return inputs_; }

 private:
  std::string name_;
  std::size_t inputs_;
  std::size_t units_;
  Param kernel_;
  Param bias_;
};

}  // namespace reglab::models
