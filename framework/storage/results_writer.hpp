/// ResultsWriter: a results file (schema.hpp) written run by run, for files too large to build
/// in memory (a sweep's merged file of 10,000 cells: experiment/sweep_merge.hpp). Peak memory is
/// one run plus the /summary table, whatever the number of runs.
///
/// The file is written (by HDF5, on disk) to "<path>.tmp.<pid>" and only commit() publishes it:
/// fsync, rename over `path` (a hard link without `overwrite`), fsync of the directory. Until
/// then `path` is untouched, so a writer killed at any point (SIGKILL included) leaves the
/// previous file intact; a writer destroyed without commit() removes its temporary file. A
/// SIGKILLed writer leaves "<path>.tmp.<pid>" behind, as write_results does.
///
/// extend() starts from a copy of an existing file instead of an empty one: the kernel copies the
/// bytes (a reflink where the file system shares blocks, else copy_file_range), the runs already
/// in it are neither read nor rewritten, and new runs and a new /summary are added to the copy.
/// Space held by what is replaced or dropped (an old /summary, a replaced run, the old /runs
/// links after set_run_order) is not reused, so a file extended many times grows a little beyond
/// the size of a file written anew; writing it anew compacts it.
///
/// The file has the same h5py-visible content as write_results would give for the same records
/// (groups, datasets, attributes, creation order), with the runs in /runs in the order added or
/// set by set_run_order. Write errors inside HDF5 (disk full, EFBIG) become StorageError naming
/// `path` (storage/hdf5_file_driver.hpp keeps them from crashing the HDF5 library). Records are
/// validated as write_results validates them. Not thread-safe; call from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/storage/results.hpp"

namespace reglab::storage {

class ResultsWriter {
 public:
  /// Starts a new file for `path` with the root attributes of `header` (its runs and summary are
  /// not written) and the given `kind` ("run" or "sweep"; a "sweep" file needs write_summary
  /// before commit). Without `overwrite`, an existing `path` is refused now and at commit.
  static ResultsWriter create(const std::string& path, const ResultsFile& header,
                              const std::string& kind, bool overwrite);

  /// Starts from a copy of the results file at `path` (`path` itself is only read), keeping its
  /// runs, /summary and kind, and sets the values of its root attributes from `header`: reglab
  /// version, created_utc, config and `header.attributes`, which must have the same names in the
  /// same order as the file's further root attributes. The file must be of this build's
  /// format_version. Committing replaces `path`.
  static ResultsWriter extend(const std::string& path, const ResultsFile& header);

  ResultsWriter(ResultsWriter&& other) noexcept;
  ResultsWriter& operator=(ResultsWriter&&) = delete;
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~ResultsWriter();

  /// The run ids in /runs, in order.
  std::vector<std::string> run_ids() const;
  /// Whether /runs holds `run_id`.
  bool has_run(const std::string& run_id) const;
  /// Writes `run` as /runs/<run_id>/ at the end of /runs, replacing a run of the same id.
  void add_run(const RunRecord& run);
  /// Makes /runs hold exactly `run_ids` (each already in it), in this order; the others are
  /// dropped. Only links change: no run is read or copied. Removes /summary (write it again).
  void set_run_order(const std::vector<std::string>& run_ids);
  /// Writes `table` as /summary, replacing an earlier one (an empty table removes it).
  void write_summary(const Table& table);
  /// Closes the file and publishes it at `path` (see the top of this header).
  void commit();

 private:
  struct State;
  explicit ResultsWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace reglab::storage
