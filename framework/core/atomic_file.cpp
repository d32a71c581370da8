#include "framework/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab {
namespace {

/// Throws StorageError "PATH: ACTION: WHAT (strerror)".
struct Where {
  std::string path;
  std::string action;
};

[[noreturn]] void fail_errno(const Where& where, const std::string& what, int err) {
  throw StorageError(where.path + ": " + where.action + ": " + what + " (" + std::strerror(err) +
                     ")");
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

/// True while a DeferredDirectorySync is alive.
bool g_deferring = false;

/// The folders whose fsync a DeferredDirectorySync holds back, each with one file published in
/// it (for the error message).
std::map<std::string, std::string>& deferred_folders() {
  static std::map<std::string, std::string> folders;
  return folders;
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

/// fsync()s the finished temporary file `name`.
void sync_file(const std::string& name, const Where& where) {
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    fail_errno(where, "cannot open temporary file " + name, err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail_errno(where, "cannot fsync temporary file " + name, err);
  }
  ::close(fd);
}

}  // namespace

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

void refuse_overwrite(const std::string& path) {
  throw StorageError(path +
                     " exists; refusing to overwrite it (remove it, choose another output path, "
                     "or pass --overwrite)");
}

void publish_file(const std::string& path, const char* data, std::size_t size, bool overwrite,
                  const std::string& action) {
  const Where where{path, action};
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_file(tmp, data, size, where);
    move_into_place(tmp, path, overwrite, where);
  } catch (...) {
    ::unlink(tmp.c_str());  // whatever failed, never leave a temporary file behind
    throw;
  }
  if (g_deferring) {
    deferred_folders().emplace(parent_directory(path), path);
  } else {
    sync_directory(parent_directory(path), path);
  }
}

DeferredDirectorySync::DeferredDirectorySync() {
  if (!g_deferring) {
    g_deferring = true;
    owner_ = true;
  }
}

DeferredDirectorySync::~DeferredDirectorySync() {
  if (!owner_) return;
  try {
    sync();
  } catch (const StorageError&) {
    // A destructor cannot report it; callers that must know call sync() themselves.
  }
  deferred_folders().clear();
  g_deferring = false;
}

void DeferredDirectorySync::sync() {
  if (!owner_) return;
  const std::map<std::string, std::string> folders = std::move(deferred_folders());
  deferred_folders().clear();
  for (const auto& [folder, file] : folders) sync_directory(folder, file);
}

void publish_temporary(const std::string& tmp, const std::string& path, bool overwrite,
                       const std::string& action) {
  const Where where{path, action};
  try {
    sync_file(tmp, where);
    move_into_place(tmp, path, overwrite, where);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  sync_directory(parent_directory(path), path);
}

void publish_file(const std::string& path, const std::string& bytes, bool overwrite,
                  const std::string& action) {
  publish_file(path, bytes.data(), bytes.size(), overwrite, action);
}

}  // namespace reglab
