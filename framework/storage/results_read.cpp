/// read_results: checks that a file is a reglab results file of a known format_version and reads
/// its root attributes, runs (attributes, curves, step curves, weights) and /summary back into
/// the records of results.hpp. The schema is in schema.hpp.
#include <hdf5.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/storage/hdf5_read.hpp"
#include "framework/storage/hdf5_support.hpp"
#include "framework/storage/results.hpp"
#include "framework/storage/results_internal.hpp"
#include "framework/storage/schema.hpp"

namespace reglab::storage {
namespace {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// The summary table

/// Frees the variable-length strings that H5Dread allocated in the summary rows.
class SummaryStrings {
 public:
  SummaryStrings(std::vector<std::uint64_t>& buffer, std::size_t columns)
      : buffer_(buffer), columns_(columns) {}
  SummaryStrings(const SummaryStrings&) = delete;
  SummaryStrings& operator=(const SummaryStrings&) = delete;
  ~SummaryStrings() {
    for (std::size_t c : string_columns_) {
      for (std::size_t i = c; i < buffer_.size(); i += columns_) H5free_memory(text(i));
    }
  }

  /// Marks column `c` as holding strings.
  void add(std::size_t c) { string_columns_.push_back(c); }
  /// The string pointer in slot `i` (nullptr if none).
  char* text(std::size_t i) const {
    char* pointer = nullptr;
    std::memcpy(&pointer, &buffer_[i], sizeof pointer);
    return pointer;
  }

 private:
  std::vector<std::uint64_t>& buffer_;
  std::size_t columns_;
  std::vector<std::size_t> string_columns_;
};

/// The number of rows of the 1-D /summary dataset; fails if it has another rank.
std::size_t summary_rows(hid_t dataset, const Where& where, const std::string& what) {
  const std::string path = schema::kSummaryPath;
  Handle space = make(H5Dget_space(dataset), H5Sclose, where, what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(where, what);
  if (rank != 1) fail(where, path + " is not one-dimensional");
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) fail_hdf5(where, what);
  return static_cast<std::size_t>(dims[0]);
}

/// Column `index` of the summary's compound `file_type` (name and type, no values), and the
/// memory type its values are read as (`string_type` for strings).
std::pair<Column, hid_t> summary_column(hid_t file_type, unsigned index, hid_t string_type,
                                        const Where& where, const std::string& what) {
  char* raw_name = H5Tget_member_name(file_type, index);
  if (raw_name == nullptr) fail_hdf5(where, what);
  Column column;
  column.name = raw_name;
  H5free_memory(raw_name);
  const std::string member =
      "column " + quoted(column.name) + " of " + std::string(schema::kSummaryPath);
  Handle member_type = make(H5Tget_member_type(file_type, index), H5Tclose, where, what);
  switch (H5Tget_class(member_type.get())) {
    case H5T_FLOAT:
      column.type = Column::Type::kFloat64;
      return {std::move(column), H5T_NATIVE_DOUBLE};
    case H5T_INTEGER:
      if (H5Tget_sign(member_type.get()) == H5T_SGN_NONE &&
          H5Tget_size(member_type.get()) >= sizeof(std::int64_t)) {
        fail(where, member + " is an unsigned 64-bit integer (int64 is expected)");
      }
      column.type = Column::Type::kInt64;
      return {std::move(column), H5T_NATIVE_INT64};
    case H5T_STRING:
      if (H5Tis_variable_str(member_type.get()) <= 0) {
        fail(where, member + " is not a variable-length string");
      }
      column.type = Column::Type::kString;
      return {std::move(column), string_type};
    default:
      fail(where, member + " is not a float, integer or string");
  }
}

/// Copies the values of the rows in `buffer` (one 8-byte slot per column) into `table`.
void unpack_summary(const std::vector<std::uint64_t>& buffer, const SummaryStrings& strings,
                    std::size_t rows, Table& table) {
  const std::size_t columns = table.columns.size();
  for (std::size_t c = 0; c < columns; ++c) {
    Column& column = table.columns[c];
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = r * columns + c;
      if (column.type == Column::Type::kFloat64) {
        double value = 0;
        std::memcpy(&value, &buffer[i], sizeof value);
        column.f64.push_back(value);
      } else if (column.type == Column::Type::kInt64) {
        std::int64_t value = 0;
        std::memcpy(&value, &buffer[i], sizeof value);
        column.i64.push_back(value);
      } else {
        const char* text = strings.text(i);
        column.str.emplace_back(text != nullptr ? text : "");
      }
    }
  }
}

/// Fills `table` with the summary's columns (names and types, no values) and returns the compound
/// memory type that reads a row as one 8-byte slot per column.
Handle summary_columns(hid_t file_type, std::size_t columns, Table& table, const Where& where,
                       const std::string& what) {
  Handle string_type = vlen_string_type(where, what);
  Handle memory_type = make(H5Tcreate(H5T_COMPOUND, kSummarySlot * columns), H5Tclose, where, what);
  for (std::size_t c = 0; c < columns; ++c) {
    auto [column, memory_member] =
        summary_column(file_type, static_cast<unsigned>(c), string_type.get(), where, what);
    ok(H5Tinsert(memory_type.get(), column.name.c_str(), c * kSummarySlot, memory_member), where,
       what);
    table.columns.push_back(std::move(column));
  }
  return memory_type;
}

/// Reads /summary: a 1-D compound dataset whose members are floating-point (read as float64),
/// integers that fit in int64, or variable-length strings.
Table read_summary(hid_t root, const Where& where) {
  const std::string path = schema::kSummaryPath;
  const std::string what = "cannot read dataset " + path;
  Handle dataset = open_object(root, schema::kSummaryDataset, path, H5I_DATASET, where);
  Handle file_type = make(H5Dget_type(dataset.get()), H5Tclose, where, what);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND) {
    fail(where, path + " is not a compound dataset (a table)");
  }
  const std::size_t rows = summary_rows(dataset.get(), where, what);
  const int members = H5Tget_nmembers(file_type.get());
  if (members < 0) fail_hdf5(where, what);
  if (members == 0) fail(where, path + " has no columns");
  const auto columns = static_cast<std::size_t>(members);
  Table table;
  Handle memory_type = summary_columns(file_type.get(), columns, table, where, what);

  std::vector<std::uint64_t> buffer(rows * columns, 0);
  SummaryStrings strings(buffer, columns);
  for (std::size_t c = 0; c < columns; ++c) {
    if (table.columns[c].type == Column::Type::kString) strings.add(c);
  }
  if (rows > 0) {
    ok(H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
       where, what);
  }
  unpack_summary(buffer, strings, rows, table);
  return table;
}

// ---------------------------------------------------------------------------------------------
// Runs

/// Reads the 1-D float64 dataset `name` of `group` (at `group_path`).
std::vector<double> read_curve(hid_t group, const std::string& group_path, const std::string& name,
                               const Where& where) {
  const std::string path = child_path(group_path, name);
  Handle dataset = open_object(group, name, path, H5I_DATASET, where);
  std::vector<double> values;
  if (read_float_dataset(dataset.get(), path, H5T_NATIVE_DOUBLE, values, where).size() != 1) {
    fail(where, path + " is not one-dimensional");
  }
  return values;
}

/// Reads curves/: every curve of the length of the first, "epoch" among them.
void read_curves(hid_t run_group, const std::string& run_path, RunRecord& run, const Where& where) {
  const std::string curves_path = child_path(run_path, schema::kCurvesGroup);
  Handle curves = open_object(run_group, schema::kCurvesGroup, curves_path, H5I_GROUP, where);
  for (const std::string& metric : link_names(curves.get(), curves_path, where)) {
    std::vector<double> values = read_curve(curves.get(), curves_path, metric, where);
    if (!run.curves.empty() && values.size() != run.curves.front().second.size()) {
      fail(where, child_path(curves_path, metric) + " has " + std::to_string(values.size()) +
                      " values but " + child_path(curves_path, run.curves.front().first) + " has " +
                      std::to_string(run.curves.front().second.size()));
    }
    run.curves.emplace_back(metric, std::move(values));
  }
  bool has_epoch = false;
  for (const auto& curve : run.curves) has_epoch = has_epoch || curve.first == schema::kEpochCurve;
  if (!has_epoch) {
    fail(where, "missing dataset " + child_path(curves_path, schema::kEpochCurve));
  }
}

/// Reads step_curves/ if the run has it.
void read_step_curves(hid_t run_group, const std::string& run_path, RunRecord& run,
                      const Where& where) {
  if (H5Lexists(run_group, schema::kStepCurvesGroup, H5P_DEFAULT) <= 0) return;
  const std::string steps_path = child_path(run_path, schema::kStepCurvesGroup);
  Handle steps = open_object(run_group, schema::kStepCurvesGroup, steps_path, H5I_GROUP, where);
  for (const std::string& metric : link_names(steps.get(), steps_path, where)) {
    run.step_curves.emplace_back(metric, read_curve(steps.get(), steps_path, metric, where));
  }
}

/// Reads weights/<layer>/<param> as float32 tensors, layer by layer, in order.
void read_weights(hid_t run_group, const std::string& run_path, RunRecord& run,
                  const Where& where) {
  const std::string weights_path = child_path(run_path, schema::kWeightsGroup);
  Handle weights = open_object(run_group, schema::kWeightsGroup, weights_path, H5I_GROUP, where);
  for (const std::string& layer_name : link_names(weights.get(), weights_path, where)) {
    const std::string layer_path = child_path(weights_path, layer_name);
    Handle layer = open_object(weights.get(), layer_name, layer_path, H5I_GROUP, where);
    for (const std::string& param : link_names(layer.get(), layer_path, where)) {
      const std::string path = child_path(layer_path, param);
      Handle dataset = open_object(layer.get(), param, path, H5I_DATASET, where);
      WeightTensor w;
      w.layer = layer_name;
      w.param = param;
      w.shape = read_float_dataset(dataset.get(), path, H5T_NATIVE_FLOAT, w.data, where);
      run.weights.push_back(std::move(w));
    }
  }
}

RunRecord read_run(hid_t runs, const std::string& run_id, bool weights, const Where& where) {
  RunRecord run;
  run.run_id = run_id;
  const std::string run_path = child_path(schema::kRunsPath, run_id);
  Handle group = open_object(runs, run_id, run_path, H5I_GROUP, where);
  run.name = read_string_attribute(group.get(), run_path, schema::kNameAttribute, where);
  run.config_yaml = read_string_attribute(group.get(), run_path, schema::kConfigAttribute, where);
  run.seed = read_integer_attribute<std::uint64_t>(group.get(), run_path, schema::kSeedAttribute,
                                                   H5T_NATIVE_UINT64, where);
  run.status = read_string_attribute(group.get(), run_path, schema::kStatusAttribute, where);
  run.attributes = further_attributes(group.get(), run_path, schema::kRunFixedAttributes, where);
  read_curves(group.get(), run_path, run, where);
  read_step_curves(group.get(), run_path, run, where);
  if (weights) read_weights(group.get(), run_path, run, where);
  return run;
}

// ---------------------------------------------------------------------------------------------
// The file and its root group

/// Fails unless `path` names an HDF5 file (not a directory, not another format).
void check_hdf5_file(const std::string& path, const Where& where) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int err = errno;
    fail_errno(where, "cannot open the file", err);
  }
  if (S_ISDIR(info.st_mode)) fail(where, "it is a directory");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) fail_hdf5(where, "cannot open the file");
  if (is_hdf5 == 0) {
    throw StorageError(path + " is not an HDF5 file (so not a reglab results file)");
  }
}

/// Fails unless the root group says format "reglab" and a format_version this build reads.
void check_format(hid_t root, const std::string& path, const Where& where) {
  const char* root_path = schema::kRootPath;
  const htri_t has_format = H5Aexists(root, schema::kFormatAttribute);
  if (has_format < 0) fail_hdf5(where, "cannot look up attribute 'format'");
  if (has_format == 0) {
    throw StorageError(path + " is not a reglab results file (no 'format' attribute)");
  }
  const std::string format =
      read_string_attribute(root, root_path, schema::kFormatAttribute, where);
  if (format != schema::kFormatName) {
    throw StorageError(path + " is not a reglab results file (format is " + quoted(format) +
                       ", not 'reglab')");
  }
  const auto version = read_integer_attribute<std::int64_t>(
      root, root_path, schema::kFormatVersionAttribute, H5T_NATIVE_INT64, where);
  if (version > kFormatVersion) {
    throw StorageError(path + " was written by a newer reglab (format_version " +
                       std::to_string(version) + "; this build reads format_version " +
                       std::to_string(kFormatVersion) + " and older)");
  }
  if (version < 1) fail(where, "invalid format_version " + std::to_string(version));
}

/// The root attribute `kind`; files written before it existed are run files.
std::string read_kind(hid_t root, const Where& where) {
  std::string kind = schema::kKindRun;
  const htri_t has_kind = H5Aexists(root, schema::kKindAttribute);
  if (has_kind < 0) fail_hdf5(where, "cannot look up attribute 'kind'");
  if (has_kind > 0) {
    kind = read_string_attribute(root, schema::kRootPath, schema::kKindAttribute, where);
  }
  if (kind != schema::kKindRun && kind != schema::kKindSweep) {
    fail(where, "attribute 'kind' of / is " + quoted(kind) + ", expected 'run' or 'sweep'");
  }
  return kind;
}

/// Reads /summary if present, after checking that its presence matches `kind`.
Table read_summary_of_kind(hid_t root, const std::string& kind, const Where& where) {
  const bool has_summary = link_exists(root, schema::kSummaryDataset);
  if (kind == schema::kKindSweep && !has_summary) {
    fail(where,
         std::string("missing dataset ") + schema::kSummaryPath + " (the file's kind is 'sweep')");
  }
  if (kind == schema::kKindRun && has_summary) {
    fail(where, std::string("unexpected ") + schema::kSummaryPath + " in a file of kind 'run'");
  }
  return has_summary ? read_summary(root, where) : Table{};
}

/// Reads everything below the root group of a checked reglab file.
ResultsFile read_contents(hid_t root, const ReadOptions& options, const Where& where) {
  const char* root_path = schema::kRootPath;
  ResultsFile results;
  results.reglab_version =
      read_string_attribute(root, root_path, schema::kReglabVersionAttribute, where);
  results.created_utc = read_string_attribute(root, root_path, schema::kCreatedUtcAttribute, where);
  results.config_yaml = read_string_attribute(root, root_path, schema::kConfigAttribute, where);
  const std::string kind = read_kind(root, where);
  results.attributes = further_attributes(root, root_path, schema::kRootFixedAttributes, where);
  if (options.runs) {
    Handle runs = open_object(root, schema::kRunsGroup, schema::kRunsPath, H5I_GROUP, where);
    for (const std::string& run_id : link_names(runs.get(), schema::kRunsPath, where)) {
      results.runs.push_back(read_run(runs.get(), run_id, options.weights, where));
    }
  }
  results.summary = read_summary_of_kind(root, kind, where);
  return results;
}

}  // namespace

ResultsFile read_results(const std::string& path, const ReadOptions& options) {
  const Where where{path, "cannot read results"};
  const QuietHdf5Errors quiet;
  check_hdf5_file(path, where);
  Handle file = make(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, where,
                     "cannot open the file");
  Handle root = make(H5Gopen2(file.get(), schema::kRootPath, H5P_DEFAULT), H5Gclose, where,
                     "cannot open the root group");
  check_format(root.get(), path, where);
  return read_contents(root.get(), options, where);
}

}  // namespace reglab::storage
