/// Maxout units: Goodfellow, Warde-Farley, Mirza, Courville and Bengio 2013, "Maxout Networks",
/// ICML.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// The max over groups of k consecutive features (the paper's equation 1, h_i(x) = max_j z_ij,
/// with the pieces z_ij computed by the weight layer before it). On a vector {U k} -> {U}:
///   y[j] = max_{i < k} x[j k + i];
/// on an image {C k, H, W} -> {C, H, W}, per position (the paper's convolutional maxout: the max
/// across k feature maps; spatial pooling, which the paper may add, is a separate max_pool):
///   y[c, h, w] = max_{i < k} x[c k + i, h, w].
/// (A vector is the image with H = W = 1, so the two are one rule.) Backward routes dy to the
/// piece that was the maximum, the first on ties; the pieces are kept from forward in a buffer
/// allocated once. Same in train and eval mode.
class Maxout : public Layer {
 public:
  /// Throws std::invalid_argument unless 1 <= pieces <= 256 (the registry asks for 2 to 64).
  Maxout(std::string name, std::size_t pieces);

  std::string name() const override { return name_; }
  /// "maxout_0: 512 -> 256, pieces 2" (after allocate()).
  std::string describe() const override;
  /// Throws std::invalid_argument (a std::logic_error) naming the layer unless the channels are
  /// a multiple of `pieces`.
  Shape output_shape(const Shape& input) const override;
  void allocate(std::size_t capacity, const Shape& input) override;
  void forward(const Matrix& x, std::size_t n, Mode mode) override;
  void backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override;
  std::size_t pieces() const { return pieces_; }

 private:
  std::string name_;
  std::size_t pieces_;
  Shape out_shape_;  ///< output_shape(input_shape()), set by allocate()
  /// The winning piece (0 to pieces - 1) of each output, {capacity, output size}.
  std::vector<std::uint8_t> argmax_;
};

/// Registry factory of `maxout`: option `pieces` (required, 2 to 64). The recipe's build throws
/// std::invalid_argument unless the input channels are divisible by it.
LayerRecipe maxout_recipe(config::OptionReader& reader);

}  // namespace reglab::models
