/// Two-dimensional convolution: LeCun, Bottou, Bengio and Haffner 1998, "Gradient-Based Learning
/// Applied to Document Recognition", Proc. IEEE 86(11); computed as one matrix product per batch
/// after unrolling the input patches (im2col: Chellapilla, Puri and Simard 2006, "High
/// Performance Convolutional Neural Networks for Document Processing", IWFHR).
#pragma once

#include <cstddef>
#include <string>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// How a convolution pads its input with zeros.
enum class Padding {
  kValid,     ///< no padding: out = floor((in - kernel) / stride) + 1
  kSame,      ///< out = ceil(in / stride), zeros split as TensorFlow and PyTorch do (Conv2d)
  kExplicit,  ///< `pad` zeros on every side: out = floor((in + 2 pad - kernel) / stride) + 1
};

/// Options of `conv2d`.
struct Conv2dOptions {
  std::size_t filters = 0;  ///< output channels, 1 to 65536 (required)
  std::size_t kernel = 0;   ///< side of the square kernel, 1 to 64 (required)
  std::size_t stride = 1;   ///< step between windows in both directions, 1 to 64
  Padding padding = Padding::kValid;
  std::size_t pad = 0;  ///< zeros on each side for Padding::kExplicit, 0 to 64

  /// Reads `filters`, `kernel`, `stride` and `padding` (`same`, `valid` or a number of zeros);
  /// throws ConfigError naming the key on a missing or bad value.
  static Conv2dOptions read(config::OptionReader& reader);
  /// "same", "valid" or the number of zeros.
  std::string padding_text() const;
};

/// Convolution (cross-correlation, as PyTorch and Caffe) of an NCHW input {C, H, W} with F
/// filters, kernel W {F, C, k, k} (is_kernel, units_first) and bias b {F}:
///   y[f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] x[c, i s + u - p_top, j s + v - p_left],
/// x read as 0 outside the input, s the stride. Output {F, OH, OW}.
///
/// Padding `same` (TensorFlow's SAME): OH = ceil(H / s), and the rows of zeros needed,
/// P = max((OH - 1) s + k - H, 0), are split p_top = floor(P / 2) above and P - p_top below
/// (columns likewise, left and right). For stride 1 that is p_top = floor((k - 1) / 2), the
/// padding of PyTorch's padding="same"; symmetric for an odd kernel, one more zero below and
/// right for an even one. `valid`: no zeros. An integer p: p zeros on every side; windows that
/// do not fit are dropped (floor), as in PyTorch.
///
/// Forward: col = im2col(x), {C k k, m OH OW} (row (c, u, v), column (sample, i, j)); Y = W col,
/// one product {F, m OH OW}, scattered to the NCHW output rows with the bias added. A batch is
/// cut into equal chunks of m samples, m as large as keeps col under kColumnBudget floats (so an
/// evaluation batch of 1000 images does not need a gigabyte of unrolled input); the cut depends
/// on the shapes and n only. Backward, per chunk: dW += dY col^T (the first chunk overwrites),
/// and if asked dcol = W^T dY, col2im'd into the input gradient; db[f] = sum of dY[f, :] over
/// the batch. col is kept from a forward of one chunk; otherwise (and after dcol overwrote it)
/// backward rebuilds it from its input. Same in
/// train and eval mode. The unrolling and scattering run per (sample, channel) plane on the
/// run's threads; every value is computed by one task in a fixed order.
class Conv2d : public WeightLayer {
 public:
  /// A convolution of inputs with `in_channels` channels. Throws std::invalid_argument unless
  /// filters, kernel and stride are positive.
  Conv2d(std::string name, std::size_t in_channels, const Conv2dOptions& options);

  std::string name() const override { return name_; }
  /// "conv2d_0: 1x28x28 -> 32x28x28, kernel 5, stride 1, padding same" (after allocate()).
  std::string describe() const override;
  /// {filters, OH, OW}. Throws std::invalid_argument (a std::logic_error) naming the layer if
  /// `input` does not have in_channels channels or the kernel is larger than the padded input.
  Shape output_shape(const Shape& input) const override;
  void allocate(std::size_t capacity, const Shape& input) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;

  using WeightLayer::bias;
  using WeightLayer::kernel;
  Param& kernel() override { return kernel_; }
  Param& bias() override { return bias_; }
  std::size_t units() const override { return options_.filters; }
  const Conv2dOptions& options() const { return options_; }

 private:
  /// Output size and the zeros above and left of the input.
  struct Geometry {
    std::size_t out_h = 0;
    std::size_t out_w = 0;
    std::size_t pad_top = 0;
    std::size_t pad_left = 0;
  };
  /// Throws std::invalid_argument if the layer cannot take `input`.
  Geometry geometry(const Shape& input) const;

  /// Samples per product: as many as keep the unrolled input under kColumnBudget floats (at
  /// least 1, at most the capacity); depends on the shapes only, never on the thread count.
  static constexpr std::size_t kColumnBudget = std::size_t{1} << 23;
  /// The batch of n rows cut into equal chunks of at most chunk_ samples: {count, per chunk}.
  std::pair<std::size_t, std::size_t> chunks(std::size_t n) const;
  /// Fills col (leading dimension m OH OW) from input rows [s0, s0 + m).
  void im2col(const float* x, std::size_t s0, std::size_t m);
  /// Rows (c, u, v) of col for one input plane; `dst` is the plane's first column block.
  void im2col_plane(const float* plane, float* dst, std::size_t ld) const;
  /// Adds the columns of col back onto input planes: dx = col2im(dcol), rows [s0, s0 + m).
  void col2im(float* dx, std::size_t s0, std::size_t m) const;
  void col2im_plane(const float* src, std::size_t ld, float* plane) const;
  /// out[s0 + s, f, :] = y[f, s, :] + b[f] for s < m.
  void scatter(std::size_t s0, std::size_t m);
  /// y[f, s, :] = grad_out[s0 + s, f, :] (dY in the layout of the product).
  void gather(const float* grad_out, std::size_t s0, std::size_t m);
  /// db[f] = sum over rows [0, n) and positions of grad_out[:, f, :].
  void bias_grad(const float* grad_out, std::size_t n);

  std::string name_;
  std::size_t in_channels_;
  Conv2dOptions options_;
  Param kernel_;
  Param bias_;
  Geometry geo_;
  Shape out_shape_;
  std::size_t chunk_ = 1;  ///< most samples in one product
  Vector col_;             ///< im2col of a chunk, {C k k, chunk_ OH OW}; dcol during backward
  Vector y_;               ///< the product W col of a chunk, {F, chunk_ OH OW}; dY during backward
  bool col_current_ = false;  ///< col_ holds im2col of the last forward's whole input
};

/// Registry factory of `conv2d`: reads Conv2dOptions; the recipe builds a Conv2d for its input
/// shape (std::invalid_argument if the kernel does not fit) and draws its kernel with
/// init_kernel from Rng stream "init"/weight_index (fan_in = C k k, fan_out = F k k).
LayerRecipe conv2d_recipe(config::OptionReader& reader);

}  // namespace reglab::models
