// Tests of framework/storage/results.hpp: round trip, atomic publishing, refusals and errors.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
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
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace fs = std::filesystem;
using reglab::StorageError;
using reglab::storage::Column;
using reglab::storage::read_results;
using reglab::storage::ResultsFile;
using reglab::storage::RunRecord;
using reglab::storage::Table;
using reglab::storage::WeightTensor;
using reglab::storage::write_results;

namespace {

/// This file's temporary folders: /tmp/reglab_storage_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_storage") {}
};

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

void check_equal(const Table& got, const Table& want) {
  REQUIRE(got.columns.size() == want.columns.size());
  for (std::size_t c = 0; c < want.columns.size(); ++c) {
    const Column& g = got.columns[c];
    const Column& w = want.columns[c];
    INFO("summary column " << w.name);
    CHECK(g.name == w.name);
    CHECK(g.type == w.type);
    CHECK(same_bits(g.f64, w.f64));
    CHECK(g.i64 == w.i64);
    CHECK(g.str == w.str);
  }
}

void check_equal(const ResultsFile& got, const ResultsFile& want) {
  CHECK(got.reglab_version == want.reglab_version);
  CHECK(got.created_utc == want.created_utc);
  CHECK(got.config_yaml == want.config_yaml);
  CHECK(got.attributes == want.attributes);
  CHECK(got.kind() == want.kind());
  check_equal(got.summary, want.summary);
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

Column f64_column(const std::string& name, std::vector<double> values) {
  Column column;
  column.name = name;
  column.type = Column::Type::kFloat64;
  column.f64 = std::move(values);
  return column;
}

Column i64_column(const std::string& name, std::vector<std::int64_t> values) {
  Column column;
  column.name = name;
  column.type = Column::Type::kInt64;
  column.i64 = std::move(values);
  return column;
}

Column str_column(const std::string& name, std::vector<std::string> values) {
  Column column;
  column.name = name;
  column.type = Column::Type::kString;
  column.str = std::move(values);
  return column;
}

/// A NaN with a payload and the sign bit set, to check that the bits survive, not just NaN-ness.
double payload_nan() {
  const std::uint64_t bits = 0xfff8'0000'dead'beefULL;
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

/// sample_results() as a sweep: its two runs are the cells, with one summary row each.
ResultsFile sample_sweep() {
  ResultsFile results = sample_results();
  results.attributes = {{"sweep_name", "dropout \xc3\x97 max-norm"},
                        {"sweep_id", "2026-11-27-a"},
                        {"aaa_sorts_first", ""}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  results.summary.columns = {str_column("cell_id", {"dropout_p0.5_seed1", "baseline_seed2"}),
                             str_column("regularizer", {"dropout \xce\xbb=0.5 \xe2\x9c\x93", ""}),
                             i64_column("seed", {std::numeric_limits<std::int64_t>::min(), 2}),
                             f64_column("final_val_accuracy", {0.875, nan}),
                             f64_column("best_loss", {payload_nan(), -0.0}),
                             i64_column("epochs", {3, std::numeric_limits<std::int64_t>::max()}),
                             f64_column("lr", {1e-310, -std::numeric_limits<double>::infinity()}),
                             str_column("status", {"complete", "diverged"})};
  return results;
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

/// The root attribute `name` of the file at `path` as a string, read with the HDF5 C API.
std::string root_attribute(const std::string& path, const char* name) {
  H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  REQUIRE(file.id >= 0);
  if (H5Aexists(file.id, name) <= 0) return "<missing>";
  H5Id attr{H5Aopen(file.id, name, H5P_DEFAULT), H5Aclose};
  H5Id type{H5Aget_type(attr.id), H5Tclose};
  REQUIRE(H5Tis_variable_str(type.id) > 0);
  char* text = nullptr;
  REQUIRE(H5Aread(attr.id, type.id, &text) >= 0);
  std::string value = text;
  H5free_memory(text);
  return value;
}

bool has_summary(const std::string& path) {
  H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  REQUIRE(file.id >= 0);
  return H5Lexists(file.id, "summary", H5P_DEFAULT) > 0;
}

/// Runs tests/storage/check_schema.py on `path` with /usr/bin/python3 (h5py, numpy, pandas),
/// puts its output into `output` and returns its exit code.
int run_check_schema(const std::string& path, const TempDir& dir, std::string& output) {
  const std::string script = (fs::path(__FILE__).parent_path() / "check_schema.py").string();
  const std::string log = dir.file("check_schema.log");
  const std::string command =
      "/usr/bin/python3 '" + script + "' '" + path + "' > '" + log + "' 2>&1";
  const int status = std::system(command.c_str());
  output = file_bytes(log);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
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
  const std::string before = file_bytes(path);
  REQUIRE(!before.empty());

  ResultsFile second = sample_results();
  second.reglab_version = "0.2.0";
  second.runs.pop_back();
  const std::string message = storage_error([&] { write_results(path, second, false); });
  CHECK(contains(message, path + " exists; refusing to overwrite it ("));
  CHECK(file_bytes(path) == before);
  CHECK(temp_files(dir.path()).empty());

  // The refusal happens before anything is created, even for a path that is not a file.
  const std::string text_path = dir.file("notes.txt");
  std::ofstream(text_path) << "keep me";
  CHECK(contains(storage_error([&] { write_results(text_path, second, false); }),
                 "refusing to overwrite"));
  CHECK(file_bytes(text_path) == "keep me");

  SUBCASE("overwrite=true replaces it") {
    write_results(path, second, true);
    check_equal(read_results(path), second);
    CHECK(file_bytes(path) != before);
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
    const std::string bytes = file_bytes(whole);
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
  // Also for checking by hand: /usr/bin/python3 tests/storage/check_schema.py <the path printed>
  const std::string path = (fs::temp_directory_path() / "reglab_schema_sample.h5").string();
  write_results(path, sample_results(), true);
  MESSAGE("schema sample written to " << path);
  CHECK(read_results(path).runs.size() == 2);
  TempDir dir;
  std::string output;
  CHECK_MESSAGE(run_check_schema(path, dir, output) == 0, output);
  CHECK(contains(output, "kind run, 2 runs"));
}

TEST_CASE("a sweep's summary table and root attributes round-trip bit for bit") {
  TempDir dir;
  const std::string path = dir.file("sweep.h5");
  const ResultsFile written = sample_sweep();
  REQUIRE(written.summary.rows() == 2);
  CHECK(written.kind() == "sweep");
  write_results(path, written, false);
  CHECK(temp_files(dir.path()).empty());
  const ResultsFile read = read_results(path);
  check_equal(read, written);
  CHECK(read.kind() == "sweep");
  CHECK(root_attribute(path, "kind") == "sweep");
  // Written order, not alphabetical; NaN payload and sign, -0.0 and subnormals kept.
  REQUIRE(read.attributes.size() == 3);
  CHECK(read.attributes[0].first == "sweep_name");
  CHECK(read.attributes[2].first == "aaa_sorts_first");
  REQUIRE(read.summary.columns.size() == 8);
  CHECK(read.summary.columns[0].name == "cell_id");
  CHECK(read.summary.columns[1].str[0] == "dropout \xce\xbb=0.5 \xe2\x9c\x93");
  CHECK(read.summary.columns[2].i64[0] == std::numeric_limits<std::int64_t>::min());
  const std::vector<double>& best = read.summary.columns[4].f64;
  REQUIRE(best.size() == 2);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &best[0], sizeof bits);
  CHECK(bits == 0xfff8'0000'dead'beefULL);
  CHECK(std::signbit(best[1]));
  CHECK(read.summary.columns[6].f64[0] == 1e-310);
}

TEST_CASE("a run file has kind 'run' and no /summary; a file without kind is a run file") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  ResultsFile written = sample_results();
  written.attributes = {{"note", "single run"}};
  CHECK(written.kind() == "run");
  write_results(path, written, false);
  CHECK(root_attribute(path, "kind") == "run");
  CHECK(!has_summary(path));
  const ResultsFile read = read_results(path);
  check_equal(read, written);
  CHECK(read.summary.empty());
  CHECK(read.summary.rows() == 0);

  // Files written before `kind` existed.
  const std::string old_path = dir.file("old.h5");
  make_hdf5_file(old_path, true, 1);
  const ResultsFile old = read_results(old_path);
  CHECK(old.kind() == "run");
  CHECK(old.attributes.empty());
  CHECK(old.runs.empty());
}

TEST_CASE("a table with columns but no rows is a zero-length /summary") {
  TempDir dir;
  const std::string path = dir.file("no_cells.h5");
  ResultsFile written;
  written.created_utc = "2026-11-27T17:30:00Z";
  written.summary.columns = {str_column("cell_id", {}), f64_column("loss", {}),
                             i64_column("epochs", {})};
  CHECK(written.summary.rows() == 0);
  CHECK(!written.summary.empty());
  CHECK(written.kind() == "sweep");
  write_results(path, written, false);
  CHECK(root_attribute(path, "kind") == "sweep");
  {
    H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
    H5Id dataset{H5Dopen2(file.id, "summary", H5P_DEFAULT), H5Dclose};
    REQUIRE(dataset.id >= 0);
    H5Id space{H5Dget_space(dataset.id), H5Sclose};
    hsize_t dims[1] = {99};
    CHECK(H5Sget_simple_extent_ndims(space.id) == 1);
    REQUIRE(H5Sget_simple_extent_dims(space.id, dims, nullptr) == 1);
    CHECK(dims[0] == 0);
  }
  const ResultsFile read = read_results(path);
  check_equal(read, written);
  CHECK(read.kind() == "sweep");
  std::string output;
  CHECK_MESSAGE(run_check_schema(path, dir, output) == 0, output);
}

TEST_CASE("invalid summary tables and root attributes are refused before anything is created") {
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  auto refused = [&](const ResultsFile& results, const std::string& part) {
    const std::string message = storage_error([&] { write_results(path, results, false); });
    INFO(message);
    CHECK(contains(message, path + ": cannot write results: "));
    CHECK(contains(message, part));
    CHECK(fs::is_empty(dir.path()));
  };
  const ResultsFile base = sample_sweep();

  ResultsFile r = base;
  r.summary.columns[3].name = "seed";
  refused(r, "duplicate summary column 'seed'");
  r = base;
  r.summary.columns[1].name = "";
  refused(r, "summary column '' is empty");
  r = base;
  r.summary.columns[1].name = "a/b";
  refused(r, "summary column 'a/b' contains '/'");
  r = base;
  r.summary.columns[3].f64.push_back(1.0);
  refused(r, "summary column 'final_val_accuracy' has 3 values but 'cell_id' has 2");
  r = base;
  r.summary.columns[0].str.pop_back();
  refused(r, "'regularizer' has 2 values but 'cell_id' has 1");
  r = base;
  r.summary.columns[2].f64 = {1.0, 2.0};  // int64 column with float values too
  refused(r, "summary column 'seed' is int64 but has values in another vector");
  r = base;
  r.summary.columns[3].type = Column::Type::kString;  // values left in f64
  refused(r, "summary column 'final_val_accuracy' is string but has values in another vector");
  r = base;
  r.summary.columns[7].str[1] = std::string("a\0b", 3);
  refused(r, "summary column 'status' row 1 contains a NUL character");
  r = base;
  r.attributes.push_back({"kind", "grid"});
  refused(r, "attribute 'kind' of the root group is duplicated or reserved");
  r = base;
  r.attributes.push_back({"format_version", "2"});
  refused(r, "attribute 'format_version' of the root group is duplicated or reserved");
  r = base;
  r.attributes.push_back({"sweep_id", "again"});
  refused(r, "attribute 'sweep_id' of the root group is duplicated or reserved");
  r = base;
  r.attributes.push_back({"a/b", "x"});
  refused(r, "attribute 'a/b' of the root group contains '/'");
  r = base;
  r.attributes[0].second = std::string("x\0y", 3);
  refused(r, "attribute 'sweep_name' of the root group contains a NUL character");
}

TEST_CASE("a kind that does not match /summary is refused when reading") {
  TempDir dir;
  const std::string run_path = dir.file("run.h5");
  const std::string sweep_path = dir.file("sweep.h5");
  write_results(run_path, sample_results(), false);
  write_results(sweep_path, sample_sweep(), false);
  auto set_kind = [](const std::string& path, const char* kind) {
    H5Id file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
    REQUIRE(file.id >= 0);
    REQUIRE(H5Adelete(file.id, "kind") >= 0);
    if (kind != nullptr) write_root_string(file.id, "kind", kind);
  };

  SUBCASE("sweep without /summary") {
    set_kind(run_path, "sweep");
    CHECK(contains(storage_error([&] { read_results(run_path); }),
                   run_path + ": cannot read results: missing dataset /summary"));
  }
  SUBCASE("run with /summary") {
    set_kind(sweep_path, "run");
    CHECK(contains(storage_error([&] { read_results(sweep_path); }),
                   "unexpected /summary in a file of kind 'run'"));
  }
  SUBCASE("no kind (a run file) with /summary") {
    set_kind(sweep_path, nullptr);
    CHECK(contains(storage_error([&] { read_results(sweep_path); }),
                   "unexpected /summary in a file of kind 'run'"));
  }
  SUBCASE("unknown kind") {
    set_kind(run_path, "grid");
    CHECK(contains(storage_error([&] { read_results(run_path); }),
                   "attribute 'kind' of / is 'grid', expected 'run' or 'sweep'"));
  }
  SUBCASE("a /summary that is not a table") {
    {
      H5Id file{H5Fopen(sweep_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
      REQUIRE(H5Ldelete(file.id, "summary", H5P_DEFAULT) >= 0);
      const hsize_t dims[1] = {2};
      H5Id space{H5Screate_simple(1, dims, nullptr), H5Sclose};
      H5Id dataset{H5Dcreate2(file.id, "summary", H5T_IEEE_F64LE, space.id, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose};
      REQUIRE(dataset.id >= 0);
    }
    CHECK(contains(storage_error([&] { read_results(sweep_path); }),
                   "/summary is not a compound dataset"));
  }
}

TEST_CASE("a sweep file reads in h5py and pandas (tests/storage/check_schema.py)") {
  // Kept at a fixed path for checking by hand too.
  const std::string path = (fs::temp_directory_path() / "reglab_sweep_sample.h5").string();
  write_results(path, sample_sweep(), true);
  MESSAGE("sweep sample written to " << path);
  TempDir dir;
  std::string output;
  CHECK_MESSAGE(run_check_schema(path, dir, output) == 0, output);
  CHECK(contains(output, "kind sweep, 2 runs"));
  CHECK(contains(output, "2 summary rows"));

  // The check really compares cell_id with the runs.
  const std::string wrong = dir.file("wrong_cells.h5");
  ResultsFile mismatched = sample_sweep();
  mismatched.summary.columns[0].str[1] = "baseline_seed3";
  write_results(wrong, mismatched, false);
  CHECK(run_check_schema(wrong, dir, output) == 1);
  CHECK(contains(output, "no row for runs ['baseline_seed2']"));
  CHECK(contains(output, "cell_id values without a run group: ['baseline_seed3']"));

  const std::string no_cell_id = dir.file("no_cell_id.h5");
  ResultsFile unnamed = sample_sweep();
  unnamed.summary.columns[0].name = "cell";
  write_results(no_cell_id, unnamed, false);
  CHECK(run_check_schema(no_cell_id, dir, output) == 1);
  CHECK(contains(output, "missing the 'cell_id' column"));
}
