#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/l2.hpp"
#include "framework/testing/gradcheck.hpp"

namespace reglab::regularizers {
namespace {

/// A 2-3-2 network whose kernels hold known values and whose biases are 7.
struct SmallNet {
  models::Network net;
  SmallNet() : net(spec(), 1) {
    net.finalize(4);
    const std::vector<float> k0{1.0f, -2.0f, 0.5f, 0.0f, 3.0f, -1.0f};  // sum w^2 = 15.25
    const std::vector<float> k1{2.0f, 0.0f, -1.0f, 1.0f, 0.5f, -0.5f};  // sum w^2 = 6.5
    std::copy(k0.begin(), k0.end(), net.dense_layers()[0]->kernel().value.data());
    std::copy(k1.begin(), k1.end(), net.dense_layers()[1]->kernel().value.data());
    for (models::Param* p : net.params()) {
      if (!p->is_kernel) std::fill(p->value.begin(), p->value.end(), 7.0f);
      std::fill(p->grad.begin(), p->grad.end(), 0.0f);
    }
  }
  static models::NetworkSpec spec() {
    models::NetworkSpec s;
    s.inputs = 2;
    s.hidden = {3};
    s.classes = 2;
    return s;
  }
};

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = L2::from_config(reader);
  reader.finish();
  return reg;
}

}  // namespace

TEST_CASE("l2: penalty is (lambda/2) * sum of squared kernel entries") {
  SmallNet s;
  const RegularizerPtr reg = build("lambda: 0.1");
  CHECK(reg->penalty(s.net) == doctest::Approx(0.05 * 21.75));
  s.net.dense_layers()[0]->bias().value(0) = 100.0f;  // biases are not penalised
  CHECK(reg->penalty(s.net) == doctest::Approx(0.05 * 21.75));
  CHECK(build("lambda: 0")->penalty(s.net) == 0.0);
}

TEST_CASE("l2: the gradient is lambda * W, added to kernels only") {
  SmallNet s;
  const RegularizerPtr reg = build("lambda: 0.5");
  models::Param& k0 = s.net.dense_layers()[0]->kernel();
  k0.grad(0) = 1.0f;  // the gradient is added, not assigned
  reg->add_penalty_gradient(s.net);
  CHECK(k0.grad(0) == doctest::Approx(1.0 + 0.5 * 1.0));
  CHECK(k0.grad(1) == doctest::Approx(0.5 * -2.0));
  for (models::Param* p : s.net.params()) {
    if (p->is_kernel) continue;
    for (float g : p->grad) CHECK(g == 0.0f);
  }
  k0.grad(0) = 0.5f;
  for (models::Dense* d : s.net.dense_layers()) {
    models::Param& k = d->kernel();
    const std::vector<float> analytic(k.grad.begin(), k.grad.end());
    const auto r = testing::check_gradient(k.value.data(), analytic.data(), k.value.size(),
                                           [&] { return reg->penalty(s.net); });
    CHECK(r.checked == k.value.size());
    CHECK(r.failed == 0);
  }
}

TEST_CASE("l2: options") {
  CHECK(build("{}")->describe() == "l2(lambda=0.0001)");
  CHECK_THROWS_WITH_AS(build("lambda: -1"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("lambda: big"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("lamda: 0.1"), doctest::Contains("test.yaml"), ConfigError);
}

}  // namespace reglab::regularizers
