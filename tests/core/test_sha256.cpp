#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "support/temp_dir.hpp"

namespace reglab {
namespace {

std::string digest(const std::string& s) { return sha256_hex(s.data(), s.size()); }

/// This file's temporary folders: /tmp/reglab_sha256_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_sha256") {}
};

TEST_CASE("sha256_hex: FIPS 180-4 test vectors") {
  CHECK(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(digest(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256_hex: padding boundaries") {
  // 55, 56 and 64 bytes straddle the one-block/two-block padding boundary; compare with
  // digests from `sha256sum`.
  CHECK(digest(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(digest(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(digest(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  // Lower-case hex, 64 digits.
  const std::string d = digest("reglab");
  CHECK(d.size() == 64);
  CHECK(d.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("sha256_file: equals sha256_hex of the file's bytes") {
  TempDir dir;
  // Larger than the 64 KiB read buffer, and with bytes that text mode could alter.
  std::string content;
  for (int i = 0; i < 200000; ++i) content += static_cast<char>((i * 131 + 7) % 256);
  content.append("\r\n\0tail", 7);
  const std::string path = (dir.path() / "data.bin").string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  CHECK(sha256_file(path) == digest(content));

  const std::string empty_path = (dir.path() / "empty").string();
  { std::ofstream out(empty_path, std::ios::binary); }
  CHECK(sha256_file(empty_path) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256_file: a missing file throws DataError naming it") {
  TempDir dir;
  const std::string path = (dir.path() / "no_such_file.idx").string();
  bool thrown = false;
  try {
    sha256_file(path);
  } catch (const DataError& e) {
    thrown = true;
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK(thrown);
  CHECK_THROWS_AS(sha256_file(path), Error);
}

}  // namespace
}  // namespace reglab

TEST_CASE("the SHA-extension and portable compressions give the same digests") {
  // Lengths around every block and padding boundary, and a long buffer, split across updates by
  // sha256_file's 64 KiB reads as well.
  std::vector<unsigned char> data(200000);
  std::uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<unsigned char>(x >> 24);
  }
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 260; ++n) lengths.push_back(n);
  for (std::size_t n : {1000u, 4095u, 4096u, 65535u, 65536u, 65537u, 200000u}) lengths.push_back(n);
  for (std::size_t n : lengths) {
    const std::string fast = reglab::sha256_hex(data.data(), n);
    const bool was = reglab::sha256_force_portable(true);
    const std::string portable = reglab::sha256_hex(data.data(), n);
    reglab::sha256_force_portable(was);
    CAPTURE(n);
    REQUIRE(fast == portable);
  }
  // Known answer for a million 'a' (FIPS 180-4 examples), through both paths.
  const std::string million(1000000, 'a');
  const char* expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  CHECK(reglab::sha256_hex(million.data(), million.size()) == expected);
  const bool was = reglab::sha256_force_portable(true);
  CHECK(reglab::sha256_hex(million.data(), million.size()) == expected);
  reglab::sha256_force_portable(was);
}
