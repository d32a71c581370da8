#include <doctest/doctest.h>
#include <stdlib.h>  // mkdtemp
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/data/idx.hpp"
#include "support/temp_dir.hpp"

namespace {

using reglab::DataError;
using reglab::data::read_idx;
using reglab::data::read_idx_pair;
using Bytes = std::vector<std::uint8_t>;

/// This file's temporary folders: /tmp/reglab_idx_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_idx") {}
};

/// An IDX file image: magic 0 0 `type` dims.size(), big-endian dims, then `data`.
Bytes make_idx(const std::vector<std::uint32_t>& dims, const Bytes& data,
               std::uint8_t type = 0x08) {
  Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    out.push_back(static_cast<std::uint8_t>(d >> 24));
    out.push_back(static_cast<std::uint8_t>(d >> 16));
    out.push_back(static_cast<std::uint8_t>(d >> 8));
    out.push_back(static_cast<std::uint8_t>(d));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// `n` bytes of a fixed, not very compressible pattern.
Bytes pattern(std::size_t n) {
  Bytes out(n);
  std::uint32_t x = 12345;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

void write_raw(const std::string& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty()) {
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  }
  REQUIRE(gzclose(f) == Z_OK);
}

Bytes read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

/// The message of the DataError `fn` throws ("" if it throws nothing; other types propagate).
template <class Fn>
std::string data_error(Fn fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// Checks that read_idx(path) throws DataError starting with the path and containing `part`.
void check_idx_error(const std::string& path, const std::string& part) {
  const std::string msg = data_error([&] { read_idx(path); });
  INFO("message: " << msg);
  CHECK(starts_with(msg, path + ": "));
  CHECK(contains(msg, part));
}

}  // namespace

TEST_CASE("read_idx loads raw and gzip files with the right dims and bytes") {
  TempDir dir;
  const Bytes data = pattern(2 * 3 * 4);
  const Bytes file = make_idx({2, 3, 4}, data);
  write_raw(dir.file("a"), file);
  write_gz(dir.file("a.gz"), file);
  for (const std::string name : {"a", "a.gz"}) {
    CAPTURE(name);
    const auto arr = read_idx(dir.file(name));
    CHECK(arr.dims == std::vector<std::size_t>{2, 3, 4});
    CHECK(arr.data == data);
  }
  // One and four dimensions.
  write_raw(dir.file("b"), make_idx({5}, {0, 1, 2, 254, 255}));
  CHECK(read_idx(dir.file("b")).data == Bytes{0, 1, 2, 254, 255});
  write_gz(dir.file("c.gz"), make_idx({1, 2, 1, 3}, pattern(6)));
  const auto c = read_idx(dir.file("c.gz"));
  CHECK(c.dims == std::vector<std::size_t>{1, 2, 1, 3});
  CHECK(c.data == pattern(6));
}

TEST_CASE("read_idx decodes a large gzip file spanning many input chunks") {
  TempDir dir;
  const Bytes data = pattern(300 * 28 * 28);
  write_gz(dir.file("big.gz"), make_idx({300, 28, 28}, data));
  CHECK(read_all(dir.file("big.gz")).size() > (std::size_t{1} << 16));  // larger than one chunk
  const auto arr = read_idx(dir.file("big.gz"));
  CHECK(arr.dims == std::vector<std::size_t>{300, 28, 28});
  CHECK(arr.data == data);
}

TEST_CASE("read_idx rejects truncated data") {
  TempDir dir;
  Bytes file = make_idx({2, 3, 4}, pattern(24));
  file.resize(file.size() - 5);
  write_raw(dir.file("t"), file);
  write_gz(dir.file("t.gz"), file);
  check_idx_error(dir.file("t"), "truncated: expected 24 bytes of data, found 19");
  check_idx_error(dir.file("t.gz"), "truncated: expected 24 bytes of data, found 19");

  // Truncated inside the header and the dimension sizes, and an empty file.
  write_raw(dir.file("h"), Bytes{0, 0, 8});
  check_idx_error(dir.file("h"), "truncated");
  write_raw(dir.file("d"), Bytes{0, 0, 8, 3, 0, 0, 0, 2, 0, 0});
  check_idx_error(dir.file("d"), "truncated: expected 12 bytes of dimension sizes, found 6");
  write_raw(dir.file("empty"), Bytes{});
  check_idx_error(dir.file("empty"), "truncated");
}

TEST_CASE("read_idx rejects trailing bytes") {
  TempDir dir;
  Bytes file = make_idx({2, 3}, pattern(6));
  file.push_back(7);
  file.push_back(9);
  write_raw(dir.file("x"), file);
  write_gz(dir.file("x.gz"), file);
  check_idx_error(dir.file("x"), "2 trailing bytes");
  check_idx_error(dir.file("x.gz"), "2 trailing bytes");
}

TEST_CASE("read_idx rejects bad magic, type and dimensions") {
  TempDir dir;
  Bytes bad_magic = make_idx({4}, pattern(4));
  bad_magic[0] = 1;
  write_raw(dir.file("magic"), bad_magic);
  check_idx_error(dir.file("magic"), "bad magic 0x01000801");

  write_raw(dir.file("type"), make_idx({4}, pattern(16), 0x0D));  // float data
  check_idx_error(dir.file("type"), "unsupported IDX data type 0x0d");
  write_gz(dir.file("type.gz"), make_idx({4}, pattern(4), 0x09));  // signed byte
  check_idx_error(dir.file("type.gz"), "unsupported IDX data type");

  write_raw(dir.file("nodims"), make_idx({}, {}));
  check_idx_error(dir.file("nodims"), "unsupported number of dimensions 0");
  write_raw(dir.file("fivedims"), make_idx({1, 1, 1, 1, 1}, {9}));
  check_idx_error(dir.file("fivedims"), "unsupported number of dimensions 5");

  write_raw(dir.file("zero"), make_idx({3, 0, 2}, {}));
  check_idx_error(dir.file("zero"), "dimension 1 is 0");

  // 65536 x 65536 = 2^32 bytes: over the limit, rejected before any allocation.
  write_raw(dir.file("huge"), make_idx({65536, 65536}, {}));
  check_idx_error(dir.file("huge"), "exceed the limit");
  write_raw(dir.file("huge4"), make_idx({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 2}, {}));
  check_idx_error(dir.file("huge4"), "exceed the limit");
}

TEST_CASE("read_idx rejects corrupt gzip streams") {
  TempDir dir;
  const Bytes file = make_idx({10, 28, 28}, pattern(10 * 28 * 28));
  write_gz(dir.file("ok.gz"), file);
  const Bytes gz = read_all(dir.file("ok.gz"));
  REQUIRE(gz.size() > 100);
  REQUIRE(read_idx(dir.file("ok.gz")).data.size() == 10 * 28 * 28);

  // Flipped bytes in the deflate data.
  for (std::size_t pos : {gz.size() / 3, gz.size() / 2, gz.size() - 12}) {
    CAPTURE(pos);
    Bytes bad = gz;
    bad[pos] ^= 0xFF;
    write_raw(dir.file("bad.gz"), bad);
    check_idx_error(dir.file("bad.gz"), "corrupt gzip stream");
  }
  // A corrupted CRC-32 in the trailer.
  Bytes bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  write_raw(dir.file("crc.gz"), bad_crc);
  check_idx_error(dir.file("crc.gz"), "corrupt gzip stream");
  // The compressed file cut short.
  write_raw(dir.file("cut.gz"), Bytes(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  check_idx_error(dir.file("cut.gz"), "corrupt gzip stream");
  // Garbage after the gzip member.
  Bytes garbage = gz;
  garbage.insert(garbage.end(), {1, 2, 3, 4});
  write_raw(dir.file("garbage.gz"), garbage);
  check_idx_error(dir.file("garbage.gz"), "corrupt gzip stream");
}

TEST_CASE("read_idx: a gzip trailer's size claim is a hint, never trusted for the result") {
  TempDir dir;
  const Bytes file = make_idx({10, 28, 28}, pattern(10 * 28 * 28));
  write_gz(dir.file("ok.gz"), file);
  const Bytes gz = read_all(dir.file("ok.gz"));
  // ISIZE (the last 4 bytes, little-endian) set to `size`, which zlib's length check refuses: a
  // claim above the real size reads in one go, a claim below it falls back to the growing buffer,
  // an implausible claim (beyond deflate's 1032:1) is ignored; each ends in the same error.
  for (const std::uint32_t size :
       {static_cast<std::uint32_t>(file.size() + 1000), std::uint32_t{16},
        static_cast<std::uint32_t>(gz.size() * 2000)}) {
    CAPTURE(size);
    Bytes bad = gz;
    for (std::size_t i = 0; i < 4; ++i) {
      bad[gz.size() - 4 + i] = static_cast<std::uint8_t>(size >> (8 * i));
    }
    write_raw(dir.file("isize.gz"), bad);
    check_idx_error(dir.file("isize.gz"), "corrupt gzip stream");
  }
  // A header that claims far more than a short file holds is refused as truncated, whether the
  // file is raw or gzip.
  Bytes big = make_idx({1000, 100, 100}, pattern(50));
  write_raw(dir.file("big"), big);
  write_gz(dir.file("big.gz"), big);
  check_idx_error(dir.file("big"), "truncated: expected 10000000 bytes of data, found 50");
  check_idx_error(dir.file("big.gz"), "truncated: expected 10000000 bytes of data, found 50");
}

TEST_CASE("read_idx reads concatenated gzip members as one stream") {
  TempDir dir;
  const Bytes file = make_idx({4, 5}, pattern(20));
  const Bytes head(file.begin(), file.begin() + 10);
  const Bytes tail(file.begin() + 10, file.end());
  write_gz(dir.file("h.gz"), head);
  write_gz(dir.file("t.gz"), tail);
  Bytes both = read_all(dir.file("h.gz"));
  const Bytes t = read_all(dir.file("t.gz"));
  both.insert(both.end(), t.begin(), t.end());
  write_raw(dir.file("both.gz"), both);
  const auto arr = read_idx(dir.file("both.gz"));
  CHECK(arr.dims == std::vector<std::size_t>{4, 5});
  CHECK(arr.data == pattern(20));
}

TEST_CASE("read_idx names a missing file") {
  TempDir dir;
  check_idx_error(dir.file("missing"), "cannot open");
}

TEST_CASE("read_idx_pair checks shapes, counts and labels") {
  TempDir dir;
  const std::string images = dir.file("images");
  const std::string labels = dir.file("labels.gz");
  write_raw(images, make_idx({4, 2, 3}, pattern(24)));

  SUBCASE("valid pair") {
    write_gz(labels, make_idx({4}, {0, 9, 3, 9}));
    const auto pair = read_idx_pair(images, labels, 10);
    CHECK(pair.image_dims == std::vector<std::size_t>{4, 2, 3});
    CHECK(pair.images.shape()[0] == 4);
    CHECK(pair.images.shape()[1] == 6);
    CHECK(Bytes(pair.images.begin(), pair.images.end()) == pattern(24));
    CHECK(Bytes(pair.labels.begin(), pair.labels.end()) == Bytes{0, 9, 3, 9});
  }
  SUBCASE("label out of range") {
    write_gz(labels, make_idx({4}, {0, 9, 3, 12}));
    const std::string msg = data_error([&] { read_idx_pair(images, labels, 10); });
    INFO(msg);
    CHECK(starts_with(msg, labels + ": "));
    CHECK(contains(msg, "label 12 at index 3"));
    // The same labels are fine with more classes.
    CHECK(read_idx_pair(images, labels, 13).labels(3) == 12);
  }
  SUBCASE("first bad label is named") {
    write_gz(labels, make_idx({4}, {10, 11, 0, 0}));
    CHECK_THROWS_WITH_AS(read_idx_pair(images, labels, 10),
                         doctest::Contains("label 10 at index 0"), DataError);
  }
  SUBCASE("count mismatch") {
    write_gz(labels, make_idx({3}, {0, 1, 2}));
    const std::string msg = data_error([&] { read_idx_pair(images, labels, 10); });
    INFO(msg);
    CHECK(starts_with(msg, labels + ": "));
    CHECK(contains(msg, "3 labels"));
    CHECK(contains(msg, "4 images"));
  }
  SUBCASE("images must have 3 dimensions") {
    write_raw(dir.file("flat"), make_idx({4, 6}, pattern(24)));
    write_gz(labels, make_idx({4}, {0, 1, 2, 3}));
    const std::string msg = data_error([&] { read_idx_pair(dir.file("flat"), labels, 10); });
    INFO(msg);
    CHECK(starts_with(msg, dir.file("flat") + ": "));
    CHECK(contains(msg, "3 dimensions"));
  }
  SUBCASE("labels must have 1 dimension") {
    write_gz(labels, make_idx({4, 1}, {0, 1, 2, 3}));
    const std::string msg = data_error([&] { read_idx_pair(images, labels, 10); });
    INFO(msg);
    CHECK(starts_with(msg, labels + ": "));
    CHECK(contains(msg, "1 dimension"));
  }
  SUBCASE("a bad file in the pair is named") {
    Bytes bad = make_idx({4}, {0, 1, 2, 3});
    bad.pop_back();
    write_gz(labels, bad);
    CHECK_THROWS_WITH_AS(read_idx_pair(images, labels, 10),
                         doctest::Contains((labels + ": truncated").c_str()), DataError);
  }
}
