#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/data/augment.hpp"
#include "framework/data/dataset.hpp"
#include "framework/testing/statistics.hpp"

namespace {

using reglab::ConfigError;
using reglab::Rng;
using reglab::config::ConfigNode;
using reglab::config::OptionReader;
using reglab::data::augment_batch;
using reglab::data::Augmentation;
using reglab::data::channel_stats;
using reglab::data::ChannelStats;
using reglab::data::Dataset;
using reglab::data::ImageShape;
using reglab::data::standardize;

/// Reads the `augment:` mapping of `data: {augment: ...}` written as `yaml`; checks every key.
Augmentation read(const std::string& yaml) {
  const ConfigNode root = ConfigNode::parse("data: {augment: " + yaml + "}", "test.yaml");
  OptionReader augment(root.child("data").child("augment"));
  const Augmentation a = reglab::data::read_augmentation(augment);
  augment.finish();
  return a;
}

/// `n` rows of `stride` floats; row i holds 1 + i * 1000 + j at value j of the image and -7
/// in the padding after it.
std::vector<float> numbered_rows(std::size_t n, std::size_t stride, std::size_t size) {
  std::vector<float> x(n * stride, -7.0f);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < size; ++j) x[i * stride + j] = static_cast<float>(1 + i * 1000 + j);
  }
  return x;
}

/// The file comment's formula, written out independently: out(c, y, x) = in(c, y + dy, x' + dx).
std::vector<float> reference(const float* in, const ImageShape& s, long dy, long dx, bool flip) {
  std::vector<float> out(s.size(), 0.0f);
  const auto h = static_cast<long>(s.height);
  const auto w = static_cast<long>(s.width);
  for (std::size_t c = 0; c < s.channels; ++c) {
    for (long y = 0; y < h; ++y) {
      for (long x = 0; x < w; ++x) {
        const long sy = y + dy;
        const long sx = (flip ? w - 1 - x : x) + dx;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
        out[c * s.height * s.width + static_cast<std::size_t>(y * w + x)] =
            in[c * s.height * s.width + static_cast<std::size_t>(sy * w + sx)];
      }
    }
  }
  return out;
}

/// The draws augment_batch makes for one row, in the documented order.
struct Draw {
  long dy = 0;
  long dx = 0;
  bool flip = false;
};
Draw draw(Rng& rng, const Augmentation& a) {
  Draw d;
  const auto p = static_cast<long>(a.crop_padding);
  if (p > 0) {
    d.dy = static_cast<long>(rng.below(static_cast<std::uint64_t>(2 * p + 1))) - p;
    d.dx = static_cast<long>(rng.below(static_cast<std::uint64_t>(2 * p + 1))) - p;
  }
  if (a.flip) d.flip = rng.below(2) == 1;
  return d;
}

/// The offsets of an unflipped augmented row of a 1 x H x W image whose value j was 1 + j:
/// found from its first non-zero value.
Draw decode_shift(const float* row, const ImageShape& s) {
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (row[j] == 0.0f) continue;
    const auto source = static_cast<long>(row[j]) - 1;
    const auto w = static_cast<long>(s.width);
    const auto y = static_cast<long>(j / s.width);
    const auto x = static_cast<long>(j % s.width);
    return {source / w - y, source % w - x, false};
  }
  FAIL("an augmented row is all zeros");
  return {};
}

double chi_square(const std::vector<std::size_t>& counts, double expected) {
  double chi2 = 0.0;
  for (std::size_t c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

}  // namespace

TEST_CASE("image_shape: {C, H, W} and {H, W} are images, anything else is not") {
  const auto chw = reglab::data::image_shape({3, 32, 32});
  REQUIRE(chw.has_value());
  CHECK(chw->channels == 3);
  CHECK(chw->height == 32);
  CHECK(chw->width == 32);
  CHECK(chw->size() == 3072);
  const auto hw = reglab::data::image_shape({28, 20});
  REQUIRE(hw.has_value());
  CHECK(hw->channels == 1);
  CHECK(hw->height == 28);
  CHECK(hw->width == 20);
  CHECK_FALSE(reglab::data::image_shape({64}).has_value());
  CHECK_FALSE(reglab::data::image_shape({}).has_value());
  CHECK_FALSE(reglab::data::image_shape({1, 3, 32, 32}).has_value());
}

TEST_CASE("read_augmentation: defaults, values and rejected options") {
  const Augmentation none = read("{}");
  CHECK(none.crop_padding == 0);
  CHECK_FALSE(none.flip);
  CHECK_FALSE(none.active());
  const Augmentation a = read("{crop_padding: 4, flip: true}");
  CHECK(a.crop_padding == 4);
  CHECK(a.flip);
  CHECK(a.active());
  CHECK(a.where == "test.yaml:1:17: data.augment");
  CHECK(read("{flip: true}").active());
  CHECK(read("{crop_padding: 64}").active());

  CHECK_THROWS_WITH_AS(read("{crop_padding: 65}"), doctest::Contains("data.augment.crop_padding"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(read("{crop_padding: -1}"), doctest::Contains("crop_padding"), ConfigError);
  CHECK_THROWS_WITH_AS(read("{crop_padding: 1.5}"), doctest::Contains("crop_padding"), ConfigError);
  CHECK_THROWS_WITH_AS(read("{flip: maybe}"), doctest::Contains("data.augment.flip"), ConfigError);
  CHECK_THROWS_WITH_AS(read("{flip: true, mirror: true}"), doctest::Contains("mirror"),
                       ConfigError);
}

TEST_CASE("check_augmentation refuses augmentation of non-image data") {
  const Augmentation a = read("{crop_padding: 4, flip: true}");
  CHECK_NOTHROW(reglab::data::check_augmentation(a, {3, 32, 32}));
  CHECK_NOTHROW(reglab::data::check_augmentation(a, {28, 28}));
  CHECK_THROWS_WITH_AS(reglab::data::check_augmentation(a, {64}),
                       "test.yaml:1:17: data.augment: augmentation needs images ({channels, "
                       "height, width} or {height, width}), but the samples have shape {64}",
                       ConfigError);
  CHECK_THROWS_AS(reglab::data::check_augmentation(read("{flip: true}"), {64}), ConfigError);
  CHECK_THROWS_WITH_AS(reglab::data::check_augmentation(a, {3, 4, 32}),
                       doctest::Contains("crop_padding 4 is not smaller than the 4 x 32 images"),
                       ConfigError);
  // Nothing asked for, nothing to refuse.
  CHECK_NOTHROW(reglab::data::check_augmentation(read("{}"), {64}));
  CHECK_NOTHROW(reglab::data::check_augmentation(read("{crop_padding: 0, flip: false}"), {64}));
}

TEST_CASE("augment_batch: hand-computed shift and flip on a 2 x 3 x 4 image") {
  // in(c, y, x) = 100 c + 10 y + x + 1. Rows are drawn until each of two cases shows up.
  const ImageShape shape{2, 3, 4};
  Augmentation a;
  a.crop_padding = 1;
  a.flip = true;
  const std::vector<float> expected_flipped = {13,  12,  11,  0, 23,  22,  21,  0, 0, 0, 0, 0,
                                               113, 112, 111, 0, 123, 122, 121, 0, 0, 0, 0, 0};
  const std::vector<float> expected_shifted = {0, 0, 0, 0, 2,   3,   4,   0, 12,  13,  14,  0,
                                               0, 0, 0, 0, 102, 103, 104, 0, 112, 113, 114, 0};
  bool seen_flipped = false;
  bool seen_shifted = false;
  Rng rng(11);
  std::vector<float> scratch(shape.size());
  for (int row = 0; row < 500 && !(seen_flipped && seen_shifted); ++row) {
    Rng copy = rng;
    const Draw d = draw(copy, a);
    std::vector<float> x(shape.size());
    for (std::size_t c = 0; c < 2; ++c) {
      for (std::size_t y = 0; y < 3; ++y) {
        for (std::size_t k = 0; k < 4; ++k) {
          x[c * 12 + y * 4 + k] = static_cast<float>(100 * c + 10 * y + k + 1);
        }
      }
    }
    augment_batch(x.data(), 1, x.size(), shape, a, rng, scratch.data());
    if (d.dy == 1 && d.dx == -1 && d.flip) {
      // out(c, y, x) = in(c, y + 1, 3 - x - 1)
      CHECK(x == expected_flipped);
      seen_flipped = true;
    }
    if (d.dy == -1 && d.dx == 1 && !d.flip) {
      // out(c, y, x) = in(c, y - 1, x + 1)
      CHECK(x == expected_shifted);
      seen_shifted = true;
    }
  }
  CHECK(seen_flipped);
  CHECK(seen_shifted);
}

TEST_CASE("augment_batch follows the documented draws and formula, row by row") {
  const ImageShape shape{3, 5, 6};
  const std::size_t n = 300;
  const std::size_t stride = shape.size() + 3;
  for (const auto& [padding, flip] :
       std::vector<std::pair<std::size_t, bool>>{{2, true}, {3, false}, {0, true}, {1, true}}) {
    CAPTURE(padding);
    CAPTURE(flip);
    Augmentation a;
    a.crop_padding = padding;
    a.flip = flip;
    const std::vector<float> in = numbered_rows(n, stride, shape.size());
    std::vector<float> x = in;
    std::vector<float> scratch(shape.size());
    Rng rng(2024);
    Rng ref = rng;
    augment_batch(x.data(), n, stride, shape, a, rng, scratch.data());
    bool all_match = true;
    bool padding_kept = true;
    for (std::size_t i = 0; i < n; ++i) {
      const Draw d = draw(ref, a);
      const std::vector<float> want = reference(in.data() + i * stride, shape, d.dy, d.dx, d.flip);
      all_match = all_match && std::equal(want.begin(), want.end(), x.begin() + i * stride);
      for (std::size_t j = shape.size(); j < stride; ++j) {
        padding_kept = padding_kept && x[i * stride + j] == -7.0f;
      }
    }
    CHECK(all_match);
    CHECK(padding_kept);
    CHECK(rng.next_u64() == ref.next_u64());  // exactly the documented draws were made
  }
}

TEST_CASE("augment_batch fills the uncovered border with zeros") {
  const ImageShape shape{2, 7, 9};
  Augmentation a;
  a.crop_padding = 3;
  const std::size_t n = 200;
  std::vector<float> x(n * shape.size(), 1.0f);
  std::vector<float> scratch(shape.size());
  Rng rng(5);
  Rng ref = rng;
  augment_batch(x.data(), n, shape.size(), shape, a, rng, scratch.data());
  bool counts_match = true;
  bool values_ok = true;
  for (std::size_t i = 0; i < n; ++i) {
    const Draw d = draw(ref, a);
    const auto kept = static_cast<std::size_t>((7 - std::labs(d.dy)) * (9 - std::labs(d.dx)));
    std::size_t ones = 0;
    for (std::size_t j = 0; j < shape.size(); ++j) {
      const float v = x[i * shape.size() + j];
      values_ok = values_ok && (v == 0.0f || v == 1.0f);
      ones += v == 1.0f ? 1 : 0;
    }
    counts_match = counts_match && ones == 2 * kept;
  }
  CHECK(values_ok);
  CHECK(counts_match);
}

TEST_CASE("augment_batch flips half of the images") {
  const ImageShape shape{1, 1, 2};
  Augmentation a;
  a.flip = true;
  const std::size_t n = 2000;
  std::vector<float> x;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(1.0f);
    x.push_back(2.0f);
  }
  std::vector<float> scratch(2);
  Rng rng(17);
  augment_batch(x.data(), n, 2, shape, a, rng, scratch.data());
  std::size_t flipped = 0;
  bool valid = true;
  for (std::size_t i = 0; i < n; ++i) {
    const bool f = x[2 * i] == 2.0f && x[2 * i + 1] == 1.0f;
    const bool kept = x[2 * i] == 1.0f && x[2 * i + 1] == 2.0f;
    valid = valid && (f || kept);
    flipped += f ? 1 : 0;
  }
  CHECK(valid);
  CAPTURE(flipped);
  CHECK(reglab::testing::fraction_within(flipped, n, 0.5));
  CHECK(flipped > 0);
  CHECK(flipped < n);
}

TEST_CASE("augment_batch offsets cover exactly [-p, p], uniformly") {
  const ImageShape shape{1, 8, 8};
  Augmentation a;
  a.crop_padding = 3;
  const std::size_t n = 4000;
  std::vector<float> x(n * shape.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < shape.size(); ++j)
      x[i * shape.size() + j] = static_cast<float>(j + 1);
  }
  std::vector<float> scratch(shape.size());
  Rng rng(99);
  augment_batch(x.data(), n, shape.size(), shape, a, rng, scratch.data());
  std::vector<std::size_t> dy_counts(7, 0), dx_counts(7, 0), joint(49, 0);
  std::size_t outside = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Draw d = decode_shift(x.data() + i * shape.size(), shape);
    if (std::labs(d.dy) > 3 || std::labs(d.dx) > 3) {
      ++outside;
      continue;
    }
    const auto iy = static_cast<std::size_t>(d.dy + 3);
    const auto ix = static_cast<std::size_t>(d.dx + 3);
    ++dy_counts[iy];
    ++dx_counts[ix];
    ++joint[iy * 7 + ix];
  }
  CHECK(outside == 0);
  for (std::size_t k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(dy_counts[k] > 0);
    CHECK(dx_counts[k] > 0);
  }
  // Chi-square critical values at p = 1e-5: 33.1 for 6 degrees of freedom, 101.7 for 48.
  CHECK(chi_square(dy_counts, n / 7.0) < 33.1);
  CHECK(chi_square(dx_counts, n / 7.0) < 33.1);
  CHECK(chi_square(joint, n / 49.0) < 101.7);
}

TEST_CASE("augment_batch: same seed, same output; an inactive augmentation draws nothing") {
  const ImageShape shape{3, 6, 6};
  Augmentation a;
  a.crop_padding = 2;
  a.flip = true;
  const std::vector<float> in = numbered_rows(50, shape.size(), shape.size());
  std::vector<float> scratch(shape.size());
  std::vector<float> first = in, second = in, other = in;
  Rng r1(3), r2(3), r3(4);
  augment_batch(first.data(), 50, shape.size(), shape, a, r1, scratch.data());
  augment_batch(second.data(), 50, shape.size(), shape, a, r2, scratch.data());
  augment_batch(other.data(), 50, shape.size(), shape, a, r3, scratch.data());
  CHECK(first == second);
  CHECK(first != other);
  CHECK(first != in);

  std::vector<float> untouched = in;
  Rng rng(8);
  Rng ref = rng;
  augment_batch(untouched.data(), 50, shape.size(), shape, Augmentation{}, rng, scratch.data());
  CHECK(untouched == in);
  CHECK(rng.next_u64() == ref.next_u64());

  CHECK_THROWS_AS(
      augment_batch(untouched.data(), 1, shape.size() - 1, shape, a, rng, scratch.data()),
      std::invalid_argument);
}

TEST_CASE("channel_stats matches a hand computation on the [0, 1] scale") {
  // Shape {2, 1, 2}: per sample channel 0 = two values, then channel 1 = two values.
  Dataset d;
  d.classes = 2;
  d.sample_shape = {2, 1, 2};
  d.images = reglab::ByteMatrix::from_shape({3, 4});
  const std::uint8_t px[12] = {0, 255, 51, 51, 255, 255, 102, 0, 0, 0, 255, 255};
  std::copy(px, px + 12, d.images.data());
  d.labels = reglab::LabelVector::from_shape({3});
  const ImageShape shape{2, 1, 2};

  // Samples 0 and 1. Channel 0: 0, 1, 1, 1: mean 0.75, variance (0.5625 + 3 x 0.0625) / 4.
  // Channel 1: 0.2, 0.2, 0.4, 0: mean 0.2, variance (0 + 0 + 0.04 + 0.04) / 4.
  const ChannelStats s = channel_stats(d, {0, 1}, shape);
  REQUIRE(s.mean.size() == 2);
  REQUIRE(s.sd.size() == 2);
  CHECK(s.mean[0] == doctest::Approx(0.75).epsilon(1e-14));
  CHECK(s.sd[0] == doctest::Approx(std::sqrt(0.1875)).epsilon(1e-14));
  CHECK(s.mean[1] == doctest::Approx(0.2).epsilon(1e-14));
  CHECK(s.sd[1] == doctest::Approx(std::sqrt(0.02)).epsilon(1e-14));

  // The order of the samples does not change a bit.
  const ChannelStats reversed = channel_stats(d, {1, 0}, shape);
  CHECK(reversed.mean == s.mean);
  CHECK(reversed.sd == s.sd);

  const ChannelStats last = channel_stats(d, {2}, shape);
  CHECK(last.mean == std::vector<double>{0.0, 1.0});
  CHECK(last.sd == std::vector<double>{0.0, 0.0});

  CHECK_THROWS_AS(channel_stats(d, {}, shape), std::invalid_argument);
  CHECK_THROWS_AS(channel_stats(d, {0, 3}, shape), std::invalid_argument);
  CHECK_THROWS_AS(channel_stats(d, {0}, ImageShape{1, 2, 1}), std::invalid_argument);
}

TEST_CASE("standardize gives each channel mean 0 and sd 1 on the stats' own data") {
  const ImageShape shape{3, 4, 5};
  const std::size_t n = 64;
  Dataset d;
  d.classes = 1;
  d.sample_shape = {3, 4, 5};
  d.images = reglab::ByteMatrix::from_shape({n, shape.size()});
  d.labels = reglab::LabelVector::from_shape({n});
  Rng rng(1);
  const std::uint64_t base[3] = {0, 60, 180};  // channels with different means and spreads
  const std::uint64_t spread[3] = {256, 120, 40};
  for (std::size_t i = 0; i < n; ++i) {
    d.labels(i) = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t j = 0; j < 20; ++j) {
        d.images(i, c * 20 + j) = static_cast<std::uint8_t>(base[c] + rng.below(spread[c]));
      }
    }
  }
  std::vector<std::uint32_t> indices(n);
  for (std::size_t i = 0; i < n; ++i) indices[i] = static_cast<std::uint32_t>(i);
  const ChannelStats stats = channel_stats(d, indices, shape);
  CHECK(stats.mean[2] > stats.mean[1]);
  CHECK(stats.sd[0] > stats.sd[2]);

  reglab::Matrix x = reglab::Matrix::from_shape({n, shape.size()});
  std::vector<std::uint8_t> labels(n);
  reglab::data::gather_batch(d, indices.data(), n, x, labels.data());
  standardize(x.data(), n, shape.size(), shape, stats);
  for (std::size_t c = 0; c < 3; ++c) {
    CAPTURE(c);
    double sum = 0.0, squares = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < 20; ++j) {
        const double v = x(i, c * 20 + j);
        sum += v;
        squares += v * v;
      }
    }
    const double count = static_cast<double>(n * 20);
    const double mean = sum / count;
    CHECK(std::abs(mean) < 1e-5);
    CHECK(std::sqrt(squares / count - mean * mean) == doctest::Approx(1.0).epsilon(1e-5));
  }

  // A constant channel (sd 0) is centred and not scaled; stats must match the channels.
  ChannelStats flat{{0.5, 0.5, 0.5}, {0.0, 1e-7, 2.0}};
  std::vector<float> row(shape.size(), 0.75f);
  standardize(row.data(), 1, shape.size(), shape, flat);
  CHECK(row[0] == 0.25f);
  CHECK(row[20] == 0.25f);
  CHECK(row[40] == 0.125f);
  CHECK_THROWS_AS(standardize(row.data(), 1, shape.size(), shape, ChannelStats{{0.5}, {1.0}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(standardize(row.data(), 1, shape.size() - 1, shape, flat), std::invalid_argument);
}
