/// Atomic publication of a finished file: the one way reglab writes a file that others may read
/// (results, checkpoints, exports, sweep manifests, Slurm scripts). The bytes go to
/// "<path>.tmp.<pid>", which is fsync()ed and moved into place, and the directory is fsync()ed,
/// so a reader (or a crash) sees either the old file, or no file, or the whole new one.
#pragma once

#include <cstddef>
#include <string>

namespace reglab {

/// Publishes `size` bytes as the file `path`. Without `overwrite`, an existing `path` is refused
/// before anything is written, and the move is a hard link that fails if `path` appeared
/// meanwhile (rename() on file systems without hard links). On failure nothing is left at `path`
/// and the temporary file is removed; only a failed directory fsync leaves the new file (and says
/// so). Errors are StorageError "PATH: ACTION: WHAT".
void publish_file(const std::string& path, const char* data, std::size_t size, bool overwrite,
                  const std::string& action);
void publish_file(const std::string& path, const std::string& bytes, bool overwrite,
                  const std::string& action);

/// Publishes the finished temporary file `tmp` (written by the caller, in the directory of `path`)
/// as `path`: fsync()s it, moves it into place as publish_file does and fsync()s the directory.
/// On failure `tmp` is removed. Errors are StorageError "PATH: ACTION: WHAT".
void publish_temporary(const std::string& tmp, const std::string& path, bool overwrite,
                       const std::string& action);

/// While one is alive, publish_file does not fsync the folder of each file it publishes but
/// remembers it; sync() (and the destructor) fsync each remembered folder once. For a process
/// that publishes many small files in a row (the cells of a batch, experiment/cell_runner.hpp):
/// each file is still fsync()ed before it is moved into place, so no reader and no crash ever sees
/// a partial file; only the move's durability waits for the folder's sync. After a power failure
/// before it, a finished file may be missing (never partial), and a rerun makes it again. The
/// outermost instance owns the deferral; nested ones do nothing. Not for concurrent publishers.
class DeferredDirectorySync {
 public:
  DeferredDirectorySync();
  ~DeferredDirectorySync();
  DeferredDirectorySync(const DeferredDirectorySync&) = delete;
  DeferredDirectorySync& operator=(const DeferredDirectorySync&) = delete;
  /// fsyncs every folder published into since the last sync. Throws StorageError.
  void sync();

 private:
  bool owner_ = false;
};

/// True if something (even a dangling symlink) exists at `path`.
bool path_exists(const std::string& path);
/// Throws StorageError: `path` exists and overwriting was not asked for.
[[noreturn]] void refuse_overwrite(const std::string& path);

}  // namespace reglab
