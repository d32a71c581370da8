/// A sweep's cell folder (`<output without .h5>.cells/`, experiment/sweep.hpp): where each cell's
/// files lie, the manifest that pins the configuration the folder belongs to, the lock that keeps
/// two sweeps from writing the same cells, and the clean-up after writers killed mid-write.
///
/// Files in the folder:
///   <id>.h5       the cell's results file (Cell::output)
///   <id>.failed   the error of a cell that failed (removed when the cell later completes)
///   <id>.log      the cell's stdout and stderr
///   sweep.yaml    the manifest, written once:
///                   sweep_id: <sweep id>
///                   cells:
///                     - <cell id>  # <cell name>
///                   config: |
///                     <the sweep YAML, then "# <identity line>" per loaded plugin>
///   .lock         held (flock) by the process running or merging the sweep
#pragma once

#include <string>

#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// `<cell_dir>/<id>.failed`.
std::string failed_path(const Sweep& sweep, const Cell& cell);

/// `<cell_dir>/<id>.log`.
std::string log_path(const Sweep& sweep, const Cell& cell);

/// The text of the cell's `.failed` file as written (empty if there is none).
std::string read_failure(const Sweep& sweep, const Cell& cell);

/// Records the cell's error in its `.failed` file (atomically, replacing an older one).
void write_failure(const Sweep& sweep, const Cell& cell, const std::string& message);

/// Creates the cell folder and, unless it exists, the manifest. Throws StorageError.
void create_manifest(const Sweep& sweep);

/// Throws ConfigError if the folder's manifest pins a different configuration, with the number
/// of cells that differ and the lines of the configuration that differ. No manifest: no-op.
void check_manifest(const Sweep& sweep);

/// Throws StorageError if the sweep's `output` exists and is not this sweep's merged file (a
/// single-run file, another sweep's, unreadable), unless `overwrite`.
void check_output_file(const Sweep& sweep, bool overwrite);

/// Holds an exclusive flock(2) on `<cell_dir>/.lock` for its lifetime, so that two sweeps never
/// write the same cells: the second refuses at once (StorageError), naming the first's pid. The
/// lock dies with the process (even on SIGKILL), so a killed sweep never leaves a stale lock; the
/// descriptor is close-on-exec, so cell processes do not hold it. Creates the folder if needed.
class SweepLock {
 public:
  explicit SweepLock(const std::string& cell_dir);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

/// Removes temporary files ("<name>.tmp.<pid>", with names starting with `prefix`) left in
/// `folder` by writers killed mid-write: only those whose process no longer exists on this host
/// and that are older than a minute (a cell writing on another cluster node finishes its file in
/// seconds). Run under the sweep lock: on the cell folder, and on the merged file's folder with
/// the merged file's name as prefix (a killed merge leaves a full-size copy). Result paths are
/// never touched.
void remove_stale_temporaries(const std::string& folder, const std::string& prefix = "");

}  // namespace reglab::experiment
