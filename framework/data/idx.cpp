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
/// Deflate's largest expansion: a compressed byte never stands for more than 1032 output bytes
/// (zlib's technical details), so a gzip file of c bytes holds at most 1032 c.
constexpr std::size_t kMaxDeflateRatio = 1032;

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
    size_hint_ = read_size_hint();
  }
  ~ByteStream() {
    if (zs_open_) inflateEnd(&zs_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool gzip() const { return gzip_; }

  /// How many bytes the whole stream claims to hold, once decoded, if the claim is cheap to read
  /// and plausible: a raw file's size, or a gzip file's ISIZE trailer (its last member's size
  /// modulo 2^32) when no more than deflate's largest expansion of the compressed size; else 0.
  /// A hint only: the reader still checks what it reads.
  std::size_t size_hint() const { return size_hint_; }

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

  /// The stream's size (raw) or ISIZE trailer (gzip), read with a seek that is undone; 0 if the
  /// stream cannot seek or the claim is implausible (size_hint()).
  std::size_t read_size_hint() {
    std::FILE* f = file_.get();
    const long here = std::ftell(f);
    if (here < 0 || std::fseek(f, 0, SEEK_END) != 0) return 0;
    const long end = std::ftell(f);
    std::size_t hint = 0;
    if (end > 0 && !gzip_) {
      hint = static_cast<std::size_t>(end);
    } else if (end >= 18 && std::fseek(f, end - 4, SEEK_SET) == 0) {  // 18: the smallest gzip
      std::uint8_t t[4];
      if (std::fread(t, 1, 4, f) == 4) {
        const std::size_t isize = std::size_t{t[0]} | std::size_t{t[1]} << 8 |
                                  std::size_t{t[2]} << 16 | std::size_t{t[3]} << 24;
        if (isize / kMaxDeflateRatio <= static_cast<std::size_t>(end)) hint = isize;
      }
    }
    if (std::fseek(f, here, SEEK_SET) != 0) fail(path_, "cannot seek back after reading its size");
    std::clearerr(f);
    return hint;
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
  std::size_t size_hint_ = 0;
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
/// An IDX header: the dimensions and the number of data bytes they announce.
struct IdxHeader {
  std::vector<std::size_t> dims;
  std::size_t total = 0;
};

/// " (after gzip decompression)" for a gzip stream, else "": appended to size errors.
std::string decoded_kind(const ByteStream& in) {
  return in.gzip() ? " (after gzip decompression)" : "";
}

/// Reads and checks the magic and the dimensions.
IdxHeader read_header(ByteStream& in, const std::string& path) {
  const std::string kind = decoded_kind(in);
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
  IdxHeader h;
  h.dims.resize(ndims);
  h.total = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    h.dims[i] = big_endian_u32(dim_bytes + 4 * i);
    if (h.dims[i] == 0) fail(path, "dimension " + std::to_string(i) + " is 0");
  }
  for (std::size_t i = 0; i < ndims; ++i) {
    if (h.dims[i] > kMaxDataBytes / h.total) {
      fail(path, "dimensions " + dims_text(h.dims) + " exceed the limit of " +
                     std::to_string(kMaxDataBytes) + " bytes of data");
    }
    h.total *= h.dims[i];
  }
  if (h.total >= kMaxDataBytes) {
    fail(path, "dimensions " + dims_text(h.dims) + " exceed the limit of " +
                   std::to_string(kMaxDataBytes) + " bytes of data");
  }
  return h;
}

/// Reads the header's `total` data bytes into the buffer `place()` returns (called once, only
/// when the data is known to be complete, or about to be read in one go), then checks that
/// nothing follows.
///
/// When the stream's size hint says it holds the whole array, the bytes are decoded straight
/// into that buffer. Otherwise a staging buffer grows with the data actually read, doubling from
/// kFirstRead, so a short file whose header claims up to kMaxDataBytes costs memory for what it
/// holds, not for what it claims; the bytes are copied once at the end.
template <class Place>
void read_body(ByteStream& in, const IdxHeader& h, const std::string& path, Place place) {
  const std::size_t total = h.total;
  const std::size_t header = 4 + 4 * h.dims.size();
  std::size_t got = 0;
  if (in.size_hint() >= header && in.size_hint() - header >= total) {
    got = in.read(place(), total);
  } else {
    std::vector<std::uint8_t> staging;
    while (got < total) {
      const std::size_t want = std::min(total, std::max(2 * got, kFirstRead));
      staging.reserve(want);  // exactly: the final capacity is the data size
      staging.resize(want);
      got += in.read(staging.data() + got, want - got);
      if (got < want) break;
    }
    if (got == total) std::memcpy(place(), staging.data(), total);
  }
  if (got < total) {
    fail(path, "truncated: expected " + std::to_string(total) + " bytes of data, found " +
                   std::to_string(got) + decoded_kind(in));
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
                   " bytes of data of a " + dims_text(h.dims) + " array" + decoded_kind(in));
  }
}

IdxArray read_stream(FilePtr file, const std::string& path) {
  ByteStream in(std::move(file), path);
  IdxHeader h = read_header(in, path);
  IdxArray out;
  read_body(in, h, path, [&] {
    out.data.resize(h.total);
    return out.data.data();
  });
  out.dims = std::move(h.dims);
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
  {
    ByteStream in(open_file(images_path), images_path);
    IdxHeader h = read_header(in, images_path);
    if (h.dims.size() != 3) {
      fail(images_path, "expected an image file with 3 dimensions (count x rows x cols), found " +
                            std::to_string(h.dims.size()) + " (" + dims_text(h.dims) + ")");
    }
    read_body(in, h, images_path, [&] {
      pair.images = ByteMatrix::from_shape({h.dims[0], h.dims[1] * h.dims[2]});
      return pair.images.data();
    });
    pair.image_dims = std::move(h.dims);
  }
  ByteStream in(open_file(labels_path), labels_path);
  IdxHeader h = read_header(in, labels_path);
  if (h.dims.size() != 1) {
    fail(labels_path, "expected a label file with 1 dimension (count), found " +
                          std::to_string(h.dims.size()) + " (" + dims_text(h.dims) + ")");
  }
  read_body(in, h, labels_path, [&] {
    pair.labels = LabelVector::from_shape({h.dims[0]});
    return pair.labels.data();
  });
  const std::size_t n_images = pair.image_dims[0];
  const std::size_t n_labels = h.dims[0];
  if (n_images != n_labels) {
    fail(labels_path, std::to_string(n_labels) + " labels, but " + images_path + " has " +
                          std::to_string(n_images) + " images");
  }
  const std::uint8_t* labels = pair.labels.data();
  for (std::size_t i = 0; i < n_labels; ++i) {
    if (labels[i] >= classes) {
      fail(labels_path, "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) +
                            " is out of range (classes = " + std::to_string(classes) + ")");
    }
  }
  return pair;
}

}  // namespace reglab::data
