/// A fresh folder under the system's temporary directory for one test, removed with everything
/// in it when the test ends; and file_bytes, the one way tests read a file back.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace reglab::testing {

class TempDir {
 public:
  /// A new folder /tmp/<prefix>_XXXXXX.
  explicit TempDir(const std::string& prefix = "reglab_test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` in the folder (the file need not exist).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `text` to `name` in the folder and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = file(name);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// The bytes of the file at `path` ("" if it cannot be read).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace reglab::testing
