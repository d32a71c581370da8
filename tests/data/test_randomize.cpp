#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/data/randomize.hpp"
#include "framework/experiment/config_names.hpp"

namespace reglab::data {
namespace {

using Inputs = RandomizeOptions::Inputs;
using Bytes = std::vector<std::uint8_t>;

/// `n` images of `features` pixels: pixel j of image i is (j + i) mod features (so every image
/// holds each value 0..features-1 once, at a position that reveals j), labels i mod classes.
/// Precondition: features <= 256.
Dataset position_coded(std::size_t n, std::size_t features, std::size_t classes) {
  Dataset ds;
  ds.classes = classes;
  ds.sample_shape = {features};
  ds.images = ByteMatrix::from_shape({n, features});
  ds.labels = LabelVector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    ds.labels(i) = static_cast<std::uint8_t>(i % classes);
    for (std::size_t j = 0; j < features; ++j) {
      ds.images(i, j) = static_cast<std::uint8_t>((j + i) % features);
    }
  }
  return ds;
}

Source position_coded_source(std::size_t train, std::size_t test, std::size_t features,
                             std::size_t classes) {
  Source s;
  s.description = "test source";
  s.train = position_coded(train, features, classes);
  s.test = position_coded(test, features, classes);
  return s;
}

/// The permutation pi with image'[j] = image[pi[j]] for image i of a position_coded dataset.
std::vector<std::uint32_t> recover_permutation(const Dataset& ds, std::size_t i) {
  const std::size_t f = ds.features();
  std::vector<std::uint32_t> pi(f);
  for (std::size_t j = 0; j < f; ++j) {
    pi[j] = static_cast<std::uint32_t>((ds.images(i, j) + f - i % f) % f);
  }
  return pi;
}

bool is_permutation_of_identity(const std::vector<std::uint32_t>& pi) {
  std::vector<std::uint32_t> sorted = pi;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t j = 0; j < sorted.size(); ++j) {
    if (sorted[j] != j) return false;
  }
  return true;
}

std::vector<std::uint32_t> identity(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i);
  return v;
}

Bytes bytes(const ByteMatrix& m) { return Bytes(m.data(), m.data() + m.size()); }
Bytes bytes(const LabelVector& v) { return Bytes(v.data(), v.data() + v.size()); }

/// Pixels of a Dataset, or labels, as a vector for comparisons.
Bytes pixels(const Dataset& ds) { return bytes(ds.images); }
Bytes labels(const Dataset& ds) { return bytes(ds.labels); }

RandomizeOptions labels_only(double p) {
  RandomizeOptions o;
  o.label_corruption = p;
  return o;
}

RandomizeOptions inputs_only(Inputs inputs) {
  RandomizeOptions o;
  o.inputs = inputs;
  return o;
}

/// Fraction of positions where a and b differ.
double fraction_changed(const Bytes& a, const Bytes& b) {
  std::size_t changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) changed += a[i] != b[i] ? 1 : 0;
  return static_cast<double>(changed) / static_cast<double>(a.size());
}

/// Parses `text` as the `data:` map and reads the options; returns the ConfigError message,
/// or "" if nothing was thrown. `finish` also rejects keys that were not read.
std::string config_error(const std::string& text, bool finish = true) {
  try {
    experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
    RandomizeOptions::read(reader);
    if (finish) reader.finish();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

RandomizeOptions parse(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RandomizeOptions o = RandomizeOptions::read(reader);
  reader.finish();
  return o;
}

struct Stats {
  double mean = 0.0;
  double sd = 0.0;
};

Stats stats(const Bytes& v) {
  double sum = 0.0;
  for (auto x : v) sum += x;
  Stats s;
  s.mean = sum / static_cast<double>(v.size());
  double ss = 0.0;
  for (auto x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / static_cast<double>(v.size()));
  return s;
}

}  // namespace

TEST_CASE("label_corruption 0 and no input randomisation change nothing") {
  const Source original = position_coded_source(50, 10, 16, 5);
  Source s = original;
  randomize(s, RandomizeOptions{}, 1);
  CHECK(pixels(s.train) == pixels(original.train));
  CHECK(labels(s.train) == labels(original.train));
  CHECK(pixels(s.test) == pixels(original.test));
  CHECK(labels(s.test) == labels(original.test));
  CHECK(s.description == "test source");
  randomize(s, labels_only(0.0), 1);
  CHECK(labels(s.train) == labels(original.train));
  CHECK(s.description == "test source");
}

TEST_CASE("random labels are independent of the true labels") {
  constexpr std::size_t kN = 1000;
  constexpr std::size_t kClasses = 10;
  const Source original = position_coded_source(kN, 50, 8, kClasses);
  Source s = original;
  randomize(s, labels_only(1.0), 3);
  // Fraction equal to the true label ~ 1/K, binomial sd sqrt(0.1 * 0.9 / 1000) = 0.0095.
  const double equal = 1.0 - fraction_changed(labels(s.train), labels(original.train));
  CHECK(std::abs(equal - 0.1) < 4 * 0.0095);
  // Every class drawn about N/K = 100 times (binomial sd 9.5), also within each true class.
  std::vector<std::size_t> counts(kClasses, 0);
  for (std::size_t i = 0; i < kN; ++i) {
    REQUIRE(s.train.labels(i) < kClasses);
    ++counts[s.train.labels(i)];
  }
  for (std::size_t c = 0; c < kClasses; ++c) {
    CAPTURE(c);
    CHECK(counts[c] > 100 - 4 * 9.5);
    CHECK(counts[c] < 100 + 4 * 9.5);
  }
  // Test labels and all pixels untouched.
  CHECK(labels(s.test) == labels(original.test));
  CHECK(pixels(s.train) == pixels(original.train));
  CHECK(pixels(s.test) == pixels(original.test));
  CHECK(s.description == "test source; labels corrupted with p=1");
}

TEST_CASE("partially corrupted labels change a fraction p (1 - 1/K)") {
  constexpr std::size_t kN = 1000;
  for (const std::size_t classes : {2, 10}) {
    for (const double p : {0.2, 0.4, 0.8}) {
      CAPTURE(classes);
      CAPTURE(p);
      const Source original = position_coded_source(kN, 30, 8, classes);
      Source s = original;
      randomize(s, labels_only(p), 11);
      const double expected = p * (1.0 - 1.0 / static_cast<double>(classes));
      const double sd = std::sqrt(expected * (1.0 - expected) / kN);
      const double changed = fraction_changed(labels(s.train), labels(original.train));
      CHECK(std::abs(changed - expected) < 4 * sd);
      CHECK(labels(s.test) == labels(original.test));
      for (std::size_t i = 0; i < kN; ++i) REQUIRE(s.train.labels(i) < classes);
    }
  }
}

TEST_CASE("label corruption is reproducible, seed dependent and nested in p") {
  const Source original = position_coded_source(400, 20, 8, 10);
  Source a = original, b = original, c = original;
  randomize(a, labels_only(0.4), 5);
  randomize(b, labels_only(0.4), 5);
  randomize(c, labels_only(0.4), 6);
  CHECK(labels(a.train) == labels(b.train));
  CHECK(labels(a.train) != labels(c.train));

  // Samples corrupted at p = 0.4 are corrupted at p = 0.8 with the same seed, to the same label.
  Source more = original;
  randomize(more, labels_only(0.8), 5);
  std::size_t changed_low = 0;
  std::size_t changed_high = 0;
  for (std::size_t i = 0; i < 400; ++i) {
    if (a.train.labels(i) != original.train.labels(i)) {
      ++changed_low;
      CHECK(more.train.labels(i) == a.train.labels(i));
    }
    if (more.train.labels(i) != original.train.labels(i)) ++changed_high;
  }
  CHECK(changed_low > 0);
  CHECK(changed_high > changed_low);
}

TEST_CASE("label corruption follows the documented draw order") {
  const Source original = position_coded_source(200, 5, 4, 7);
  Source s = original;
  randomize(s, labels_only(0.3), 21);
  Rng rng = Rng::stream(21, "label_corruption");
  for (std::size_t i = 0; i < 200; ++i) {
    const double u = rng.uniform_double();
    const auto c = static_cast<std::uint8_t>(rng.below(7));
    CAPTURE(i);
    CHECK(s.train.labels(i) == (u < 0.3 ? c : original.train.labels(i)));
  }
}

TEST_CASE("shuffled pixels apply one permutation to every train and test image") {
  constexpr std::size_t kF = 64;
  const Source original = position_coded_source(120, 40, kF, 4);
  Source s = original;
  randomize(s, inputs_only(Inputs::kShuffledPixels), 9);
  const std::vector<std::uint32_t> pi = recover_permutation(s.train, 0);
  CHECK(is_permutation_of_identity(pi));
  CHECK(pi != identity(kF));
  for (std::size_t i = 0; i < s.train.size(); ++i) {
    CAPTURE(i);
    CHECK(recover_permutation(s.train, i) == pi);
  }
  for (std::size_t i = 0; i < s.test.size(); ++i) {
    CAPTURE(i);
    CHECK(recover_permutation(s.test, i) == pi);
  }
  // The permutation is Rng::shuffle of the identity from stream "input_randomisation" 0.
  std::vector<std::uint32_t> expected = identity(kF);
  Rng rng = Rng::stream(9, "input_randomisation", 0);
  rng.shuffle(expected);
  CHECK(pi == expected);
  CHECK(labels(s.train) == labels(original.train));
  CHECK(labels(s.test) == labels(original.test));
  CHECK(s.description == "test source; inputs shuffled_pixels");

  Source again = original, other = original;
  randomize(again, inputs_only(Inputs::kShuffledPixels), 9);
  randomize(other, inputs_only(Inputs::kShuffledPixels), 10);
  CHECK(pixels(again.train) == pixels(s.train));
  CHECK(pixels(again.test) == pixels(s.test));
  CHECK(recover_permutation(other.train, 0) != pi);
}

TEST_CASE("random pixels give each image its own permutation") {
  constexpr std::size_t kF = 64;
  constexpr std::size_t kTrain = 300;
  constexpr std::size_t kTest = 100;
  const Source original = position_coded_source(kTrain, kTest, kF, 4);
  Source s = original;
  randomize(s, inputs_only(Inputs::kRandomPixels), 13);
  std::set<std::vector<std::uint32_t>> distinct;
  double fixed_points = 0.0;
  for (const Dataset* ds : {&s.train, &s.test}) {
    for (std::size_t i = 0; i < ds->size(); ++i) {
      const std::vector<std::uint32_t> pi = recover_permutation(*ds, i);
      REQUIRE(is_permutation_of_identity(pi));  // the image's multiset is preserved
      distinct.insert(pi);
      for (std::size_t j = 0; j < kF; ++j) fixed_points += pi[j] == j ? 1.0 : 0.0;
    }
  }
  CHECK(distinct.size() == kTrain + kTest);
  // A uniform permutation has on average one fixed point (variance 1): mean over 400 images
  // within 4 sd = 4 / sqrt(400) = 0.2 of 1.
  CHECK(std::abs(fixed_points / (kTrain + kTest) - 1.0) < 0.2);

  // Train images from stream 1, test images from stream 2, in sample order.
  Rng train_rng = Rng::stream(13, "input_randomisation", 1);
  Rng test_rng = Rng::stream(13, "input_randomisation", 2);
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<std::uint32_t> expected = identity(kF);
    train_rng.shuffle(expected);
    CHECK(recover_permutation(s.train, i) == expected);
    expected = identity(kF);
    test_rng.shuffle(expected);
    CHECK(recover_permutation(s.test, i) == expected);
  }
  CHECK(labels(s.train) == labels(original.train));
  CHECK(s.description == "test source; inputs random_pixels");

  Source again = original, other = original;
  randomize(again, inputs_only(Inputs::kRandomPixels), 13);
  randomize(other, inputs_only(Inputs::kRandomPixels), 14);
  CHECK(pixels(again.train) == pixels(s.train));
  CHECK(pixels(again.test) == pixels(s.test));
  CHECK(pixels(other.train) != pixels(s.train));
  CHECK(pixels(other.test) != pixels(s.test));
}

TEST_CASE("gaussian inputs match the training mean and standard deviation") {
  // Training pixels uniform on 60..200 (mean 130, sd 40.8): clipping to [0, 255] is negligible.
  constexpr std::size_t kF = 64;
  Source original = position_coded_source(300, 100, kF, 4);
  Rng fill(77);
  for (auto& v : original.train.images) v = static_cast<std::uint8_t>(60 + fill.below(141));
  const Stats source_stats = stats(pixels(original.train));
  Source s = original;
  randomize(s, inputs_only(Inputs::kGaussian), 17);

  // 19200 train and 6400 test pixels: sd of the mean ~ 40.8 / sqrt(n) <= 0.51, of the sd
  // ~ 40.8 / sqrt(2 n) <= 0.36; rounding adds 1/12 to the variance (negligible).
  for (const Dataset* ds : {&s.train, &s.test}) {
    const Bytes px = pixels(*ds);
    const Stats out = stats(px);
    const double n = static_cast<double>(px.size());
    CAPTURE(n);
    CHECK(std::abs(out.mean - source_stats.mean) < 4 * source_stats.sd / std::sqrt(n));
    CHECK(std::abs(out.sd - source_stats.sd) < 4 * source_stats.sd / std::sqrt(2 * n));
    // Values spread beyond the source's 60..200 as a Gaussian does.
    CHECK(*std::min_element(px.begin(), px.end()) < 60);
    CHECK(*std::max_element(px.begin(), px.end()) > 200);
  }

  // The documented formula and stream for the first pixels.
  Rng rng = Rng::stream(17, "input_randomisation", 3);
  for (std::size_t j = 0; j < 5; ++j) {
    const double v = std::round(source_stats.mean + source_stats.sd * rng.normal());
    CHECK(s.train.images(0, j) == static_cast<std::uint8_t>(std::min(255.0, std::max(0.0, v))));
  }
  CHECK(labels(s.train) == labels(original.train));
  CHECK(labels(s.test) == labels(original.test));
  CHECK(s.description == "test source; inputs gaussian");

  Source again = original, other = original;
  randomize(again, inputs_only(Inputs::kGaussian), 17);
  randomize(other, inputs_only(Inputs::kGaussian), 18);
  CHECK(pixels(again.train) == pixels(s.train));
  CHECK(pixels(again.test) == pixels(s.test));
  CHECK(pixels(other.train) != pixels(s.train));
}

TEST_CASE("gaussian inputs clip to 0 and 255 instead of wrapping") {
  // Half the training pixels 0, half 255: mean 127.5, sd 127.5. A draw rounds to <= 0 when
  // z < -127 / 127.5 and to >= 255 when z >= 127 / 127.5: 0.1596 of the pixels each.
  Source s = position_coded_source(200, 50, 32, 4);
  for (std::size_t i = 0; i < s.train.images.size(); ++i) {
    s.train.images.data()[i] = i % 2 == 0 ? 0 : 255;
  }
  randomize(s, inputs_only(Inputs::kGaussian), 23);
  const Bytes px = pixels(s.train);
  const double n = static_cast<double>(px.size());
  const double zeros = static_cast<double>(std::count(px.begin(), px.end(), 0)) / n;
  const double full = static_cast<double>(std::count(px.begin(), px.end(), 255)) / n;
  const double sd = std::sqrt(0.16 * 0.84 / n);  // 0.0046
  CHECK(std::abs(zeros - 0.1596) < 4 * sd);
  CHECK(std::abs(full - 0.1596) < 4 * sd);
}

TEST_CASE("label corruption and input randomisation combine") {
  const Source original = position_coded_source(300, 30, 16, 10);
  RandomizeOptions o;
  o.label_corruption = 0.5;
  o.inputs = Inputs::kShuffledPixels;
  Source both = original, only_labels = original, only_inputs = original;
  randomize(both, o, 4);
  randomize(only_labels, labels_only(0.5), 4);
  randomize(only_inputs, inputs_only(Inputs::kShuffledPixels), 4);
  // Independent streams: each part equals the one done alone.
  CHECK(labels(both.train) == labels(only_labels.train));
  CHECK(pixels(both.train) == pixels(only_inputs.train));
  CHECK(pixels(both.test) == pixels(only_inputs.test));
  CHECK(labels(both.train) != labels(original.train));
  CHECK(both.description == "test source; labels corrupted with p=0.5; inputs shuffled_pixels");
}

TEST_CASE("randomize rejects data it cannot transform") {
  Source no_classes = position_coded_source(10, 5, 8, 4);
  no_classes.train.classes = 0;
  CHECK_THROWS_WITH_AS(randomize(no_classes, labels_only(0.5), 1),
                       doctest::Contains("test source: cannot corrupt labels"), DataError);
  Source mismatch = position_coded_source(10, 5, 8, 4);
  mismatch.test = position_coded(5, 9, 4);
  CHECK_THROWS_AS(randomize(mismatch, inputs_only(Inputs::kShuffledPixels), 1), DataError);
  Source empty = position_coded_source(0, 5, 8, 4);
  CHECK_THROWS_AS(randomize(empty, inputs_only(Inputs::kGaussian), 1), DataError);
}

TEST_CASE("RandomizeOptions::read reads its two keys") {
  const RandomizeOptions defaults = parse("{}");
  CHECK(defaults.label_corruption == 0.0);
  CHECK(defaults.inputs == Inputs::kNone);
  CHECK_FALSE(defaults.any());

  const RandomizeOptions o = parse("{label_corruption: 0.4, input_randomisation: random_pixels}");
  CHECK(o.label_corruption == 0.4);
  CHECK(o.inputs == Inputs::kRandomPixels);
  CHECK(parse("{label_corruption: 1}").label_corruption == 1.0);
  CHECK(parse("{label_corruption: 0}").label_corruption == 0.0);
  CHECK(parse("{input_randomisation: none}").inputs == Inputs::kNone);
  CHECK(parse("{input_randomisation: shuffled_pixels}").inputs == Inputs::kShuffledPixels);
  CHECK(parse("{input_randomisation: gaussian}").inputs == Inputs::kGaussian);

  // The reader is shared with the dataset factory: other keys are left for finish().
  CHECK(config_error("{dataset: synthetic, label_corruption: 0.2}", false).empty());
  CHECK(config_error("{dataset: synthetic, label_corruption: 0.2}").find("unknown key 'dataset'") !=
        std::string::npos);
}

TEST_CASE("RandomizeOptions::read rejects bad values with file, line, column and key") {
  const std::string high = config_error("{label_corruption: 1.5}");
  CHECK(high.find("test.yaml:1:") == 0);
  CHECK(high.find("label_corruption") != std::string::npos);
  CHECK(high.find("[0, 1]") != std::string::npos);
  CHECK(config_error("{label_corruption: -0.1}").find("label_corruption") != std::string::npos);
  CHECK(config_error("{label_corruption: .nan}").find("label_corruption") != std::string::npos);
  CHECK(config_error("{label_corruption: half}").find("label_corruption") != std::string::npos);

  const std::string unknown = config_error("{input_randomisation: pixels}");
  CHECK(unknown.find("test.yaml:1:") == 0);
  CHECK(unknown.find("input_randomisation") != std::string::npos);
  CHECK(unknown.find("'pixels'") != std::string::npos);
  CHECK(unknown.find("none, shuffled_pixels, random_pixels, gaussian") != std::string::npos);
}

TEST_CASE("RandomizeOptions::describe") {
  CHECK(RandomizeOptions{}.describe().empty());
  CHECK(labels_only(0.4).describe() == "labels corrupted with p=0.4");
  CHECK(labels_only(1.0).describe() == "labels corrupted with p=1");
  CHECK(labels_only(0.125).describe() == "labels corrupted with p=0.125");
  CHECK(inputs_only(Inputs::kGaussian).describe() == "inputs gaussian");
  CHECK(inputs_only(Inputs::kRandomPixels).describe() == "inputs random_pixels");
  RandomizeOptions both = labels_only(0.4);
  both.inputs = Inputs::kShuffledPixels;
  CHECK(both.describe() == "labels corrupted with p=0.4; inputs shuffled_pixels");
  CHECK(both.any());
  CHECK(labels_only(0.01).any());
  CHECK(inputs_only(Inputs::kShuffledPixels).any());
  CHECK(std::string(input_randomisation_name(Inputs::kNone)) == "none");
}

}  // namespace reglab::data
