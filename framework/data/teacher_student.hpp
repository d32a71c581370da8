/// A noisy linear teacher and a regression set drawn from it (Krogh and Hertz 1992, "A Simple
/// Weight Decay Can Improve Generalization", NIPS 4).
///
/// Dataset `teacher_student`: N = `inputs`, P = `train_samples`, `test_samples`, sigma = `noise`,
/// sigma_w = `teacher_scale`, `seed`. The teacher w* has N components drawn N(0, sigma_w^2); each
/// sample has inputs x_j ~ N(0, 1/N) and one target y = w*.x + sigma * eta with eta ~ N(0, 1).
/// The 1/N input variance is Krogh and Hertz's output scaling f(x) = w.x / sqrt(N) moved into the
/// inputs, so sum_j x_j^2 is about 1 and the paper's results carry over with w in place of their
/// weights: in the paper's units (error summed over patterns, penalty (lambda/2)|w|^2) the optimal
/// decay is lambda = sigma^2 / sigma_w^2.
///
/// Draws, each from a stream "teacher_student" of the `seed` option (core/random.hpp): index 0
/// the teacher (N normals), 1 the training and 2 the test samples (per sample N input normals,
/// then one noise normal). Inputs and targets are stored as float (rounded from double); the
/// teacher is kept in double. A set of P training samples is a prefix of a set of more: the
/// first P samples do not depend on `train_samples`.
#pragma once

#include <cstdint>
#include <vector>

#include "framework/data/dataset.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::data {

/// Options of `teacher_student`.
struct TeacherStudentOptions {
  std::int64_t inputs = 50;          ///< N, >= 1
  std::int64_t train_samples = 50;   ///< P, >= 1
  std::int64_t test_samples = 1000;  ///< >= 1
  double noise = 0.5;                ///< sigma, standard deviation of the target noise, >= 0
  double teacher_scale = 1.0;        ///< sigma_w, standard deviation of the teacher weights, > 0
  std::int64_t seed = 0;

  /// Reads every option above; throws ConfigError (file, line, column) on a value out of range
  /// or a set larger than 2^30 floats per split. The caller calls finish().
  static TeacherStudentOptions read(config::OptionReader& reader);
};

/// The generated set and the teacher it came from.
struct TeacherStudent {
  Source source;                ///< regression sets: inputs N wide, one target; sample_shape {N}
  std::vector<double> teacher;  ///< w*, N components
};

/// Generates the teacher and both splits from `options` (deterministic in them).
TeacherStudent make_teacher_student(const TeacherStudentOptions& options);

/// Dataset factory `teacher_student`: reads the options and returns the loader.
DataLoader teacher_student_dataset(config::OptionReader& reader);

}  // namespace reglab::data
