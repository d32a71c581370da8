/// HDF5 results files.
///
/// The file schema (groups, datasets, attributes, types) is documented at the top of schema.hpp,
/// which also holds its names and kFormatVersion.
///
/// Writing is atomic (write_results here builds the whole file in memory; ResultsWriter in
/// results_writer.hpp streams a large file run by run, or extends an existing one): the file is
/// written to "<path>.tmp.<pid>", closed, fsync'ed and renamed over `path`, and the directory is
/// fsync'ed, so a killed writer never leaves a torn file at `path`. An existing `path` is never
/// replaced unless `overwrite` is set.
///
/// Implementation notes (HDF5 C API; results_validate.cpp checks a ResultsFile, results_write.cpp
/// builds and publishes the file, results_read.cpp reads it back, results.cpp holds the record
/// types' members):
/// - Order: the root group, /runs, every run group, curves/, weights/ and each layer group track
///   link and attribute creation order (H5P_CRT_ORDER_TRACKED | INDEXED), so h5py and
///   read_results list root and run attributes, runs, curves, layers and parameters in the
///   written order. Tools that ignore
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
///   fixed ones (name, config, seed, status; at the root format, format_version, reglab_version,
///   created_utc, config, kind); all curves of a run of equal length, with "epoch";
///   data.size() == product(shape); each layer's parameters contiguous in `weights` (so reading
///   returns them in the written order); summary column names likewise valid and unique, all
///   columns of equal length, only the vector selected by `type` non-empty; no NUL character in
///   any string. Values such as status and the summary's cell_id are not checked
///   (tests/storage/check_schema.py checks them in produced files).
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

#include "framework/storage/schema.hpp"

namespace reglab::storage {

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
  /// Optional step-level diagnostics, written under step_curves/ when not empty; "step" (the
  /// optimizer step after which the values were measured) first. Equal lengths.
  std::vector<std::pair<std::string, std::vector<double>>> step_curves;
  std::vector<WeightTensor> weights;
};

/// A column of the summary table: exactly one of the three vectors is used, by `type`.
struct Column {
  enum class Type { kFloat64, kInt64, kString };
  std::string name;
  Type type = Type::kFloat64;
  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::string> str;
  /// Number of values in the vector selected by `type`.
  std::size_t size() const;
};

/// A table written as a 1-D compound dataset (one member per column, in order).
struct Table {
  std::vector<Column> columns;
  /// Number of rows: the size of the first column (0 without columns).
  std::size_t rows() const;
  /// True without columns (such a table is not written).
  bool empty() const;
};

struct ResultsFile {
  std::string reglab_version;
  std::string created_utc;
  std::string config_yaml;
  /// Further string attributes of the root group (e.g. sweep_id, sweep_name), in order.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<RunRecord> runs;
  /// One row per grid cell of a sweep, written as /summary unless empty.
  Table summary;
  /// The root attribute `kind`: "run" if `summary` is empty, else "sweep".
  std::string kind() const;
};

/// Writes `results` to `path` atomically. Throws StorageError (naming the path) if `path` exists
/// and !overwrite, if the directory is not writable, or on any HDF5 failure; on failure nothing
/// is left at `path` and the temporary file is removed.
void write_results(const std::string& path, const ResultsFile& results, bool overwrite);

/// What read_results reads besides the root attributes and /summary. Leaving out the weights
/// reads a merged sweep file of 10,000 cells without loading 10,000 networks.
struct ReadOptions {
  bool runs = true;     ///< false: ResultsFile::runs stays empty (/runs is not opened)
  bool weights = true;  ///< false: every RunRecord::weights stays empty
};

/// Reads a file written by write_results (or ResultsWriter: results_writer.hpp). Throws
/// StorageError if it is not a reglab file, has a newer format_version, or is malformed
/// (including a `kind` that does not match the presence of /summary; a file without `kind` is a
/// "run" file).
ResultsFile read_results(const std::string& path, const ReadOptions& options = {});

}  // namespace reglab::storage
