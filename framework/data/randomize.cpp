#include "framework/data/randomize.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/number_text.hpp"
#include "framework/core/random.hpp"

namespace reglab::data {
namespace {

using Inputs = RandomizeOptions::Inputs;

constexpr Inputs kAllInputs[] = {Inputs::kNone, Inputs::kShuffledPixels, Inputs::kRandomPixels,
                                 Inputs::kGaussian};

/// Stream indices of "input_randomisation".
constexpr std::uint64_t kShuffledStream = 0;
constexpr std::uint64_t kRandomTrainStream = 1;
constexpr std::uint64_t kRandomTestStream = 2;
constexpr std::uint64_t kGaussianTrainStream = 3;
constexpr std::uint64_t kGaussianTestStream = 4;

/// (0, 1, .., n-1) shuffled by Rng::shuffle.
std::vector<std::uint32_t> random_permutation(std::size_t n, Rng& rng) {
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
  rng.shuffle(perm);
  return perm;
}

void corrupt_labels(Dataset& train, double p, Rng& rng) {
  std::uint8_t* labels = train.labels.data();
  const std::size_t n = train.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rng.uniform_double();
    const auto c = static_cast<std::uint8_t>(rng.below(train.classes));
    if (u < p) labels[i] = c;
  }
}

/// x'[j] = x[perm[j]] for every image of `ds`.
void permute_all(Dataset& ds, const std::vector<std::uint32_t>& perm) {
  const std::size_t f = perm.size();
  std::vector<std::uint8_t> row(f);
  std::uint8_t* px = ds.images.data();
  for (std::size_t i = 0; i < ds.size(); ++i) {
    std::uint8_t* image = px + i * f;
    std::copy(image, image + f, row.begin());
    for (std::size_t j = 0; j < f; ++j) image[j] = row[perm[j]];
  }
}

/// Fisher-Yates shuffle of each image's pixels in place, with the swaps of Rng::shuffle, so that
/// x'[j] = x[pi[j]] with pi the permutation Rng::shuffle would make of (0, .., F-1).
void permute_each(Dataset& ds, Rng& rng) {
  const std::size_t f = ds.features();
  std::uint8_t* px = ds.images.data();
  for (std::size_t i = 0; i < ds.size(); ++i) {
    std::uint8_t* image = px + i * f;
    for (std::size_t k = f; k > 1; --k) {
      std::swap(image[k - 1], image[static_cast<std::size_t>(rng.below(k))]);
    }
  }
}

struct Moments {
  double mean = 0.0;
  double sd = 0.0;
};

/// Mean and population standard deviation of every pixel of `ds`, from a histogram (exact
/// counts, no cancellation).
Moments pixel_moments(const Dataset& ds) {
  std::array<std::uint64_t, 256> counts{};
  const std::uint8_t* px = ds.images.data();
  const std::size_t total = ds.images.size();
  for (std::size_t i = 0; i < total; ++i) ++counts[px[i]];
  const auto n = static_cast<double>(total);
  double sum = 0.0;
  for (std::size_t v = 0; v < 256; ++v) sum += static_cast<double>(v * counts[v]);
  Moments m;
  m.mean = sum / n;
  double ss = 0.0;
  for (std::size_t v = 0; v < 256; ++v) {
    const double d = static_cast<double>(v) - m.mean;
    ss += d * d * static_cast<double>(counts[v]);
  }
  m.sd = std::sqrt(ss / n);
  return m;
}

/// Replaces every pixel of `ds`, in row-major order, by round(mean + sd z) clipped to [0, 255].
void gaussian_pixels(Dataset& ds, const Moments& m, Rng& rng) {
  std::uint8_t* px = ds.images.data();
  const std::size_t total = ds.images.size();
  for (std::size_t i = 0; i < total; ++i) {
    const double v = std::round(m.mean + m.sd * rng.normal());
    px[i] = static_cast<std::uint8_t>(std::min(255.0, std::max(0.0, v)));
  }
}

void randomize_inputs(Source& source, Inputs inputs, std::uint64_t seed) {
  const std::size_t f = source.train.features();
  if (source.test.features() != f) {
    throw DataError(source.description + ": cannot randomise inputs: training images have " +
                    std::to_string(f) + " pixels but test images " +
                    std::to_string(source.test.features()));
  }
  switch (inputs) {
    case Inputs::kNone:
      return;
    case Inputs::kShuffledPixels: {
      Rng rng = Rng::stream(seed, "input_randomisation", kShuffledStream);
      const std::vector<std::uint32_t> perm = random_permutation(f, rng);
      permute_all(source.train, perm);
      permute_all(source.test, perm);
      return;
    }
    case Inputs::kRandomPixels: {
      Rng train_rng = Rng::stream(seed, "input_randomisation", kRandomTrainStream);
      Rng test_rng = Rng::stream(seed, "input_randomisation", kRandomTestStream);
      permute_each(source.train, train_rng);
      permute_each(source.test, test_rng);
      return;
    }
    case Inputs::kGaussian: {
      if (source.train.images.size() == 0) {
        throw DataError(source.description +
                        ": cannot draw gaussian inputs: the training set has no pixels");
      }
      const Moments m = pixel_moments(source.train);
      Rng train_rng = Rng::stream(seed, "input_randomisation", kGaussianTrainStream);
      Rng test_rng = Rng::stream(seed, "input_randomisation", kGaussianTestStream);
      gaussian_pixels(source.train, m, train_rng);
      gaussian_pixels(source.test, m, test_rng);
      return;
    }
  }
}

}  // namespace

const char* input_randomisation_name(Inputs inputs) {
  switch (inputs) {
    case Inputs::kNone:
      return "none";
    case Inputs::kShuffledPixels:
      return "shuffled_pixels";
    case Inputs::kRandomPixels:
      return "random_pixels";
    case Inputs::kGaussian:
      return "gaussian";
  }
  return "none";
}

RandomizeOptions RandomizeOptions::read(config::OptionReader& reader) {
  RandomizeOptions o;
  o.label_corruption = reader.get_double("label_corruption", 0.0, config::Range::closed(0.0, 1.0));
  std::vector<std::string> names;
  for (Inputs i : kAllInputs) names.emplace_back(input_randomisation_name(i));
  const std::string name = reader.get_string("input_randomisation", "none", names);
  for (Inputs i : kAllInputs) {
    if (name == input_randomisation_name(i)) o.inputs = i;
  }
  return o;
}

bool RandomizeOptions::any() const { return label_corruption > 0.0 || inputs != Inputs::kNone; }

std::string RandomizeOptions::describe() const {
  std::string out;
  if (label_corruption > 0.0) out = "labels corrupted with p=" + shortest_decimal(label_corruption);
  if (inputs != Inputs::kNone) {
    out += (out.empty() ? "" : "; ") + std::string("inputs ") + input_randomisation_name(inputs);
  }
  return out;
}

void randomize(Source& source, const RandomizeOptions& options, std::uint64_t seed) {
  if (!options.any()) return;
  if (source.train.regression()) {
    throw DataError(source.description +
                    ": label corruption and input randomisation need a classification set of "
                    "uint8 images");
  }
  if (options.label_corruption > 0.0) {
    if (source.train.classes == 0 || source.train.classes > 256) {
      throw DataError(source.description + ": cannot corrupt labels of a dataset with " +
                      std::to_string(source.train.classes) + " classes");
    }
    Rng rng = Rng::stream(seed, "label_corruption");
    corrupt_labels(source.train, options.label_corruption, rng);
  }
  randomize_inputs(source, options.inputs, seed);
  source.description += "; " + options.describe();
}

}  // namespace reglab::data
