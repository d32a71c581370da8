#include "framework/data/augment.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"

namespace reglab::data {
namespace {

constexpr std::int64_t kMaxCropPadding = 64;

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string out = "{";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  }
  return out + "}";
}

void check_stride(const char* function, std::size_t row_stride, const ImageShape& shape) {
  if (row_stride < shape.size()) {
    throw std::invalid_argument(std::string(function) + ": row stride " +
                                std::to_string(row_stride) + " is shorter than an image of " +
                                std::to_string(shape.size()) + " values");
  }
}

/// Pixel byte `b` on the [0, 1] scale.
double pixel_value(std::size_t b) { return static_cast<double>(b) / 255.0; }

/// A uniform offset in [-p, p]: below(2p + 1) - p.
std::ptrdiff_t draw_offset(Rng& rng, std::size_t p) {
  return static_cast<std::ptrdiff_t>(rng.below(2 * p + 1)) - static_cast<std::ptrdiff_t>(p);
}

/// Writes one output row of a channel: out[x] = in[x' + dx] (x' = W - 1 - x if flipped, else
/// x), 0 outside the source row; `in` is null when the whole source row is outside the image.
void shift_row(const float* in, float* out, std::ptrdiff_t width, std::ptrdiff_t dx, bool flip) {
  for (std::ptrdiff_t x = 0; x < width; ++x) {
    const std::ptrdiff_t sx = (flip ? width - 1 - x : x) + dx;
    out[x] = in != nullptr && sx >= 0 && sx < width ? in[sx] : 0.0f;
  }
}

/// Writes the translated (and flipped) image of `in` to `out`; see the file comment.
void shift_image(const float* in, float* out, const ImageShape& shape, std::ptrdiff_t dy,
                 std::ptrdiff_t dx, bool flip) {
  const auto height = static_cast<std::ptrdiff_t>(shape.height);
  const auto width = static_cast<std::ptrdiff_t>(shape.width);
  for (std::size_t c = 0; c < shape.channels; ++c) {
    const float* plane = in + c * shape.height * shape.width;
    float* out_plane = out + c * shape.height * shape.width;
    for (std::ptrdiff_t y = 0; y < height; ++y) {
      const std::ptrdiff_t sy = y + dy;
      const float* src = sy >= 0 && sy < height ? plane + sy * width : nullptr;
      shift_row(src, out_plane + y * width, width, dx, flip);
    }
  }
}

}  // namespace

std::optional<ImageShape> image_shape(const std::vector<std::size_t>& sample_shape) {
  if (sample_shape.size() == 3)
    return ImageShape{sample_shape[0], sample_shape[1], sample_shape[2]};
  if (sample_shape.size() == 2) return ImageShape{1, sample_shape[0], sample_shape[1]};
  return std::nullopt;
}

Augmentation read_augmentation(config::OptionReader& reader) {
  Augmentation a;
  a.crop_padding = static_cast<std::size_t>(reader.get_int("crop_padding", 0, 0, kMaxCropPadding));
  a.flip = reader.get_bool("flip", false);
  a.where = reader.node().location() + ": " + reader.node().path();
  return a;
}

void check_augmentation(const Augmentation& augmentation,
                        const std::vector<std::size_t>& sample_shape) {
  if (!augmentation.active()) return;
  const std::optional<ImageShape> shape = image_shape(sample_shape);
  if (!shape) {
    throw ConfigError(augmentation.where +
                      ": augmentation needs images ({channels, height, width} or {height, "
                      "width}), but the samples have shape " +
                      shape_text(sample_shape));
  }
  if (augmentation.crop_padding >= std::min(shape->height, shape->width)) {
    throw ConfigError(augmentation.where + ": crop_padding " +
                      std::to_string(augmentation.crop_padding) + " is not smaller than the " +
                      std::to_string(shape->height) + " x " + std::to_string(shape->width) +
                      " images");
  }
}

void augment_batch(float* x, std::size_t n, std::size_t row_stride, const ImageShape& shape,
                   const Augmentation& augmentation, Rng& rng, float* scratch) {
  check_stride("augment_batch", row_stride, shape);
  if (!augmentation.active()) return;
  const std::size_t p = augmentation.crop_padding;
  for (std::size_t i = 0; i < n; ++i) {
    const std::ptrdiff_t dy = p > 0 ? draw_offset(rng, p) : 0;
    const std::ptrdiff_t dx = p > 0 ? draw_offset(rng, p) : 0;
    const bool flip = augmentation.flip && rng.below(2) == 1;
    if (dy == 0 && dx == 0 && !flip) continue;
    float* row = x + i * row_stride;
    std::copy(row, row + shape.size(), scratch);
    shift_image(scratch, row, shape, dy, dx, flip);
  }
}

ChannelStats channel_stats(const Dataset& dataset, const std::vector<std::uint32_t>& indices,
                           const ImageShape& shape) {
  if (indices.empty()) throw std::invalid_argument("channel_stats: no samples");
  if (dataset.features() != shape.size()) {
    throw std::invalid_argument("channel_stats: samples have " +
                                std::to_string(dataset.features()) + " values, the image shape " +
                                std::to_string(shape.size()));
  }
  const std::size_t plane = shape.height * shape.width;
  std::vector<std::array<std::uint64_t, 256>> histogram(shape.channels);
  for (auto& h : histogram) h.fill(0);
  for (std::uint32_t s : indices) {
    if (s >= dataset.size()) {
      throw std::invalid_argument("channel_stats: index " + std::to_string(s) +
                                  " >= dataset size " + std::to_string(dataset.size()));
    }
    const std::uint8_t* row = dataset.images.data() + std::size_t{s} * shape.size();
    for (std::size_t c = 0; c < shape.channels; ++c) {
      for (std::size_t j = 0; j < plane; ++j) ++histogram[c][row[c * plane + j]];
    }
  }
  const auto count = static_cast<double>(indices.size() * plane);
  ChannelStats stats;
  for (const auto& h : histogram) {
    double sum = 0.0;
    for (std::size_t b = 0; b < 256; ++b) sum += static_cast<double>(h[b]) * pixel_value(b);
    const double mean = sum / count;
    double squares = 0.0;
    for (std::size_t b = 0; b < 256; ++b) {
      const double d = pixel_value(b) - mean;
      squares += static_cast<double>(h[b]) * d * d;
    }
    stats.mean.push_back(mean);
    stats.sd.push_back(std::sqrt(squares / count));
  }
  return stats;
}

void standardize(float* x, std::size_t n, std::size_t row_stride, const ImageShape& shape,
                 const ChannelStats& stats) {
  check_stride("standardize", row_stride, shape);
  if (stats.mean.size() != shape.channels || stats.sd.size() != shape.channels) {
    throw std::invalid_argument("standardize: stats for " + std::to_string(stats.mean.size()) +
                                " channels, images have " + std::to_string(shape.channels));
  }
  const std::size_t plane = shape.height * shape.width;
  for (std::size_t c = 0; c < shape.channels; ++c) {
    const auto mean = static_cast<float>(stats.mean[c]);
    const auto sd = static_cast<float>(stats.sd[c] < kMinChannelSd ? 1.0 : stats.sd[c]);
    for (std::size_t i = 0; i < n; ++i) {
      float* values = x + i * row_stride + c * plane;
      for (std::size_t j = 0; j < plane; ++j) values[j] = (values[j] - mean) / sd;
    }
  }
}

}  // namespace reglab::data
