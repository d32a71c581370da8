/// The layer interface of reglab networks.
///
/// A layer owns its output buffer and its input-gradient buffer, both allocated once with a fixed
/// row capacity (`allocate`). `forward` reads the first `n` rows of its input and writes the first
/// `n` rows of `output()`; `backward` receives the gradient of the loss with respect to those
/// output rows, overwrites the gradients of its parameters and, when asked, writes the gradient
/// with respect to its input into `input_grad()`. Nothing is allocated after `allocate`.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"

namespace reglab::models {

/// A trainable tensor with its gradient, stored flat (row-major) with its logical shape.
struct Param {
  std::string name;                ///< "kernel", "bias", "gamma", "beta"
  std::vector<std::size_t> shape;  ///< logical shape, e.g. {inputs, units} for a kernel
  Vector value;                    ///< flat row-major storage
  Vector grad;                     ///< same size as value, overwritten by backward()
  /// True for dense kernels: the weights that norm penalties (l1, l2, weight_decay) and max-norm
  /// act on. Biases and batch-norm scales are not penalised.
  bool is_kernel = false;

  Param() = default;
  Param(std::string param_name, std::vector<std::size_t> param_shape, bool kernel);
};

/// A non-trainable tensor that is part of the model's state (batch-norm running statistics).
struct StateTensor {
  std::string name;
  std::vector<std::size_t> shape;
  Vector* value;
};

/// Base class of all layers.
class Layer {
 public:
  virtual ~Layer() = default;

  /// Unique name within the network, e.g. "dense_0", "batch_norm_1", "dropout_input".
  virtual std::string name() const = 0;
  /// One line for logs, e.g. "dense_0: 784 -> 256".
  virtual std::string describe() const = 0;
  /// Number of output columns given the number of input columns.
  virtual std::size_t output_width(std::size_t input_width) const { return input_width; }

  /// Allocates buffers for batches of up to `capacity` rows of `input_width` columns.
  virtual void allocate(std::size_t capacity, std::size_t input_width);
  /// Computes output rows [0, n) from input rows [0, n).
  virtual void forward(const Matrix& x, std::size_t n, Mode mode) = 0;
  /// Optional: does the part of the next forward(x, n, mode) that does not depend on its input
  /// (drawing noise), so that Network::forward can run it for all layers at once on the run's
  /// threads. Must leave every result as if forward had done it. Default: nothing.
  virtual void prepare(std::size_t /*n*/, Mode /*mode*/) {}
  /// Back-propagates `grad_out` rows [0, n); `x` is the input given to the last forward().
  /// Writes input_grad() only if `need_input_grad`.
  virtual void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                        bool need_input_grad) = 0;

  virtual std::vector<Param*> params() { return {}; }
  virtual std::vector<StateTensor> state() { return {}; }
  /// The random streams the layer draws from (dropout masks, noise). A checkpoint saves and
  /// restores them, so a resumed run draws the same numbers as an uninterrupted one. Every layer
  /// that owns an Rng must list it here.
  virtual std::vector<Rng*> streams() { return {}; }
  /// A layer that normalises its input with a running variance at evaluation time (batch norm)
  /// returns it here, one value per input column, so train/diagnostics can measure the variance
  /// shift (Li et al. 2019) without knowing the layer's type. Default: none.
  virtual const Vector* running_variance() const { return nullptr; }

  const Matrix& output() const { return out_; }
  const Matrix& input_grad() const { return grad_in_; }

 protected:
  Matrix out_;
  Matrix grad_in_;
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace reglab::models
