#include "framework/data/cifar.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/data/idx.hpp"

namespace reglab::data {
namespace {

constexpr std::size_t kChannels = 3;
constexpr std::size_t kSide = 32;
constexpr std::size_t kPixelBytes = kChannels * kSide * kSide;
/// Largest accepted file, in bytes after decompression (the official files have 30730000 and
/// 153700000 bytes).
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 31;
constexpr std::size_t kMaxFilesPerSplit = 5;
static_assert(kMaxFilesPerSplit * (kMaxFileBytes / kPixelBytes) <=
                  std::numeric_limits<std::uint32_t>::max(),
              "a split's sample count must fit the uint32 indices of Split");

/// One label byte of a record: its name in messages and the number of values it may take.
struct LabelByte {
  const char* name;
  std::size_t classes;
};

/// The records of a CIFAR variant: its label bytes in file order, then the pixel bytes.
struct RecordLayout {
  std::vector<LabelByte> labels;
  std::size_t used = 0;  ///< the label byte that becomes the class
  std::size_t record_bytes() const { return labels.size() + kPixelBytes; }
};

/// The checked records of one file.
struct Records {
  std::string path;
  FileBytes data;
  std::size_t count = 0;
};

/// Throws DataError if a label byte of any record of `r` is out of its range.
void check_labels(const Records& r, const RecordLayout& layout) {
  const std::size_t record_bytes = layout.record_bytes();
  const std::uint8_t* bytes = r.data.bytes.data();
  for (std::size_t i = 0; i < r.count; ++i) {
    for (std::size_t k = 0; k < layout.labels.size(); ++k) {
      const std::size_t offset = i * record_bytes + k;
      const LabelByte& label = layout.labels[k];
      if (bytes[offset] < label.classes) continue;
      throw DataError(r.path + ": record " + std::to_string(i) + " (offset " +
                      std::to_string(offset) + (r.data.gzip ? " after gzip decompression" : "") +
                      "): " + label.name + " " + std::to_string(bytes[offset]) + " is outside 0.." +
                      std::to_string(label.classes - 1));
    }
  }
}

/// Reads `path` whole and checks its size and every label byte.
Records read_records(const std::string& path, const RecordLayout& layout) {
  Records r;
  r.path = path;
  r.data = read_data_file(path, kMaxFileBytes);
  const std::size_t size = r.data.bytes.size();
  const std::string record_bytes = std::to_string(layout.record_bytes());
  const std::string kind = r.data.gzip ? " (after gzip decompression)" : "";
  if (size == 0) {
    throw DataError(path + ": empty file" + kind + ", expected " + record_bytes + "-byte records");
  }
  if (size % layout.record_bytes() != 0) {
    throw DataError(path + ": " + std::to_string(size) + " bytes" + kind +
                    " is not a whole number of " + record_bytes + "-byte records");
  }
  r.count = size / layout.record_bytes();
  check_labels(r, layout);
  return r;
}

/// Reads the files of one split in order into one Dataset (the layout's used label as class)
/// and appends each to `files` with its SHA-256.
Dataset load_split(const std::vector<std::string>& paths, const RecordLayout& layout,
                   std::vector<DataFile>& files) {
  std::vector<Records> parts;
  std::size_t n = 0;
  for (const std::string& path : paths) {
    parts.push_back(read_records(path, layout));
    n += parts.back().count;
    files.push_back({path, sha256_file(path)});
  }
  Dataset ds;
  ds.classes = layout.labels[layout.used].classes;
  ds.sample_shape = {kChannels, kSide, kSide};
  ds.images = ByteMatrix::from_shape({n, kPixelBytes});
  ds.labels = LabelVector::from_shape({n});
  std::size_t row = 0;
  for (Records& part : parts) {
    const std::uint8_t* record = part.data.bytes.data();
    for (std::size_t i = 0; i < part.count; ++i, ++row, record += layout.record_bytes()) {
      ds.labels(row) = record[layout.used];
      std::copy(record + layout.labels.size(), record + layout.record_bytes(),
                ds.images.data() + row * kPixelBytes);
    }
    part.data.bytes = std::vector<std::uint8_t>();  // release each file once copied
  }
  return ds;
}

/// Resolves every file before reading any, so a missing test file fails without first reading
/// the training files.
Source load_cifar(std::string description, const std::string& dir,
                  const std::vector<std::string>& train_names, const std::string& test_name,
                  const RecordLayout& layout) {
  std::vector<std::string> train_paths;
  for (const std::string& name : train_names) train_paths.push_back(resolve_data_file(dir, name));
  const std::string test_path = resolve_data_file(dir, test_name);
  Source src;
  src.description = std::move(description);
  src.train = load_split(train_paths, layout, src.files);
  src.test = load_split({test_path}, layout, src.files);
  return src;
}

}  // namespace

Source load_cifar10(const std::string& dir) {
  const RecordLayout layout{{{"label", 10}}, 0};
  return load_cifar("cifar10 from " + dir, dir,
                    {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                     "data_batch_5.bin"},
                    "test_batch.bin", layout);
}

Source load_cifar100(const std::string& dir, Cifar100Label label) {
  const bool fine = label == Cifar100Label::kFine;
  const RecordLayout layout{{{"coarse label", 20}, {"fine label", 100}}, fine ? 1u : 0u};
  return load_cifar(std::string("cifar100 (") + (fine ? "fine" : "coarse") + " labels) from " + dir,
                    dir, {"train.bin"}, "test.bin", layout);
}

DataLoader cifar10_dataset(config::OptionReader& reader) {
  const std::string path = reader.require_string("path");
  return [path] { return load_cifar10(path); };
}

DataLoader cifar100_dataset(config::OptionReader& reader) {
  const std::string path = reader.require_string("path");
  const std::string label = reader.get_string("label", "fine", {"fine", "coarse"});
  const Cifar100Label which = label == "coarse" ? Cifar100Label::kCoarse : Cifar100Label::kFine;
  return [path, which] { return load_cifar100(path, which); };
}

}  // namespace reglab::data
