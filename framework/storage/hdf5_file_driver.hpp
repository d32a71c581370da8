/// An HDF5 file driver for files that HDF5 writes on disk itself (storage/results_writer.hpp):
/// POSIX pread/pwrite like HDF5's sec2 driver, except that a failed write or truncate is recorded
/// instead of returned to the library.
///
/// Why: in HDF5 1.10.8 a write error inside the library (disk full, EFBIG) makes H5Fclose fail and
/// leaves a half-closed file that crashes the process when the library shuts down at exit. With
/// this driver the library never sees the error: the first one is kept in a WriteError (errno),
/// later writes are skipped, and the writer checks it after each step and after H5Fclose and then
/// throws an ordinary StorageError and removes its temporary file. Not part of the public API.
#pragma once

#include <hdf5.h>

namespace reglab::storage::detail {

/// The first failed write of a file opened with recording_file_access(): 0 while none failed.
struct WriteError {
  int error = 0;
};

/// File access properties that select the recording driver; failed writes land in `*sink`,
/// which must outlive every file opened with them. The properties close with H5Pclose.
hid_t recording_file_access(WriteError* sink);

}  // namespace reglab::storage::detail
