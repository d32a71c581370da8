/// Internal plumbing shared by storage/'s writers and readers (results_*.cpp, export.cpp): owned
/// HDF5 ids, quiet HDF5 error stacks turned into StorageError messages that name the file and the
/// operation, the variable-length string type, object paths, and atomic publication of a finished
/// file image (temporary file, fsync, link or rename, fsync of the directory). Not part of the
/// public storage API.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <string>

#include "framework/core/atomic_file.hpp"

namespace reglab::storage::detail {

/// Owns one hid_t and closes it with the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  ~Handle() { reset(); }

  /// The owned id (negative if none).
  hid_t get() const { return id_; }
  /// Closes the id now and returns the close function's status.
  herr_t close();

 private:
  void reset() noexcept;
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// Turns off HDF5's automatic printing of error stacks for its lifetime (errors become
/// StorageError messages instead) and restores the previous setting afterwards.
class QuietHdf5Errors {
 public:
  QuietHdf5Errors();
  QuietHdf5Errors(const QuietHdf5Errors&) = delete;
  QuietHdf5Errors& operator=(const QuietHdf5Errors&) = delete;
  ~QuietHdf5Errors();

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The current HDF5 error stack as one line: the failing call's message, then the innermost one.
/// Clears the stack.
std::string hdf5_error_text();

/// Names the file and the operation in every error message.
struct Where {
  std::string path;
  std::string action;  ///< e.g. "cannot write results"
};

/// Throws StorageError "PATH: ACTION: WHAT".
[[noreturn]] void fail(const Where& where, const std::string& what);
/// fail() with the HDF5 error stack appended.
[[noreturn]] void fail_hdf5(const Where& where, const std::string& what);
/// fail() with strerror(err) appended.
[[noreturn]] void fail_errno(const Where& where, const std::string& what, int err);
/// Wraps `id`, or fails with the HDF5 error if it is negative.
Handle make(hid_t id, Handle::Closer closer, const Where& where, const std::string& what);
/// Fails with the HDF5 error if `status` is negative.
void ok(herr_t status, const Where& where, const std::string& what);
/// `name` in quotes for a message, shortened if very long.
std::string quoted(const std::string& name);
/// The variable-length UTF-8 string type, used in memory and in the file.
Handle vlen_string_type(const Where& where, const std::string& what);
/// The path of link `name` of the group at `parent` ("/" gets no second slash).
std::string child_path(const std::string& parent, const std::string& name);

using reglab::path_exists;
using reglab::refuse_overwrite;

/// core/atomic_file.hpp's publish_file, with the message's action taken from `where`.
void publish_bytes(const std::string& path, const char* data, std::size_t size, bool overwrite,
                   const Where& where);

}  // namespace reglab::storage::detail
