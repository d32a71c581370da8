/// The layer interface of reglab networks.
///
/// Layout: activations are batch-major matrices, one row per sample. A sample with an image shape
/// is stored channel-major in its row (NCHW: row r holds sample r's channel 0 as height x width
/// row-major, then channel 1, ...), so element-wise layers (dropout, activations) never need to
/// know the shape, and a dense layer reads an image row as its flattened input (PyTorch's
/// `flatten` order). Each layer is told the Shape of its input when it is allocated.
///
/// A layer owns its output buffer and its input-gradient buffer, both allocated once with a fixed
/// row capacity (`allocate`). `forward` reads the first `n` rows of its input and writes the first
/// `n` rows of `output()`; `backward` receives the gradient of the loss with respect to those
/// output rows, overwrites the gradients of its parameters and, when asked, writes the gradient
/// with respect to its input into `input_grad()`. Nothing is allocated after `allocate`.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"

namespace reglab::models {

/// The shape of one sample between layers: {channels, height, width}. A vector of `units` features
/// (the input of a dense layer, its output) is {units, 1, 1}, so per-channel statistics of an
/// image (batch norm after a convolution) and per-unit statistics of a vector are the same thing.
struct Shape {
  std::size_t channels = 0;
  std::size_t height = 1;
  std::size_t width = 1;

  /// channels * height * width: the number of columns of a batch row.
  std::size_t size() const { return channels * height * width; }
  /// height * width: the entries of one channel.
  std::size_t spatial() const { return height * width; }
  /// True for a feature vector (height = width = 1).
  bool is_vector() const { return height == 1 && width == 1; }
  /// "256" for a vector, "32x14x14" for an image.
  std::string str() const;
  bool operator==(const Shape& o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

/// A trainable tensor with its gradient, stored flat (row-major) with its logical shape.
struct Param {
  std::string name;                ///< "kernel", "bias", "gamma", "beta"
  std::vector<std::size_t> shape;  ///< logical shape, e.g. {inputs, units} for a kernel
  Vector value;                    ///< flat row-major storage
  Vector grad;                     ///< same size as value, overwritten by backward()
  /// True for dense and convolution kernels: the weights that norm penalties (l1, l2,
  /// weight_decay) and max-norm act on. Biases and batch-norm scales are not penalised.
  bool is_kernel = false;
  /// Where a kernel keeps each unit's incoming weights (max-norm's unit): false for dense
  /// kernels {inputs, units}, whose column j belongs to unit j; true for convolution kernels
  /// {filters, in_channels, kh, kw}, whose first index is the filter (row f of the flat
  /// {filters, in_channels * kh * kw} view).
  bool units_first = false;

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
  /// The shape of one output sample given the shape of one input sample (default: the same).
  virtual Shape output_shape(const Shape& input) const { return input; }

  /// Allocates buffers for batches of up to `capacity` rows of `input.size()` columns; an
  /// override calls this first. Throws std::logic_error if the layer cannot take `input`.
  /// input_grad() gets backward_capacity() rows.
  virtual void allocate(std::size_t capacity, const Shape& input);
  /// The most rows backward() will be given, when smaller than the forward capacity (training
  /// batches are smaller than evaluation batches): set before allocate(), so that buffers only
  /// backward uses take that many rows. Default: the capacity.
  void set_backward_capacity(std::size_t rows) { backward_rows_ = rows; }
  std::size_t backward_capacity(std::size_t capacity) const {
    return backward_rows_ == 0 ? capacity : std::min(capacity, backward_rows_);
  }
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
  /// The input shape given to allocate().
  const Shape& input_shape() const { return in_shape_; }

 protected:
  Matrix out_;
  Matrix grad_in_;
  Shape in_shape_;

 private:
  std::size_t backward_rows_ = 0;  ///< 0: the capacity
};

/// A layer with a kernel and a bias (dense, conv2d): the layers a network's blocks are built
/// around, the ones max-norm, the diagnostics and the weight initialisers act on.
class WeightLayer : public Layer {
 public:
  virtual Param& kernel() = 0;
  virtual Param& bias() = 0;
  const Param& kernel() const { return const_cast<WeightLayer*>(this)->kernel(); }
  const Param& bias() const { return const_cast<WeightLayer*>(this)->bias(); }
  /// Output units (dense) or filters (conv2d).
  virtual std::size_t units() const = 0;
  /// Incoming weights per unit (the kernel's fan-in).
  std::size_t fan_in() const;
  std::vector<Param*> params() override { return {&kernel(), &bias()}; }
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace reglab::models
