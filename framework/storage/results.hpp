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
