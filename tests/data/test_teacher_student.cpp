#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/data/dataset.hpp"
#include "framework/data/randomize.hpp"
#include "framework/data/teacher_student.hpp"
#include "framework/experiment/config_names.hpp"
#include "support/builtins.hpp"

namespace {

using reglab::ConfigError;
using reglab::DataError;
using reglab::Matrix;
using reglab::data::Dataset;
using reglab::data::Source;
using reglab::data::TeacherStudentOptions;
using reglab::experiment::ConfigNode;
using reglab::experiment::OptionReader;

/// The `teacher_student` dataset with the options in the YAML map `yaml`, through the registry.
Source load(const std::string& yaml) {
  OptionReader reader(ConfigNode::parse(yaml, "test.yaml"));
  const auto loader = reglab::testing::builtins().datasets.find("teacher_student")->factory(reader);
  reader.finish();
  return loader();
}

/// True if both sets hold the same inputs and targets, bit for bit.
bool same(const Dataset& a, const Dataset& b) {
  return a.inputs == b.inputs && a.targets == b.targets;
}

}  // namespace

TEST_CASE("teacher_student: shapes, a regression set with one output and no labels") {
  const Source s = load("{inputs: 7, train_samples: 11, test_samples: 5}");
  CHECK(s.train.regression());
  CHECK(s.test.regression());
  CHECK(s.train.size() == 11);
  CHECK(s.test.size() == 5);
  CHECK(s.train.features() == 7);
  CHECK(s.train.classes == 1);
  CHECK(s.train.labels.size() == 0);
  CHECK(s.train.images.size() == 0);
  CHECK(s.train.sample_shape == std::vector<std::size_t>{7});
  CHECK(s.description.find("teacher_student (inputs=7") == 0);
  CHECK_FALSE(Dataset{}.regression());
}

TEST_CASE("teacher_student: inputs N(0, 1/N), teacher N(0, sigma_w^2), noise sigma") {
  TeacherStudentOptions o;
  o.inputs = 200;
  o.train_samples = 3000;
  o.test_samples = 10;
  o.noise = 0.7;
  o.teacher_scale = 1.5;
  o.seed = 42;
  const auto ts = reglab::data::make_teacher_student(o);
  const Dataset& d = ts.source.train;
  const auto n = static_cast<double>(d.inputs.size());
  double sum = 0.0, sq = 0.0;
  for (float v : d.inputs) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  // Mean 0 with standard error sqrt(1/N / n); variance 1/N within 3 %.
  CHECK(std::abs(sum / n) < 4.0 * std::sqrt(1.0 / 200.0 / n));
  CHECK(sq / n == doctest::Approx(1.0 / 200.0).epsilon(0.03));
  double wsq = 0.0;
  for (double w : ts.teacher) wsq += w * w;
  CHECK(wsq / 200.0 == doctest::Approx(1.5 * 1.5).epsilon(0.25));
  double rsum = 0.0, rsq = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    double y = 0.0;
    for (std::size_t j = 0; j < 200; ++j) y += ts.teacher[j] * d.inputs(i, j);
    const double r = d.targets(i, 0) - y;
    rsum += r;
    rsq += r * r;
  }
  CHECK(std::abs(rsum / 3000.0) < 4.0 * 0.7 / std::sqrt(3000.0));
  CHECK(std::sqrt(rsq / 3000.0) == doctest::Approx(0.7).epsilon(0.05));
}

TEST_CASE("teacher_student: zero noise gives targets equal to the teacher's output") {
  TeacherStudentOptions o;
  o.inputs = 5;
  o.train_samples = 20;
  o.noise = 0.0;
  const auto ts = reglab::data::make_teacher_student(o);
  const Dataset& d = ts.source.train;
  for (std::size_t i = 0; i < d.size(); ++i) {
    double y = 0.0;
    for (std::size_t j = 0; j < 5; ++j) y += ts.teacher[j] * d.inputs(i, j);
    CHECK(d.targets(i, 0) == doctest::Approx(y).epsilon(1e-6));
  }
}

TEST_CASE("teacher_student: deterministic in the seed, prefix-stable in train_samples") {
  const Source a = load("{inputs: 6, train_samples: 30, test_samples: 8, seed: 3}");
  const Source b = load("{inputs: 6, train_samples: 30, test_samples: 8, seed: 3}");
  const Source c = load("{inputs: 6, train_samples: 30, test_samples: 8, seed: 4}");
  const Source d = load("{inputs: 6, train_samples: 12, test_samples: 8, seed: 3}");
  CHECK(same(a.train, b.train));
  CHECK(same(a.test, b.test));
  CHECK_FALSE(same(a.train, c.train));
  CHECK_FALSE(same(a.test, c.test));
  CHECK(same(a.test, d.test));
  for (std::size_t i = 0; i < 12; ++i) {
    for (std::size_t j = 0; j < 6; ++j) CHECK(a.train.inputs(i, j) == d.train.inputs(i, j));
    CHECK(a.train.targets(i, 0) == d.train.targets(i, 0));
  }
}

TEST_CASE("teacher_student: bad options are rejected") {
  CHECK_THROWS_AS(load("{inputs: 0}"), ConfigError);
  CHECK_THROWS_AS(load("{train_samples: 0}"), ConfigError);
  CHECK_THROWS_AS(load("{test_samples: 0}"), ConfigError);
  CHECK_THROWS_AS(load("{noise: -0.1}"), ConfigError);
  CHECK_THROWS_AS(load("{teacher_scale: 0}"), ConfigError);
  CHECK_THROWS_AS(load("{seed: -1}"), ConfigError);
  CHECK_THROWS_AS(load("{noise: loud}"), ConfigError);
  CHECK_THROWS_AS(load("{inputs: 1048576, train_samples: 2000}"), ConfigError);
  CHECK_THROWS_WITH_AS(load("{inputs: 3, sigma: 1}"), doctest::Contains("sigma"), ConfigError);
  CHECK_NOTHROW(load("{noise: 0, inputs: 2, train_samples: 2, test_samples: 2}"));
}

TEST_CASE("gather_batch copies float inputs as they are; gather_targets copies targets") {
  const Source s = load("{inputs: 4, train_samples: 6, test_samples: 2}");
  const std::uint32_t idx[] = {5, 1};
  Matrix x = xt::zeros<float>({3, 4});
  reglab::data::gather_batch(s.train, idx, 2, x, nullptr);
  for (std::size_t j = 0; j < 4; ++j) {
    CHECK(x(0, j) == s.train.inputs(5, j));
    CHECK(x(1, j) == s.train.inputs(1, j));
    CHECK(x(2, j) == 0.0f);
  }
  Matrix t = xt::zeros<float>({2, 1});
  reglab::data::gather_targets(s.train, idx, 2, t);
  CHECK(t(0, 0) == s.train.targets(5, 0));
  CHECK(t(1, 0) == s.train.targets(1, 0));
  const std::uint32_t bad[] = {6};
  CHECK_THROWS_AS(reglab::data::gather_targets(s.train, bad, 1, t), std::out_of_range);
  CHECK_THROWS_AS(reglab::data::gather_batch(s.train, bad, 1, x, nullptr), std::out_of_range);
  Matrix wide = xt::zeros<float>({2, 2});
  CHECK_THROWS_AS(reglab::data::gather_targets(s.train, idx, 2, wide), std::invalid_argument);
  CHECK_THROWS_AS(reglab::data::gather_targets(Dataset{}, idx, 0, t), std::invalid_argument);
}

TEST_CASE("label corruption and input randomisation refuse a regression set") {
  Source s = load("{inputs: 4, train_samples: 6, test_samples: 2}");
  reglab::data::RandomizeOptions o;
  o.label_corruption = 0.5;
  CHECK_THROWS_AS(reglab::data::randomize(s, o, 1), DataError);
  o.label_corruption = 0.0;
  CHECK_NOTHROW(reglab::data::randomize(s, o, 1));
}
