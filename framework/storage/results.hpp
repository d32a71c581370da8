/// HDF5 results files.
///
/// Schema (format "reglab", format_version 1). All strings are variable-length UTF-8, so h5py
/// reads attributes as `str`.
///
///   /                                   attributes:
///       format          "reglab"
///       format_version  int64, 1
///       reglab_version  e.g. "0.1.0"
///       created_utc     ISO 8601, e.g. "2026-11-27T17:30:00Z"
///       config          the configuration as given (YAML text, after overrides)
///   /runs/<run_id>/                     one group per run; attributes:
///       name, config (resolved YAML text), seed (uint64), status ("complete" | "diverged"),
///       and provenance strings (git_commit, compiler, cxx_flags, xtensor_version, hdf5_version,
///       yaml_cpp_version, boost_version, openblas_config, blas_threads, openblas_coretype, host,
///       cpu_model, start_utc, end_utc, data_sha256, ...): see RunRecord::attributes
///   /runs/<run_id>/curves/<metric>      1-D float64, one value per epoch, all of equal length;
///                                       "epoch" (1-based) is always present
///   /runs/<run_id>/weights/<layer>/<param>
///                                       float32 arrays in the parameter's logical shape
///                                       (kernel {inputs, units}, bias/gamma/beta/running_mean/
///                                       running_var {units}); attribute storage_order =
///                                       "row-major (C)"
///
/// Writing is atomic: the file is written to "<path>.tmp.<pid>", closed, fsync'ed and renamed over
/// `path`, and the directory is fsync'ed, so a killed writer never leaves a torn file at `path`.
/// An existing `path` is never replaced unless `overwrite` is set.
///
/// Implementation notes (results.cpp, HDF5 C API):
/// - Order: /runs, every run group, curves/, weights/ and each layer group track link and
///   attribute creation order (H5P_CRT_ORDER_TRACKED | INDEXED), so h5py and read_results list
///   runs, run attributes, curves, layers and parameters in the written order. Tools that ignore
///   creation order show them alphabetically. read_results falls back to name order for groups
///   written without tracking (e.g. by other tools).
/// - Long text: strings are variable-length, so an attribute only holds a reference to the text
///   in the global heap and the 64 KiB object-header message limit does not apply (a 1 MiB config
///   was measured to work with the default compact attribute storage). Fixed-length string
///   attributes over 64 KiB would fail: never use them here.
/// - The file is built in memory (core driver) and its image written with POSIX calls, because
///   in HDF5 1.10.8 a write error inside the library (disk full, EFBIG) makes H5Fclose fail and
///   the process then crashes in the library's exit handler. Peak memory is about twice the file
///   size on top of the ResultsFile.
/// - Without `overwrite`, the temporary file is published with link(), which fails if `path`
///   appeared meanwhile, so another writer's file is never replaced (rename() is the fallback on
///   file systems without hard links). A "<path>.tmp.<pid>" remains only if the writer is killed.
/// - write_results validates before creating anything: run ids, metric, layer, parameter and
///   attribute names non-empty, without '/', not "." and unique; attributes not named like the
///   fixed ones (name, config, seed, status); all curves of a run of equal length, with "epoch";
///   data.size() == product(shape); each layer's parameters contiguous in `weights` (so reading
///   returns them in the written order); no NUL character in any string. Values such as status
///   are not checked (tests/storage/check_schema.py checks them in produced files).
/// - Every error is a StorageError whose message starts with the path. The one failure that
///   leaves the new file at `path` is an fsync of the directory after the rename; its message
///   says so. Not thread-safe (the
///   serial HDF5 build is not): call from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace reglab::storage {

constexpr std::int64_t kFormatVersion = 1;

struct WeightTensor {
  std::string layer;  ///< e.g. "dense_0"
  std::string param;  ///< e.g. "kernel"
  std::vector<std::size_t> shape;
  std::vector<float> data;  ///< row-major, product(shape) values
};

struct RunRecord {
  std::string run_id;
  std::string name;
  std::string config_yaml;
  std::uint64_t seed = 0;
  std::string status;  ///< "complete" or "diverged"
  /// Further string attributes of the run group (provenance), in order.
  std::vector<std::pair<std::string, std::string>> attributes;
  /// Curves in order; "epoch" first. Equal lengths.
  std::vector<std::pair<std::string, std::vector<double>>> curves;
  std::vector<WeightTensor> weights;
};

struct ResultsFile {
  std::string reglab_version;
  std::string created_utc;
  std::string config_yaml;
  std::vector<RunRecord> runs;
};

/// Writes `results` to `path` atomically. Throws StorageError (naming the path) if `path` exists
/// and !overwrite, if the directory is not writable, or on any HDF5 failure; on failure nothing
/// is left at `path` and the temporary file is removed.
void write_results(const std::string& path, const ResultsFile& results, bool overwrite);

/// Reads a file written by write_results. Throws StorageError if it is not a reglab file, has a
/// newer format_version, or is malformed.
ResultsFile read_results(const std::string& path);

}  // namespace reglab::storage
