/// Data augmentation by random translation and horizontal flip, and per-channel standardization,
/// as pure functions on batches of float images (one sample per row, channel-major C x H x W).
///
/// Augmentation (Krizhevsky, Sutskever and Hinton 2012, section 4.1; the "pad 4, random 32 x 32
/// crop, random horizontal flip" of He, Zhang, Ren and Sun 2016, section 4.2). Options, keys of
/// the `augment:` mapping:
///   crop_padding  p in 0..64, default 0: pad the image by p zeros on every side, then take a
///                 random H x W crop
///   flip          true or false, default false: flip each image horizontally with probability 1/2
/// For each sample, with dy, dx in [-p, p] and f in {0, 1} drawn as described at augment_batch:
///   out(c, y, x) = in(c, y + dy, x' + dx)  if 0 <= y + dy < H and 0 <= x' + dx < W, else 0,
///   x' = W - 1 - x if f = 1, else x.
/// That is the crop at (p + dy, p + dx) of the zero-padded image, then the flip.
///
/// Standardization: for each channel c, x = (x - mean_c) / sd_c, with mean_c and sd_c measured
/// over the training split on the [0, 1] scale (pixel / 255).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/data/dataset.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::data {

/// The shape of one image sample, channel-major.
struct ImageShape {
  std::size_t channels = 0;
  std::size_t height = 0;
  std::size_t width = 0;
  /// channels x height x width: the floats of one sample.
  std::size_t size() const { return channels * height * width; }
};

/// The image shape of a Dataset::sample_shape: {C, H, W}, or {H, W} as one channel. Any other
/// shape (e.g. {features}) is not an image: nullopt.
std::optional<ImageShape> image_shape(const std::vector<std::size_t>& sample_shape);

/// Random translation and flip settings; see the file comment.
struct Augmentation {
  std::size_t crop_padding = 0;  ///< p: offsets dy, dx uniform in [-p, p]
  bool flip = false;             ///< horizontal flip with probability 1/2
  /// Where the options were written ("FILE:LINE:COLUMN: data.augment"), for check_augmentation's
  /// errors, which come once the data is loaded.
  std::string where;
  /// True if augment_batch changes anything (crop_padding > 0 or flip).
  bool active() const { return crop_padding > 0 || flip; }
};

/// Reads `crop_padding` (0..64, default 0) and `flip` (default false) from the reader of the
/// `augment:` mapping and no other key; the caller calls finish(). Throws ConfigError naming
/// file, line, column and key.
Augmentation read_augmentation(config::OptionReader& reader);

/// Throws ConfigError at `augmentation.where` if it is active and `sample_shape` is not an image
/// (see image_shape), or if crop_padding is not smaller than both the height and the width.
/// Does nothing for an inactive augmentation.
void check_augmentation(const Augmentation& augmentation,
                        const std::vector<std::size_t>& sample_shape);

/// Augments rows [0, n) of `x` in place; row i starts at x + i * row_stride and holds one image
/// of `shape` (row_stride >= shape.size()). For each row in order, the draws from `rng` are,
/// in this order: if crop_padding > 0, dy = below(2p + 1) - p, then dx = below(2p + 1) - p; if
/// flip, f = below(2) (flip when f = 1). An inactive augmentation draws nothing. The draw order
/// is part of the run's reproducibility. `scratch` holds at least shape.size() floats and is
/// overwritten; nothing is allocated. Throws std::invalid_argument if row_stride <
/// shape.size().
void augment_batch(float* x, std::size_t n, std::size_t row_stride, const ImageShape& shape,
                   const Augmentation& augmentation, Rng& rng, float* scratch);

/// Per-channel mean and standard deviation, on the [0, 1] scale.
struct ChannelStats {
  std::vector<double> mean;
  std::vector<double> sd;  ///< population standard deviation (divisor: the number of values)
};

/// Standard deviations below this are treated as 1 by standardize: a constant channel is only
/// centred, not blown up.
constexpr double kMinChannelSd = 1e-6;

/// The mean and standard deviation of each channel over the samples `indices` of `dataset`
/// (the training split), pixels scaled by 1/255. Exact per channel: the pixel bytes are counted
/// in a 256-bin histogram, then mean = sum_b count_b (b / 255) / N and sd^2 = sum_b count_b
/// (b / 255 - mean)^2 / N in double, b = 0..255 in order, so the result does not depend on the
/// order of the samples. Throws std::invalid_argument if indices is empty, an index is out of
/// range, or dataset.features() != shape.size().
ChannelStats channel_stats(const Dataset& dataset, const std::vector<std::uint32_t>& indices,
                           const ImageShape& shape);

/// x = (x - mean_c) / sd_c for every value of channel c of rows [0, n) (row i at x + i *
/// row_stride), computed in float with mean_c and sd_c rounded to float; sd_c < kMinChannelSd
/// divides by 1. Throws std::invalid_argument if row_stride < shape.size() or the stats do not
/// have shape.channels entries.
void standardize(float* x, std::size_t n, std::size_t row_stride, const ImageShape& shape,
                 const ChannelStats& stats);

}  // namespace reglab::data
