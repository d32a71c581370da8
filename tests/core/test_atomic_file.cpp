#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "framework/core/atomic_file.hpp"
#include "framework/core/error.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace reglab {
namespace {

namespace fs = std::filesystem;

/// This file's temporary folders: /tmp/reglab_atomic_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_atomic") {}
};

TEST_CASE("publish_file writes the whole file, refuses to overwrite, leaves no temporary") {
  TempDir dir;
  const std::string path = dir.file("a.txt");
  publish_file(path, "first", false, "cannot write");
  CHECK(file_bytes(path) == "first");
  CHECK_THROWS_AS(publish_file(path, "second", false, "cannot write"), StorageError);
  CHECK(file_bytes(path) == "first");
  publish_file(path, "second", true, "cannot write");
  CHECK(file_bytes(path) == "second");
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  }
}

TEST_CASE("DeferredDirectorySync: files appear at once, their folders are synced later, once") {
  TempDir dir;
  fs::create_directories(dir.file("cells"));
  const std::string a = dir.file("cells/a.h5");
  const std::string b = dir.file("cells/b.h5");
  {
    DeferredDirectorySync outer;
    {
      const DeferredDirectorySync nested;  // does not own the deferral: its end syncs nothing
      publish_file(a, "cell a", false, "cannot write");
    }
    publish_file(b, "cell b", false, "cannot write");
    CHECK(file_bytes(a) == "cell a");
    CHECK(file_bytes(b) == "cell b");
    CHECK_NOTHROW(outer.sync());
    // The folder's sync really happens in sync(): a folder gone by then is an error that names
    // the file published in it.
    publish_file(dir.file("cells/c.h5"), "cell c", false, "cannot write");
    fs::rename(dir.file("cells"), dir.file("moved"));
    CHECK_THROWS_WITH_AS(outer.sync(),
                         doctest::Contains("c.h5 was written, but opening its directory"),
                         StorageError);
  }
  // Without a deferral, publishing into a folder syncs it at once again.
  CHECK_NOTHROW(publish_file(dir.file("moved/d.h5"), "cell d", false, "cannot write"));
  CHECK(file_bytes(dir.file("moved/d.h5")) == "cell d");
}

}  // namespace
}  // namespace reglab
