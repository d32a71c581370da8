#include <doctest/doctest.h>
#include <stdlib.h>  // mkdtemp
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "support/builtins.hpp"
#include "support/temp_dir.hpp"

namespace {

using reglab::ConfigError;
using reglab::DataError;
using reglab::Matrix;
using reglab::data::Dataset;
using reglab::data::make_splits;
using reglab::data::Source;
using reglab::experiment::ConfigNode;
using reglab::experiment::OptionReader;
using reglab::testing::builtins;
using Bytes = std::vector<std::uint8_t>;

/// Loads dataset `name` with the options in the YAML mapping `yaml`; checks every key was read.
Source load(const std::string& name, const std::string& yaml) {
  const auto* entry = builtins().datasets.find(name);
  REQUIRE(entry != nullptr);
  OptionReader reader(ConfigNode::parse(yaml, "test.yaml"));
  const reglab::data::DataLoader loader = entry->factory(reader);
  reader.finish();
  return loader();
}

/// This file's temporary folders: /tmp/reglab_ds_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_ds") {}
};

Bytes make_idx(const std::vector<std::uint32_t>& dims, const Bytes& data) {
  Bytes out = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_file(const std::string& path, const Bytes& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    REQUIRE(gzclose(f) == Z_OK);
  } else {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
  }
}

/// Writes a small MNIST-layout directory (train 6 images of 2x3, test 4), gzip for train files.
void write_mnist_dir(const TempDir& dir) {
  Bytes train_px(6 * 6), test_px(4 * 6);
  for (std::size_t i = 0; i < train_px.size(); ++i) train_px[i] = static_cast<std::uint8_t>(i * 7);
  for (std::size_t i = 0; i < test_px.size(); ++i) test_px[i] = static_cast<std::uint8_t>(255 - i);
  write_file(dir.file("train-images-idx3-ubyte.gz"), make_idx({6, 2, 3}, train_px), true);
  write_file(dir.file("train-labels-idx1-ubyte.gz"), make_idx({6}, {0, 1, 2, 3, 4, 9}), true);
  write_file(dir.file("t10k-images-idx3-ubyte"), make_idx({4, 2, 3}, test_px), false);
  write_file(dir.file("t10k-labels-idx1-ubyte"), make_idx({4}, {5, 6, 7, 8}), false);
}

bool equal_images(const Dataset& a, const Dataset& b) {
  return a.images.shape() == b.images.shape() &&
         std::equal(a.images.data(), a.images.data() + a.images.size(), b.images.data()) &&
         std::equal(a.labels.data(), a.labels.data() + a.labels.size(), b.labels.data());
}

/// Test accuracy of a nearest-centroid classifier (a linear classifier) trained on `train`.
double nearest_centroid_accuracy(const Dataset& train, const Dataset& test) {
  const std::size_t f = train.features();
  std::vector<double> centroid(train.classes * f, 0.0);
  std::vector<double> count(train.classes, 0.0);
  for (std::size_t i = 0; i < train.size(); ++i) {
    const std::size_t c = train.labels(i);
    count[c] += 1.0;
    for (std::size_t j = 0; j < f; ++j) centroid[c * f + j] += train.images(i, j);
  }
  for (std::size_t c = 0; c < train.classes; ++c) {
    for (std::size_t j = 0; j < f; ++j) centroid[c * f + j] /= count[c];
  }
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    std::size_t best = 0;
    double best_d = 1e300;
    for (std::size_t c = 0; c < train.classes; ++c) {
      double d = 0.0;
      for (std::size_t j = 0; j < f; ++j) {
        const double diff = test.images(i, j) - centroid[c * f + j];
        d += diff * diff;
      }
      if (d < best_d) {
        best_d = d;
        best = c;
      }
    }
    if (best == test.labels(i)) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

Source small_synthetic(std::size_t train, std::size_t test) {
  return load("synthetic", "{train_samples: " + std::to_string(train) +
                               ", test_samples: " + std::to_string(test) + ", features: 8}");
}

}  // namespace

TEST_CASE("dataset registry lists the built-in datasets in order") {
  CHECK(builtins().datasets.known() ==
        "fashion-mnist, mnist, idx, cifar10, cifar100, synthetic, teacher_student");
  for (const auto& e : builtins().datasets.entries()) {
    CAPTURE(e.name);
    CHECK(!e.description.empty());
    CHECK(e.description.find('\n') == std::string::npos);
    CHECK(static_cast<bool>(e.factory));
  }
}

TEST_CASE("synthetic dataset: shapes, defaults and determinism") {
  const Source a = load("synthetic", "{}");
  CHECK(a.train.size() == 2000);
  CHECK(a.test.size() == 500);
  CHECK(a.train.features() == 64);
  CHECK(a.test.features() == 64);
  CHECK(a.train.classes == 4);
  CHECK(a.train.sample_shape == std::vector<std::size_t>{64});
  CHECK(a.files.empty());
  CHECK(*std::max_element(a.train.labels.begin(), a.train.labels.end()) == 3);
  for (std::size_t c = 0; c < 4; ++c) {
    CHECK(std::count(a.train.labels.begin(), a.train.labels.end(), c) == 500);
  }

  const Source same = load("synthetic", "{seed: 0}");
  CHECK(equal_images(a.train, same.train));
  CHECK(equal_images(a.test, same.test));
  const Source other = load("synthetic", "{seed: 1}");
  CHECK_FALSE(equal_images(a.train, other.train));
  CHECK_FALSE(equal_images(a.test, other.test));
  // Train and test are different draws.
  CHECK_FALSE(
      std::equal(a.train.images.data(), a.train.images.data() + 500 * 64, a.test.images.data()));

  const Source custom = load("synthetic",
                             "{train_samples: 30, test_samples: 7, features: 5, classes: 3, "
                             "noise: 1.0, seed: 42}");
  CHECK(custom.train.images.shape()[0] == 30);
  CHECK(custom.train.images.shape()[1] == 5);
  CHECK(custom.test.size() == 7);
  CHECK(custom.train.classes == 3);
}

TEST_CASE("synthetic dataset is learnable by a linear classifier") {
  // Chance is 1/classes (0.25 by default).
  for (const char* opts : {"{}", "{noise: 0.5, seed: 3}", "{noise: 1.0, seed: 5}"}) {
    CAPTURE(opts);
    const Source s = load("synthetic", opts);
    const double acc = nearest_centroid_accuracy(s.train, s.test);
    CAPTURE(acc);
    CHECK(acc > 0.9);
  }
  // Maximal noise with 10 classes (chance 0.1) is still far above chance.
  const Source hard = load("synthetic", "{noise: 1.0, classes: 10, seed: 9}");
  CHECK(nearest_centroid_accuracy(hard.train, hard.test) > 0.6);
}

TEST_CASE("synthetic dataset rejects bad options") {
  CHECK_THROWS_AS(load("synthetic", "{noise: 0}"), ConfigError);
  CHECK_THROWS_AS(load("synthetic", "{noise: 1.5}"), ConfigError);
  CHECK_THROWS_AS(load("synthetic", "{classes: 1}"), ConfigError);
  CHECK_THROWS_AS(load("synthetic", "{train_samples: 0}"), ConfigError);
  CHECK_THROWS_AS(load("synthetic", "{colour: red}"), ConfigError);
}

TEST_CASE("make_splits: sizes, disjointness, order and determinism") {
  const Source s = small_synthetic(100, 20);
  const auto splits = make_splits(s, 30, 25, 7);
  CHECK(splits.train.size() == 30);
  CHECK(splits.validation.size() == 25);
  CHECK(splits.test.size() == 20);
  CHECK(splits.train.dataset == &s.train);
  CHECK(splits.validation.dataset == &s.train);
  CHECK(splits.test.dataset == &s.test);
  CHECK(std::is_sorted(splits.train.indices.begin(), splits.train.indices.end()));
  CHECK(std::is_sorted(splits.validation.indices.begin(), splits.validation.indices.end()));
  CHECK(std::adjacent_find(splits.train.indices.begin(), splits.train.indices.end()) ==
        splits.train.indices.end());
  std::vector<std::uint32_t> common;
  std::set_intersection(splits.train.indices.begin(), splits.train.indices.end(),
                        splits.validation.indices.begin(), splits.validation.indices.end(),
                        std::back_inserter(common));
  CHECK(common.empty());
  CHECK(splits.train.indices.back() < 100);
  CHECK(splits.validation.indices.back() < 100);
  for (std::uint32_t i = 0; i < 20; ++i) CHECK(splits.test.indices[i] == i);

  const auto again = make_splits(s, 30, 25, 7);
  CHECK(again.train.indices == splits.train.indices);
  CHECK(again.validation.indices == splits.validation.indices);
  const auto other = make_splits(s, 30, 25, 8);
  CHECK(other.train.indices != splits.train.indices);
  CHECK(other.validation.indices != splits.validation.indices);

  // train_size 0 keeps everything not held out; no validation keeps everything.
  const auto rest = make_splits(s, 0, 25, 7);
  CHECK(rest.train.size() == 75);
  CHECK(rest.validation.indices == splits.validation.indices);
  const auto all = make_splits(s, 0, 0, 7);
  CHECK(all.train.size() == 100);
  CHECK(all.validation.size() == 0);
  CHECK(all.train.indices.front() == 0);
  CHECK(all.train.indices.back() == 99);
  // Exactly the whole training set.
  CHECK(make_splits(s, 75, 25, 7).train.size() == 75);
}

TEST_CASE("make_splits rejects sizes larger than the training set") {
  const Source s = small_synthetic(100, 20);
  CHECK_THROWS_WITH_AS(make_splits(s, 80, 25, 7), doctest::Contains("105"), DataError);
  CHECK_THROWS_WITH_AS(make_splits(s, 80, 25, 7), doctest::Contains("100 training samples"),
                       DataError);
  CHECK_THROWS_AS(make_splits(s, 0, 101, 7), DataError);
  CHECK_THROWS_AS(make_splits(s, 101, 0, 7), DataError);
  CHECK_THROWS_AS(make_splits(s, 0, 100, 7), DataError);  // nothing left to train on
}

TEST_CASE("gather_batch scales to (0, 1) exactly and writes only the first n rows") {
  Dataset d;
  d.classes = 3;
  d.sample_shape = {4};
  d.images = reglab::ByteMatrix::from_shape({3, 4});
  const std::uint8_t px[12] = {0, 255, 128, 1, 10, 20, 30, 40, 255, 255, 0, 0};
  std::copy(px, px + 12, d.images.data());
  d.labels = reglab::LabelVector::from_shape({3});
  d.labels(0) = 2;
  d.labels(1) = 0;
  d.labels(2) = 1;

  Matrix x = Matrix::from_shape({4, 4});
  x.fill(-1.0f);
  std::uint8_t labels[4] = {99, 99, 99, 99};
  const std::uint32_t idx[2] = {2, 0};
  reglab::data::gather_batch(d, idx, 2, x, labels);
  CHECK(x(0, 0) == 1.0f);
  CHECK(x(0, 1) == 1.0f);
  CHECK(x(0, 2) == 0.0f);
  CHECK(x(1, 0) == 0.0f);
  CHECK(x(1, 1) == 1.0f);
  CHECK(x(1, 2) == doctest::Approx(128.0 / 255.0));
  CHECK(x(1, 3) == doctest::Approx(1.0 / 255.0));
  CHECK(x(2, 0) == -1.0f);  // rows beyond n untouched
  CHECK(labels[0] == 1);
  CHECK(labels[1] == 2);
  CHECK(labels[2] == 99);

  // Every byte value maps into [0, 1], monotonically.
  Dataset all;
  all.classes = 1;
  all.images = reglab::ByteMatrix::from_shape({1, 256});
  for (std::size_t v = 0; v < 256; ++v) all.images(0, v) = static_cast<std::uint8_t>(v);
  all.labels = reglab::LabelVector::from_shape({1});
  all.labels(0) = 0;
  Matrix y = Matrix::from_shape({1, 256});
  const std::uint32_t zero = 0;
  std::uint8_t label = 9;
  reglab::data::gather_batch(all, &zero, 1, y, &label);
  CHECK(y(0, 0) == 0.0f);
  CHECK(y(0, 255) == 1.0f);
  for (std::size_t v = 1; v < 256; ++v) CHECK(y(0, v) > y(0, v - 1));
  CHECK(label == 0);
}

TEST_CASE("mnist and idx datasets load IDX files and record their SHA-256") {
  TempDir dir;
  write_mnist_dir(dir);

  const Source m = load("mnist", "{path: '" + dir.path().string() + "'}");
  CHECK(m.train.size() == 6);
  CHECK(m.test.size() == 4);
  CHECK(m.train.features() == 6);
  CHECK(m.train.sample_shape == std::vector<std::size_t>{2, 3});
  CHECK(m.train.classes == 10);
  CHECK(m.train.images(1, 0) == 42);
  CHECK(m.test.images(0, 0) == 255);
  CHECK(m.train.labels(5) == 9);
  CHECK(m.description.find(dir.path().string()) != std::string::npos);
  REQUIRE(m.files.size() == 4);
  CHECK(m.files[0].path == dir.file("train-images-idx3-ubyte.gz"));
  CHECK(m.files[3].path == dir.file("t10k-labels-idx1-ubyte"));
  for (const auto& f : m.files) CHECK(f.sha256 == reglab::sha256_file(f.path));
  CHECK(m.files[0].sha256 != m.files[1].sha256);

  // fashion-mnist with a path override reads the same layout.
  const Source fm = load("fashion-mnist", "{path: '" + dir.path().string() + "'}");
  CHECK(equal_images(fm.train, m.train));

  const Source i =
      load("idx", "{train_images: '" + dir.file("train-images-idx3-ubyte.gz") +
                      "', train_labels: '" + dir.file("train-labels-idx1-ubyte.gz") +
                      "', test_images: '" + dir.file("t10k-images-idx3-ubyte") +
                      "', test_labels: '" + dir.file("t10k-labels-idx1-ubyte") + "', classes: 10}");
  CHECK(equal_images(i.train, m.train));
  CHECK(equal_images(i.test, m.test));
  CHECK(i.files.size() == 4);

  // Labels up to 9 do not fit 5 classes; the label file is named.
  CHECK_THROWS_WITH_AS(
      load("idx", "{train_images: '" + dir.file("train-images-idx3-ubyte.gz") +
                      "', train_labels: '" + dir.file("train-labels-idx1-ubyte.gz") +
                      "', test_images: '" + dir.file("t10k-images-idx3-ubyte") +
                      "', test_labels: '" + dir.file("t10k-labels-idx1-ubyte") + "', classes: 5}"),
      doctest::Contains((dir.file("train-labels-idx1-ubyte.gz") + ": label 9 at index 5").c_str()),
      DataError);
}

TEST_CASE("mnist requires path, a missing file names both candidates") {
  CHECK_THROWS_AS(load("mnist", "{}"), ConfigError);
  CHECK_THROWS_AS(load("idx", "{train_images: a}"), ConfigError);

  TempDir dir;
  write_mnist_dir(dir);
  std::filesystem::remove(dir.file("t10k-labels-idx1-ubyte"));
  const std::string gz = dir.file("t10k-labels-idx1-ubyte.gz");
  const std::string raw = dir.file("t10k-labels-idx1-ubyte");
  try {
    load("mnist", "{path: '" + dir.path().string() + "'}");
    FAIL("expected DataError");
  } catch (const DataError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.rfind(gz + ":", 0) == 0);
    CHECK(msg.find(raw + ")") != std::string::npos);
  }
}

TEST_CASE("fashion-mnist from the Debian package") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::is_directory(dir)) {
    MESSAGE("skipped: " << dir << " does not exist (install dataset-fashion-mnist)");
    return;
  }
  const Source s = load("fashion-mnist", "{}");
  CHECK(s.train.size() == 60000);
  CHECK(s.test.size() == 10000);
  CHECK(s.train.features() == 784);
  CHECK(s.test.features() == 784);
  CHECK(s.train.sample_shape == std::vector<std::size_t>{28, 28});
  CHECK(s.train.classes == 10);
  CHECK(*std::max_element(s.train.labels.begin(), s.train.labels.end()) == 9);
  CHECK(*std::max_element(s.test.labels.begin(), s.test.labels.end()) == 9);
  CHECK(s.files.size() == 4);
  for (const auto& f : s.files) CHECK(f.sha256.size() == 64);
  const auto splits = make_splits(s, 1000, 5000, 1);
  CHECK(splits.train.size() == 1000);
  CHECK(splits.validation.size() == 5000);
}
