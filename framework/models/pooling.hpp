/// Spatial pooling: max and average over square windows, and global average pooling (Lin, Chen
/// and Yan 2014, "Network In Network", ICLR).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// Options of `max_pool` and `avg_pool`.
struct PoolOptions {
  std::size_t size = 0;    ///< side of the square window, 1 to 64 (required)
  std::size_t stride = 0;  ///< step between windows, 1 to 64; default: size

  /// Reads `size` and `stride`; throws ConfigError naming the key on a missing or bad value.
  static PoolOptions read(config::OptionReader& reader);
};

/// What max and average pooling share: windows of size k with stride s over each channel of an
/// NCHW input {C, H, W}, without padding. Output {C, OH, OW} with OH = floor((H - k) / s) + 1:
/// windows that do not fit are dropped (PyTorch's default, ceil_mode=False), so the last rows and
/// columns of the input may be read by no window. Same in train and eval mode.
class Pool2d : public Layer {
 public:
  /// Throws std::invalid_argument unless size and stride are positive.
  Pool2d(std::string name, std::string kind, const PoolOptions& options);

  std::string name() const override { return name_; }
  /// "max_pool_0: 32x28x28 -> 32x14x14, size 2, stride 2" (after allocate()).
  std::string describe() const override;
  /// Throws std::invalid_argument (a std::logic_error) naming the layer if the window is larger
  /// than the input.
  Shape output_shape(const Shape& input) const override;
  void allocate(std::size_t capacity, const Shape& input) override;
  const PoolOptions& options() const { return options_; }

 protected:
  std::string name_;
  std::string kind_;
  PoolOptions options_;
  Shape out_shape_;  ///< output_shape(input_shape()), set by allocate()
};

/// Max pooling: y[c, i, j] = max_{u, v < k} x[c, i s + u, j s + v]. Backward routes each output's
/// gradient to the position of its maximum, the first in the window's row-major scan on ties (a
/// NaN counts as the maximum, so it propagates). The positions are kept by a training forward in a
/// buffer allocated once (evaluation finds the same maxima without them); with overlapping windows
/// (s < k) an input collects the gradients of every window it is the maximum of.
class MaxPool2d : public Pool2d {
 public:
  MaxPool2d(std::string name, const PoolOptions& options);

  void allocate(std::size_t capacity, const Shape& input) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

 private:
  /// Index in the sample's row of each output's maximum, {capacity, output size}.
  std::vector<std::uint32_t> argmax_;
};

/// Average pooling: y[c, i, j] = (1 / k^2) sum_{u, v < k} x[c, i s + u, j s + v]; backward adds
/// dy / k^2 to every input of the window.
class AvgPool2d : public Pool2d {
 public:
  AvgPool2d(std::string name, const PoolOptions& options);

  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
};

/// Global average pooling (Lin et al. 2014, section 3.2): y[c] = (1 / HW) sum_{i, j} x[c, i, j],
/// {C, H, W} -> {C, 1, 1}; backward spreads dy[c] / HW over the channel. Same in train and eval.
class GlobalAvgPool : public Layer {
 public:
  explicit GlobalAvgPool(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }
  /// "global_avg_pool_0: 64x7x7 -> 64" (after allocate()).
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return {input.channels, 1, 1}; }
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

 private:
  std::string name_;
};

/// Registry factories of `max_pool`, `avg_pool` (PoolOptions) and `global_avg_pool` (no
/// options). The recipes' build throws std::invalid_argument if the window does not fit.
LayerRecipe max_pool_recipe(config::OptionReader& reader);
LayerRecipe avg_pool_recipe(config::OptionReader& reader);
LayerRecipe global_avg_pool_recipe(config::OptionReader& reader);

}  // namespace reglab::models
