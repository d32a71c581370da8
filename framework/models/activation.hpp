/// Element-wise non-linearities between dense layers.
#pragma once

#include "framework/models/layer.hpp"
#include "framework/models/network.hpp"

namespace reglab::models {

/// relu: y = max(0, x), dy/dx = [x > 0];  tanh: dy/dx = 1 - y^2;
/// sigmoid: y = 1 / (1 + e^-x), dy/dx = y (1 - y). The derivative is computed from the output,
/// so backward needs only out_. Same in train and eval mode.
class ActivationLayer : public Layer {
 public:
  ActivationLayer(std::string name, Activation kind) : name_(std::move(name)), kind_(kind) {}

  std::string name() const override { return name_; }
  std::string describe() const override { return name_ + ": " + activation_name(kind_); }
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

 private:
  /// Element range [begin, end) of forward / backward (the pool splits a batch into ranges).
  void forward_range(const float* in, float* y, std::size_t begin, std::size_t end) const;
  void backward_range(const float* y, const float* g, float* d, std::size_t begin,
                      std::size_t end) const;
  std::string name_;
  Activation kind_;
};

}  // namespace reglab::models
