#include "framework/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab::data {
namespace {

/// Largest accepted data size (product of the dimensions), in bytes.
constexpr std::size_t kMaxDataBytes = std::size_t{1} << 31;
constexpr std::size_t kMaxDims = 4;
constexpr std::uint8_t kTypeUnsignedByte = 0x08;
constexpr std::size_t kChunk = std::size_t{1} << 16;
/// Size of the data buffer before the first read; it then doubles as long as data keeps coming.
constexpr std::size_t kFirstRead = std::size_t{1} << 20;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw DataError(path + ": " + message);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for reading; throws DataError with the system's reason if it cannot.
FilePtr open_file(const std::string& path) {
  errno = 0;
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    fail(path, std::string("cannot open: ") + (errno != 0 ? std::strerror(errno) : "unknown"));
  }
  return file;
}

/// A sequential byte source over a raw or gzip-compressed stream (a file, or memory through
/// fmemopen). `read` returns fewer bytes than asked only at the end of the (decompressed) data;
/// every I/O or gzip error throws DataError naming `path`.
class ByteStream {
 public:
  ByteStream(FilePtr file, const std::string& path) : path_(path), file_(std::move(file)) {
    in_.resize(kChunk);
    fill();
    gzip_ = in_len_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gzip_) {
      std::memset(&zs_, 0, sizeof(zs_));
      // 16 + MAX_WBITS: gzip wrapper only, with CRC-32 and length check.
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(path_, "cannot initialise zlib");
      zs_open_ = true;
      zs_.next_in = in_.data();
      zs_.avail_in = static_cast<uInt>(in_len_);
    }
  }
  ~ByteStream() {
    if (zs_open_) inflateEnd(&zs_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool gzip() const { return gzip_; }

  /// Reads up to `n` bytes into `dst`; returns the number read.
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    return gzip_ ? read_gzip(dst, n) : read_raw(dst, n);
  }

 private:
  /// Refills the input buffer from the file; sets eof_ when nothing more can be read.
  void fill() {
    in_pos_ = 0;
    in_len_ = std::fread(in_.data(), 1, in_.size(), file_.get());
    if (in_len_ < in_.size()) {
      if (std::ferror(file_.get())) fail(path_, "read error");
      eof_ = true;
    }
  }

  std::size_t read_raw(std::uint8_t* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      if (in_pos_ == in_len_) {
        if (eof_) break;
        fill();
        continue;
      }
      const std::size_t take = std::min(n - done, in_len_ - in_pos_);
      std::memcpy(dst + done, in_.data() + in_pos_, take);
      in_pos_ += take;
      done += take;
    }
    return done;
  }

  std::size_t read_gzip(std::uint8_t* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      if (stream_end_) {
        // Concatenated gzip members decode as one stream (as gunzip does); anything else after
        // the end of a member fails the header check below.
        if (zs_.avail_in == 0 && !eof_) {
          fill();
          zs_.next_in = in_.data();
          zs_.avail_in = static_cast<uInt>(in_len_);
        }
        if (zs_.avail_in == 0) break;
        if (inflateReset(&zs_) != Z_OK) fail(path_, "corrupt gzip stream: cannot reset zlib");
        stream_end_ = false;
      }
      if (zs_.avail_in == 0) {
        if (eof_) fail(path_, "corrupt gzip stream: unexpected end of compressed data");
        fill();
        zs_.next_in = in_.data();
        zs_.avail_in = static_cast<uInt>(in_len_);
        continue;
      }
      const std::size_t want = std::min<std::size_t>(n - done, std::size_t{1} << 30);
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
      } else if (rc == Z_BUF_ERROR) {
        // No progress possible: input exhausted (handled above on the next iteration).
        if (zs_.avail_in != 0) fail(path_, "corrupt gzip stream: zlib made no progress");
      } else if (rc != Z_OK) {
        std::string what = zs_.msg != nullptr ? zs_.msg : zError(rc);
        fail(path_, "corrupt gzip stream: " + what);
      }
    }
    return done;
  }

  std::string path_;
  FilePtr file_;
  std::vector<std::uint8_t> in_;
  std::size_t in_pos_ = 0;
  std::size_t in_len_ = 0;
  bool eof_ = false;
  bool gzip_ = false;
  bool zs_open_ = false;
  bool stream_end_ = false;
  z_stream zs_{};
};

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string dims_text(const std::vector<std::size_t>& dims) {
  std::string out;
  for (std::size_t d : dims) {
    if (!out.empty()) out += " x ";
    out += std::to_string(d);
  }
  return out;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", static_cast<unsigned>(v));
  return buf;
}

std::string hex8(std::uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned>(v));
  return buf;
}

/// The IDX reader behind read_idx and parse_idx.
IdxArray read_stream(FilePtr file, const std::string& path) {
  ByteStream in(std::move(file), path);
  const std::string kind = in.gzip() ? " (after gzip decompression)" : "";

  std::uint8_t magic_bytes[4];
  const std::size_t got_magic = in.read(magic_bytes, 4);
  if (got_magic < 4) {
    fail(path, "truncated: expected a 4-byte IDX header, found " + std::to_string(got_magic) +
                   " bytes" + kind);
  }
  const std::uint32_t magic = big_endian_u32(magic_bytes);
  if (magic_bytes[0] != 0 || magic_bytes[1] != 0) {
    fail(path, "not an IDX file: bad magic " + hex32(magic) +
                   " (expected 0x000008DD with DD = 01..04 dimensions)");
  }
  if (magic_bytes[2] != kTypeUnsignedByte) {
    fail(path, "unsupported IDX data type " + hex8(magic_bytes[2]) + " in magic " + hex32(magic) +
                   " (only 0x08, unsigned byte, is supported)");
  }
  const std::size_t ndims = magic_bytes[3];
  if (ndims < 1 || ndims > kMaxDims) {
    fail(path, "unsupported number of dimensions " + std::to_string(ndims) + " in magic " +
                   hex32(magic) + " (1 to " + std::to_string(kMaxDims) + ")");
  }

  std::uint8_t dim_bytes[4 * kMaxDims];
  const std::size_t got_dims = in.read(dim_bytes, 4 * ndims);
  if (got_dims < 4 * ndims) {
    fail(path, "truncated: expected " + std::to_string(4 * ndims) +
                   " bytes of dimension sizes, found " + std::to_string(got_dims) + kind);
  }
  IdxArray out;
  out.dims.resize(ndims);
  std::size_t total = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    out.dims[i] = big_endian_u32(dim_bytes + 4 * i);
    if (out.dims[i] == 0) fail(path, "dimension " + std::to_string(i) + " is 0");
  }
  for (std::size_t i = 0; i < ndims; ++i) {
    if (out.dims[i] > kMaxDataBytes / total) {
      fail(path, "dimensions " + dims_text(out.dims) + " exceed the limit of " +
                     std::to_string(kMaxDataBytes) + " bytes of data");
    }
    total *= out.dims[i];
  }
  if (total >= kMaxDataBytes) {
    fail(path, "dimensions " + dims_text(out.dims) + " exceed the limit of " +
                   std::to_string(kMaxDataBytes) + " bytes of data");
  }

  // The buffer grows with the data actually read, doubling from kFirstRead: a short file whose
  // header claims up to kMaxDataBytes costs memory for what it holds, not for what it claims.
  std::size_t got = 0;
  while (got < total) {
    const std::size_t want = std::min(total, std::max(2 * got, kFirstRead));
    out.data.reserve(want);  // exactly: the final capacity is the data size
    out.data.resize(want);
    got += in.read(out.data.data() + got, want - got);
    if (got < want) break;
  }
  if (got < total) {
    fail(path, "truncated: expected " + std::to_string(total) + " bytes of data, found " +
                   std::to_string(got) + kind);
  }
  // Count (and, for gzip, verify up to the CRC) whatever follows the data.
  std::size_t trailing = 0;
  std::array<std::uint8_t, 4096> scratch;
  for (;;) {
    const std::size_t n = in.read(scratch.data(), scratch.size());
    trailing += n;
    if (n < scratch.size()) break;
  }
  if (trailing != 0) {
    fail(path, std::to_string(trailing) + " trailing bytes after the " + std::to_string(total) +
                   " bytes of data of a " + dims_text(out.dims) + " array" + kind);
  }
  return out;
}

}  // namespace

IdxArray read_idx(const std::string& path) { return read_stream(open_file(path), path); }

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  // fmemopen only reads the buffer in "rb" mode; it needs a valid pointer even for size 0.
  static std::uint8_t empty = 0;
  void* buffer = size == 0 ? &empty : const_cast<std::uint8_t*>(bytes);
  FilePtr file(fmemopen(buffer, size, "rb"));
  if (!file) fail(name, "cannot open the in-memory buffer");
  return read_stream(std::move(file), name);
}

FileBytes read_data_file(const std::string& path, std::size_t max_bytes) {
  ByteStream in(open_file(path), path);
  FileBytes out;
  out.gzip = in.gzip();
  // Reading one byte beyond the limit tells a file of exactly max_bytes from a longer one.
  const std::size_t cap = std::min(max_bytes, std::numeric_limits<std::size_t>::max() - 1) + 1;
  std::size_t got = 0;
  for (;;) {
    const std::size_t want = std::min(cap, std::max(2 * got, kFirstRead));
    out.bytes.reserve(want);
    out.bytes.resize(want);
    got += in.read(out.bytes.data() + got, want - got);
    if (got < want || want == cap) break;
  }
  if (got > max_bytes) {
    fail(path, "more than the limit of " + std::to_string(max_bytes) + " bytes" +
                   (out.gzip ? " (after gzip decompression)" : ""));
  }
  out.bytes.resize(got);
  return out;
}

std::string resolve_data_file(const std::string& dir, const std::string& name) {
  const std::filesystem::path base(dir);
  std::string gz = (base / (name + ".gz")).string();
  std::string raw = (base / name).string();
  std::error_code ec;
  if (std::filesystem::is_regular_file(gz, ec)) return gz;
  if (std::filesystem::is_regular_file(raw, ec)) return raw;
  throw DataError(gz + ": not found (also tried " + raw + ")");
}

IdxPair read_idx_pair(const std::string& images_path, const std::string& labels_path,
                      std::size_t classes) {
  IdxPair pair;
  pair.images = read_idx(images_path);
  if (pair.images.dims.size() != 3) {
    fail(images_path, "expected an image file with 3 dimensions (count x rows x cols), found " +
                          std::to_string(pair.images.dims.size()) + " (" +
                          dims_text(pair.images.dims) + ")");
  }
  pair.labels = read_idx(labels_path);
  if (pair.labels.dims.size() != 1) {
    fail(labels_path, "expected a label file with 1 dimension (count), found " +
                          std::to_string(pair.labels.dims.size()) + " (" +
                          dims_text(pair.labels.dims) + ")");
  }
  const std::size_t n_images = pair.images.dims[0];
  const std::size_t n_labels = pair.labels.dims[0];
  if (n_images != n_labels) {
    fail(labels_path, std::to_string(n_labels) + " labels, but " + images_path + " has " +
                          std::to_string(n_images) + " images");
  }
  const std::uint8_t* labels = pair.labels.data.data();
  for (std::size_t i = 0; i < n_labels; ++i) {
    if (labels[i] >= classes) {
      fail(labels_path, "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) +
                            " is out of range (classes = " + std::to_string(classes) + ")");
    }
  }
  return pair;
}

}  // namespace reglab::data
