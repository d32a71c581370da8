#include "framework/data/teacher_student.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/number_text.hpp"
#include "framework/core/random.hpp"

namespace reglab::data {
namespace {

/// Largest split, in floats of inputs.
constexpr std::int64_t kMaxFloats = std::int64_t{1} << 30;

/// `n` samples of the teacher `w` with inputs N(0, 1/N) and target noise of deviation `noise`.
Dataset draw_split(const std::vector<double>& w, std::size_t n, double noise, Rng& rng) {
  const std::size_t f = w.size();
  const double scale = 1.0 / std::sqrt(static_cast<double>(f));
  Dataset ds;
  ds.classes = 1;
  ds.sample_shape = {f};
  ds.inputs = xt::zeros<float>({n, f});
  ds.targets = xt::zeros<float>({n, std::size_t{1}});
  for (std::size_t i = 0; i < n; ++i) {
    float* x = ds.inputs.data() + i * f;
    double y = 0.0;
    for (std::size_t j = 0; j < f; ++j) {
      x[j] = static_cast<float>(scale * rng.normal());
      y += w[j] * static_cast<double>(x[j]);
    }
    ds.targets.data()[i] = static_cast<float>(y + noise * rng.normal());
  }
  return ds;
}

}  // namespace

TeacherStudentOptions TeacherStudentOptions::read(config::OptionReader& reader) {
  TeacherStudentOptions o;
  o.inputs = reader.get_int("inputs", o.inputs, 1, 1 << 20);
  o.train_samples = reader.get_int("train_samples", o.train_samples, 1, 10'000'000);
  o.test_samples = reader.get_int("test_samples", o.test_samples, 1, 10'000'000);
  o.noise = reader.get_double("noise", o.noise, config::Range::at_least(0.0));
  o.teacher_scale = reader.get_double("teacher_scale", o.teacher_scale, config::Range::positive());
  o.seed = reader.get_int("seed", o.seed, 0, std::numeric_limits<std::int64_t>::max());
  if (std::max(o.train_samples, o.test_samples) > kMaxFloats / o.inputs) {
    reader.fail("inputs", "train_samples/test_samples x inputs exceeds " +
                              std::to_string(kMaxFloats) + " floats");
  }
  return o;
}

TeacherStudent make_teacher_student(const TeacherStudentOptions& o) {
  const auto seed = static_cast<std::uint64_t>(o.seed);
  TeacherStudent ts;
  ts.teacher.resize(static_cast<std::size_t>(o.inputs));
  Rng teacher_rng = Rng::stream(seed, "teacher_student", 0);
  for (double& w : ts.teacher) w = o.teacher_scale * teacher_rng.normal();
  Rng train_rng = Rng::stream(seed, "teacher_student", 1);
  Rng test_rng = Rng::stream(seed, "teacher_student", 2);
  ts.source.description = "teacher_student (inputs=" + std::to_string(o.inputs) +
                          ", train_samples=" + std::to_string(o.train_samples) +
                          ", test_samples=" + std::to_string(o.test_samples) +
                          ", noise=" + shortest_decimal(o.noise) +
                          ", teacher_scale=" + shortest_decimal(o.teacher_scale) +
                          ", seed=" + std::to_string(o.seed) + ")";
  ts.source.train =
      draw_split(ts.teacher, static_cast<std::size_t>(o.train_samples), o.noise, train_rng);
  ts.source.test =
      draw_split(ts.teacher, static_cast<std::size_t>(o.test_samples), o.noise, test_rng);
  return ts;
}

DataLoader teacher_student_dataset(config::OptionReader& reader) {
  const TeacherStudentOptions options = TeacherStudentOptions::read(reader);
  return [options] { return make_teacher_student(options).source; };
}

}  // namespace reglab::data
