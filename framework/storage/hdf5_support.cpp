#include "framework/storage/hdf5_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"

namespace reglab::storage::detail {

Handle::Handle(Handle&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = other.closer_;
  }
  return *this;
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = H5I_INVALID_HID;
}

QuietHdf5Errors::QuietHdf5Errors() {
  if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
    func_ = nullptr;
    data_ = nullptr;
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5Errors::~QuietHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

namespace {

extern "C" herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  try {
    auto* out = static_cast<std::vector<std::string>*>(data);
    std::string desc = err->desc != nullptr ? err->desc : "";
    if (desc.empty()) {
      char buf[256] = {};
      if (H5Eget_msg(err->min_num, nullptr, buf, sizeof buf) > 0) desc = buf;
    }
    if (!desc.empty()) out->push_back(desc);
    return 0;
  } catch (...) {
    return -1;
  }
}

void write_file(const std::string& name, const char* data, std::size_t size, const Where& where) {
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    fail_errno(where, "cannot create temporary file " + name, err);
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      fail_errno(where, "cannot write temporary file " + name, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail_errno(where, "cannot fsync temporary file " + name, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    fail_errno(where, "cannot close temporary file " + name, err);
  }
}

std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

/// fsync()s the directory `name` after `path` was published in it, so the rename is durable.
void sync_directory(const std::string& name, const std::string& path) {
  const auto failed = [&](const std::string& what, int err) {
    throw StorageError(path + " was written, but " + what + " failed (" + std::strerror(err) +
                       "), so it may not survive a power failure");
  };
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (fd < 0) {
    const int err = errno;
    failed("opening its directory " + name, err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    // Some file systems cannot fsync a directory; the rename is then as durable as they allow.
    if (err != EINVAL && err != ENOTSUP) failed("fsync of its directory " + name, err);
    return;
  }
  ::close(fd);
}

/// Moves `tmp` to `path` (see publish_bytes).
void move_into_place(const std::string& tmp, const std::string& path, bool overwrite,
                     const Where& where) {
  if (!overwrite) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      return;
    }
    const int err = errno;
    if (err == EEXIST) refuse_overwrite(path);
    if (err != EPERM && err != ENOTSUP && err != ENOSYS && err != EMLINK && err != EXDEV) {
      fail_errno(where, "cannot move " + tmp + " to " + path, err);
    }
    if (path_exists(path)) refuse_overwrite(path);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    fail_errno(where, "cannot rename " + tmp + " to " + path, err);
  }
}

}  // namespace

std::string hdf5_error_text() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &descs);
  H5Eclear2(H5E_DEFAULT);
  if (descs.empty()) return "HDF5 reported no details";
  std::string text = descs.front();
  if (descs.size() > 1 && descs.back() != descs.front()) text += ": " + descs.back();
  return text;
}

void fail(const Where& where, const std::string& what) {
  throw StorageError(where.path + ": " + where.action + ": " + what);
}

void fail_hdf5(const Where& where, const std::string& what) {
  const std::string detail = hdf5_error_text();
  fail(where, what + " (HDF5: " + detail + ")");
}

void fail_errno(const Where& where, const std::string& what, int err) {
  fail(where, what + " (" + std::strerror(err) + ")");
}

Handle make(hid_t id, Handle::Closer closer, const Where& where, const std::string& what) {
  if (id < 0) fail_hdf5(where, what);
  return Handle(id, closer);
}

void ok(herr_t status, const Where& where, const std::string& what) {
  if (status < 0) fail_hdf5(where, what);
}

std::string quoted(const std::string& name) {
  constexpr std::size_t kMax = 80;
  if (name.size() <= kMax) return "'" + name + "'";
  return "'" + name.substr(0, kMax) + "...' (" + std::to_string(name.size()) + " bytes)";
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

void refuse_overwrite(const std::string& path) {
  throw StorageError(path +
                     " exists; refusing to overwrite it (remove it, choose another output path, "
                     "or pass --overwrite)");
}

void publish_bytes(const std::string& path, const char* data, std::size_t size, bool overwrite,
                   const Where& where) {
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_file(tmp, data, size, where);
    move_into_place(tmp, path, overwrite, where);
  } catch (...) {
    ::unlink(tmp.c_str());  // whatever failed, never leave a temporary file behind
    throw;
  }
  sync_directory(parent_directory(path), path);
}

}  // namespace reglab::storage::detail
