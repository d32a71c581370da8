#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/max_norm.hpp"

namespace reglab::regularizers {
namespace {

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = MaxNorm::from_config(reader);
  reader.finish();
  return reg;
}

double column_norm(const models::Param& kernel, std::size_t j) {
  const std::size_t cols = kernel.shape[1];
  double sum = 0.0;
  for (std::size_t i = 0; i < kernel.shape[0]; ++i) {
    const double w = kernel.value(i * cols + j);
    sum += w * w;
  }
  return std::sqrt(sum);
}

/// A 6-4-3 network: column j of every kernel is multiplied by 0.8 * (j + 1), so columns have
/// norms on both sides of c = 2; biases are 50.
struct Fixture {
  models::Network net{spec(), 5};
  Fixture() {
    net.finalize(2);
    for (models::Dense* d : net.dense_layers()) {
      models::Param& k = d->kernel();
      for (std::size_t i = 0; i < k.value.size(); ++i) {
        k.value(i) *= 0.8f * static_cast<float>(i % k.shape[1] + 1);
      }
      for (float& b : d->bias().value) b = 50.0f;
    }
  }
  static models::NetworkSpec spec() {
    models::NetworkSpec s;
    s.inputs = 6;
    s.hidden = {4};
    s.classes = 3;
    return s;
  }
};

}  // namespace

TEST_CASE("max_norm: every column ends within c, columns inside the ball are untouched") {
  Fixture f;
  std::vector<models::Param> before;
  for (models::Dense* d : f.net.dense_layers()) before.push_back(d->kernel());
  build("c: 2.0")->after_update(f.net, StepContext{});
  std::size_t clipped = 0;
  std::size_t kept = 0;
  for (std::size_t l = 0; l < before.size(); ++l) {
    const models::Param& k = f.net.dense_layers()[l]->kernel();
    for (std::size_t j = 0; j < k.shape[1]; ++j) {
      const double old_norm = column_norm(before[l], j);
      CHECK(column_norm(k, j) <= 2.0 + 1e-5);
      for (std::size_t i = 0; i < k.shape[0]; ++i) {
        const std::size_t e = i * k.shape[1] + j;
        if (old_norm <= 2.0) {
          CHECK(k.value(e) == before[l].value(e));  // bitwise unchanged
        } else {
          // rescaled: same direction, norm c
          CHECK(k.value(e) == doctest::Approx(before[l].value(e) * 2.0 / old_norm));
        }
      }
      clipped += old_norm > 2.0 ? 1 : 0;
      kept += old_norm <= 2.0 ? 1 : 0;
      if (old_norm > 2.0) CHECK(column_norm(k, j) == doctest::Approx(2.0));
    }
    for (float b : f.net.dense_layers()[l]->bias().value) CHECK(b == 50.0f);
  }
  CHECK(clipped > 0);  // the fixture exercises both branches
  CHECK(kept > 0);
}

TEST_CASE("max_norm: layers hidden leaves the output layer alone") {
  Fixture f;
  const models::Param output_before = f.net.dense_layers()[1]->kernel();
  build("c: 0.5\nlayers: hidden")->after_update(f.net, StepContext{});
  const models::Param& hidden = f.net.dense_layers()[0]->kernel();
  for (std::size_t j = 0; j < hidden.shape[1]; ++j) CHECK(column_norm(hidden, j) <= 0.5 + 1e-5);
  const models::Param& output = f.net.dense_layers()[1]->kernel();
  bool any_above = false;
  for (std::size_t j = 0; j < output.shape[1]; ++j) any_above |= column_norm(output, j) > 0.5;
  CHECK(any_above);
  for (std::size_t i = 0; i < output.value.size(); ++i) {
    CHECK(output.value(i) == output_before.value(i));
  }
}

TEST_CASE("max_norm: options") {
  CHECK(build("{}")->describe() == "max_norm(c=3, layers=all)");
  CHECK(build("c: 2\nlayers: hidden")->describe() == "max_norm(c=2, layers=hidden)");
  CHECK_THROWS_WITH_AS(build("c: 0"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("c: -1"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("layers: output"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("norm: 3"), doctest::Contains("test.yaml"), ConfigError);
}

}  // namespace reglab::regularizers
