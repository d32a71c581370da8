/// Reader for the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009, "Learning Multiple
/// Layers of Features from Tiny Images"; https://www.cs.toronto.edu/~kriz/cifar.html).
///
/// Format: a file is a sequence of fixed-size records, with no header.
///   CIFAR-10   1 label byte (0..9), then 3072 pixel bytes: 3073 bytes per record.
///   CIFAR-100  1 coarse label byte (0..19), 1 fine label byte (0..99), then 3072 pixel bytes:
///              3074 bytes per record.
/// The 3072 pixel bytes are the red, then the green, then the blue plane of a 32 x 32 image, each
/// plane row-major: byte c * 1024 + y * 32 + x is channel c of pixel (y, x). That is reglab's
/// channel-major layout, so each record's pixel bytes become one row of Dataset::images as they
/// are, with sample_shape {3, 32, 32}.
///
/// Files, in the folder of the official "binary version" archives (`cifar-10-batches-bin`,
/// `cifar-100-binary`), each raw or gzip-compressed (`NAME.gz` is used if both exist):
///   CIFAR-10   train: data_batch_1.bin .. data_batch_5.bin, concatenated in that order;
///              test: test_batch.bin
///   CIFAR-100  train: train.bin; test: test.bin
///
/// Every check failure throws DataError naming the file: missing file, empty file, a size that is
/// not a whole number of records, a label out of range (with the record number and the byte
/// offset of the label, counted in the decompressed data), a file larger than 2^31 bytes.
#pragma once

#include <string>

#include "framework/data/dataset.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::data {

/// Which of the two CIFAR-100 labels a dataset uses as its class.
enum class Cifar100Label {
  kFine,   ///< 100 classes
  kCoarse  ///< 20 superclasses
};

/// Loads CIFAR-10 from the folder `dir`: 50000 training and 10000 test images in the official
/// files, 10 classes. Records every file read with its SHA-256. Throws DataError.
Source load_cifar10(const std::string& dir);

/// Loads CIFAR-100 from the folder `dir` with the fine (100 classes) or the coarse (20 classes)
/// labels. Both label bytes of every record are checked whichever is used. Records every file
/// read with its SHA-256. Throws DataError.
Source load_cifar100(const std::string& dir, Cifar100Label label);

/// Dataset factory `cifar10`: reads the required option `path` (the folder) and returns the
/// loader. The caller calls finish().
DataLoader cifar10_dataset(config::OptionReader& reader);

/// Dataset factory `cifar100`: reads the required option `path` (the folder) and `label`
/// (`fine`, the default, or `coarse`) and returns the loader. The caller calls finish().
DataLoader cifar100_dataset(config::OptionReader& reader);

}  // namespace reglab::data
