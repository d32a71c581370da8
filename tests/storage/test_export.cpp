// Tests of framework/storage/export.hpp: the Keras legacy weights layout read back with the HDF5
// C API (attributes, names, shapes, bitwise data, attribute splitting), CSV content (header, rows,
// quoting, precision round trip) and export_results' usage errors.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/storage/export.hpp"
#include "framework/storage/results.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace fs = std::filesystem;
using reglab::StorageError;
using reglab::UsageError;
using reglab::storage::Column;
using reglab::storage::export_csv;
using reglab::storage::export_keras_weights;
using reglab::storage::export_results;
using reglab::storage::ExportOptions;
using reglab::storage::kKerasAttributeLimit;
using reglab::storage::ResultsFile;
using reglab::storage::RunRecord;
using reglab::storage::WeightTensor;
using reglab::storage::write_results;

namespace {

/// A fresh directory under the system temp directory, removed with its contents at scope exit.
class ScratchDir : public reglab::testing::TempDir {
 public:
  ScratchDir() : reglab::testing::TempDir("reglab_export") {}
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path())) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

/// Values that exercise float32 bit patterns: fractions, -0, a subnormal, large magnitudes.
std::vector<float> pattern(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(i) - 1.0f / 3.0f;
  if (n > 1) v[1] = -0.0f;
  if (n > 2) v[2] = 1e-40f;
  if (n > 3) v[3] = 3.4e38f;
  return v;
}

/// A run whose weights are deliberately not in Keras order (batch norm statistics first).
RunRecord sample_run() {
  RunRecord run;
  run.run_id = "0123456789ab";
  run.name = "sample";
  run.status = "complete";
  run.curves = {{"epoch", {1, 2}}, {"test_accuracy", {0.5, 0.75}}};
  run.weights = {{"dense_0", "kernel", {3, 4}, pattern(12, 0.25f)},
                 {"dense_0", "bias", {4}, pattern(4, -0.5f)},
                 {"batch_norm_0", "running_var", {4}, {1.0f, 2.0f, 0.5f, 4.0f}},
                 {"batch_norm_0", "running_mean", {4}, {0.1f, -0.2f, 0.3f, -0.4f}},
                 {"batch_norm_0", "beta", {4}, {0.0f, 0.01f, -0.01f, 0.02f}},
                 {"batch_norm_0", "gamma", {4}, {1.0f, 1.5f, 0.75f, 1.25f}},
                 {"dense_1", "bias", {2}, {0.25f, -0.25f}},
                 {"dense_1", "kernel", {4, 2}, pattern(8, 0.125f)}};
  return run;
}

// --- HDF5 reading helpers -----------------------------------------------------------------------

/// Owns an hid_t for the duration of a test.
struct Id {
  hid_t id;
  herr_t (*closer)(hid_t);
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), closer(c) { REQUIRE(id >= 0); }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { closer(id); }
};

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

/// Reads a 1-D attribute of fixed-length NULL-padded ASCII strings (what h5py writes for numpy
/// `S` arrays); returns the strings and the string width.
std::vector<std::string> read_fixed_strings(hid_t object, const std::string& name,
                                            std::size_t* width = nullptr) {
  Id attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  Id type(H5Aget_type(attr.id), H5Tclose);
  REQUIRE(H5Tget_class(type.id) == H5T_STRING);
  REQUIRE(H5Tis_variable_str(type.id) == 0);
  CHECK(H5Tget_strpad(type.id) == H5T_STR_NULLPAD);
  CHECK(H5Tget_cset(type.id) == H5T_CSET_ASCII);
  const std::size_t size = H5Tget_size(type.id);
  Id space(H5Aget_space(attr.id), H5Sclose);
  REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.id, &n, nullptr);
  std::string buffer(static_cast<std::size_t>(n) * size, '\0');
  REQUIRE(H5Aread(attr.id, type.id, buffer.data()) >= 0);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s = buffer.substr(i * size, size);
    s.resize(std::strlen(s.c_str()));
    out.push_back(s);
  }
  if (width != nullptr) *width = size;
  return out;
}

std::string read_fixed_scalar(hid_t object, const std::string& name) {
  Id attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  Id type(H5Aget_type(attr.id), H5Tclose);
  REQUIRE(H5Tget_class(type.id) == H5T_STRING);
  REQUIRE(H5Tis_variable_str(type.id) == 0);
  Id space(H5Aget_space(attr.id), H5Sclose);
  CHECK(H5Sget_simple_extent_type(space.id) == H5S_SCALAR);
  std::string buffer(H5Tget_size(type.id), '\0');
  REQUIRE(H5Aread(attr.id, type.id, buffer.data()) >= 0);
  buffer.resize(std::strlen(buffer.c_str()));
  return buffer;
}

/// Keras' load_attributes_from_hdf5_group: `name`, else `name0`, `name1`, ... concatenated.
std::vector<std::string> keras_load_names(hid_t object, const std::string& name) {
  if (has_attribute(object, name)) return read_fixed_strings(object, name);
  std::vector<std::string> out;
  for (int chunk = 0; has_attribute(object, name + std::to_string(chunk)); ++chunk) {
    const auto part = read_fixed_strings(object, name + std::to_string(chunk));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

struct Dataset {
  std::vector<hsize_t> shape;
  std::vector<float> data;
  bool float32_le = false;
};

Dataset read_dataset(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  Id type(H5Dget_type(ds.id), H5Tclose);
  Dataset out;
  out.float32_le = H5Tequal(type.id, H5T_IEEE_F32LE) > 0;
  Id space(H5Dget_space(ds.id), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id);
  out.shape.resize(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, out.shape.data(), nullptr);
  out.data.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id)));
  REQUIRE(H5Dread(ds.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()) >= 0);
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<hsize_t> dims(std::initializer_list<hsize_t> d) { return d; }

// --- CSV helpers --------------------------------------------------------------------------------

/// RFC 4180 parser: rows of fields; quoted fields may hold commas, doubled quotes and newlines.
/// `quoted` receives, per row, whether each field was quoted.
std::vector<std::vector<std::string>> parse_csv(const std::string& text,
                                                std::vector<std::vector<bool>>* quoted = nullptr) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::vector<bool> row_quoted;
  std::string field;
  bool in_quotes = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      in_quotes = true;
      was_quoted = true;
    } else if (c == ',' || c == '\n') {
      row.push_back(field);
      row_quoted.push_back(was_quoted);
      field.clear();
      was_quoted = false;
      if (c == '\n') {
        rows.push_back(row);
        if (quoted != nullptr) quoted->push_back(row_quoted);
        row.clear();
        row_quoted.clear();
      }
    } else {
      field += c;
    }
  }
  REQUIRE_FALSE(in_quotes);
  REQUIRE(row.empty());  // the text ends with a newline
  REQUIRE(field.empty());
  return rows;
}

bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

double parse_double(const std::string& s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  REQUIRE(end == s.c_str() + s.size());
  return v;
}

Column text_column(const std::string& name, std::vector<std::string> values) {
  Column c;
  c.name = name;
  c.type = Column::Type::kString;
  c.str = std::move(values);
  return c;
}

Column number_column(const std::string& name, std::vector<double> values) {
  Column c;
  c.name = name;
  c.type = Column::Type::kFloat64;
  c.f64 = std::move(values);
  return c;
}

Column int_column(const std::string& name, std::vector<std::int64_t> values) {
  Column c;
  c.name = name;
  c.type = Column::Type::kInt64;
  c.i64 = std::move(values);
  return c;
}

const double kTricky[] = {0.1 + 0.2, 1e-310, -0.0, 2.302585092994046, 1.0 / 3.0};

ResultsFile sample_sweep() {
  ResultsFile file;
  file.reglab_version = "0.1.0";
  file.created_utc = "2026-11-27T17:30:00Z";
  file.config_yaml = "name: s\n";
  RunRecord a = sample_run();
  a.run_id = "aaaaaaaaaaaa";
  a.attributes = {{"cell_name", "regularizers=dropout, seed=1"}};
  a.curves = {{"epoch", {1, 2, 3}},
              {"train_loss", {kTricky[0], kTricky[1], kTricky[2]}},
              {"test_accuracy", {kTricky[3], kTricky[4], std::nan("")}}};
  RunRecord b = sample_run();
  b.run_id = "bbbbbbbbbbbb";
  b.name = "has \"quotes\", commas";
  b.curves = {{"epoch", {1, 2}},
              {"test_accuracy", {0.5, std::numeric_limits<double>::infinity()}},
              {"seconds", {0.25, -std::numeric_limits<double>::infinity()}}};
  file.runs = {a, b};
  file.summary.columns = {
      text_column("cell_id", {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}),
      text_column("name", {"regularizers=dropout, seed=1", "line\nbreak \"q\""}),
      number_column("optimizer.learning_rate", {0.1 + 0.2, 1e-310}),
      int_column("seed", {1, -9223372036854775807LL - 1}),
      number_column("final_test_accuracy", {std::nan(""), 1.0 / 3.0})};
  return file;
}

}  // namespace

TEST_CASE("export_keras_weights writes the Keras legacy layout, read back with the C API") {
  ScratchDir dir;
  const RunRecord run = sample_run();
  const std::string path = dir.file("weights.h5");
  export_keras_weights(run, path, false);
  CHECK(dir.entries() == std::vector<std::string>{"weights.h5"});  // no temporary left

  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  Id root(H5Gopen2(file.id, "/", H5P_DEFAULT), H5Gclose);
  std::size_t width = 0;
  CHECK(read_fixed_strings(root.id, "layer_names", &width) ==
        std::vector<std::string>{"dense_0", "batch_norm_0", "dense_1"});
  CHECK(width == std::strlen("batch_norm_0"));  // numpy S<longest>
  CHECK(read_fixed_scalar(root.id, "backend") == "tensorflow");
  CHECK(read_fixed_scalar(root.id, "keras_version") == "2.11.0");
  CHECK_FALSE(has_attribute(root.id, "layer_names0"));

  {
    Id g(H5Gopen2(file.id, "/dense_0", H5P_DEFAULT), H5Gclose);
    CHECK(read_fixed_strings(g.id, "weight_names") ==
          std::vector<std::string>{"dense_0/kernel:0", "dense_0/bias:0"});
  }
  {
    Id g(H5Gopen2(file.id, "/batch_norm_0", H5P_DEFAULT), H5Gclose);
    CHECK(read_fixed_strings(g.id, "weight_names") ==
          std::vector<std::string>{"batch_norm_0/gamma:0", "batch_norm_0/beta:0",
                                   "batch_norm_0/moving_mean:0", "batch_norm_0/moving_variance:0"});
  }
  {
    Id g(H5Gopen2(file.id, "/dense_1", H5P_DEFAULT), H5Gclose);
    CHECK(read_fixed_strings(g.id, "weight_names") ==
          std::vector<std::string>{"dense_1/kernel:0", "dense_1/bias:0"});
  }
  // Every weight at /<layer>/<layer>/<weight>:0, float32 little-endian, logical shape, bitwise.
  const struct {
    const char* path;
    std::size_t index;  // into run.weights
  } expected[] = {{"/dense_0/dense_0/kernel:0", 0},
                  {"/dense_0/dense_0/bias:0", 1},
                  {"/batch_norm_0/batch_norm_0/moving_variance:0", 2},
                  {"/batch_norm_0/batch_norm_0/moving_mean:0", 3},
                  {"/batch_norm_0/batch_norm_0/beta:0", 4},
                  {"/batch_norm_0/batch_norm_0/gamma:0", 5},
                  {"/dense_1/dense_1/bias:0", 6},
                  {"/dense_1/dense_1/kernel:0", 7}};
  for (const auto& e : expected) {
    CAPTURE(e.path);
    const Dataset d = read_dataset(file.id, e.path);
    const WeightTensor& w = run.weights[e.index];
    CHECK(d.float32_le);
    CHECK(d.shape == std::vector<hsize_t>(w.shape.begin(), w.shape.end()));
    CHECK(same_bits(d.data, w.data));
  }
  CHECK(read_dataset(file.id, "/dense_0/dense_0/kernel:0").shape == dims({3, 4}));  // (in, units)
  CHECK(read_dataset(file.id, "/dense_1/dense_1/kernel:0").shape == dims({4, 2}));
  // Only layers with weights: three groups at the root.
  H5G_info_t info{};
  REQUIRE(H5Gget_info(root.id, &info) >= 0);
  CHECK(info.nlinks == 3);
}

TEST_CASE("export_keras_weights: convolution kernels in Keras' (kh, kw, in, out) layout") {
  ScratchDir dir;
  RunRecord run = sample_run();
  const std::size_t out = 3, in = 2, kh = 2, kw = 3;
  run.weights = {{"conv2d_0", "kernel", {out, in, kh, kw}, pattern(out * in * kh * kw, 0.5f)},
                 {"conv2d_0", "bias", {out}, {0.5f, -0.5f, 0.25f}}};
  const std::string path = dir.file("conv.h5");
  export_keras_weights(run, path, false);
  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  const Dataset k = read_dataset(file.id, "/conv2d_0/conv2d_0/kernel:0");
  REQUIRE(k.shape == dims({kh, kw, in, out}));
  const std::vector<float>& w = run.weights[0].data;
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t i = 0; i < in; ++i) {
      for (std::size_t y = 0; y < kh; ++y) {
        for (std::size_t x = 0; x < kw; ++x) {
          const float want = w[((o * in + i) * kh + y) * kw + x];
          const float got = k.data[((y * kw + x) * in + i) * out + o];
          CHECK(std::memcmp(&want, &got, sizeof(float)) == 0);
        }
      }
    }
  }
  CHECK(read_dataset(file.id, "/conv2d_0/conv2d_0/bias:0").shape == dims({out}));
}

TEST_CASE("export_keras_weights: overwrite refusal, replacement and errors naming the path") {
  ScratchDir dir;
  const std::string path = dir.file("w.h5");
  RunRecord run = sample_run();
  export_keras_weights(run, path, false);
  const std::string first = file_bytes(path);
  CHECK_THROWS_WITH_AS(export_keras_weights(run, path, false),
                       doctest::Contains((path + " exists; refusing to overwrite").c_str()),
                       StorageError);
  CHECK(file_bytes(path) == first);
  run.weights[0].data[0] = 42.0f;
  export_keras_weights(run, path, true);
  CHECK(file_bytes(path) != first);
  CHECK(dir.entries() == std::vector<std::string>{"w.h5"});

  const std::string bad = dir.file("bad.h5");
  RunRecord wrong_size = sample_run();
  wrong_size.weights[1].data.pop_back();
  CHECK_THROWS_WITH_AS(export_keras_weights(wrong_size, bad, false),
                       doctest::Contains((bad + ": cannot export Keras weights").c_str()),
                       StorageError);
  RunRecord slash = sample_run();
  slash.weights[0].layer = "a/b";
  CHECK_THROWS_WITH_AS(export_keras_weights(slash, bad, false), doctest::Contains("contains '/'"),
                       StorageError);
  RunRecord twice = sample_run();
  twice.weights[1].param = "kernel";
  CHECK_THROWS_WITH_AS(export_keras_weights(twice, bad, false),
                       doctest::Contains("duplicate weight 'dense_0/kernel'"), StorageError);
  RunRecord empty = sample_run();
  empty.weights.clear();
  CHECK_THROWS_WITH_AS(export_keras_weights(empty, bad, false), doctest::Contains("no weights"),
                       StorageError);
  RunRecord huge = sample_run();
  for (std::size_t i = 0; i < 2; ++i) huge.weights[i].layer = std::string(70000, 'x');
  CHECK_THROWS_WITH_AS(export_keras_weights(huge, bad, false), doctest::Contains("at most 64512"),
                       StorageError);
  const std::string missing_dir = dir.file("no/such/dir/w.h5");
  CHECK_THROWS_WITH_AS(export_keras_weights(sample_run(), missing_dir, false),
                       doctest::Contains(missing_dir.c_str()), StorageError);
  CHECK(dir.entries() == std::vector<std::string>{"w.h5"});
}

TEST_CASE("export_keras_weights refuses a run with weight-scaled dropout, naming the layer") {
  ScratchDir dir;
  const std::string path = dir.file("w.h5");
  RunRecord run = sample_run();
  run.attributes = {{"network", "dense_0: 3 -> 2\ndropout_0: rate 0.5\ndense_1: 2 -> 2\n"}};
  export_keras_weights(run, path, false);  // inverted dropout: the identity in eval, as in Keras
  run.attributes = {
      {"network", "dropout_input: rate 0.2, scaling weight (eval x 0.8)\ndense_0: 3 -> 2\n"}};
  const std::string bad = dir.file("bad.h5");
  CHECK_THROWS_WITH_AS(
      export_keras_weights(run, bad, false),
      doctest::Contains("dropout `scaling: weight` (dropout_input: rate 0.2, scaling weight"),
      StorageError);
  CHECK(dir.entries() == std::vector<std::string>{"w.h5"});
}

TEST_CASE("export_keras_weights splits layer_names and weight_names over 64,512 bytes") {
  ScratchDir dir;
  RunRecord run;
  run.run_id = "split";
  // 1001 layers with names up to 100 bytes: 100,100 bytes as S100, so numpy.array_split gives 2
  // chunks of 501 and 500 names (50,100 bytes each at most).
  std::vector<std::string> layers;
  for (int i = 0; i < 1001; ++i) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "layer_%04d_", i);
    std::string name = prefix + std::string(static_cast<std::size_t>(40 + i % 50), 'n');
    if (i == 7) name.resize(100, 'm');
    layers.push_back(name);
    run.weights.push_back({name, "bias", {1}, {static_cast<float>(i)}});
  }
  // One layer with 700 parameters whose Keras names are 97 bytes: 67,900 bytes, so 2 chunks.
  std::vector<std::string> weight_names;
  for (int i = 0; i < 700; ++i) {
    char param[16];
    std::snprintf(param, sizeof param, "p%03d_", i);
    const std::string p = param + std::string(85, 'q');
    run.weights.push_back({"wide", p, {}, {static_cast<float>(-i)}});
    weight_names.push_back("wide/" + p + ":0");
  }
  layers.push_back("wide");
  const std::string path = dir.file("split.h5");
  export_keras_weights(run, path, false);

  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  Id root(H5Gopen2(file.id, "/", H5P_DEFAULT), H5Gclose);
  CHECK_FALSE(has_attribute(root.id, "layer_names"));
  std::size_t width = 0;
  const auto chunk0 = read_fixed_strings(root.id, "layer_names0", &width);
  const auto chunk1 = read_fixed_strings(root.id, "layer_names1");
  CHECK_FALSE(has_attribute(root.id, "layer_names2"));
  CHECK(width == 100);
  CHECK(chunk0.size() == 501);
  CHECK(chunk1.size() == 501);  // 1002 names: 501 + 501
  CHECK(chunk0.size() * width <= kKerasAttributeLimit);
  CHECK(keras_load_names(root.id, "layer_names") == layers);

  Id wide(H5Gopen2(file.id, "/wide", H5P_DEFAULT), H5Gclose);
  CHECK_FALSE(has_attribute(wide.id, "weight_names"));
  const auto w0 = read_fixed_strings(wide.id, "weight_names0", &width);
  CHECK(width == 97);
  CHECK(w0.size() == 350);
  CHECK(keras_load_names(wide.id, "weight_names") == weight_names);
  // A scalar parameter is a scalar dataset.
  const Dataset d = read_dataset(file.id, "/wide/" + weight_names[699]);
  CHECK(d.shape.empty());
  CHECK(d.data == std::vector<float>{-699.0f});
  CHECK(read_dataset(file.id, "/" + layers[7] + "/" + layers[7] + "/bias:0").data ==
        std::vector<float>{7.0f});
}

TEST_CASE("export_csv: summary and wide curves with RFC 4180 quoting and exact doubles") {
  ScratchDir dir;
  const ResultsFile file = sample_sweep();
  const std::string out = dir.file("csv");
  export_csv(file, out);
  CHECK(fs::exists(out + "/summary.csv"));

  std::vector<std::vector<bool>> quoted;
  const auto summary = parse_csv(file_bytes(out + "/summary.csv"), &quoted);
  CHECK(
      file_bytes(out + "/summary.csv")
          .rfind(
              "\"cell_id\",\"name\",\"optimizer.learning_rate\",\"seed\",\"final_test_accuracy\"\n"
              "\"aaaaaaaaaaaa\",\"regularizers=dropout, seed=1\",0.30000000000000004,1,NaN\n",
              0) == 0);
  REQUIRE(summary.size() == 3);  // header + one row per cell
  CHECK(summary[2][1] == "line\nbreak \"q\"");
  CHECK(quoted[2] == std::vector<bool>{true, true, false, false, false});
  CHECK(same_double(parse_double(summary[1][2]), 0.1 + 0.2));
  CHECK(same_double(parse_double(summary[2][2]), 1e-310));
  CHECK(summary[2][3] == "-9223372036854775808");
  CHECK(std::isnan(parse_double(summary[1][4])));
  CHECK(same_double(parse_double(summary[2][4]), 1.0 / 3.0));

  quoted.clear();
  const auto curves = parse_csv(file_bytes(out + "/curves.csv"), &quoted);
  REQUIRE(curves.size() == 1 + 3 + 2);  // header + runs x epochs
  CHECK(curves[0] == std::vector<std::string>{"run_id", "name", "epoch", "train_loss",
                                              "test_accuracy", "seconds"});
  CHECK(quoted[0] == std::vector<bool>(6, true));
  CHECK(curves[1][0] == "aaaaaaaaaaaa");
  CHECK(curves[1][1] == "regularizers=dropout, seed=1");  // the cell_name attribute
  CHECK(curves[4][1] == "has \"quotes\", commas");        // the run name
  CHECK(curves[1][2] == "1");
  for (int e = 0; e < 3; ++e) {
    CHECK(same_double(parse_double(curves[1 + static_cast<std::size_t>(e)][3]), kTricky[e]));
  }
  CHECK(curves[3][3] == "-0");
  CHECK(same_double(parse_double(curves[2][4]), kTricky[4]));
  CHECK(curves[3][4] == "NaN");
  CHECK(curves[1][5].empty());  // run a has no "seconds"
  CHECK(curves[4][3].empty());  // run b has no "train_loss"
  CHECK(curves[5][4] == "Inf");
  CHECK(curves[5][5] == "-Inf");
  CHECK(quoted[5] == std::vector<bool>{true, true, false, false, false, false});

  // Existing files are kept unless asked; nothing is written when refusing.
  CHECK_THROWS_WITH_AS(export_csv(file, out), doctest::Contains("summary.csv exists"),
                       StorageError);
  fs::remove(out + "/summary.csv");
  CHECK_THROWS_WITH_AS(export_csv(file, out), doctest::Contains("curves.csv exists"), StorageError);
  CHECK_FALSE(fs::exists(out + "/summary.csv"));
  export_csv(file, out, true);
  CHECK(fs::exists(out + "/summary.csv"));

  // A run file has no summary.csv.
  ResultsFile single = file;
  single.summary = {};
  single.runs.resize(1);
  const std::string out2 = dir.file("run");
  export_csv(single, out2);
  CHECK_FALSE(fs::exists(out2 + "/summary.csv"));
  CHECK(parse_csv(file_bytes(out2 + "/curves.csv")).size() == 4);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out2)) names.push_back(e.path().filename());
  CHECK(names == std::vector<std::string>{"curves.csv"});

  const std::string not_dir = dir.file("plain");
  std::ofstream(not_dir) << "x";
  CHECK_THROWS_AS(export_csv(file, not_dir), StorageError);
}

TEST_CASE("export_results: usage errors and the one-run default for --keras") {
  ScratchDir dir;
  ResultsFile sweep = sample_sweep();
  const std::string sweep_path = dir.file("sweep.h5");
  write_results(sweep_path, sweep, false);
  ResultsFile single = sample_sweep();
  single.summary = {};
  single.runs.resize(1);
  const std::string run_path = dir.file("run.h5");
  write_results(run_path, single, false);
  const std::string out = dir.file("k.h5");

  auto options = [](const std::string& results, const std::string& keras, const std::string& cell,
                    const std::string& csv, bool overwrite = false) {
    return ExportOptions{results, keras, cell, csv, overwrite};
  };
  CHECK_THROWS_WITH_AS(export_results(options(sweep_path, "", "", "")),
                       doctest::Contains("nothing to export"), UsageError);
  CHECK_THROWS_WITH_AS(export_results(options(sweep_path, out, "", "")),
                       doctest::Contains("holds 2 runs; choose one for --keras with --cell ID "
                                         "(aaaaaaaaaaaa, bbbbbbbbbbbb)"),
                       UsageError);
  CHECK_THROWS_WITH_AS(export_results(options(sweep_path, "", "x", dir.file("c"))),
                       doctest::Contains("--cell selects the run for --keras"), UsageError);
  CHECK_THROWS_WITH_AS(export_results(options(sweep_path, out, "nope", "")),
                       doctest::Contains("no run 'nope'"), UsageError);
  CHECK_THROWS_WITH_AS(export_results(options(sweep_path, sweep_path, "aaaaaaaaaaaa", "")),
                       doctest::Contains("is the results file itself"), UsageError);
  CHECK_THROWS_AS(export_results(options(dir.file("missing.h5"), "", "", dir.file("c"))),
                  StorageError);
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(dir.file("c")));

  CHECK(export_results(options(sweep_path, out, "bbbbbbbbbbbb", "")) == 0);
  CHECK(fs::exists(out));
  CHECK_THROWS_AS(export_results(options(run_path, out, "", "")), StorageError);  // exists
  CHECK(export_results(options(run_path, out, "", dir.file("c"), true)) == 0);
  CHECK(fs::exists(dir.file("c/curves.csv")));
  CHECK_FALSE(fs::exists(dir.file("c/summary.csv")));
}
