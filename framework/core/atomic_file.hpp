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

/// True if something (even a dangling symlink) exists at `path`.
bool path_exists(const std::string& path);
/// Throws StorageError: `path` exists and overwriting was not asked for.
[[noreturn]] void refuse_overwrite(const std::string& path);

}  // namespace reglab
