/// Copying a finished file byte for byte with the kernel doing the work: a reflink (FICLONE) where
/// the file system shares blocks, else copy_file_range(2), else read/write. Used to start an
/// incremental merge from the previous merged file (storage/results_writer.hpp). Not part of the
/// public storage API.
#pragma once

#include <string>

#include "framework/storage/hdf5_support.hpp"

namespace reglab::storage::detail {

/// Copies the file `from` to a new file `to` (created exclusively, mode 0666 & ~umask). Throws
/// StorageError via fail_errno(where, ...) on failure, leaving whatever part of `to` was written
/// for the caller to remove.
void copy_file(const std::string& from, const std::string& to, const Where& where);

}  // namespace reglab::storage::detail
