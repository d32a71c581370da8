/// A fully connected layer: y = x W + b.
#pragma once

#include <cstdint>

#include "framework/models/layer.hpp"

namespace reglab::models {

/// Fully connected layer with kernel W {inputs, units} (row-major, so column j holds the incoming
/// weights of unit j) and bias b {units}. Forward: Y = X W + b (cblas_sgemm). Backward:
/// dW = X^T dY, db = sum over rows of dY, dX = dY W^T. Same in train and eval mode.
class Dense : public Layer {
 public:
  Dense(std::string name, std::size_t inputs, std::size_t units);

  std::string name() const override { return name_; }
  std::string describe() const override;
  std::size_t output_width(std::size_t) const override { return units_; }
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
  std::vector<Param*> params() override { return {&kernel_, &bias_}; }

  std::size_t inputs() const { return inputs_; }
  std::size_t units() const { return units_; }
  Param& kernel() { return kernel_; }
  Param& bias() { return bias_; }

 private:
  std::string name_;
  std::size_t inputs_;
  std::size_t units_;
  Param kernel_;
  Param bias_;
};

}  // namespace reglab::models
