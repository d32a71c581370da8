/// Keras legacy weights and CSV exports (see export.hpp), with the HDF5 C API and POSIX calls.
#include "framework/storage/export.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "framework/core/csv.hpp"
#include "framework/core/error.hpp"
#include "framework/storage/hdf5_support.hpp"

namespace reglab::storage {
namespace {

namespace fs = std::filesystem;

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Keras layout

/// A parameter's Keras weight name (without the "<layer>/" prefix and ":0" suffix) and its
/// position in Keras' order (layer.trainable_weights + non_trainable_weights); unknown
/// parameters keep their name and sort after the known ones, in stored order.
std::pair<std::string, int> keras_name(const std::string& param) {
  static const std::pair<const char*, const char*> kKnown[] = {{"kernel", "kernel"},
                                                               {"bias", "bias"},
                                                               {"gamma", "gamma"},
                                                               {"beta", "beta"},
                                                               {"running_mean", "moving_mean"},
                                                               {"running_var", "moving_variance"}};
  int rank = 0;
  for (const auto& [ours, theirs] : kKnown) {
    if (param == ours) return {theirs, rank};
    ++rank;
  }
  return {param, rank};
}

struct KerasWeight {
  std::string name;  ///< "<layer>/<weight>:0"
  const WeightTensor* tensor;
};

struct KerasLayer {
  std::string name;
  std::vector<KerasWeight> weights;
};

void check_keras_name(const Where& t, const std::string& kind, const std::string& name) {
  std::string problem;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.find('/') != std::string::npos) {
    problem = "contains '/'";
  } else if (name == "." || name == "..") {
    problem = "is '" + name + "'";
  } else if (name.find('\0') != std::string::npos) {
    problem = "contains a NUL character";
  }
  if (!problem.empty()) fail(t, kind + " " + quoted(name) + " " + problem);
}

/// Refuses a run with weight-scaled dropout (`scaling: weight`, regularizers/dropout.hpp), whose
/// `network` lines read "dropout_0: rate 0.5, scaling weight (eval x 0.5)": its eval mode
/// multiplies those outputs by p, Keras' Dropout (inverted) does not.
void check_keras_equivalent(const RunRecord& run, const Where& t) {
  for (const auto& [key, value] : run.attributes) {
    if (key != "network") continue;
    std::size_t begin = 0;
    while (begin < value.size()) {
      const std::size_t end = std::min(value.find('\n', begin), value.size());
      const std::string line = value.substr(begin, end - begin);
      if (line.find(", scaling weight (eval x ") != std::string::npos) {
        fail(t, "run " + quoted(run.run_id) + " was trained with dropout `scaling: weight` (" +
                    line +
                    "): in eval mode it multiplies that layer's output by p, which Keras' "
                    "Dropout does not, so these weights would predict differently in Keras "
                    "(multiply the next layer's kernel by p after loading: W_test = p W)");
      }
      begin = end + 1;
    }
  }
}

/// Groups `run`'s weights by layer (first-appearance order) in Keras' weight order, checking
/// names, duplicates and sizes.
std::vector<KerasLayer> keras_layers(const RunRecord& run, const Where& t) {
  if (run.weights.empty()) fail(t, "run " + quoted(run.run_id) + " has no weights to export");
  std::vector<KerasLayer> layers;
  std::map<std::string, std::size_t> index;
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::vector<std::pair<int, std::size_t>>> ranks;  // per layer: (rank, tensor)
  for (std::size_t i = 0; i < run.weights.size(); ++i) {
    const WeightTensor& w = run.weights[i];
    check_keras_name(t, "layer", w.layer);
    check_keras_name(t, "parameter", w.param);
    if (!seen.insert({w.layer, w.param}).second) {
      fail(t, "duplicate weight " + quoted(w.layer + "/" + w.param));
    }
    std::size_t count = 1;
    for (std::size_t d : w.shape) count *= d;
    if (count != w.data.size()) {
      fail(t, "weight " + quoted(w.layer + "/" + w.param) + " has " +
                  std::to_string(w.data.size()) + " values but its shape holds " +
                  std::to_string(count));
    }
    auto [it, added] = index.emplace(w.layer, layers.size());
    if (added) {
      layers.push_back({w.layer, {}});
      ranks.emplace_back();
    }
    ranks[it->second].emplace_back(keras_name(w.param).second, i);
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::stable_sort(ranks[l].begin(), ranks[l].end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [rank, i] : ranks[l]) {
      const WeightTensor& w = run.weights[i];
      layers[l].weights.push_back({w.layer + "/" + keras_name(w.param).first + ":0", &w});
    }
  }
  return layers;
}

/// A fixed-length, NULL-padded ASCII string type of `size` bytes (numpy `S<size>` in h5py).
Handle fixed_string_type(std::size_t size, const Where& t, const std::string& what) {
  Handle type = make(H5Tcopy(H5T_C_S1), H5Tclose, t, what);
  ok(H5Tset_size(type.get(), size), t, what);
  ok(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), t, what);
  ok(H5Tset_cset(type.get(), H5T_CSET_ASCII), t, what);
  return type;
}

void write_fixed_string_scalar(hid_t object, const std::string& name, const std::string& value,
                               const Where& t) {
  const std::string what = "cannot write attribute " + quoted(name);
  Handle type = fixed_string_type(std::max<std::size_t>(value.size(), 1), t, what);
  Handle space = make(H5Screate(H5S_SCALAR), H5Sclose, t, what);
  Handle attr =
      make(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose, t, what);
  std::string buffer = value;
  buffer.resize(std::max<std::size_t>(value.size(), 1), '\0');
  ok(H5Awrite(attr.get(), type.get(), buffer.data()), t, what);
  ok(attr.close(), t, what);
}

/// Writes `names[first, first + count)` as a 1-D attribute of fixed-length strings `width`
/// bytes wide.
void write_string_array(hid_t object, const std::string& attribute,
                        const std::vector<std::string>& names, std::size_t first, std::size_t count,
                        std::size_t width, const Where& t) {
  const std::string what = "cannot write attribute " + quoted(attribute);
  Handle type = fixed_string_type(width, t, what);
  const hsize_t dims[1] = {count};
  Handle space = make(H5Screate_simple(1, dims, nullptr), H5Sclose, t, what);
  Handle attr =
      make(H5Acreate2(object, attribute.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose, t, what);
  std::string buffer(count * width, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    std::copy(names[first + i].begin(), names[first + i].end(), buffer.begin() + i * width);
  }
  ok(H5Awrite(attr.get(), type.get(), buffer.data()), t, what);
  ok(attr.close(), t, what);
}

/// Keras' save_attributes_to_hdf5_group: one attribute `name` if the names fit in 64,512 bytes
/// (as numpy `S<longest>`), else the fewest numpy.array_split chunks that each fit, written as
/// `name0`, `name1`, ...
void write_keras_name_list(hid_t object, const std::string& object_path, const std::string& name,
                           const std::vector<std::string>& names, const Where& t) {
  std::size_t width = 1;
  for (const std::string& n : names) {
    if (n.size() > kKerasAttributeLimit) {
      fail(t, "a name in attribute " + quoted(name) + " of " + object_path + " is " +
                  std::to_string(n.size()) + " bytes long; Keras allows at most " +
                  std::to_string(kKerasAttributeLimit) + " (" + quoted(n) + ")");
    }
    width = std::max(width, n.size());
  }
  const std::size_t total = names.size();
  std::size_t chunks = 1;
  while (((total + chunks - 1) / chunks) * width > kKerasAttributeLimit) ++chunks;
  if (chunks == 1) {
    write_string_array(object, name, names, 0, total, width, t);
    return;
  }
  std::size_t first = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t count = total / chunks + (c < total % chunks ? 1 : 0);
    write_string_array(object, name + std::to_string(c), names, first, count, width, t);
    first += count;
  }
}

/// A convolution kernel in Keras' layout: reglab (and PyTorch) store (out, in, kh, kw); Keras'
/// Conv2D kernel is (kh, kw, in, out), whatever its data_format.
WeightTensor keras_conv_kernel(const WeightTensor& w) {
  const std::size_t out = w.shape[0], in = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  WeightTensor k{w.layer, w.param, {kh, kw, in, out}, std::vector<float>(w.data.size())};
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t i = 0; i < in; ++i) {
      for (std::size_t y = 0; y < kh; ++y) {
        for (std::size_t x = 0; x < kw; ++x) {
          k.data[((y * kw + x) * in + i) * out + o] = w.data[((o * in + i) * kh + y) * kw + x];
        }
      }
    }
  }
  return k;
}

void write_keras_dataset(hid_t group, const std::string& name, const WeightTensor& stored,
                         const Where& t) {
  const std::string what = "cannot write dataset " + quoted(name);
  const bool conv = stored.param == "kernel" && stored.shape.size() == 4;
  const WeightTensor converted = conv ? keras_conv_kernel(stored) : WeightTensor{};
  const WeightTensor& w = conv ? converted : stored;
  std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
  Handle space =
      make(dims.empty() ? H5Screate(H5S_SCALAR)
                        : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
           H5Sclose, t, what);
  Handle dataset = make(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, t, what);
  if (!w.data.empty()) {
    ok(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.data.data()), t,
       what);
  }
  ok(dataset.close(), t, what);
}

/// Builds the Keras file in memory (core driver, no backing store) and returns its image, so
/// every file system error surfaces as an ordinary POSIX error in publish_bytes().
std::string keras_image(const std::vector<KerasLayer>& layers, const Where& t) {
  Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, t, "cannot create properties");
  constexpr std::size_t kIncrement = std::size_t{4} << 20;
  ok(H5Pset_fapl_core(fapl.get(), kIncrement, false), t, "cannot select the core driver");
  ok(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), t, "cannot set close degree");
  Handle file = make(H5Fcreate("reglab-keras-in-memory.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                     H5Fclose, t, "cannot create the file in memory");
  {
    Handle root = make(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, t, "cannot open /");
    std::vector<std::string> layer_names;
    for (const KerasLayer& l : layers) layer_names.push_back(l.name);
    write_keras_name_list(root.get(), "/", "layer_names", layer_names, t);
    write_fixed_string_scalar(root.get(), "backend", "tensorflow", t);
    write_fixed_string_scalar(root.get(), "keras_version", kKerasVersion, t);
    for (const KerasLayer& l : layers) {
      Handle group =
          make(H5Gcreate2(root.get(), l.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose, t, "cannot create group /" + l.name);
      std::vector<std::string> weight_names;
      for (const KerasWeight& w : l.weights) weight_names.push_back(w.name);
      write_keras_name_list(group.get(), "/" + l.name, "weight_names", weight_names, t);
      // "<layer>/<weight>:0" relative to the layer group: the datasets sit in a subgroup named
      // like the layer, as h5py creates them from Keras' weight names.
      Handle inner =
          make(H5Gcreate2(group.get(), l.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose, t, "cannot create group /" + l.name + "/" + l.name);
      for (const KerasWeight& w : l.weights) {
        write_keras_dataset(inner.get(), w.name.substr(l.name.size() + 1), *w.tensor, t);
      }
    }
  }
  ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), t, "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size < 0) fail_hdf5(t, "cannot get the file image");
  std::string image(static_cast<std::size_t>(size), '\0');
  if (H5Fget_file_image(file.get(), image.data(), image.size()) != size) {
    fail_hdf5(t, "cannot get the file image");
  }
  ok(file.close(), t, "cannot close the file in memory");
  return image;
}

// ---------------------------------------------------------------------------------------------
// CSV (core/csv.hpp)

csv::Row summary_row(const Table& table, std::size_t r) {
  csv::Row row;
  for (const Column& col : table.columns) {
    switch (col.type) {
      case Column::Type::kFloat64:
        row.number(col.f64.at(r));
        break;
      case Column::Type::kInt64:
        row.integer(col.i64.at(r));
        break;
      case Column::Type::kString:
        row.text(col.str.at(r));
        break;
    }
  }
  return row;
}

std::string summary_csv(const Table& table) {
  csv::Row header;
  for (const Column& col : table.columns) header.text(col.name);
  std::string out = header.line();
  for (std::size_t r = 0; r < table.rows(); ++r) out += summary_row(table, r).line();
  return out;
}

std::string display_name(const RunRecord& run) {
  for (const auto& [key, value] : run.attributes) {
    if (key == "cell_name") return value;
  }
  return run.name;
}

/// The union of the runs' curve names, in first-seen order.
std::vector<std::string> curve_names(const ResultsFile& file) {
  std::vector<std::string> metrics;
  for (const RunRecord& run : file.runs) {
    for (const auto& [metric, values] : run.curves) {
      if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
        metrics.push_back(metric);
      }
    }
  }
  return metrics;
}

/// `run`'s rows of curves.csv: one per epoch, a metric the run lacks as an empty field.
std::string run_curves_csv(const RunRecord& run, const std::vector<std::string>& metrics) {
  std::vector<const std::vector<double>*> columns;
  std::size_t epochs = 0;
  for (const std::string& m : metrics) {
    const std::vector<double>* found = nullptr;
    for (const auto& [metric, values] : run.curves) {
      if (metric == m) found = &values;
    }
    if (found != nullptr) epochs = std::max(epochs, found->size());
    columns.push_back(found);
  }
  std::string out;
  for (std::size_t e = 0; e < epochs; ++e) {
    csv::Row row;
    row.text(run.run_id).text(display_name(run));
    for (const auto* values : columns) {
      if (values != nullptr && e < values->size()) {
        row.number((*values)[e]);
      } else {
        row.empty();
      }
    }
    out += row.line();
  }
  return out;
}

std::string curves_csv(const ResultsFile& file) {
  const std::vector<std::string> metrics = curve_names(file);
  csv::Row header;
  header.text("run_id").text("name");
  for (const std::string& m : metrics) header.text(m);
  std::string out = header.line();
  for (const RunRecord& run : file.runs) out += run_curves_csv(run, metrics);
  return out;
}

std::string run_list(const ResultsFile& file) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < file.runs.size() && i < kShown; ++i) {
    out += (i == 0 ? "" : ", ") + file.runs[i].run_id;
  }
  if (file.runs.size() > kShown) {
    out += ", ... (" + std::to_string(file.runs.size()) + " runs)";
  }
  return out;
}

}  // namespace

void export_keras_weights(const RunRecord& run, const std::string& path, bool overwrite) {
  const Where t{path, "cannot export Keras weights of run " + quoted(run.run_id)};
  check_keras_equivalent(run, t);
  const std::vector<KerasLayer> layers = keras_layers(run, t);
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  std::string image;
  {
    const QuietHdf5Errors silent;
    image = keras_image(layers, t);
  }
  publish_bytes(path, image.data(), image.size(), overwrite, t);
}

void export_csv(const ResultsFile& file, const std::string& dir, bool overwrite) {
  const Where t{dir, "cannot export CSV"};
  std::vector<std::pair<std::string, std::string>> outputs;  // (path, text)
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  if (!file.summary.empty()) outputs.emplace_back(base + "summary.csv", summary_csv(file.summary));
  outputs.emplace_back(base + "curves.csv", curves_csv(file));
  if (!overwrite) {
    for (const auto& [path, text] : outputs) {
      if (path_exists(path)) refuse_overwrite(path);
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(t, "cannot create the directory (" + ec.message() + ")");
  if (!fs::is_directory(dir, ec)) fail(t, "it is not a directory");
  for (const auto& [path, text] : outputs) {
    publish_bytes(path, text.data(), text.size(), overwrite, Where{path, "cannot export CSV"});
  }
}

namespace {

/// The checks of ExportOptions that need no file (see export_results in export.hpp).
void check_export_options(const ExportOptions& options) {
  if (options.keras_path.empty() && options.csv_dir.empty()) {
    throw UsageError("export: nothing to export; give --keras OUT.h5 and/or --csv DIR");
  }
  if (!options.cell.empty() && options.keras_path.empty()) {
    throw UsageError("export: --cell selects the run for --keras; give --keras OUT.h5 too");
  }
  std::error_code ec;
  if (!options.keras_path.empty() && fs::equivalent(options.results_path, options.keras_path, ec)) {
    throw UsageError("export: --keras " + options.keras_path + " is the results file itself");
  }
}

/// The run --keras exports: the one named by `cell`, or the file's only run if `cell` is empty.
const RunRecord& keras_run(const ResultsFile& file, const ExportOptions& options) {
  const std::string& results = options.results_path;
  if (file.runs.empty()) throw StorageError(results + ": holds no runs to export");
  if (options.cell.empty()) {
    if (file.runs.size() > 1) {
      throw UsageError("export: " + results + " holds " + std::to_string(file.runs.size()) +
                       " runs; choose one for --keras with --cell ID (" + run_list(file) + ")");
    }
    return file.runs.front();
  }
  for (const RunRecord& r : file.runs) {
    if (r.run_id == options.cell) return r;
  }
  throw UsageError("export: no run " + detail::quoted(options.cell) + " in " + results +
                   " (runs: " + run_list(file) + ")");
}

}  // namespace

int export_results(const ExportOptions& options) {
  check_export_options(options);
  const ResultsFile file = read_results(options.results_path);
  if (!options.keras_path.empty()) {
    const RunRecord& run = keras_run(file, options);
    export_keras_weights(run, options.keras_path, options.overwrite);
    std::printf("wrote %s (run %s: %s)\n", options.keras_path.c_str(), run.run_id.c_str(),
                display_name(run).c_str());
  }
  if (!options.csv_dir.empty()) {
    const std::string& csv = options.csv_dir;
    export_csv(file, csv, options.overwrite);
    const std::string base = csv.back() == '/' ? csv : csv + "/";
    if (!file.summary.empty()) std::printf("wrote %ssummary.csv\n", base.c_str());
    std::printf("wrote %scurves.csv\n", base.c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace reglab::storage
