/// The recording HDF5 file driver (storage/hdf5_file_driver.hpp): sec2's POSIX I/O, with write
/// errors kept in a WriteError instead of being returned to the library.
#include "framework/storage/hdf5_file_driver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace reglab::storage::detail {
namespace {

/// The driver's state of one open file; `pub` must come first (HDF5 casts between the two).
struct DriverFile {
  H5FD_t pub;
  int fd = -1;
  haddr_t eoa = 0;  ///< end of the address space HDF5 allocated
  haddr_t eof = 0;  ///< end of the file on disk
  WriteError* sink = nullptr;
};

/// The driver's per-file-access settings: where failed writes go.
struct DriverConfig {
  WriteError* sink = nullptr;
};

DriverFile* as_file(H5FD_t* file) { return reinterpret_cast<DriverFile*>(file); }
const DriverFile* as_file(const H5FD_t* file) { return reinterpret_cast<const DriverFile*>(file); }

void record(DriverFile* f, int error) {
  if (f->sink != nullptr && f->sink->error == 0) f->sink->error = error;
}

bool failed(const DriverFile* f) { return f->sink != nullptr && f->sink->error != 0; }

int open_flags(unsigned flags) {
  int o = (flags & H5F_ACC_RDWR) != 0 ? O_RDWR : O_RDONLY;
  if ((flags & H5F_ACC_TRUNC) != 0) o |= O_TRUNC;
  if ((flags & H5F_ACC_CREAT) != 0) o |= O_CREAT;
  if ((flags & H5F_ACC_EXCL) != 0) o |= O_EXCL;
  return o | O_CLOEXEC;
}

H5FD_t* open_file(const char* name, unsigned flags, hid_t fapl, haddr_t /*maxaddr*/) {
  const auto* config = static_cast<const DriverConfig*>(H5Pget_driver_info(fapl));
  const int fd = ::open(name, open_flags(flags), 0666);
  if (fd < 0) return nullptr;
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return nullptr;
  }
  auto* f = new (std::nothrow) DriverFile{};
  if (f == nullptr) {
    ::close(fd);
    return nullptr;
  }
  f->fd = fd;
  f->eof = static_cast<haddr_t>(info.st_size);
  f->sink = config != nullptr ? config->sink : nullptr;
  return &f->pub;
}

herr_t close_file(H5FD_t* file) {
  DriverFile* f = as_file(file);
  if (::close(f->fd) != 0) record(f, errno);
  delete f;
  return 0;
}

herr_t query(const H5FD_t* /*file*/, unsigned long* flags) {
  *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
           H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE;
  return 0;
}

haddr_t get_eoa(const H5FD_t* file, H5FD_mem_t /*type*/) { return as_file(file)->eoa; }

herr_t set_eoa(H5FD_t* file, H5FD_mem_t /*type*/, haddr_t addr) {
  as_file(file)->eoa = addr;
  return 0;
}

haddr_t get_eof(const H5FD_t* file, H5FD_mem_t /*type*/) { return as_file(file)->eof; }

herr_t get_handle(H5FD_t* file, hid_t /*fapl*/, void** handle) {
  *handle = &as_file(file)->fd;
  return 0;
}

/// Reads `size` bytes at `addr`; what lies beyond the end of the file reads as zeros.
herr_t read_bytes(H5FD_t* file, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t addr, size_t size,
                  void* buffer) {
  const DriverFile* f = as_file(file);
  auto* out = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pread(f->fd, out, size, static_cast<off_t>(addr));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    out += n;
    addr += static_cast<haddr_t>(n);
    size -= static_cast<size_t>(n);
  }
  std::memset(out, 0, size);
  return 0;
}

/// Writes `size` bytes at `addr`; a failure is recorded and later writes are skipped.
herr_t write_bytes(H5FD_t* file, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t addr, size_t size,
                   const void* buffer) {
  DriverFile* f = as_file(file);
  if (failed(f)) return 0;
  const auto* in = static_cast<const unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pwrite(f->fd, in, size, static_cast<off_t>(addr));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      record(f, n < 0 ? errno : EIO);
      return 0;
    }
    in += n;
    addr += static_cast<haddr_t>(n);
    size -= static_cast<size_t>(n);
    if (addr > f->eof) f->eof = addr;
  }
  return 0;
}

/// Makes the file end where HDF5's address space ends.
herr_t truncate_file(H5FD_t* file, hid_t /*dxpl*/, hbool_t /*closing*/) {
  DriverFile* f = as_file(file);
  if (failed(f) || f->eoa == f->eof) return 0;
  if (::ftruncate(f->fd, static_cast<off_t>(f->eoa)) != 0) {
    record(f, errno);
    return 0;
  }
  f->eof = f->eoa;
  return 0;
}

/// The driver's class; the fields left null take HDF5's defaults.
H5FD_class_t driver_class() {
  H5FD_class_t c{};
  c.name = "reglab_recording";
  c.maxaddr = (static_cast<haddr_t>(1) << 62) - 1;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.fapl_size = sizeof(DriverConfig);
  c.open = open_file;
  c.close = close_file;
  c.query = query;
  c.get_eoa = get_eoa;
  c.set_eoa = set_eoa;
  c.get_eof = get_eof;
  c.get_handle = get_handle;
  c.read = read_bytes;
  c.write = write_bytes;
  c.truncate = truncate_file;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  std::memcpy(c.fl_map, map, sizeof map);
  return c;
}

/// The driver's id, registered on first use (for the life of the process).
hid_t driver_id() {
  static const H5FD_class_t c = driver_class();
  static const hid_t id = H5FDregister(&c);
  return id;
}

}  // namespace

hid_t recording_file_access(WriteError* sink) {
  const hid_t id = driver_id();
  if (id < 0) return H5I_INVALID_HID;
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return H5I_INVALID_HID;
  const DriverConfig config{sink};
  if (H5Pset_driver(fapl, id, &config) < 0) {
    H5Pclose(fapl);
    return H5I_INVALID_HID;
  }
  return fapl;
}

}  // namespace reglab::storage::detail
