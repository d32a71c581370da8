/// Datasets and splits.
///
/// A Dataset keeps images as uint8 rows (one row per sample, pixels in the file's order) and
/// labels as uint8; batches are converted to float in [0, 1] by `gather_batch`. A regression set
/// instead keeps float inputs and float targets (Dataset::regression()): `gather_batch` copies
/// its inputs as they are and `gather_targets` its targets; the loss is then the squared error
/// (models/loss.hpp) instead of the softmax cross-entropy, implied by the dataset, and accuracy
/// is not defined (recorded as NaN). Splits are index lists into a Dataset, so holding out a
/// validation set or taking a subset copies no pixels.
///
/// Datasets by name (`data.dataset`):
///   fashion-mnist  IDX files of the Debian package dataset-fashion-mnist
///                  (default path /usr/share/datasets/fashion-mnist, override with `path`)
///   mnist          user-supplied MNIST IDX files in `path` (same file names as Fashion-MNIST)
///   idx            any IDX image/label files: `train_images`, `train_labels`, `test_images`,
///                  `test_labels`
///   cifar10        user-supplied CIFAR-10 binary files in `path` (the folder
///                  cifar-10-batches-bin of the official archive); data/cifar.hpp
///   cifar100       user-supplied CIFAR-100 binary files in `path` (the folder
///                  cifar-100-binary), `label` fine (default, 100 classes) or coarse (20)
///   synthetic      a small generated set for fast tests (`train_samples`, `test_samples`,
///                  `features`, `classes`, `noise`, `seed`): per class a random prototype in
///                  [0, 255], each sample its prototype plus uniform noise of amplitude
///                  noise*255, clipped; labels cycle through the classes; streams "synthetic"
///                  0 (prototypes), 1 (train), 2 (test) of the `seed` option
///   teacher_student  a noisy linear teacher for regression (data/teacher_student.hpp)
/// In a directory, each file may be gzip-compressed (`NAME.gz`) or raw (`NAME`); if both exist,
/// `NAME.gz` is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framework/core/registry.hpp"
#include "framework/core/tensor.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::data {

/// Either a classification set (images and labels) or a regression set (inputs and targets,
/// images and labels empty).
struct Dataset {
  ByteMatrix images;   ///< samples x features
  LabelVector labels;  ///< samples
  Matrix inputs;       ///< regression: samples x features, used as they are; else empty
  Matrix targets;      ///< regression: samples x outputs; else empty
  /// Classes, or for a regression set its outputs (the width of the network's output layer).
  std::size_t classes = 0;
  std::vector<std::size_t> sample_shape;  ///< e.g. {28, 28}, or {3, 32, 32} (channels first)
  bool regression() const { return targets.size() != 0; }
  std::size_t size() const { return regression() ? targets.shape()[0] : labels.size(); }
  std::size_t features() const { return regression() ? inputs.shape()[1] : images.shape()[1]; }
};

/// A data file used by a run, with its SHA-256 (of the file as stored, before decompression).
struct DataFile {
  std::string path;
  std::string sha256;
};

/// A train/test pair as provided by a dataset source, before splitting.
struct Source {
  std::string description;  ///< e.g. "fashion-mnist from /usr/share/datasets/fashion-mnist"
  Dataset train;
  Dataset test;
  std::vector<DataFile> files;
};

/// Sample indices into a Dataset.
struct Split {
  const Dataset* dataset = nullptr;
  std::vector<std::uint32_t> indices;
  std::size_t size() const { return indices.size(); }
};

/// The three splits a run uses. `validation` may be empty.
struct Splits {
  Split train;
  Split validation;
  Split test;
};

/// Loads a dataset whose options were already read and checked; throws DataError naming the
/// file on bad data.
using DataLoader = std::function<Source()>;

/// A factory reads and checks its own options (everything except `dataset`, `train_size`,
/// `validation_size` and the randomisations) when the run is planned, and returns the loader
/// that reads the files when the run starts. So a misspelt or out-of-range dataset option fails
/// before any cell runs. The caller calls finish() on the reader.
using DatasetRegistry = Registry<DataLoader(config::OptionReader&)>;
/// Adds the built-in datasets to `reg`.
void register_builtin(DatasetRegistry& reg);

/// Holds out `validation_size` random training samples, then keeps a random subset of
/// `train_size` of the rest (0 = all), both drawn from the "split" stream of `seed`. Indices in
/// each split are sorted. Throws DataError if the sizes exceed the data.
Splits make_splits(const Source& source, std::size_t train_size, std::size_t validation_size,
                   std::uint64_t seed);

/// Converts samples `indices[0..n)` of `dataset` into rows [0, n) of `x` (scaled by 1/255) and
/// writes their labels into `labels[0..n)`. `x` must have at least n rows and features() columns.
/// For a regression set the inputs are copied unscaled and `labels` is not written (it may be
/// null).
void gather_batch(const Dataset& dataset, const std::uint32_t* indices, std::size_t n, Matrix& x,
                  std::uint8_t* labels);

/// Copies the targets of samples `indices[0..n)` of the regression set `dataset` into rows
/// [0, n) of `t`, which must have at least n rows and as many columns as the targets.
void gather_targets(const Dataset& dataset, const std::uint32_t* indices, std::size_t n, Matrix& t);

}  // namespace reglab::data
