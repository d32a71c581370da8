#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/data/cifar.hpp"
#include "framework/data/dataset.hpp"
#include "framework/data/idx.hpp"
#include "support/builtins.hpp"
#include "support/temp_dir.hpp"

namespace {

using reglab::ConfigError;
using reglab::DataError;
using reglab::config::ConfigNode;
using reglab::config::OptionReader;
using reglab::data::Dataset;
using reglab::data::Source;
using reglab::testing::builtins;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kPlane = 32 * 32;
constexpr std::size_t kPixels = 3 * kPlane;

/// This file's temporary folders: /tmp/reglab_cifar_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_cifar") {}
};

/// The test images: channel c of pixel (y, x) of image `id`. Images, channels, and transposed
/// positions all differ, so a wrong image, a channel out of place or a row/column swap shows.
std::uint8_t pixel(std::size_t id, std::size_t c, std::size_t y, std::size_t x) {
  return static_cast<std::uint8_t>(id * 31 + c * 85 + y * 7 + x);
}

/// One record: the label bytes, then the red, green and blue planes of image `id`, row-major.
Bytes record(const Bytes& labels, std::size_t id) {
  Bytes out = labels;
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t y = 0; y < 32; ++y) {
      for (std::size_t x = 0; x < 32; ++x) out.push_back(pixel(id, c, y, x));
    }
  }
  return out;
}

void write_file(const std::string& path, const Bytes& bytes, bool gzip = false) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    REQUIRE(gzclose(f) == Z_OK);
  } else {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
  }
}

/// A CIFAR-10 file of records with labels `labels`, image ids first_id, first_id + 1, ...
Bytes cifar10_file(const Bytes& labels, std::size_t first_id) {
  Bytes out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Bytes r = record({labels[i]}, first_id + i);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

/// A CIFAR-100 file of records with (coarse, fine) labels, image ids first_id, ...
Bytes cifar100_file(const std::vector<std::pair<std::uint8_t, std::uint8_t>>& labels,
                    std::size_t first_id) {
  Bytes out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Bytes r = record({labels[i].first, labels[i].second}, first_id + i);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

/// CIFAR-10 folder: batches of 2, 1, 3, 1, 1 records (batch 3 gzip-compressed), labels 0..7 in
/// order, image ids 0..7; test batch of 2 records, labels 9 and 5, image ids 8 and 9.
void write_cifar10(const TempDir& dir) {
  write_file(dir.file("data_batch_1.bin"), cifar10_file({0, 1}, 0));
  write_file(dir.file("data_batch_2.bin"), cifar10_file({2}, 2));
  write_file(dir.file("data_batch_3.bin.gz"), cifar10_file({3, 4, 5}, 3), true);
  write_file(dir.file("data_batch_4.bin"), cifar10_file({6}, 6));
  write_file(dir.file("data_batch_5.bin"), cifar10_file({7}, 7));
  write_file(dir.file("test_batch.bin"), cifar10_file({9, 5}, 8));
}

/// CIFAR-100 folder: train (coarse, fine) = (0, 0), (19, 99), (7, 42); test (3, 14).
void write_cifar100(const TempDir& dir) {
  write_file(dir.file("train.bin"), cifar100_file({{0, 0}, {19, 99}, {7, 42}}, 0));
  write_file(dir.file("test.bin"), cifar100_file({{3, 14}}, 3));
}

/// A doctest matcher for a message containing `text`.
doctest::Contains contains(const std::string& text) { return doctest::Contains(text.c_str()); }

std::string yaml_path(const TempDir& dir) { return "path: '" + dir.path().string() + "'"; }

/// Loads dataset `name` through the registry with the options in the YAML mapping `yaml`.
Source load(const std::string& name, const std::string& yaml) {
  const auto* entry = builtins().datasets.find(name);
  REQUIRE(entry != nullptr);
  OptionReader reader(ConfigNode::parse(yaml, "test.yaml"));
  const reglab::data::DataLoader loader = entry->factory(reader);
  reader.finish();
  return loader();
}

/// Checks that row `row` of `ds` holds image `id` channel-major and its label is `label`.
void check_sample(const Dataset& ds, std::size_t row, std::size_t id, std::uint8_t label) {
  CAPTURE(row);
  CHECK(ds.labels(row) == label);
  bool same = true;
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t y = 0; y < 32; ++y) {
      for (std::size_t x = 0; x < 32; ++x) {
        same = same && ds.images(row, c * kPlane + y * 32 + x) == pixel(id, c, y, x);
      }
    }
  }
  CHECK(same);
}

}  // namespace

TEST_CASE("cifar10: shapes, labels, channel-major pixels, batches in order") {
  TempDir dir;
  write_cifar10(dir);
  const Source s = load("cifar10", "{" + yaml_path(dir) + "}");
  CHECK(s.description == "cifar10 from " + dir.path().string());
  CHECK(s.train.classes == 10);
  CHECK(s.test.classes == 10);
  CHECK(s.train.sample_shape == std::vector<std::size_t>{3, 32, 32});
  CHECK(s.test.sample_shape == std::vector<std::size_t>{3, 32, 32});
  REQUIRE(s.train.images.shape()[0] == 8);
  REQUIRE(s.train.images.shape()[1] == kPixels);
  REQUIRE(s.test.images.shape()[0] == 2);
  for (std::size_t i = 0; i < 8; ++i) check_sample(s.train, i, i, static_cast<std::uint8_t>(i));
  check_sample(s.test, 0, 8, 9);
  check_sample(s.test, 1, 9, 5);
  // The first green and blue values of image 0 sit at 1024 and 2048.
  CHECK(s.train.images(0, kPlane) == 85);
  CHECK(s.train.images(0, 2 * kPlane) == 170);
}

TEST_CASE("cifar10: every file is recorded with the SHA-256 of the file as stored") {
  TempDir dir;
  write_cifar10(dir);
  const Source s = load("cifar10", "{" + yaml_path(dir) + "}");
  const std::vector<std::string> names = {"data_batch_1.bin",    "data_batch_2.bin",
                                          "data_batch_3.bin.gz", "data_batch_4.bin",
                                          "data_batch_5.bin",    "test_batch.bin"};
  REQUIRE(s.files.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    CHECK(s.files[i].path == dir.file(names[i]));
    CHECK(s.files[i].sha256 == reglab::sha256_file(dir.file(names[i])));
    CHECK(s.files[i].sha256.size() == 64);
  }
}

TEST_CASE("cifar10: NAME.gz is preferred to NAME") {
  TempDir dir;
  write_cifar10(dir);
  write_file(dir.file("test_batch.bin.gz"), cifar10_file({1}, 4), true);
  const Source s = load("cifar10", "{" + yaml_path(dir) + "}");
  REQUIRE(s.test.size() == 1);
  check_sample(s.test, 0, 4, 1);
  CHECK(s.files.back().path == dir.file("test_batch.bin.gz"));
}

TEST_CASE("cifar100: fine and coarse labels") {
  TempDir dir;
  write_cifar100(dir);
  const Source fine = load("cifar100", "{" + yaml_path(dir) + "}");
  CHECK(fine.description == "cifar100 (fine labels) from " + dir.path().string());
  CHECK(fine.train.classes == 100);
  CHECK(fine.train.sample_shape == std::vector<std::size_t>{3, 32, 32});
  REQUIRE(fine.train.size() == 3);
  REQUIRE(fine.test.size() == 1);
  check_sample(fine.train, 0, 0, 0);
  check_sample(fine.train, 1, 1, 99);
  check_sample(fine.train, 2, 2, 42);
  check_sample(fine.test, 0, 3, 14);
  CHECK(load("cifar100", "{" + yaml_path(dir) + ", label: fine}").train.labels ==
        fine.train.labels);

  const Source coarse = load("cifar100", "{" + yaml_path(dir) + ", label: coarse}");
  CHECK(coarse.description == "cifar100 (coarse labels) from " + dir.path().string());
  CHECK(coarse.train.classes == 20);
  CHECK(coarse.test.classes == 20);
  check_sample(coarse.train, 0, 0, 0);
  check_sample(coarse.train, 1, 1, 19);
  check_sample(coarse.train, 2, 2, 7);
  check_sample(coarse.test, 0, 3, 3);

  REQUIRE(coarse.files.size() == 2);
  CHECK(coarse.files[0].path == dir.file("train.bin"));
  CHECK(coarse.files[0].sha256 == reglab::sha256_file(dir.file("train.bin")));
  CHECK(coarse.files[1].path == dir.file("test.bin"));
  CHECK(coarse.files[1].sha256 == reglab::sha256_file(dir.file("test.bin")));
}

TEST_CASE("cifar10: a size that is not a whole number of records names the file") {
  TempDir dir;
  write_cifar10(dir);
  Bytes bytes = cifar10_file({2, 3}, 2);
  bytes.resize(bytes.size() + 5, 0);
  write_file(dir.file("data_batch_2.bin"), bytes);
  const std::string expected =
      dir.file("data_batch_2.bin") + ": 6151 bytes is not a whole number of 3073-byte records";
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"), expected.c_str(), DataError);

  bytes.resize(3072);  // one byte short of a record
  write_file(dir.file("data_batch_3.bin.gz"), bytes, true);
  write_file(dir.file("data_batch_2.bin"), cifar10_file({2}, 2));
  const std::string gz = dir.file("data_batch_3.bin.gz") +
                         ": 3072 bytes (after gzip decompression) is not a whole number of "
                         "3073-byte records";
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"), gz.c_str(), DataError);
}

TEST_CASE("cifar: an empty file names the file") {
  TempDir dir;
  write_cifar10(dir);
  write_file(dir.file("test_batch.bin"), {});
  const std::string expected =
      dir.file("test_batch.bin") + ": empty file, expected 3073-byte records";
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"), expected.c_str(), DataError);

  TempDir dir100;
  write_cifar100(dir100);
  write_file(dir100.file("train.bin"), {});
  CHECK_THROWS_WITH_AS(
      load("cifar100", "{" + yaml_path(dir100) + "}"),
      (dir100.file("train.bin") + ": empty file, expected 3074-byte records").c_str(), DataError);
}

TEST_CASE("cifar10: a label out of range names the file, the record and its offset") {
  TempDir dir;
  write_cifar10(dir);
  Bytes labels(20, 3);
  labels[17] = 12;
  write_file(dir.file("data_batch_1.bin"), cifar10_file(labels, 0));
  const std::string expected =
      dir.file("data_batch_1.bin") + ": record 17 (offset 52241): label 12 is outside 0..9";
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"), expected.c_str(), DataError);

  // 10 is the first value out of range; offsets count decompressed bytes.
  write_file(dir.file("data_batch_1.bin"), cifar10_file({0, 1}, 0));
  write_file(dir.file("data_batch_3.bin.gz"), cifar10_file({3, 10}, 3), true);
  const std::string gz = dir.file("data_batch_3.bin.gz") +
                         ": record 1 (offset 3073 after gzip decompression): label 10 is outside "
                         "0..9";
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"), gz.c_str(), DataError);
}

TEST_CASE("cifar100: both labels are range-checked whichever is used") {
  TempDir dir;
  write_cifar100(dir);
  write_file(dir.file("train.bin"), cifar100_file({{0, 0}, {20, 5}}, 0));
  const std::string coarse =
      dir.file("train.bin") + ": record 1 (offset 3074): coarse label 20 is outside 0..19";
  CHECK_THROWS_WITH_AS(load("cifar100", "{" + yaml_path(dir) + "}"), coarse.c_str(), DataError);
  CHECK_THROWS_WITH_AS(load("cifar100", "{" + yaml_path(dir) + ", label: coarse}"), coarse.c_str(),
                       DataError);

  write_file(dir.file("train.bin"), cifar100_file({{0, 0}, {1, 1}, {19, 100}}, 0));
  const std::string fine =
      dir.file("train.bin") + ": record 2 (offset 6149): fine label 100 is outside 0..99";
  CHECK_THROWS_WITH_AS(load("cifar100", "{" + yaml_path(dir) + ", label: coarse}"), fine.c_str(),
                       DataError);

  write_file(dir.file("train.bin"), cifar100_file({{0, 0}}, 0));
  Bytes bytes = cifar100_file({{0, 0}}, 0);
  bytes.pop_back();
  write_file(dir.file("test.bin"), bytes);
  CHECK_THROWS_WITH_AS(
      load("cifar100", "{" + yaml_path(dir) + "}"),
      (dir.file("test.bin") + ": 3073 bytes is not a whole number of 3074-byte records").c_str(),
      DataError);
}

TEST_CASE("cifar: a missing file is named before any file is read") {
  TempDir dir;
  write_cifar10(dir);
  std::filesystem::remove(dir.file("data_batch_4.bin"));
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"),
                       (dir.file("data_batch_4.bin.gz") + ": not found (also tried " +
                        dir.file("data_batch_4.bin") + ")")
                           .c_str(),
                       DataError);

  // A missing test file fails even though a training file is bad: nothing is read first.
  write_cifar10(dir);
  write_file(dir.file("data_batch_1.bin"), {1, 2, 3});
  std::filesystem::remove(dir.file("test_batch.bin"));
  CHECK_THROWS_WITH_AS(load("cifar10", "{" + yaml_path(dir) + "}"),
                       contains(dir.file("test_batch.bin") + ")"), DataError);

  TempDir dir100;
  write_cifar100(dir100);
  std::filesystem::remove(dir100.file("test.bin"));
  CHECK_THROWS_WITH_AS(load("cifar100", "{" + yaml_path(dir100) + "}"),
                       contains(dir100.file("test.bin.gz") + ": not found"), DataError);
  CHECK_THROWS_WITH_AS(load("cifar10", "{path: '" + dir.file("nowhere") + "'}"),
                       contains(dir.file("nowhere") + "/data_batch_1.bin.gz: not found"),
                       DataError);
}

TEST_CASE("read_data_file enforces its limit and names the file") {
  TempDir dir;
  const Bytes bytes(100, 7);
  write_file(dir.file("raw"), bytes);
  write_file(dir.file("packed.gz"), bytes, true);
  CHECK(reglab::data::read_data_file(dir.file("raw"), 100).bytes == bytes);
  const auto packed = reglab::data::read_data_file(dir.file("packed.gz"), 100);
  CHECK(packed.bytes == bytes);
  CHECK(packed.gzip);
  CHECK_FALSE(reglab::data::read_data_file(dir.file("raw"), 100).gzip);
  CHECK_THROWS_WITH_AS(reglab::data::read_data_file(dir.file("raw"), 99),
                       (dir.file("raw") + ": more than the limit of 99 bytes").c_str(), DataError);
  CHECK_THROWS_WITH_AS(
      reglab::data::read_data_file(dir.file("packed.gz"), 99),
      (dir.file("packed.gz") + ": more than the limit of 99 bytes (after gzip decompression)")
          .c_str(),
      DataError);
  // Larger than the first read (1 MiB), so the buffer grows several times.
  Bytes big((std::size_t{5} << 19) + 3);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 131 + i / 7);
  write_file(dir.file("big"), big);
  write_file(dir.file("big.gz"), big, true);
  CHECK(reglab::data::read_data_file(dir.file("big"), big.size()).bytes == big);
  CHECK(reglab::data::read_data_file(dir.file("big.gz"), big.size()).bytes == big);
  CHECK_THROWS_AS(reglab::data::read_data_file(dir.file("big"), big.size() - 1), DataError);
  CHECK_THROWS_AS(reglab::data::read_data_file(dir.file("big.gz"), big.size() - 1), DataError);
  CHECK_THROWS_WITH_AS(reglab::data::read_data_file(dir.file("absent"), 99),
                       contains(dir.file("absent") + ": cannot open"), DataError);
}

TEST_CASE("cifar options are read at plan time and checked by key") {
  // Missing path, unknown key, bad label: ConfigError naming the key, without touching files.
  CHECK_THROWS_WITH_AS(load("cifar10", "{}"), doctest::Contains("path"), ConfigError);
  CHECK_THROWS_WITH_AS(load("cifar100", "{}"), doctest::Contains("path"), ConfigError);
  CHECK_THROWS_WITH_AS(load("cifar10", "{path: /nowhere, colour: red}"),
                       doctest::Contains("colour"), ConfigError);
  CHECK_THROWS_WITH_AS(load("cifar10", "{path: /nowhere, label: fine}"), doctest::Contains("label"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("cifar100", "{path: /nowhere, label: medium}"),
                       doctest::Contains("label"), ConfigError);
  CHECK_THROWS_WITH_AS(load("cifar100", "{path: [a, b]}"), doctest::Contains("path"), ConfigError);

  // Good options with no data: the factory succeeds, the loader fails.
  for (const char* name : {"cifar10", "cifar100"}) {
    CAPTURE(name);
    const auto* entry = builtins().datasets.find(name);
    REQUIRE(entry != nullptr);
    OptionReader reader(ConfigNode::parse("{path: /nowhere/at/all}", "test.yaml"));
    reglab::data::DataLoader loader;
    CHECK_NOTHROW(loader = entry->factory(reader));
    CHECK_NOTHROW(reader.finish());
    CHECK_THROWS_WITH_AS(loader(), doctest::Contains("/nowhere/at/all/"), DataError);
  }
}
