/// Kernel-side file copies (storage/file_copy.hpp).
#include "framework/storage/file_copy.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace reglab::storage::detail {
namespace {

/// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now; returns close()'s result.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

/// Copies what is left of `in` to `out` with read/write; returns 0 or the errno.
int copy_by_reading(int in, int out) {
  std::vector<char> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return w < 0 ? errno : EIO;
      done += w;
    }
  }
}

/// Copies `in` to `out`: copy_file_range while the kernel can, then read/write. Returns 0 or the
/// errno.
int copy_contents(int in, int out) {
  for (;;) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, std::size_t{1} << 30, 0);
    if (n == 0) return 0;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) return errno;
    return copy_by_reading(in, out);  // continues at the offsets copy_file_range reached
  }
}

}  // namespace

void copy_file(const std::string& from, const std::string& to, const Where& where) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    const int err = errno;
    fail_errno(where, "cannot open " + from, err);
  }
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (out.get() < 0) {
    const int err = errno;
    fail_errno(where, "cannot create temporary file " + to, err);
  }
  if (::ioctl(out.get(), FICLONE, in.get()) != 0) {
    const int err = copy_contents(in.get(), out.get());
    if (err != 0) fail_errno(where, "cannot copy " + from + " to " + to, err);
  }
  if (out.close() != 0) {
    const int err = errno;
    fail_errno(where, "cannot close temporary file " + to, err);
  }
}

}  // namespace reglab::storage::detail
