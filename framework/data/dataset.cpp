#include "framework/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/core/sha256.hpp"
#include "framework/data/cifar.hpp"
#include "framework/data/idx.hpp"
#include "framework/data/teacher_student.hpp"

namespace reglab::data {
namespace {

constexpr const char* kFashionMnistDefaultPath = "/usr/share/datasets/fashion-mnist";
constexpr const char* kTrainImages = "train-images-idx3-ubyte";
constexpr const char* kTrainLabels = "train-labels-idx1-ubyte";
constexpr const char* kTestImages = "t10k-images-idx3-ubyte";
constexpr const char* kTestLabels = "t10k-labels-idx1-ubyte";
constexpr std::size_t kMnistClasses = 10;
/// Largest generated synthetic set, in bytes of pixels per split.
constexpr std::int64_t kMaxSyntheticBytes = std::int64_t{1} << 30;

/// Loads one image/label pair into a Dataset and records both files with their SHA-256.
Dataset load_pair(const std::string& images_path, const std::string& labels_path,
                  std::size_t classes, std::vector<DataFile>& files) {
  IdxPair pair = read_idx_pair(images_path, labels_path, classes);
  const std::size_t n = pair.image_dims[0];
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw DataError(images_path + ": " + std::to_string(n) + " samples exceed the 2^32 limit");
  }
  Dataset ds;
  ds.classes = classes;
  ds.sample_shape = {pair.image_dims[1], pair.image_dims[2]};
  ds.images = std::move(pair.images);
  ds.labels = std::move(pair.labels);
  files.push_back({images_path, sha256_file(images_path)});
  files.push_back({labels_path, sha256_file(labels_path)});
  return ds;
}

/// Loads train and test pairs and checks that their samples have the same shape.
Source load_idx_source(std::string description, const std::string& train_images,
                       const std::string& train_labels, const std::string& test_images,
                       const std::string& test_labels, std::size_t classes) {
  Source src;
  src.description = std::move(description);
  src.train = load_pair(train_images, train_labels, classes, src.files);
  src.test = load_pair(test_images, test_labels, classes, src.files);
  if (src.test.sample_shape != src.train.sample_shape) {
    throw DataError(test_images + ": images are " + std::to_string(src.test.sample_shape[0]) +
                    " x " + std::to_string(src.test.sample_shape[1]) + " but " + train_images +
                    " has " + std::to_string(src.train.sample_shape[0]) + " x " +
                    std::to_string(src.train.sample_shape[1]));
  }
  return src;
}

Source load_mnist_dir(const std::string& name, const std::string& dir) {
  return load_idx_source(name + " from " + dir, resolve_data_file(dir, kTrainImages),
                         resolve_data_file(dir, kTrainLabels), resolve_data_file(dir, kTestImages),
                         resolve_data_file(dir, kTestLabels), kMnistClasses);
}

DataLoader fashion_mnist(config::OptionReader& r) {
  const std::string path = r.get_string("path", kFashionMnistDefaultPath);
  return [path] { return load_mnist_dir("fashion-mnist", path); };
}

DataLoader mnist(config::OptionReader& r) {
  const std::string path = r.require_string("path");
  return [path] { return load_mnist_dir("mnist", path); };
}

DataLoader idx_files(config::OptionReader& r) {
  const std::string train_images = r.require_string("train_images");
  const std::string train_labels = r.require_string("train_labels");
  const std::string test_images = r.require_string("test_images");
  const std::string test_labels = r.require_string("test_labels");
  const auto classes = static_cast<std::size_t>(r.get_int("classes", 10, 1, 256));
  return [=] {
    return load_idx_source("idx from " + train_images, train_images, train_labels, test_images,
                           test_labels, classes);
  };
}

/// `n` samples, labels cycling through the classes, each pixel its class prototype plus uniform
/// noise in [-amplitude, amplitude], rounded and clipped to [0, 255].
Dataset synthetic_split(const std::vector<std::uint8_t>& prototypes, std::size_t n,
                        std::size_t features, std::size_t classes, float amplitude, Rng& rng) {
  Dataset ds;
  ds.classes = classes;
  ds.sample_shape = {features};
  ds.images = ByteMatrix::from_shape({n, features});
  ds.labels = LabelVector::from_shape({n});
  std::uint8_t* px = ds.images.data();
  std::uint8_t* lab = ds.labels.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % classes;
    lab[i] = static_cast<std::uint8_t>(c);
    const std::uint8_t* proto = prototypes.data() + c * features;
    std::uint8_t* row = px + i * features;
    for (std::size_t j = 0; j < features; ++j) {
      const float v = static_cast<float>(proto[j]) + (2.0f * rng.uniform() - 1.0f) * amplitude;
      const float clipped = std::min(255.0f, std::max(0.0f, std::round(v)));
      row[j] = static_cast<std::uint8_t>(clipped);
    }
  }
  return ds;
}

Source make_synthetic(std::int64_t train_samples, std::int64_t test_samples, std::int64_t features,
                      std::int64_t classes, double noise, std::int64_t seed) {
  const auto f = static_cast<std::size_t>(features);
  const auto k = static_cast<std::size_t>(classes);
  const auto s = static_cast<std::uint64_t>(seed);

  std::vector<std::uint8_t> prototypes(k * f);
  Rng proto_rng = Rng::stream(s, "synthetic", 0);
  for (auto& p : prototypes) p = static_cast<std::uint8_t>(proto_rng.below(256));

  const auto amplitude = static_cast<float>(noise * 255.0);
  Rng train_rng = Rng::stream(s, "synthetic", 1);
  Rng test_rng = Rng::stream(s, "synthetic", 2);
  Source src;
  src.description = "synthetic (train_samples=" + std::to_string(train_samples) +
                    ", test_samples=" + std::to_string(test_samples) +
                    ", features=" + std::to_string(features) +
                    ", classes=" + std::to_string(classes) + ", noise=" + std::to_string(noise) +
                    ", seed=" + std::to_string(seed) + ")";
  src.train = synthetic_split(prototypes, static_cast<std::size_t>(train_samples), f, k, amplitude,
                              train_rng);
  src.test = synthetic_split(prototypes, static_cast<std::size_t>(test_samples), f, k, amplitude,
                             test_rng);
  return src;
}

/// Reads the synthetic set's options; the data is generated when the loader runs.
DataLoader synthetic(config::OptionReader& r) {
  const std::int64_t train_samples = r.get_int("train_samples", 2000, 1, 10'000'000);
  const std::int64_t test_samples = r.get_int("test_samples", 500, 1, 10'000'000);
  const std::int64_t features = r.get_int("features", 64, 1, 1 << 20);
  const std::int64_t classes = r.get_int("classes", 4, 2, 256);
  const double noise = r.get_double("noise", 0.2, config::Range::open_closed(0.0, 1.0));
  const std::int64_t seed = r.get_int("seed", 0, 0, std::numeric_limits<std::int64_t>::max());
  if (std::max(train_samples, test_samples) > kMaxSyntheticBytes / features) {
    r.fail("features", "train_samples/test_samples x features exceeds " +
                           std::to_string(kMaxSyntheticBytes) + " bytes");
  }
  return
      [=] { return make_synthetic(train_samples, test_samples, features, classes, noise, seed); };
}

}  // namespace

void register_builtin(DatasetRegistry& reg) {
  reg.add("fashion-mnist",
          "Fashion-MNIST IDX files (option path, default /usr/share/datasets/fashion-mnist)",
          fashion_mnist);
  reg.add("mnist", "MNIST IDX files in the directory given by the required option path", mnist);
  reg.add("idx",
          "any IDX image/label files: train_images, train_labels, test_images, test_labels, "
          "classes (default 10)",
          idx_files);
  reg.add("cifar10", "CIFAR-10 binary version in the folder given by the required option path",
          cifar10_dataset);
  reg.add("cifar100",
          "CIFAR-100 binary version in the folder given by the required option path; label "
          "fine (default, 100 classes) or coarse (20)",
          cifar100_dataset);
  reg.add("synthetic",
          "generated prototype-plus-noise uint8 data for fast tests (train_samples, "
          "test_samples, features, classes, noise, seed)",
          synthetic);
  reg.add("teacher_student",
          "regression on a noisy linear teacher, Krogh and Hertz 1992 (inputs, train_samples, "
          "test_samples, noise, teacher_scale, seed)",
          teacher_student_dataset);
}

Splits make_splits(const Source& source, std::size_t train_size, std::size_t validation_size,
                   std::uint64_t seed) {
  const std::size_t n = source.train.size();
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw DataError(source.description + ": " + std::to_string(n) +
                    " training samples exceed the 2^32 limit");
  }
  if (validation_size > n || train_size > n - validation_size) {
    throw DataError(source.description + ": validation_size (" + std::to_string(validation_size) +
                    ") + train_size (" + std::to_string(train_size) +
                    ") = " + std::to_string(validation_size + train_size) + " exceeds the " +
                    std::to_string(n) + " training samples");
  }
  const std::size_t train_count = train_size != 0 ? train_size : n - validation_size;
  if (train_count == 0) {
    throw DataError(source.description + ": validation_size (" + std::to_string(validation_size) +
                    ") leaves none of the " + std::to_string(n) + " samples for training");
  }

  // One permutation: the first validation_size indices are held out, the next train_count are
  // the training subset (so a smaller train_size gives a subset of a larger one).
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
  Rng rng = Rng::stream(seed, "split");
  rng.shuffle(perm);

  Splits splits;
  splits.validation.dataset = &source.train;
  splits.validation.indices.assign(perm.begin(),
                                   perm.begin() + static_cast<std::ptrdiff_t>(validation_size));
  std::sort(splits.validation.indices.begin(), splits.validation.indices.end());

  splits.train.dataset = &source.train;
  const auto first = perm.begin() + static_cast<std::ptrdiff_t>(validation_size);
  splits.train.indices.assign(first, first + static_cast<std::ptrdiff_t>(train_count));
  std::sort(splits.train.indices.begin(), splits.train.indices.end());

  const std::size_t m = source.test.size();
  splits.test.dataset = &source.test;
  splits.test.indices.resize(m);
  for (std::size_t i = 0; i < m; ++i) splits.test.indices[i] = static_cast<std::uint32_t>(i);
  return splits;
}

namespace {

/// out[j] = in[j] / 255 for j < n. Division (not multiplication by 1/255) is correctly rounded,
/// so 255 -> 1.0f exactly, and vector division rounds like scalar division: the AVX-512 and AVX2
/// clones (chosen at load time) give the same bits as the default one.
__attribute__((target_clones("avx512f", "avx2", "default"))) void bytes_to_unit(
    const std::uint8_t* in, float* out, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(in[j]) / 255.0f;
}

/// `index`, or std::out_of_range if it is not below `size`.
std::size_t checked_index(std::uint32_t index, std::size_t size) {
  if (index >= size) {
    throw std::out_of_range("gather_batch: index " + std::to_string(index) + " >= dataset size " +
                            std::to_string(size));
  }
  return index;
}

/// Rows indices[0..n) of the float matrix `src` (`size` rows of `width`) into rows [0, n) of
/// `out`: a regression set's inputs or targets.
void copy_rows(const float* src, std::size_t width, std::size_t size, const std::uint32_t* indices,
               std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = checked_index(indices[i], size);
    std::copy(src + s * width, src + (s + 1) * width, out + i * width);
  }
}

}  // namespace

void gather_batch(const Dataset& dataset, const std::uint32_t* indices, std::size_t n, Matrix& x,
                  std::uint8_t* labels) {
  const std::size_t f = dataset.features();
  if (x.shape()[0] < n || x.shape()[1] != f) {
    throw std::invalid_argument("gather_batch: batch matrix is " + std::to_string(x.shape()[0]) +
                                " x " + std::to_string(x.shape()[1]) + ", need at least " +
                                std::to_string(n) + " x " + std::to_string(f));
  }
  const std::size_t size = dataset.size();
  if (dataset.regression()) {
    copy_rows(dataset.inputs.data(), f, size, indices, n, x.data());
    return;
  }
  const std::uint8_t* src = dataset.images.data();
  const std::uint8_t* src_labels = dataset.labels.data();
  float* dst = x.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = checked_index(indices[i], size);
    bytes_to_unit(src + s * f, dst + i * f, f);
    labels[i] = src_labels[s];
  }
}

void gather_targets(const Dataset& dataset, const std::uint32_t* indices, std::size_t n,
                    Matrix& t) {
  const std::size_t k = dataset.regression() ? dataset.targets.shape()[1] : 0;
  if (k == 0 || t.shape()[0] < n || t.shape()[1] != k) {
    throw std::invalid_argument("gather_targets: target matrix is " + std::to_string(t.shape()[0]) +
                                " x " + std::to_string(t.shape()[1]) + ", need at least " +
                                std::to_string(n) + " x " + std::to_string(k) +
                                (k == 0 ? " (the dataset has no targets)" : ""));
  }
  copy_rows(dataset.targets.data(), k, dataset.size(), indices, n, t.data());
}

}  // namespace reglab::data
