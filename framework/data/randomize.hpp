/// Label corruption and input randomisation: the randomisation tests of Zhang, Bengio, Hardt,
/// Recht and Vinyals 2017, "Understanding deep learning requires rethinking generalization",
/// ICLR (section 2). They replace the labels or the images of a dataset by noise so that a
/// network can only fit the training set by memorising it.
///
/// Options (keys of the `data:` map, read next to the dataset factory's own keys):
///   label_corruption     p in [0, 1], default 0
///   input_randomisation  none | shuffled_pixels | random_pixels | gaussian, default none
///
/// Transforms, applied by `randomize` to a Source after loading and before splitting. K is the
/// number of classes, F the number of pixels per image, N the number of training images.
///   true labels       p = 0: labels unchanged.
///   corrupted labels  the TRAINING labels only (the validation set is held out of the training
///                     source later, so it is corrupted too; test labels are never touched). For
///                     each training sample i = 0 .. N-1 in order, two draws from the stream
///                     "label_corruption" of the run seed: u_i = uniform_double() in [0, 1), then
///                     c_i = below(K); if u_i < p the label becomes c_i. c_i may equal the true
///                     label (as in the paper's code), so the expected fraction of changed labels
///                     is p (1 - 1/K). Both draws are made for every sample whatever p is, so with
///                     one seed the samples corrupted at p are a subset of those corrupted at any
///                     larger p, and they get the same labels.
///   random labels     p = 1: every training label an independent uniform class.
///   shuffled_pixels   one permutation pi of the pixel indices, applied to every train and test
///                     image: x'[j] = x[pi[j]]. pi is Rng::shuffle of (0, .., F-1) drawn from the
///                     stream "input_randomisation" index 0.
///   random_pixels     each image its own permutation pi_i, x_i'[j] = x_i[pi_i[j]], drawn as
///                     Rng::shuffle of (0, .., F-1) (equivalently, a Fisher-Yates shuffle of the
///                     image's pixels in place with the same draws), images taken in sample order:
///                     training images from "input_randomisation" index 1, test images from
///                     index 2.
///   gaussian          m and s are the mean and the population standard deviation of all N x F
///                     training pixel values (0..255, in double). Every pixel of every train and
///                     test image is replaced by min(255, max(0, round(m + s z))), z = normal(),
///                     pixels in row-major order (image by image), training images from
///                     "input_randomisation" index 3, test images from index 4. Images are stored
///                     as uint8, so values are rounded half away from zero to integers and clipped
///                     to [0, 255]; the outputs have mean m and standard deviation s up to this
///                     quantisation (variance + 1/12) and the clipping, which moves both when
///                     m +- 3s leaves [0, 255]: for Fashion-MNIST, m = 72.9 and s = 90.0, 21% of
///                     the draws are clipped to 0 and 2% to 255, and the outputs have mean 82.9
///                     and standard deviation 72.3. The paper draws real-valued pixels.
/// Label corruption and an input randomisation may be combined; their streams are independent.
#pragma once

#include <cstdint>
#include <string>

#include "framework/data/dataset.hpp"

namespace reglab::data {

/// Which randomisation of section 2 of Zhang et al. 2017 to apply; see the file comment for the
/// exact transforms.
struct RandomizeOptions {
  /// Input randomisations (key `input_randomisation`).
  enum class Inputs { kNone, kShuffledPixels, kRandomPixels, kGaussian };

  double label_corruption = 0.0;  ///< p in [0, 1]: probability of replacing a training label
  Inputs inputs = Inputs::kNone;

  /// Reads `label_corruption` and `input_randomisation` (absent keys give the defaults) and no
  /// other key; the caller calls finish(). Throws ConfigError (file, line, column, key) when p is
  /// outside [0, 1] or the input randomisation is not one of the names listed above.
  static RandomizeOptions read(config::OptionReader& reader);

  /// True unless p = 0 and inputs = none.
  bool any() const;
  /// "labels corrupted with p=0.4; inputs shuffled_pixels", "labels corrupted with p=1",
  /// "inputs gaussian"; "" when !any().
  std::string describe() const;
};

/// The YAML name of an input randomisation: "none", "shuffled_pixels", "random_pixels",
/// "gaussian".
const char* input_randomisation_name(RandomizeOptions::Inputs inputs);

/// Applies `options` to `source` in place with the streams of `seed` (the run seed) described in
/// the file comment, and appends "; " + options.describe() to source.description when
/// options.any(). No-op when !options.any(). Throws DataError if labels are corrupted and the
/// training set has no classes (or more than 256), if an input randomisation is asked for and
/// train and test images have different numbers of pixels, or for gaussian with no training
/// pixels.
void randomize(Source& source, const RandomizeOptions& options, std::uint64_t seed);

}  // namespace reglab::data
