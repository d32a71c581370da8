/// write_results: validates a ResultsFile, builds the HDF5 file in memory (a run's group, its
/// attributes, curves, step curves and weights; the root attributes; the /summary table) and
/// publishes the image atomically. The schema is in schema.hpp.
#include <hdf5.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "framework/storage/hdf5_support.hpp"
#include "framework/storage/results.hpp"
#include "framework/storage/results_internal.hpp"
#include "framework/storage/schema.hpp"

namespace reglab::storage::detail {
namespace {
using Curves = std::vector<std::pair<std::string, std::vector<double>>>;

/// Makes `plist` (group or file creation properties) record link and attribute creation order,
/// so readers iterate runs, curves, layers, parameters and attributes in the written order.
void track_creation_order(hid_t plist, const Where& where) {
  const unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  ok(H5Pset_link_creation_order(plist, flags), where, "cannot track link order");
  ok(H5Pset_attr_creation_order(plist, flags), where, "cannot track attribute order");
}

}  // namespace

Handle ordered_group_properties(const Where& where) {
  Handle gcpl = make(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, where, "cannot create properties");
  track_creation_order(gcpl.get(), where);
  return gcpl;
}

Handle ordered_file_properties(const Where& where) {
  Handle fcpl = make(H5Pcreate(H5P_FILE_CREATE), H5Pclose, where, "cannot create properties");
  track_creation_order(fcpl.get(), where);
  return fcpl;
}

namespace {

Handle create_group(hid_t parent, const std::string& name, hid_t gcpl, const Where& where,
                    const std::string& path) {
  return make(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, where,
              "cannot create group " + path);
}

void write_string_attribute(hid_t object, const std::string& object_path, const std::string& name,
                            const std::string& value, const Where& where) {
  const std::string what = "cannot write attribute " + quoted(name) + " of " + object_path;
  Handle type = vlen_string_type(where, what);
  Handle space = make(H5Screate(H5S_SCALAR), H5Sclose, where, what);
  Handle attribute =
      make(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose, where, what);
  const char* text = value.c_str();
  ok(H5Awrite(attribute.get(), type.get(), &text), where, what);
  ok(attribute.close(), where, what);
}

void write_scalar_attribute(hid_t object, const std::string& object_path, const char* name,
                            hid_t file_type, hid_t memory_type, const void* value,
                            const Where& where) {
  const std::string what = std::string("cannot write attribute '") + name + "' of " + object_path;
  Handle space = make(H5Screate(H5S_SCALAR), H5Sclose, where, what);
  Handle attribute =
      make(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           where, what);
  ok(H5Awrite(attribute.get(), memory_type, value), where, what);
  ok(attribute.close(), where, what);
}

/// Creates a contiguous dataset of `dims` (rank 0: scalar) and writes `data` into it.
Handle write_dataset(hid_t parent, const std::string& name, const std::string& path,
                     const std::vector<hsize_t>& dims, hid_t file_type, hid_t memory_type,
                     const void* data, std::size_t count, const Where& where) {
  const std::string what = "cannot write dataset " + path;
  Handle space = dims.empty()
                     ? make(H5Screate(H5S_SCALAR), H5Sclose, where, what)
                     : make(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                            H5Sclose, where, what);
  Handle dataset = make(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, where, what);
  if (count > 0) {
    ok(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where, what);
  }
  return dataset;
}

/// The fixed attributes of a run group (name, config, seed, status), then its further ones.
void write_run_attributes(hid_t group, const std::string& run_path, const RunRecord& run,
                          const Where& where) {
  write_string_attribute(group, run_path, schema::kNameAttribute, run.name, where);
  write_string_attribute(group, run_path, schema::kConfigAttribute, run.config_yaml, where);
  write_scalar_attribute(group, run_path, schema::kSeedAttribute, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                         &run.seed, where);
  write_string_attribute(group, run_path, schema::kStatusAttribute, run.status, where);
  for (const auto& [key, value] : run.attributes) {
    write_string_attribute(group, run_path, key, value, where);
  }
}

/// Writes `curves` as 1-D float64 datasets in a new group `name` of the run group.
void write_curves(hid_t run_group, const std::string& run_path, const char* name,
                  const Curves& curves, hid_t gcpl, const Where& where) {
  const std::string group_path = child_path(run_path, name);
  Handle group = create_group(run_group, name, gcpl, where, group_path);
  for (const auto& [metric, values] : curves) {
    write_dataset(group.get(), metric, child_path(group_path, metric),
                  {static_cast<hsize_t>(values.size())}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                  values.data(), values.size(), where);
  }
}

/// Writes one weight tensor as a float32 dataset of its shape, with its storage attributes.
void write_weight(hid_t layer, const std::string& layer_path, const WeightTensor& w,
                  const Where& where) {
  const std::string param_path = child_path(layer_path, w.param);
  std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
  Handle dataset = write_dataset(layer, w.param, param_path, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                                 w.data.data(), w.data.size(), where);
  write_string_attribute(dataset.get(), param_path, schema::kStorageOrderAttribute,
                         schema::kRowMajor, where);
  if (w.param == schema::kKernelParam && w.shape.size() == 4) {
    write_string_attribute(dataset.get(), param_path, schema::kLayoutAttribute,
                           schema::kConvKernelLayout, where);
  }
}

/// Writes weights/<layer>/<param>, one layer group per run of equal `layer` names (validation
/// made each layer's parameters contiguous).
void write_weights(hid_t run_group, const std::string& run_path, const RunRecord& run, hid_t gcpl,
                   const Where& where) {
  const std::string weights_path = child_path(run_path, schema::kWeightsGroup);
  Handle weights = create_group(run_group, schema::kWeightsGroup, gcpl, where, weights_path);
  Handle layer;
  std::string layer_name;
  for (const WeightTensor& w : run.weights) {
    const std::string layer_path = child_path(weights_path, w.layer);
    if (layer.get() < 0 || w.layer != layer_name) {
      layer = create_group(weights.get(), w.layer, gcpl, where, layer_path);
      layer_name = w.layer;
    }
    write_weight(layer.get(), layer_path, w, where);
  }
}

}  // namespace

void write_run(hid_t runs, const RunRecord& run, hid_t gcpl, const Where& where) {
  const std::string run_path = child_path(schema::kRunsPath, run.run_id);
  Handle group = create_group(runs, run.run_id, gcpl, where, run_path);
  write_run_attributes(group.get(), run_path, run, where);
  write_curves(group.get(), run_path, schema::kCurvesGroup, run.curves, gcpl, where);
  if (!run.step_curves.empty()) {
    write_curves(group.get(), run_path, schema::kStepCurvesGroup, run.step_curves, gcpl, where);
  }
  write_weights(group.get(), run_path, run, gcpl, where);
}

namespace {

/// The summary rows in memory: row-major, one 8-byte slot per column holding a double, an
/// int64 or a `const char*` into `table` (which must outlive the buffer).
std::vector<std::uint64_t> summary_rows(const Table& table) {
  const std::size_t columns = table.columns.size();
  const std::size_t rows = table.rows();
  std::vector<std::uint64_t> buffer(rows * columns);
  for (std::size_t c = 0; c < columns; ++c) {
    const Column& column = table.columns[c];
    for (std::size_t r = 0; r < rows; ++r) {
      std::uint64_t* slot = &buffer[r * columns + c];
      if (column.type == Column::Type::kFloat64) {
        std::memcpy(slot, &column.f64[r], sizeof(double));
      } else if (column.type == Column::Type::kInt64) {
        std::memcpy(slot, &column.i64[r], sizeof(std::int64_t));
      } else {
        const char* text = column.str[r].c_str();
        std::memcpy(slot, &text, sizeof text);
      }
    }
  }
  return buffer;
}

/// Adds one member per column to the memory and file compound types of the summary.
void insert_summary_members(const Table& table, hid_t memory_type, hid_t file_type,
                            hid_t string_type, const Where& where, const std::string& what) {
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const Column& column = table.columns[c];
    hid_t memory_member = string_type;
    hid_t file_member = string_type;
    if (column.type == Column::Type::kFloat64) {
      memory_member = H5T_NATIVE_DOUBLE;
      file_member = H5T_IEEE_F64LE;
    } else if (column.type == Column::Type::kInt64) {
      memory_member = H5T_NATIVE_INT64;
      file_member = H5T_STD_I64LE;
    }
    const std::size_t offset = c * kSummarySlot;
    ok(H5Tinsert(memory_type, column.name.c_str(), offset, memory_member), where, what);
    ok(H5Tinsert(file_type, column.name.c_str(), offset, file_member), where, what);
  }
}

}  // namespace

/// Writes `table` as the 1-D compound dataset /summary: rows are laid out in memory with one
/// 8-byte slot per column (double, int64 or const char*), and HDF5 converts them to the packed
/// file type (F64LE, I64LE, variable-length UTF-8 strings).
void write_summary(hid_t root, const Table& table, const Where& where) {
  const std::string what = std::string("cannot write dataset ") + schema::kSummaryPath;
  const std::size_t columns = table.columns.size();
  const std::size_t rows = table.rows();
  Handle string_type = vlen_string_type(where, what);
  Handle memory_type = make(H5Tcreate(H5T_COMPOUND, kSummarySlot * columns), H5Tclose, where, what);
  Handle file_type = make(H5Tcreate(H5T_COMPOUND, kSummarySlot * columns), H5Tclose, where, what);
  const std::vector<std::uint64_t> buffer = summary_rows(table);
  insert_summary_members(table, memory_type.get(), file_type.get(), string_type.get(), where, what);
  // The file type is packed already; HDF5 resizes the string members to their on-disk form.
  const hsize_t dims[1] = {static_cast<hsize_t>(rows)};
  Handle space = make(H5Screate_simple(1, dims, nullptr), H5Sclose, where, what);
  Handle dataset = make(H5Dcreate2(root, schema::kSummaryDataset, file_type.get(), space.get(),
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, where, what);
  if (rows > 0) {
    ok(H5Dwrite(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
       where, what);
  }
  ok(dataset.close(), where, what);
}

/// The root group's fixed attributes (format, format_version, reglab_version, created_utc,
/// config, kind), then its further ones.
void write_root_attributes(hid_t root, const ResultsFile& results, const std::string& kind,
                           const Where& where) {
  const char* path = schema::kRootPath;
  write_string_attribute(root, path, schema::kFormatAttribute, schema::kFormatName, where);
  write_scalar_attribute(root, path, schema::kFormatVersionAttribute, H5T_STD_I64LE,
                         H5T_NATIVE_INT64, &kFormatVersion, where);
  write_string_attribute(root, path, schema::kReglabVersionAttribute, results.reglab_version,
                         where);
  write_string_attribute(root, path, schema::kCreatedUtcAttribute, results.created_utc, where);
  write_string_attribute(root, path, schema::kConfigAttribute, results.config_yaml, where);
  write_string_attribute(root, path, schema::kKindAttribute, kind, where);
  for (const auto& [key, value] : results.attributes) {
    write_string_attribute(root, path, key, value, where);
  }
}

namespace {

/// Writes the root attributes, /runs with every run, and /summary unless it is empty.
void write_contents(hid_t file, const ResultsFile& results, const Where& where) {
  Handle root = make(H5Gopen2(file, schema::kRootPath, H5P_DEFAULT), H5Gclose, where,
                     "cannot open the root group");
  write_root_attributes(root.get(), results, results.kind(), where);
  Handle gcpl = ordered_group_properties(where);
  Handle runs = create_group(root.get(), schema::kRunsGroup, gcpl.get(), where, schema::kRunsPath);
  for (const RunRecord& run : results.runs) write_run(runs.get(), run, gcpl.get(), where);
  if (!results.summary.empty()) write_summary(root.get(), results.summary, where);
}

/// File access properties of an in-memory file (core driver, no backing store).
Handle in_memory_file_access(const Where& where) {
  Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where, "cannot create properties");
  constexpr std::size_t kCoreIncrement = std::size_t{4} << 20;
  ok(H5Pset_fapl_core(fapl.get(), kCoreIncrement, false), where, "cannot select the core driver");
  // SEMI: H5Fclose fails (instead of silently deferring the close) if an object is still open.
  ok(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), where, "cannot set close degree");
  return fapl;
}

/// Flushes the in-memory `file` and copies out its image.
std::vector<char> file_image(hid_t file, const Where& where) {
  ok(H5Fflush(file, H5F_SCOPE_GLOBAL), where, "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size < 0) fail_hdf5(where, "cannot get the file image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size) {
    fail_hdf5(where, "cannot get the file image");
  }
  return image;
}

/// Builds the whole file in memory (HDF5 core driver, no backing store) and returns its image.
///
/// HDF5 itself never writes to disk: with HDF5 1.10.8, a write error inside the library (disk
/// full, EFBIG) makes H5Fclose fail and leaves a half-closed file that crashes the process when
/// the library shuts down at exit. Writing the image with plain POSIX calls keeps every I/O
/// error an ordinary StorageError. The cost is memory: about twice the file size at the peak.
std::vector<char> build_image(const ResultsFile& results, const Where& where) {
  Handle fapl = in_memory_file_access(where);
  Handle fcpl = ordered_file_properties(where);
  // The name only identifies the in-memory file; nothing is created under it.
  Handle file =
      make(H5Fcreate("reglab-results-in-memory.h5", H5F_ACC_TRUNC, fcpl.get(), fapl.get()),
           H5Fclose, where, "cannot create the file in memory");
  write_contents(file.get(), results, where);
  std::vector<char> image = file_image(file.get(), where);
  ok(file.close(), where, "cannot close the file in memory");
  return image;
}

}  // namespace
}  // namespace reglab::storage::detail

namespace reglab::storage {

void write_results(const std::string& path, const ResultsFile& results, bool overwrite) {
  const detail::Where where{path, "cannot write results"};
  detail::validate_results(where, results);
  if (!overwrite && path_exists(path)) refuse_overwrite(path);

  std::vector<char> image;
  {
    const detail::QuietHdf5Errors quiet;
    image = detail::build_image(results, where);
  }
  detail::publish_bytes(path, image.data(), image.size(), overwrite, where);
}

}  // namespace reglab::storage
