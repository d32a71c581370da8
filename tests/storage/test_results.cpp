// Tests of framework/storage/results.hpp: round trip, atomic publishing, refusals and errors.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/storage/results.hpp"

namespace fs = std::filesystem;
using reglab::StorageError;
using reglab::storage::read_results;
using reglab::storage::ResultsFile;
using reglab::storage::RunRecord;
using reglab::storage::WeightTensor;
using reglab::storage::write_results;

namespace {

/// A fresh directory under the system temp directory, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "reglab_storage_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Names of the files in `dir` that look like write_results temporaries ("*.tmp.*").
std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) found.push_back(name);
  }
  return found;
}

/// `text` repeated up to exactly `size` bytes.
std::string long_text(std::size_t size) {
  std::string out;
  const std::string line = "layers: [{type: dense, units: 1024}]  # \xc2\xb5-param\n";
  while (out.size() < size) out += line;
  out.resize(size);
  return out;
}

std::vector<float> ramp(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(i) - 1.0f / 3.0f;
  return v;
}

ResultsFile sample_results() {
  ResultsFile results;
  results.reglab_version = "0.1.0";
  results.created_utc = "2026-11-27T17:30:00Z";
  results.config_yaml = long_text(100000);

  RunRecord a;
  a.run_id = "dropout_p0.5_seed1";
  a.name = "dropout p=0.5";
  a.config_yaml = long_text(100000);
  a.seed = std::numeric_limits<std::uint64_t>::max() - 12345;  // above 2^63: unsigned survives
  a.status = "complete";
  // More than 8 attributes, so HDF5 moves them to dense storage; order must survive that.
  a.attributes = {{"git_commit", "0123456789abcdef"},
                  {"compiler", "GCC 12.2.0"},
                  {"cxx_flags", "-O2"},
                  {"xtensor_version", "0.24.3"},
                  {"hdf5_version", "1.10.8"},
                  {"host", "node-01"},
                  {"cpu_model", "AMD EPYC \xe2\x84\xa2"},
                  {"start_utc", "2026-11-27T17:00:00Z"},
                  {"end_utc", "2026-11-27T17:29:59Z"},
                  {"blas_threads", "1"},
                  {"aaa_sorts_first", "x"},
                  {"empty", ""}};
  // Curves in an order that is not alphabetical.
  a.curves = {{"epoch", {1, 2, 3}},
              {"train_loss", {2.302585092994046, 0.1 + 0.2, 1e-310}},
              {"val_accuracy", {0.5, 0.75, 0.875}},
              {"lr", {0.1, -0.0, std::numeric_limits<double>::infinity()}}};
  a.weights = {{"dense_1", "kernel", {4, 3}, ramp(12, 0.1f)},
               {"dense_1", "bias", {3}, {0.0f, -0.0f, 1e-40f}},
               {"batch_norm_1", "gamma", {3}, {1.0f, 2.0f, 3.0f}},
               {"batch_norm_1", "running_var", {3}, {0.5f, 0.25f, 0.125f}},
               {"conv_0", "filters", {2, 3, 2}, ramp(12, 7.0f)},
               {"conv_0", "bias", {1}, {42.0f}}};

  RunRecord b;
  b.run_id = "baseline_seed2";
  b.name = "baseline";
  b.config_yaml = "model: mlp\n";
  b.seed = 2;
  b.status = "diverged";
  b.attributes = {{"git_commit", "fedcba"}};
  b.curves = {{"epoch", {1, 2}}, {"train_loss", {1.5, std::numeric_limits<double>::quiet_NaN()}}};
  b.weights = {{"dense_0", "kernel", {3, 2}, ramp(6, -2.5f)},
               {"dense_0", "bias", {2}, {std::numeric_limits<float>::quiet_NaN(), 1.0f}}};

  // Runs in non-alphabetical order too.
  results.runs = {a, b};
  return results;
}

template <typename T>
bool same_bits(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() &&
         (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0);
}

void check_equal(const ResultsFile& got, const ResultsFile& want) {
  CHECK(got.reglab_version == want.reglab_version);
  CHECK(got.created_utc == want.created_utc);
  CHECK(got.config_yaml == want.config_yaml);
  REQUIRE(got.runs.size() == want.runs.size());
  for (std::size_t r = 0; r < want.runs.size(); ++r) {
    const RunRecord& g = got.runs[r];
    const RunRecord& w = want.runs[r];
    INFO("run " << w.run_id);
    CHECK(g.run_id == w.run_id);
    CHECK(g.name == w.name);
    CHECK(g.config_yaml == w.config_yaml);
    CHECK(g.seed == w.seed);
    CHECK(g.status == w.status);
    CHECK(g.attributes == w.attributes);
    REQUIRE(g.curves.size() == w.curves.size());
    for (std::size_t c = 0; c < w.curves.size(); ++c) {
      INFO("curve " << w.curves[c].first);
      CHECK(g.curves[c].first == w.curves[c].first);
      CHECK(same_bits(g.curves[c].second, w.curves[c].second));
    }
    REQUIRE(g.weights.size() == w.weights.size());
    for (std::size_t i = 0; i < w.weights.size(); ++i) {
      INFO("weight " << w.weights[i].layer << "/" << w.weights[i].param);
      CHECK(g.weights[i].layer == w.weights[i].layer);
      CHECK(g.weights[i].param == w.weights[i].param);
      CHECK(g.weights[i].shape == w.weights[i].shape);
      CHECK(same_bits(g.weights[i].data, w.weights[i].data));
    }
  }
}

/// Message of the StorageError thrown by `f`, or "" if none was thrown.
template <typename F>
std::string storage_error(F&& f) {
  try {
    f();
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Small RAII for the hand-made HDF5 files of the error tests.
struct H5Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5Id() {
    if (id >= 0) close(id);
  }
};

void write_root_string(hid_t file, const char* name, const char* value) {
  H5Id type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  H5Id space{H5Screate(H5S_SCALAR), H5Sclose};
  H5Id attr{H5Acreate2(file, name, type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  REQUIRE(attr.id >= 0);
  REQUIRE(H5Awrite(attr.id, type.id, &value) >= 0);
}

/// Creates an HDF5 file with a /runs group and, optionally, reglab's format attributes.
void make_hdf5_file(const std::string& path, bool with_format, std::int64_t version) {
  H5Id file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
  REQUIRE(file.id >= 0);
  H5Id runs{H5Gcreate2(file.id, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  REQUIRE(runs.id >= 0);
  if (!with_format) return;
  write_root_string(file.id, "format", "reglab");
  H5Id space{H5Screate(H5S_SCALAR), H5Sclose};
  H5Id attr{
      H5Acreate2(file.id, "format_version", H5T_STD_I64LE, space.id, H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose};
  REQUIRE(attr.id >= 0);
  REQUIRE(H5Awrite(attr.id, H5T_NATIVE_INT64, &version) >= 0);
  write_root_string(file.id, "reglab_version", "9.0.0");
  write_root_string(file.id, "created_utc", "2030-01-01T00:00:00Z");
  write_root_string(file.id, "config", "");
}

}  // namespace

TEST_CASE("results round-trip bit for bit, in the written order") {
  TempDir dir;
  const std::string path = dir.file("results.h5");
  const ResultsFile written = sample_results();
  write_results(path, written, false);
  CHECK(temp_files(dir.path()).empty());
  const ResultsFile read = read_results(path);
  check_equal(read, written);
  // The order really is the written one, not HDF5's alphabetical one.
  REQUIRE(read.runs.size() == 2);
  CHECK(read.runs[0].run_id == "dropout_p0.5_seed1");
  CHECK(read.runs[0].curves[3].first == "lr");
  CHECK(read.runs[0].weights[2].layer == "batch_norm_1");
  CHECK(read.runs[0].attributes.front().first == "git_commit");
  CHECK(std::isnan(read.runs[1].curves[1].second[1]));
}

TEST_CASE("empty curves, scalar weights and a run without weights round-trip") {
  TempDir dir;
  const std::string path = dir.file("edge.h5");
  ResultsFile written;
  written.reglab_version = "0.1.0";
  RunRecord run;
  run.run_id = "r";
  run.status = "diverged";
  run.curves = {{"epoch", {}}, {"loss", {}}};
  run.weights = {{"scale", "value", {}, {2.5f}}, {"dense_0", "kernel", {0, 4}, {}}};
  RunRecord bare;
  bare.run_id = "bare";
  bare.curves = {{"epoch", {1}}};
  written.runs = {run, bare};
  write_results(path, written, false);
  check_equal(read_results(path), written);

  ResultsFile empty;
  const std::string empty_path = dir.file("empty.h5");
  write_results(empty_path, empty, false);
  check_equal(read_results(empty_path), empty);
}

TEST_CASE("an existing file is never replaced without overwrite") {
  TempDir dir;
  const std::string path = dir.file("results.h5");
  ResultsFile first = sample_results();
  write_results(path, first, false);
  const std::string before = read_bytes(path);
  REQUIRE(!before.empty());

  ResultsFile second = sample_results();
  second.reglab_version = "0.2.0";
  second.runs.pop_back();
  const std::string message = storage_error([&] { write_results(path, second, false); });
  CHECK(contains(message, path + " exists; refusing to overwrite it ("));
  CHECK(read_bytes(path) == before);
  CHECK(temp_files(dir.path()).empty());

  // The refusal happens before anything is created, even for a path that is not a file.
  const std::string text_path = dir.file("notes.txt");
  std::ofstream(text_path) << "keep me";
  CHECK(contains(storage_error([&] { write_results(text_path, second, false); }),
                 "refusing to overwrite"));
  CHECK(read_bytes(text_path) == "keep me");

  SUBCASE("overwrite=true replaces it") {
    write_results(path, second, true);
    check_equal(read_results(path), second);
    CHECK(read_bytes(path) != before);
    CHECK(temp_files(dir.path()).empty());
  }
}

TEST_CASE("files that are not reglab results are refused with a StorageError") {
  TempDir dir;

  SUBCASE("missing file") {
    const std::string path = dir.file("missing.h5");
    const std::string message = storage_error([&] { read_results(path); });
    CHECK(contains(message, path));
    CHECK(contains(message, "No such file"));
  }
  SUBCASE("not HDF5") {
    const std::string path = dir.file("text.h5");
    std::ofstream(path) << "epoch,loss\n1,0.5\n";
    const std::string message = storage_error([&] { read_results(path); });
    CHECK(contains(message, path + " is not an HDF5 file"));
  }
  SUBCASE("a directory") {
    CHECK(contains(storage_error([&] { read_results(dir.path().string()); }), dir.path().string()));
  }
  SUBCASE("a truncated results file") {
    const std::string whole = dir.file("whole.h5");
    write_results(whole, sample_results(), false);
    const std::string bytes = read_bytes(whole);
    const std::string path = dir.file("truncated.h5");
    std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    const std::string message = storage_error([&] { read_results(path); });
    CHECK(contains(message, path + ": cannot read results: "));
  }
  SUBCASE("HDF5 without the format attribute") {
    const std::string path = dir.file("plain.h5");
    make_hdf5_file(path, false, 0);
    CHECK(storage_error([&] { read_results(path); }) ==
          path + " is not a reglab results file (no 'format' attribute)");
  }
  SUBCASE("a newer format_version") {
    const std::string path = dir.file("future.h5");
    make_hdf5_file(path, true, 99);
    const std::string message = storage_error([&] { read_results(path); });
    CHECK(contains(message, path + " was written by a newer reglab"));
    CHECK(contains(message, "99"));
  }
  SUBCASE("the current format_version with a malformed run") {
    const std::string path = dir.file("broken.h5");
    make_hdf5_file(path, true, 1);
    {
      H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
      H5Id run{H5Gcreate2(file.id, "runs/r0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
      REQUIRE(run.id >= 0);
    }
    const std::string message = storage_error([&] { read_results(path); });
    CHECK(contains(message, path));
    CHECK(contains(message, "missing attribute 'name' of /runs/r0"));
  }
  SUBCASE("a missing /runs group") {
    const std::string path = dir.file("noruns.h5");
    ResultsFile empty;
    write_results(path, empty, false);
    {
      H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
      REQUIRE(H5Ldelete(file.id, "runs", H5P_DEFAULT) >= 0);
    }
    CHECK(contains(storage_error([&] { read_results(path); }), "missing group /runs"));
  }
}

TEST_CASE("an unwritable location gives a StorageError and leaves no temporary file") {
  TempDir dir;
  const std::string path = (dir.path() / "no_such_dir" / "results.h5").string();
  const std::string message = storage_error([&] { write_results(path, sample_results(), false); });
  CHECK(contains(message, path));
  CHECK(contains(message, "No such file or directory"));
  CHECK(!fs::exists(dir.path() / "no_such_dir"));
  CHECK(temp_files(dir.path()).empty());

  // A directory in place of the target: the temporary file is written, the rename fails.
  const std::string dir_target = dir.file("taken");
  fs::create_directory(dir_target);
  const std::string over_dir =
      storage_error([&] { write_results(dir_target, sample_results(), true); });
  CHECK(contains(over_dir, dir_target));
  CHECK(fs::is_directory(dir_target));
  CHECK(temp_files(dir.path()).empty());
}

/// Limits the size of files this process may write (RLIMIT_FSIZE) while it lives, so that writes
/// past `bytes` fail with EFBIG the way they do on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = old_;
    limit.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_ {};
  void (*old_handler_)(int) = SIG_DFL;
};

TEST_CASE("a write that fails half-way (disk full) leaves neither a file nor a temporary") {
  TempDir dir;
  const std::string path = dir.file("big.h5");
  ResultsFile big = sample_results();
  big.runs[1].weights.push_back({"wide", "kernel", {256, 256}, ramp(256 * 256, 1e-3f)});
  std::string message;
  {
    FileSizeLimit limit(64 * 1024);
    message = storage_error([&] { write_results(path, big, false); });
  }
  CHECK(contains(message, path + ": cannot write results: "));
  CHECK(contains(message, "File too large"));
  CHECK(!fs::exists(path));
  CHECK(temp_files(dir.path()).empty());
  // The same write succeeds without the limit.
  write_results(path, big, false);
  check_equal(read_results(path), big);
}

TEST_CASE("an error inside HDF5 leaves nothing behind and the process exits cleanly") {
  // HDF5 1.10.8 creates an attribute with a name over 64 KiB but fails to write it; if a later
  // HDF5 accepts it, the record must round-trip instead.
  TempDir dir;
  const std::string path = dir.file("odd.h5");
  ResultsFile odd = sample_results();
  odd.runs[1].attributes.push_back({std::string(70000, 'k'), "v"});
  const std::string message = storage_error([&] { write_results(path, odd, false); });
  if (message.empty()) {
    check_equal(read_results(path), odd);
  } else {
    CHECK(contains(message, path + ": cannot write results: "));
    CHECK(contains(message, "(HDF5: "));
    CHECK(message.size() < 1000);  // the long name is shortened
    CHECK(!fs::exists(path));
  }
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("invalid records are refused before anything is created") {
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  auto refused = [&](const ResultsFile& results, const std::string& part) {
    const std::string message = storage_error([&] { write_results(path, results, false); });
    CHECK(contains(message, path));
    CHECK(contains(message, part));
    CHECK(fs::is_empty(dir.path()));
  };
  ResultsFile base = sample_results();
  base.runs.resize(1);

  ResultsFile r = base;
  r.runs[0].run_id = "a/b";
  refused(r, "run id 'a/b'");
  r = base;
  r.runs[0].run_id = "";
  refused(r, "run id ''");
  r = base;
  r.runs.push_back(r.runs[0]);
  refused(r, "duplicate run id");
  r = base;
  r.runs[0].weights[0].layer = "dense/1";
  refused(r, "layer 'dense/1'");
  r = base;
  r.runs[0].weights[0].param = "";
  refused(r, "parameter ''");
  r = base;
  r.runs[0].weights[0].data.pop_back();
  refused(r, "has 11 values but its shape holds 12");
  r = base;
  r.runs[0].weights.push_back({"dense_1", "extra", {1}, {1.0f}});  // dense_1 again, after dense_0
  refused(r, "not contiguous");
  r = base;
  r.runs[0].curves[1].second.push_back(1.0);
  refused(r, "one value per epoch");
  r = base;
  r.runs[0].curves.erase(r.runs[0].curves.begin());
  refused(r, "no 'epoch' curve");
  r = base;
  r.runs[0].attributes.push_back({"seed", "7"});
  refused(r, "reserved");
  r = base;
  r.runs[0].config_yaml = std::string("a\0b", 3);
  refused(r, "NUL");
}

TEST_CASE("a sample file for tests/storage/check_schema.py") {
  // Checked by hand: /usr/bin/python3 tests/storage/check_schema.py <the path printed here>
  const std::string path = (fs::temp_directory_path() / "reglab_schema_sample.h5").string();
  write_results(path, sample_results(), true);
  MESSAGE("schema sample written to " << path);
  CHECK(read_results(path).runs.size() == 2);
}
