/// Reader for the IDX format of the MNIST family (LeCun et al.), gzip-compressed or raw.
///
/// Format: big-endian magic 0x0000TTDD (TT = 0x08 unsigned byte, DD = number of dimensions),
/// DD big-endian uint32 dimension sizes, then the data. Only unsigned-byte files are accepted.
/// Every check failure throws DataError naming the file: bad magic, unsupported type, zero or
/// absurd dimensions, size that does not match the header (truncated or trailing bytes), corrupt
/// gzip stream.
///
/// The helpers every file-based dataset shares live here too, next to the byte reader they use:
/// `resolve_data_file` finds NAME.gz or NAME in a folder, `read_data_file` reads a whole file
/// (raw or gzip) into memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"

namespace reglab::data {

struct IdxArray {
  std::vector<std::size_t> dims;
  std::vector<std::uint8_t> data;  ///< product(dims) bytes
};

/// Reads the whole file, decompressing it if it starts with the gzip magic.
IdxArray read_idx(const std::string& path);

/// Parses an IDX file held in memory (`size` bytes at `bytes`, raw or gzip-compressed) with the
/// same reader as read_idx; `name` stands for the file in error messages. Throws DataError.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

/// A whole data file in memory.
struct FileBytes {
  std::vector<std::uint8_t> bytes;  ///< the data, after gzip decompression
  bool gzip = false;                ///< whether the file was gzip-compressed
};

/// Reads the whole file, decompressing it if it starts with the gzip magic (concatenated members
/// decode as one stream). Throws DataError naming the file if it cannot be opened or read, if the
/// gzip stream is corrupt, or if it holds more than `max_bytes` bytes (after decompression);
/// memory grows with the data actually read, never beyond max_bytes + 1.
FileBytes read_data_file(const std::string& path, std::size_t max_bytes);

/// `dir/NAME.gz` if it is a regular file, else `dir/NAME`; throws DataError naming both if neither
/// exists.
std::string resolve_data_file(const std::string& dir, const std::string& name);

/// Reads an image file (3 dims: count, rows, cols) and a label file (1 dim: count) and checks that
/// the counts agree and every label is < `classes`. The bytes are decoded straight into the
/// tensors a Dataset keeps (no second copy of a 47 MB training set in memory).
struct IdxPair {
  std::vector<std::size_t> image_dims;  ///< count, rows, cols
  ByteMatrix images;                    ///< count x (rows * cols)
  LabelVector labels;                   ///< count
};
IdxPair read_idx_pair(const std::string& images_path, const std::string& labels_path,
                      std::size_t classes);

}  // namespace reglab::data
