/// Keras legacy weights and CSV exports (see export.hpp), with the HDF5 C API and POSIX calls.
#include "framework/storage/export.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab::storage {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing (own copies: results.cpp keeps its helpers private)

/// Owns one hid_t and closes it with the matching H5?close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&&) = delete;
  ~Hid() { close(); }
  hid_t get() const { return id_; }
  /// Closes the id now and returns the close function's status.
  herr_t close() {
    herr_t status = 0;
    if (id_ >= 0) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_;
  Closer closer_;
};

/// Turns off HDF5's printing of error stacks for its lifetime; errors become StorageErrors.
class SilentHdf5 {
 public:
  SilentHdf5() {
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
      func_ = nullptr;
      data_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  SilentHdf5(const SilentHdf5&) = delete;
  SilentHdf5& operator=(const SilentHdf5&) = delete;
  ~SilentHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

extern "C" herr_t collect_hdf5_message(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  try {
    if (err->desc != nullptr && err->desc[0] != '\0') {
      static_cast<std::vector<std::string>*>(data)->push_back(err->desc);
    }
    return 0;
  } catch (...) {
    return -1;
  }
}

/// The outermost and innermost messages of the HDF5 error stack; clears the stack.
std::string hdf5_error_text() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_hdf5_message, &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "HDF5 reported no details";
  std::string text = messages.front();
  if (messages.size() > 1 && messages.back() != messages.front()) text += ": " + messages.back();
  return text;
}

/// Names the output file and the operation in every error message.
struct Target {
  std::string path;
  std::string action;  // e.g. "cannot export Keras weights"
};

[[noreturn]] void fail(const Target& t, const std::string& what) {
  throw StorageError(t.path + ": " + t.action + ": " + what);
}

[[noreturn]] void fail_hdf5(const Target& t, const std::string& what) {
  fail(t, what + " (HDF5: " + hdf5_error_text() + ")");
}

[[noreturn]] void fail_errno(const Target& t, const std::string& what, int err) {
  fail(t, what + " (" + std::strerror(err) + ")");
}

Hid make(hid_t id, Hid::Closer closer, const Target& t, const std::string& what) {
  if (id < 0) fail_hdf5(t, what);
  return Hid(id, closer);
}

void ok(herr_t status, const Target& t, const std::string& what) {
  if (status < 0) fail_hdf5(t, what);
}

std::string in_quotes(const std::string& name) {
  constexpr std::size_t kMax = 80;
  if (name.size() <= kMax) return "'" + name + "'";
  return "'" + name.substr(0, kMax) + "...' (" + std::to_string(name.size()) + " bytes)";
}

// ---------------------------------------------------------------------------------------------
// Atomic publishing of a byte image

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

[[noreturn]] void refuse_overwrite(const std::string& path) {
  throw StorageError(path +
                     " exists; refusing to overwrite it (remove it, choose another output path, "
                     "or pass --overwrite)");
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void write_all(const std::string& name, const char* data, std::size_t size, const Target& t) {
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    fail_errno(t, "cannot create temporary file " + name, err);
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      fail_errno(t, "cannot write temporary file " + name, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail_errno(t, "cannot fsync temporary file " + name, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    fail_errno(t, "cannot close temporary file " + name, err);
  }
}

/// Moves `tmp` to `path`: link() without overwrite (fails if `path` appeared meanwhile; rename()
/// on file systems without hard links), rename() with it.
void move_into_place(const std::string& tmp, const std::string& path, bool overwrite,
                     const Target& t) {
  if (!overwrite) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      return;
    }
    const int err = errno;
    if (err == EEXIST) refuse_overwrite(path);
    if (err != EPERM && err != ENOTSUP && err != ENOSYS && err != EMLINK && err != EXDEV) {
      fail_errno(t, "cannot move " + tmp + " to " + path, err);
    }
    if (exists(path)) refuse_overwrite(path);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    fail_errno(t, "cannot rename " + tmp + " to " + path, err);
  }
}

/// Writes `bytes` to "<path>.tmp.<pid>", fsyncs it, moves it to `path` and fsyncs the directory.
/// On failure the temporary file is removed and nothing is left at `path`.
void publish(const std::string& path, const std::string& bytes, bool overwrite, const Target& t) {
  if (!overwrite && exists(path)) refuse_overwrite(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_all(tmp, bytes.data(), bytes.size(), t);
    move_into_place(tmp, path, overwrite, t);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  const std::string dir = parent_of(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) err = errno;
    ::close(fd);
  }
  if (err != 0) {
    throw StorageError(path + " was written, but syncing its directory " + dir + " failed (" +
                       std::strerror(err) + "), so it may not survive a power failure");
  }
}

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

void check_keras_name(const Target& t, const std::string& kind, const std::string& name) {
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
  if (!problem.empty()) fail(t, kind + " " + in_quotes(name) + " " + problem);
}

/// Groups `run`'s weights by layer (first-appearance order) in Keras' weight order, checking
/// names, duplicates and sizes.
std::vector<KerasLayer> keras_layers(const RunRecord& run, const Target& t) {
  if (run.weights.empty()) fail(t, "run " + in_quotes(run.run_id) + " has no weights to export");
  std::vector<KerasLayer> layers;
  std::map<std::string, std::size_t> index;
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::vector<std::pair<int, std::size_t>>> ranks;  // per layer: (rank, tensor)
  for (std::size_t i = 0; i < run.weights.size(); ++i) {
    const WeightTensor& w = run.weights[i];
    check_keras_name(t, "layer", w.layer);
    check_keras_name(t, "parameter", w.param);
    if (!seen.insert({w.layer, w.param}).second) {
      fail(t, "duplicate weight " + in_quotes(w.layer + "/" + w.param));
    }
    std::size_t count = 1;
    for (std::size_t d : w.shape) count *= d;
    if (count != w.data.size()) {
      fail(t, "weight " + in_quotes(w.layer + "/" + w.param) + " has " +
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
Hid fixed_string_type(std::size_t size, const Target& t, const std::string& what) {
  Hid type = make(H5Tcopy(H5T_C_S1), H5Tclose, t, what);
  ok(H5Tset_size(type.get(), size), t, what);
  ok(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), t, what);
  ok(H5Tset_cset(type.get(), H5T_CSET_ASCII), t, what);
  return type;
}

void write_fixed_string_scalar(hid_t object, const std::string& name, const std::string& value,
                               const Target& t) {
  const std::string what = "cannot write attribute " + in_quotes(name);
  Hid type = fixed_string_type(std::max<std::size_t>(value.size(), 1), t, what);
  Hid space = make(H5Screate(H5S_SCALAR), H5Sclose, t, what);
  Hid attr =
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
                        std::size_t width, const Target& t) {
  const std::string what = "cannot write attribute " + in_quotes(attribute);
  Hid type = fixed_string_type(width, t, what);
  const hsize_t dims[1] = {count};
  Hid space = make(H5Screate_simple(1, dims, nullptr), H5Sclose, t, what);
  Hid attr =
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
                           const std::vector<std::string>& names, const Target& t) {
  std::size_t width = 1;
  for (const std::string& n : names) {
    if (n.size() > kKerasAttributeLimit) {
      fail(t, "a name in attribute " + in_quotes(name) + " of " + object_path + " is " +
                  std::to_string(n.size()) + " bytes long; Keras allows at most " +
                  std::to_string(kKerasAttributeLimit) + " (" + in_quotes(n) + ")");
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

void write_keras_dataset(hid_t group, const std::string& name, const WeightTensor& w,
                         const Target& t) {
  const std::string what = "cannot write dataset " + in_quotes(name);
  std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
  Hid space =
      make(dims.empty() ? H5Screate(H5S_SCALAR)
                        : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
           H5Sclose, t, what);
  Hid dataset = make(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                H5P_DEFAULT, H5P_DEFAULT),
                     H5Dclose, t, what);
  if (!w.data.empty()) {
    ok(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.data.data()), t,
       what);
  }
  ok(dataset.close(), t, what);
}

/// Builds the Keras file in memory (core driver, no backing store) and returns its image, so
/// every file system error surfaces as an ordinary POSIX error in publish().
std::string keras_image(const std::vector<KerasLayer>& layers, const Target& t) {
  Hid fapl = make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, t, "cannot create properties");
  constexpr std::size_t kIncrement = std::size_t{4} << 20;
  ok(H5Pset_fapl_core(fapl.get(), kIncrement, false), t, "cannot select the core driver");
  ok(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), t, "cannot set close degree");
  Hid file = make(H5Fcreate("reglab-keras-in-memory.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                  H5Fclose, t, "cannot create the file in memory");
  {
    Hid root = make(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, t, "cannot open /");
    std::vector<std::string> layer_names;
    for (const KerasLayer& l : layers) layer_names.push_back(l.name);
    write_keras_name_list(root.get(), "/", "layer_names", layer_names, t);
    write_fixed_string_scalar(root.get(), "backend", "tensorflow", t);
    write_fixed_string_scalar(root.get(), "keras_version", kKerasVersion, t);
    for (const KerasLayer& l : layers) {
      Hid group =
          make(H5Gcreate2(root.get(), l.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose, t, "cannot create group /" + l.name);
      std::vector<std::string> weight_names;
      for (const KerasWeight& w : l.weights) weight_names.push_back(w.name);
      write_keras_name_list(group.get(), "/" + l.name, "weight_names", weight_names, t);
      // "<layer>/<weight>:0" relative to the layer group: the datasets sit in a subgroup named
      // like the layer, as h5py creates them from Keras' weight names.
      Hid inner =
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
// CSV

/// RFC 4180 text field: always quoted, embedded quotes doubled.
std::string csv_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// %.17g (round-trips every double), NaN, Inf, -Inf.
std::string csv_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string summary_csv(const Table& table) {
  std::string out;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    out += (c == 0 ? "" : ",") + csv_text(table.columns[c].name);
  }
  out += '\n';
  for (std::size_t r = 0; r < table.rows(); ++r) {
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const Column& col = table.columns[c];
      if (c > 0) out += ',';
      switch (col.type) {
        case Column::Type::kFloat64:
          out += csv_number(col.f64.at(r));
          break;
        case Column::Type::kInt64:
          out += std::to_string(col.i64.at(r));
          break;
        case Column::Type::kString:
          out += csv_text(col.str.at(r));
          break;
      }
    }
    out += '\n';
  }
  return out;
}

std::string display_name(const RunRecord& run) {
  for (const auto& [key, value] : run.attributes) {
    if (key == "cell_name") return value;
  }
  return run.name;
}

std::string curves_csv(const ResultsFile& file) {
  std::vector<std::string> metrics;  // union, first-seen order
  for (const RunRecord& run : file.runs) {
    for (const auto& [metric, values] : run.curves) {
      if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
        metrics.push_back(metric);
      }
    }
  }
  std::string out = csv_text("run_id") + "," + csv_text("name");
  for (const std::string& m : metrics) out += "," + csv_text(m);
  out += '\n';
  for (const RunRecord& run : file.runs) {
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
    const std::string prefix = csv_text(run.run_id) + "," + csv_text(display_name(run));
    for (std::size_t e = 0; e < epochs; ++e) {
      out += prefix;
      for (const auto* values : columns) {
        out += ',';
        if (values != nullptr && e < values->size()) out += csv_number((*values)[e]);
      }
      out += '\n';
    }
  }
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
  const Target t{path, "cannot export Keras weights of run " + in_quotes(run.run_id)};
  const std::vector<KerasLayer> layers = keras_layers(run, t);
  if (!overwrite && exists(path)) refuse_overwrite(path);
  std::string image;
  {
    const SilentHdf5 silent;
    image = keras_image(layers, t);
  }
  publish(path, image, overwrite, t);
}

void export_csv(const ResultsFile& file, const std::string& dir, bool overwrite) {
  const Target t{dir, "cannot export CSV"};
  std::vector<std::pair<std::string, std::string>> outputs;  // (path, text)
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  if (!file.summary.empty()) outputs.emplace_back(base + "summary.csv", summary_csv(file.summary));
  outputs.emplace_back(base + "curves.csv", curves_csv(file));
  if (!overwrite) {
    for (const auto& [path, text] : outputs) {
      if (exists(path)) refuse_overwrite(path);
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(t, "cannot create the directory (" + ec.message() + ")");
  if (!fs::is_directory(dir, ec)) fail(t, "it is not a directory");
  for (const auto& [path, text] : outputs) {
    publish(path, text, overwrite, Target{path, "cannot export CSV"});
  }
}

int export_command(const std::vector<std::string>& args) {
  std::string results, keras, cell, csv;
  bool overwrite = false;
  po::options_description desc(
      "reglab export RESULTS.h5 [--keras OUT.h5 [--cell ID]] [--csv DIR] [--overwrite]");
  desc.add_options()("help,h", "show this help")(
      "keras", po::value<std::string>(&keras),
      "write one run's weights in the Keras legacy HDF5 layout (model.load_weights)")(
      "cell", po::value<std::string>(&cell),
      "the run / cell id for --keras (required if the file holds more than one run)")(
      "csv", po::value<std::string>(&csv),
      "write DIR/summary.csv (sweeps) and DIR/curves.csv (one row per run and epoch)")(
      "overwrite", po::bool_switch(&overwrite), "replace existing output files");
  po::options_description hidden;
  hidden.add_options()("results", po::value<std::string>(&results));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("results", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc
              << "\nExamples:\n  reglab export results/quickstart.h5 --keras w.h5 --cell "
                 "35d08431d89e\n  reglab export results/quickstart.h5 --csv results/csv\n";
    return 0;
  }
  if (results.empty()) throw UsageError("export: missing RESULTS.h5");
  if (keras.empty() && csv.empty()) {
    throw UsageError("export: nothing to export; give --keras OUT.h5 and/or --csv DIR");
  }
  if (vm.count("keras") != 0U && keras.empty()) throw UsageError("export: --keras needs a path");
  if (vm.count("csv") != 0U && csv.empty()) throw UsageError("export: --csv needs a directory");
  if (!cell.empty() && keras.empty()) {
    throw UsageError("export: --cell selects the run for --keras; give --keras OUT.h5 too");
  }
  std::error_code ec;
  if (!keras.empty() && fs::equivalent(results, keras, ec)) {
    throw UsageError("export: --keras " + keras + " is the results file itself");
  }

  const ResultsFile file = read_results(results);
  if (!keras.empty()) {
    if (file.runs.empty()) throw StorageError(results + ": holds no runs to export");
    const RunRecord* run = nullptr;
    if (cell.empty()) {
      if (file.runs.size() > 1) {
        throw UsageError("export: " + results + " holds " + std::to_string(file.runs.size()) +
                         " runs; choose one for --keras with --cell ID (" + run_list(file) + ")");
      }
      run = &file.runs.front();
    } else {
      for (const RunRecord& r : file.runs) {
        if (r.run_id == cell) run = &r;
      }
      if (run == nullptr) {
        throw UsageError("export: no run " + in_quotes(cell) + " in " + results +
                         " (runs: " + run_list(file) + ")");
      }
    }
    export_keras_weights(*run, keras, overwrite);
    std::printf("wrote %s (run %s: %s)\n", keras.c_str(), run->run_id.c_str(),
                display_name(*run).c_str());
  }
  if (!csv.empty()) {
    export_csv(file, csv, overwrite);
    const std::string base = csv.back() == '/' ? csv : csv + "/";
    if (!file.summary.empty()) std::printf("wrote %ssummary.csv\n", base.c_str());
    std::printf("wrote %scurves.csv\n", base.c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace reglab::storage
