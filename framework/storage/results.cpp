/// HDF5 results files, written and read with the HDF5 C API. See results.hpp for the schema.
#include "framework/storage/results.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include "framework/core/error.hpp"
#include "framework/storage/hdf5_support.hpp"

namespace reglab::storage {
namespace {

using namespace detail;

constexpr const char* kStorageOrder = "row-major (C)";
/// The axes of a 4-D kernel (conv2d), PyTorch's order: attribute `layout` of its dataset.
constexpr const char* kConvKernelLayout = "out_channels, in_channels, kh, kw";
/// Attributes of a run group that are not RunRecord::attributes.
constexpr const char* kRunFixedAttributes[] = {"name", "config", "seed", "status"};
/// Attributes of the root group that are not ResultsFile::attributes.
constexpr const char* kRootFixedAttributes[] = {"format",      "format_version", "reglab_version",
                                                "created_utc", "config",         "kind"};
constexpr const char* kKindRun = "run";
constexpr const char* kKindSweep = "sweep";
constexpr const char* kSummaryPath = "/summary";
/// Bytes per column in the in-memory rows of the summary table (one double, int64 or char*).
constexpr std::size_t kSlot = 8;
static_assert(sizeof(double) == kSlot && sizeof(std::int64_t) == kSlot &&
                  sizeof(const char*) <= kSlot,
              "summary rows hold one 8-byte slot per column");

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing

std::string join(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// ---------------------------------------------------------------------------------------------
// Validation (before anything is created)

/// HDF5 link names used here: non-empty, no '/', not "." (the group itself), no NUL.
void check_name(const Where& where, const std::string& kind, const std::string& name,
                const std::string& context) {
  std::string problem;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.find('/') != std::string::npos) {
    problem = "contains '/'";
  } else if (name == ".") {
    problem = "is '.'";
  } else if (name.find('\0') != std::string::npos) {
    problem = "contains a NUL character";
  }
  if (!problem.empty()) {
    fail(where, kind + " " + quoted(name) + context + " " + problem +
                    " (names must be non-empty and must not contain '/')");
  }
}

/// Strings are stored as NUL-terminated variable-length strings: an embedded NUL would silently
/// truncate them, so it is refused.
void check_text(const Where& where, const std::string& what, const std::string& text) {
  if (text.find('\0') != std::string::npos) fail(where, what + " contains a NUL character");
}

const char* type_name(Column::Type type) {
  switch (type) {
    case Column::Type::kFloat64:
      return "float64";
    case Column::Type::kInt64:
      return "int64";
    case Column::Type::kString:
      return "string";
  }
  return "of an unknown type";
}

void validate_summary(const Where& where, const Table& table) {
  std::set<std::string> names;
  for (const Column& column : table.columns) {
    check_name(where, "summary column", column.name, "");
    if (!names.insert(column.name).second) {
      fail(where, "duplicate summary column " + quoted(column.name));
    }
    const std::string what = "summary column " + quoted(column.name);
    const Column::Type type = column.type;
    if (type != Column::Type::kFloat64 && type != Column::Type::kInt64 &&
        type != Column::Type::kString) {
      fail(where, what + " has an unknown type");
    }
    if ((type != Column::Type::kFloat64 && !column.f64.empty()) ||
        (type != Column::Type::kInt64 && !column.i64.empty()) ||
        (type != Column::Type::kString && !column.str.empty())) {
      fail(where, what + " is " + type_name(type) +
                      " but has values in another vector (fill only the one selected by `type`)");
    }
    if (column.size() != table.rows()) {
      fail(where, what + " has " + std::to_string(column.size()) + " values but " +
                      quoted(table.columns.front().name) + " has " + std::to_string(table.rows()) +
                      " (all columns need one value per row)");
    }
    for (std::size_t row = 0; row < column.str.size(); ++row) {
      check_text(where, what + " row " + std::to_string(row), column.str[row]);
    }
  }
}

void validate(const Where& where, const ResultsFile& results) {
  check_text(where, "reglab_version", results.reglab_version);
  check_text(where, "created_utc", results.created_utc);
  check_text(where, "the configuration", results.config_yaml);
  std::set<std::string> root_attributes(std::begin(kRootFixedAttributes),
                                        std::end(kRootFixedAttributes));
  for (const auto& [key, value] : results.attributes) {
    check_name(where, "attribute", key, " of the root group");
    if (!root_attributes.insert(key).second) {
      fail(where, "attribute " + quoted(key) +
                      " of the root group is duplicated or reserved (format, format_version, "
                      "reglab_version, created_utc, config and kind are set by write_results)");
    }
    check_text(where, "attribute " + quoted(key) + " of the root group", value);
  }
  validate_summary(where, results.summary);
  std::set<std::string> run_ids;
  for (const RunRecord& run : results.runs) {
    check_name(where, "run id", run.run_id, "");
    if (!run_ids.insert(run.run_id).second) fail(where, "duplicate run id " + quoted(run.run_id));
    const std::string in_run = " of run " + quoted(run.run_id);
    check_text(where, "the name" + in_run, run.name);
    check_text(where, "the configuration" + in_run, run.config_yaml);
    check_text(where, "the status" + in_run, run.status);

    std::set<std::string> attribute_names(std::begin(kRunFixedAttributes),
                                          std::end(kRunFixedAttributes));
    for (const auto& [key, value] : run.attributes) {
      check_name(where, "attribute", key, in_run);
      if (!attribute_names.insert(key).second) {
        fail(where, "attribute " + quoted(key) + in_run +
                        " is duplicated or reserved (name, config, seed and status are set from "
                        "the RunRecord fields)");
      }
      check_text(where, "attribute " + quoted(key) + in_run, value);
    }

    std::set<std::string> metrics;
    bool has_epoch = false;
    for (const auto& [metric, values] : run.curves) {
      check_name(where, "curve", metric, in_run);
      if (!metrics.insert(metric).second) fail(where, "duplicate curve " + quoted(metric) + in_run);
      if (metric == "epoch") has_epoch = true;
      if (values.size() != run.curves.front().second.size()) {
        fail(where, "curve " + quoted(metric) + in_run + " has " + std::to_string(values.size()) +
                        " values but " + quoted(run.curves.front().first) + " has " +
                        std::to_string(run.curves.front().second.size()) +
                        " (all curves of a run must have one value per epoch)");
      }
    }
    if (!has_epoch) fail(where, "run " + quoted(run.run_id) + " has no 'epoch' curve");
    std::set<std::string> step_metrics;
    bool has_step = run.step_curves.empty();
    for (const auto& [metric, values] : run.step_curves) {
      check_name(where, "step curve", metric, in_run);
      if (!step_metrics.insert(metric).second) {
        fail(where, "duplicate step curve " + quoted(metric) + in_run);
      }
      if (metric == "step") has_step = true;
      if (values.size() != run.step_curves.front().second.size()) {
        fail(where, "step curve " + quoted(metric) + in_run + " has " +
                        std::to_string(values.size()) + " values but " +
                        quoted(run.step_curves.front().first) + " has " +
                        std::to_string(run.step_curves.front().second.size()));
      }
    }
    if (!has_step) fail(where, "run " + quoted(run.run_id) + " has step curves but no 'step'");

    std::set<std::string> finished_layers;  // layers whose weights are complete
    std::set<std::string> params;
    std::string current_layer;
    for (const WeightTensor& w : run.weights) {
      check_name(where, "layer", w.layer, in_run);
      check_name(where, "parameter", w.param, " of layer " + quoted(w.layer) + in_run);
      if (w.layer != current_layer) {
        if (finished_layers.count(w.layer) != 0) {
          fail(where, "the weights of layer " + quoted(w.layer) + in_run +
                          " are not contiguous (list each layer's parameters together)");
        }
        if (!current_layer.empty()) finished_layers.insert(current_layer);
        current_layer = w.layer;
        params.clear();
      }
      if (!params.insert(w.param).second) {
        fail(where, "duplicate weight " + quoted(w.layer + "/" + w.param) + in_run);
      }
      std::size_t count = 1;
      for (std::size_t d : w.shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d) {
          fail(where, "weight " + quoted(w.layer + "/" + w.param) + in_run + " is too large");
        }
        count *= d;
      }
      if (count != w.data.size()) {
        fail(where, "weight " + quoted(w.layer + "/" + w.param) + in_run + " has " +
                        std::to_string(w.data.size()) + " values but its shape holds " +
                        std::to_string(count));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Group creation properties that record link and attribute creation order, so readers iterate
/// runs, curves, layers, parameters and run attributes in the order they were written.
Handle ordered_group_properties(const Where& where) {
  Handle gcpl = make(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, where, "cannot create properties");
  const unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  ok(H5Pset_link_creation_order(gcpl.get(), flags), where, "cannot track link order");
  ok(H5Pset_attr_creation_order(gcpl.get(), flags), where, "cannot track attribute order");
  return gcpl;
}

/// File creation properties that record the root group's link and attribute creation order.
Handle ordered_file_properties(const Where& where) {
  Handle fcpl = make(H5Pcreate(H5P_FILE_CREATE), H5Pclose, where, "cannot create properties");
  const unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  ok(H5Pset_link_creation_order(fcpl.get(), flags), where, "cannot track link order");
  ok(H5Pset_attr_creation_order(fcpl.get(), flags), where, "cannot track attribute order");
  return fcpl;
}

/// The variable-length UTF-8 string type, used in memory and in the file.
Handle vlen_string_type(const Where& where, const std::string& what) {
  Handle type = make(H5Tcopy(H5T_C_S1), H5Tclose, where, what);
  ok(H5Tset_size(type.get(), H5T_VARIABLE), where, what);
  ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, what);
  return type;
}

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

void write_run(hid_t runs, const RunRecord& run, hid_t gcpl, const Where& where) {
  const std::string run_path = "/runs/" + run.run_id;
  Handle group = create_group(runs, run.run_id, gcpl, where, run_path);
  write_string_attribute(group.get(), run_path, "name", run.name, where);
  write_string_attribute(group.get(), run_path, "config", run.config_yaml, where);
  write_scalar_attribute(group.get(), run_path, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &run.seed,
                         where);
  write_string_attribute(group.get(), run_path, "status", run.status, where);
  for (const auto& [key, value] : run.attributes) {
    write_string_attribute(group.get(), run_path, key, value, where);
  }

  const std::string curves_path = run_path + "/curves";
  Handle curves = create_group(group.get(), "curves", gcpl, where, curves_path);
  for (const auto& [metric, values] : run.curves) {
    write_dataset(curves.get(), metric, join(curves_path, metric),
                  {static_cast<hsize_t>(values.size())}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                  values.data(), values.size(), where);
  }

  if (!run.step_curves.empty()) {
    const std::string steps_path = run_path + "/step_curves";
    Handle steps = create_group(group.get(), "step_curves", gcpl, where, steps_path);
    for (const auto& [metric, values] : run.step_curves) {
      write_dataset(steps.get(), metric, join(steps_path, metric),
                    {static_cast<hsize_t>(values.size())}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                    values.data(), values.size(), where);
    }
  }

  const std::string weights_path = run_path + "/weights";
  Handle weights = create_group(group.get(), "weights", gcpl, where, weights_path);
  Handle layer;
  std::string layer_name;
  for (const WeightTensor& w : run.weights) {
    const std::string layer_path = join(weights_path, w.layer);
    if (layer.get() < 0 || w.layer != layer_name) {
      layer = create_group(weights.get(), w.layer, gcpl, where, layer_path);
      layer_name = w.layer;
    }
    const std::string param_path = join(layer_path, w.param);
    std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
    Handle dataset = write_dataset(layer.get(), w.param, param_path, dims, H5T_IEEE_F32LE,
                                   H5T_NATIVE_FLOAT, w.data.data(), w.data.size(), where);
    write_string_attribute(dataset.get(), param_path, "storage_order", kStorageOrder, where);
    if (w.param == "kernel" && w.shape.size() == 4) {
      write_string_attribute(dataset.get(), param_path, "layout", kConvKernelLayout, where);
    }
  }
}

/// Writes `table` as the 1-D compound dataset /summary: rows are laid out in memory with one
/// 8-byte slot per column (double, int64 or const char*), and HDF5 converts them to the packed
/// file type (F64LE, I64LE, variable-length UTF-8 strings).
void write_summary(hid_t root, const Table& table, const Where& where) {
  const std::string what = std::string("cannot write dataset ") + kSummaryPath;
  const std::size_t columns = table.columns.size();
  const std::size_t rows = table.rows();
  Handle string_type = vlen_string_type(where, what);
  Handle memory_type = make(H5Tcreate(H5T_COMPOUND, kSlot * columns), H5Tclose, where, what);
  Handle file_type = make(H5Tcreate(H5T_COMPOUND, kSlot * columns), H5Tclose, where, what);
  std::vector<std::uint64_t> buffer(rows * columns);
  for (std::size_t c = 0; c < columns; ++c) {
    const Column& column = table.columns[c];
    hid_t memory_member = string_type.get();
    hid_t file_member = string_type.get();
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
    if (column.type == Column::Type::kFloat64) {
      memory_member = H5T_NATIVE_DOUBLE;
      file_member = H5T_IEEE_F64LE;
    } else if (column.type == Column::Type::kInt64) {
      memory_member = H5T_NATIVE_INT64;
      file_member = H5T_STD_I64LE;
    }
    ok(H5Tinsert(memory_type.get(), column.name.c_str(), c * kSlot, memory_member), where, what);
    ok(H5Tinsert(file_type.get(), column.name.c_str(), c * kSlot, file_member), where, what);
  }
  // The file type is packed already; HDF5 resizes the string members to their on-disk form.
  const hsize_t dims[1] = {static_cast<hsize_t>(rows)};
  Handle space = make(H5Screate_simple(1, dims, nullptr), H5Sclose, where, what);
  Handle dataset = make(H5Dcreate2(root, "summary", file_type.get(), space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, where, what);
  if (rows > 0) {
    ok(H5Dwrite(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
       where, what);
  }
  ok(dataset.close(), where, what);
}

/// Builds the whole file in memory (HDF5 core driver, no backing store) and returns its image.
///
/// HDF5 itself never writes to disk: with HDF5 1.10.8, a write error inside the library (disk
/// full, EFBIG) makes H5Fclose fail and leaves a half-closed file that crashes the process when
/// the library shuts down at exit. Writing the image with plain POSIX calls keeps every I/O
/// error an ordinary StorageError. The cost is memory: about twice the file size at the peak.
std::vector<char> build_image(const ResultsFile& results, const Where& where) {
  Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where, "cannot create properties");
  constexpr std::size_t kCoreIncrement = std::size_t{4} << 20;
  ok(H5Pset_fapl_core(fapl.get(), kCoreIncrement, false), where, "cannot select the core driver");
  // SEMI: H5Fclose fails (instead of silently deferring the close) if an object is still open.
  ok(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), where, "cannot set close degree");
  Handle fcpl = ordered_file_properties(where);
  // The name only identifies the in-memory file; nothing is created under it.
  Handle file =
      make(H5Fcreate("reglab-results-in-memory.h5", H5F_ACC_TRUNC, fcpl.get(), fapl.get()),
           H5Fclose, where, "cannot create the file in memory");
  {
    Handle root =
        make(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");
    write_string_attribute(root.get(), "/", "format", "reglab", where);
    write_scalar_attribute(root.get(), "/", "format_version", H5T_STD_I64LE, H5T_NATIVE_INT64,
                           &kFormatVersion, where);
    write_string_attribute(root.get(), "/", "reglab_version", results.reglab_version, where);
    write_string_attribute(root.get(), "/", "created_utc", results.created_utc, where);
    write_string_attribute(root.get(), "/", "config", results.config_yaml, where);
    write_string_attribute(root.get(), "/", "kind", results.kind(), where);
    for (const auto& [key, value] : results.attributes) {
      write_string_attribute(root.get(), "/", key, value, where);
    }

    Handle gcpl = ordered_group_properties(where);
    Handle runs = create_group(root.get(), "runs", gcpl.get(), where, "/runs");
    for (const RunRecord& run : results.runs) write_run(runs.get(), run, gcpl.get(), where);
    if (!results.summary.empty()) write_summary(root.get(), results.summary, where);
  }
  ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), where, "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size < 0) fail_hdf5(where, "cannot get the file image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file.get(), image.data(), image.size()) != size) {
    fail_hdf5(where, "cannot get the file image");
  }
  ok(file.close(), where, "cannot close the file in memory");
  return image;
}

// ---------------------------------------------------------------------------------------------
// Reading

bool link_exists(hid_t group, const std::string& name) {
  return H5Lexists(group, name.c_str(), H5P_DEFAULT) > 0;
}

/// Opens `parent`/`name` and checks that it is an object of `type` (H5I_GROUP or H5I_DATASET).
Handle open_object(hid_t parent, const std::string& name, const std::string& path, H5I_type_t type,
                   const Where& where) {
  const char* kind = type == H5I_GROUP ? "group" : "dataset";
  if (!link_exists(parent, name)) fail(where, std::string("missing ") + kind + " " + path);
  Handle object =
      make(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose, where, "cannot open " + path);
  if (H5Iget_type(object.get()) != type) fail(where, path + " is not a " + kind);
  return object;
}

/// Link names of `group` in creation order if it was recorded, else in name order.
std::vector<std::string> link_names(hid_t group, const std::string& path, const Where& where) {
  const std::string what = "cannot list " + path;
  Handle gcpl = make(H5Gget_create_plist(group), H5Pclose, where, what);
  unsigned flags = 0;
  ok(H5Pget_link_creation_order(gcpl.get(), &flags), where, what);
  const H5_index_t index =
      (flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  H5G_info_t info{};
  ok(H5Gget_info(group, &info), where, what);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) fail_hdf5(where, what);
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    if (H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size(),
                           H5P_DEFAULT) < 0) {
      fail_hdf5(where, what);
    }
    name.resize(static_cast<std::size_t>(size));
    names.push_back(std::move(name));
  }
  return names;
}

extern "C" herr_t collect_attribute(hid_t /*location*/, const char* name,
                                    const H5A_info_t* /*info*/, void* data) {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  } catch (...) {
    return -1;
  }
}

/// Attribute names of a group in creation order if it was recorded, else in name order.
std::vector<std::string> attribute_names(hid_t group, const std::string& path, const Where& where) {
  const std::string what = "cannot list the attributes of " + path;
  Handle gcpl = make(H5Gget_create_plist(group), H5Pclose, where, what);
  unsigned flags = 0;
  ok(H5Pget_attr_creation_order(gcpl.get(), &flags), where, what);
  const H5_index_t index =
      (flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> names;
  hsize_t position = 0;
  ok(H5Aiterate2(group, index, H5_ITER_INC, &position, collect_attribute, &names), where, what);
  return names;
}

/// Opens attribute `name` of `object` and checks that it holds one value.
Handle open_attribute(hid_t object, const std::string& object_path, const std::string& name,
                      const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0) fail_hdf5(where, "cannot look up " + what);
  if (exists == 0) fail(where, "missing " + what);
  Handle attribute =
      make(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, where, "cannot open " + what);
  Handle space = make(H5Aget_space(attribute.get()), H5Sclose, where, "cannot read " + what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) fail(where, what + " is not a scalar");
  return attribute;
}

std::string read_string_attribute(hid_t object, const std::string& object_path,
                                  const std::string& name, const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  Handle attribute = open_attribute(object, object_path, name, where);
  Handle file_type = make(H5Aget_type(attribute.get()), H5Tclose, where, "cannot read " + what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) fail(where, what + " is not a string");
  Handle memory_type = make(H5Tcopy(file_type.get()), H5Tclose, where, "cannot read " + what);
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) fail_hdf5(where, "cannot read " + what);
  if (variable > 0) {
    char* text = nullptr;
    ok(H5Aread(attribute.get(), memory_type.get(), &text), where, "cannot read " + what);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  // Fixed-length strings (not written by reglab, but accepted): strip the padding.
  const std::size_t size = H5Tget_size(file_type.get());
  std::string value(size, '\0');
  if (size > 0) {
    ok(H5Aread(attribute.get(), memory_type.get(), value.data()), where, "cannot read " + what);
  }
  if (H5Tget_strpad(file_type.get()) == H5T_STR_SPACEPAD) {
    const std::size_t end = value.find_last_not_of(' ');
    value.resize(end == std::string::npos ? 0 : end + 1);
  } else {
    value.resize(std::min(value.size(), value.find('\0')));
  }
  return value;
}

/// Reads an integer attribute, converted by HDF5 to `memory_type`.
template <typename T>
T read_integer_attribute(hid_t object, const std::string& object_path, const std::string& name,
                         hid_t memory_type, const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  Handle attribute = open_attribute(object, object_path, name, where);
  Handle file_type = make(H5Aget_type(attribute.get()), H5Tclose, where, "cannot read " + what);
  if (H5Tget_class(file_type.get()) != H5T_INTEGER) fail(where, what + " is not an integer");
  T value{};
  ok(H5Aread(attribute.get(), memory_type, &value), where, "cannot read " + what);
  return value;
}

/// Reads a floating-point dataset into `out` (converted to `memory_type`); returns its shape.
template <typename T>
std::vector<std::size_t> read_float_dataset(hid_t dataset, const std::string& path,
                                            hid_t memory_type, std::vector<T>& out,
                                            const Where& where) {
  const std::string what = "cannot read dataset " + path;
  Handle type = make(H5Dget_type(dataset), H5Tclose, where, what);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(where, path + " is not a floating-point array");
  Handle space = make(H5Dget_space(dataset), H5Sclose, where, what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(where, what);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail_hdf5(where, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) fail_hdf5(where, what);
  out.assign(static_cast<std::size_t>(count), T{});
  if (count > 0) {
    ok(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where, what);
  }
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

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

/// Reads /summary: a 1-D compound dataset whose members are floating-point (read as float64),
/// integers that fit in int64, or variable-length strings.
Table read_summary(hid_t root, const Where& where) {
  const std::string path = kSummaryPath;
  const std::string what = "cannot read dataset " + path;
  Handle dataset = open_object(root, "summary", path, H5I_DATASET, where);
  Handle file_type = make(H5Dget_type(dataset.get()), H5Tclose, where, what);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND) {
    fail(where, path + " is not a compound dataset (a table)");
  }
  Handle space = make(H5Dget_space(dataset.get()), H5Sclose, where, what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(where, what);
  if (rank != 1) fail(where, path + " is not one-dimensional");
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) fail_hdf5(where, what);
  const int members = H5Tget_nmembers(file_type.get());
  if (members < 0) fail_hdf5(where, what);
  if (members == 0) fail(where, path + " has no columns");
  const auto columns = static_cast<std::size_t>(members);
  const auto rows = static_cast<std::size_t>(dims[0]);

  Table table;
  Handle string_type = vlen_string_type(where, what);
  Handle memory_type = make(H5Tcreate(H5T_COMPOUND, kSlot * columns), H5Tclose, where, what);
  for (std::size_t c = 0; c < columns; ++c) {
    const auto index = static_cast<unsigned>(c);
    char* raw_name = H5Tget_member_name(file_type.get(), index);
    if (raw_name == nullptr) fail_hdf5(where, what);
    Column column;
    column.name = raw_name;
    H5free_memory(raw_name);
    const std::string member = "column " + quoted(column.name) + " of " + path;
    Handle member_type = make(H5Tget_member_type(file_type.get(), index), H5Tclose, where, what);
    hid_t memory_member = string_type.get();
    switch (H5Tget_class(member_type.get())) {
      case H5T_FLOAT:
        column.type = Column::Type::kFloat64;
        memory_member = H5T_NATIVE_DOUBLE;
        break;
      case H5T_INTEGER:
        if (H5Tget_sign(member_type.get()) == H5T_SGN_NONE &&
            H5Tget_size(member_type.get()) >= sizeof(std::int64_t)) {
          fail(where, member + " is an unsigned 64-bit integer (int64 is expected)");
        }
        column.type = Column::Type::kInt64;
        memory_member = H5T_NATIVE_INT64;
        break;
      case H5T_STRING:
        if (H5Tis_variable_str(member_type.get()) <= 0) {
          fail(where, member + " is not a variable-length string");
        }
        column.type = Column::Type::kString;
        break;
      default:
        fail(where, member + " is not a float, integer or string");
    }
    ok(H5Tinsert(memory_type.get(), column.name.c_str(), c * kSlot, memory_member), where, what);
    table.columns.push_back(std::move(column));
  }

  std::vector<std::uint64_t> buffer(rows * columns, 0);
  SummaryStrings strings(buffer, columns);
  for (std::size_t c = 0; c < columns; ++c) {
    if (table.columns[c].type == Column::Type::kString) strings.add(c);
  }
  if (rows > 0) {
    ok(H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
       where, what);
  }
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
  return table;
}

RunRecord read_run(hid_t runs, const std::string& run_id, const Where& where) {
  RunRecord run;
  run.run_id = run_id;
  const std::string run_path = "/runs/" + run_id;
  Handle group = open_object(runs, run_id, run_path, H5I_GROUP, where);
  run.name = read_string_attribute(group.get(), run_path, "name", where);
  run.config_yaml = read_string_attribute(group.get(), run_path, "config", where);
  run.seed = read_integer_attribute<std::uint64_t>(group.get(), run_path, "seed", H5T_NATIVE_UINT64,
                                                   where);
  run.status = read_string_attribute(group.get(), run_path, "status", where);
  const std::set<std::string> fixed(std::begin(kRunFixedAttributes), std::end(kRunFixedAttributes));
  for (const std::string& key : attribute_names(group.get(), run_path, where)) {
    if (fixed.count(key) != 0) continue;
    run.attributes.emplace_back(key, read_string_attribute(group.get(), run_path, key, where));
  }

  const std::string curves_path = run_path + "/curves";
  Handle curves = open_object(group.get(), "curves", curves_path, H5I_GROUP, where);
  for (const std::string& metric : link_names(curves.get(), curves_path, where)) {
    const std::string path = join(curves_path, metric);
    Handle dataset = open_object(curves.get(), metric, path, H5I_DATASET, where);
    std::vector<double> values;
    if (read_float_dataset(dataset.get(), path, H5T_NATIVE_DOUBLE, values, where).size() != 1) {
      fail(where, path + " is not one-dimensional");
    }
    if (!run.curves.empty() && values.size() != run.curves.front().second.size()) {
      fail(where, path + " has " + std::to_string(values.size()) + " values but " +
                      join(curves_path, run.curves.front().first) + " has " +
                      std::to_string(run.curves.front().second.size()));
    }
    run.curves.emplace_back(metric, std::move(values));
  }
  bool has_epoch = false;
  for (const auto& curve : run.curves) has_epoch = has_epoch || curve.first == "epoch";
  if (!has_epoch) fail(where, "missing dataset " + curves_path + "/epoch");

  if (H5Lexists(group.get(), "step_curves", H5P_DEFAULT) > 0) {
    const std::string steps_path = run_path + "/step_curves";
    Handle steps = open_object(group.get(), "step_curves", steps_path, H5I_GROUP, where);
    for (const std::string& metric : link_names(steps.get(), steps_path, where)) {
      const std::string path = join(steps_path, metric);
      Handle dataset = open_object(steps.get(), metric, path, H5I_DATASET, where);
      std::vector<double> values;
      if (read_float_dataset(dataset.get(), path, H5T_NATIVE_DOUBLE, values, where).size() != 1) {
        fail(where, path + " is not one-dimensional");
      }
      run.step_curves.emplace_back(metric, std::move(values));
    }
  }

  const std::string weights_path = run_path + "/weights";
  Handle weights = open_object(group.get(), "weights", weights_path, H5I_GROUP, where);
  for (const std::string& layer_name : link_names(weights.get(), weights_path, where)) {
    const std::string layer_path = join(weights_path, layer_name);
    Handle layer = open_object(weights.get(), layer_name, layer_path, H5I_GROUP, where);
    for (const std::string& param : link_names(layer.get(), layer_path, where)) {
      const std::string path = join(layer_path, param);
      Handle dataset = open_object(layer.get(), param, path, H5I_DATASET, where);
      WeightTensor w;
      w.layer = layer_name;
      w.param = param;
      w.shape = read_float_dataset(dataset.get(), path, H5T_NATIVE_FLOAT, w.data, where);
      run.weights.push_back(std::move(w));
    }
  }
  return run;
}

}  // namespace

std::size_t Column::size() const {
  switch (type) {
    case Type::kFloat64:
      return f64.size();
    case Type::kInt64:
      return i64.size();
    case Type::kString:
      return str.size();
  }
  return 0;
}

std::size_t Table::rows() const { return columns.empty() ? 0 : columns.front().size(); }

bool Table::empty() const { return columns.empty(); }

std::string ResultsFile::kind() const { return summary.empty() ? kKindRun : kKindSweep; }

void write_results(const std::string& path, const ResultsFile& results, bool overwrite) {
  const Where where{path, "cannot write results"};
  validate(where, results);
  if (!overwrite && path_exists(path)) refuse_overwrite(path);

  std::vector<char> image;
  {
    const QuietHdf5Errors quiet;
    image = build_image(results, where);
  }
  publish_bytes(path, image.data(), image.size(), overwrite, where);
}

ResultsFile read_results(const std::string& path) {
  const Where where{path, "cannot read results"};
  const QuietHdf5Errors quiet;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int err = errno;
    fail_errno(where, "cannot open the file", err);
  }
  if (S_ISDIR(info.st_mode)) fail(where, "it is a directory");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) fail_hdf5(where, "cannot open the file");
  if (is_hdf5 == 0)
    throw StorageError(path + " is not an HDF5 file (so not a reglab results file)");

  Handle file = make(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, where,
                     "cannot open the file");
  Handle root =
      make(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");
  const htri_t has_format = H5Aexists(root.get(), "format");
  if (has_format < 0) fail_hdf5(where, "cannot look up attribute 'format'");
  if (has_format == 0) {
    throw StorageError(path + " is not a reglab results file (no 'format' attribute)");
  }
  const std::string format = read_string_attribute(root.get(), "/", "format", where);
  if (format != "reglab") {
    throw StorageError(path + " is not a reglab results file (format is " + quoted(format) +
                       ", not 'reglab')");
  }
  const auto version = read_integer_attribute<std::int64_t>(root.get(), "/", "format_version",
                                                            H5T_NATIVE_INT64, where);
  if (version > kFormatVersion) {
    throw StorageError(path + " was written by a newer reglab (format_version " +
                       std::to_string(version) + "; this build reads format_version " +
                       std::to_string(kFormatVersion) + " and older)");
  }
  if (version < 1) fail(where, "invalid format_version " + std::to_string(version));

  ResultsFile results;
  results.reglab_version = read_string_attribute(root.get(), "/", "reglab_version", where);
  results.created_utc = read_string_attribute(root.get(), "/", "created_utc", where);
  results.config_yaml = read_string_attribute(root.get(), "/", "config", where);
  // Files written before `kind` existed are run files.
  std::string kind = kKindRun;
  const htri_t has_kind = H5Aexists(root.get(), "kind");
  if (has_kind < 0) fail_hdf5(where, "cannot look up attribute 'kind'");
  if (has_kind > 0) kind = read_string_attribute(root.get(), "/", "kind", where);
  if (kind != kKindRun && kind != kKindSweep) {
    fail(where, "attribute 'kind' of / is " + quoted(kind) + ", expected 'run' or 'sweep'");
  }
  const std::set<std::string> fixed(std::begin(kRootFixedAttributes),
                                    std::end(kRootFixedAttributes));
  for (const std::string& key : attribute_names(root.get(), "/", where)) {
    if (fixed.count(key) != 0) continue;
    results.attributes.emplace_back(key, read_string_attribute(root.get(), "/", key, where));
  }
  Handle runs = open_object(root.get(), "runs", "/runs", H5I_GROUP, where);
  for (const std::string& run_id : link_names(runs.get(), "/runs", where)) {
    results.runs.push_back(read_run(runs.get(), run_id, where));
  }
  const bool has_summary = link_exists(root.get(), "summary");
  if (kind == kKindSweep && !has_summary) {
    fail(where, std::string("missing dataset ") + kSummaryPath + " (the file's kind is 'sweep')");
  }
  if (kind == kKindRun && has_summary) {
    fail(where, std::string("unexpected ") + kSummaryPath + " in a file of kind 'run'");
  }
  if (has_summary) results.summary = read_summary(root.get(), where);
  return results;
}

}  // namespace reglab::storage
