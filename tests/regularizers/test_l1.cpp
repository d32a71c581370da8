#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/l1.hpp"
#include "framework/testing/gradcheck.hpp"

namespace reglab::regularizers {
namespace {

/// A 2-3-2 network whose kernels hold known values and whose biases are 7.
struct SmallNet {
  models::Network net;
  SmallNet() : net(spec(), 1) {
    net.finalize(4);
    const std::vector<float> k0{1.0f, -2.0f, 0.5f, 0.0f, 3.0f, -1.0f};   // sum |w| = 7.5
    const std::vector<float> k1{2.0f, 0.25f, -1.0f, 1.0f, 0.5f, -0.5f};  // sum |w| = 5.25
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
  RegularizerPtr reg = L1::from_config(reader);
  reader.finish();
  return reg;
}

}  // namespace

TEST_CASE("l1: penalty is lambda * sum of absolute kernel entries") {
  SmallNet s;
  const RegularizerPtr reg = build("lambda: 0.1");
  CHECK(reg->penalty(s.net) == doctest::Approx(0.1 * 12.75));
  s.net.dense_layers()[1]->bias().value(1) = -100.0f;  // biases are not penalised
  CHECK(reg->penalty(s.net) == doctest::Approx(0.1 * 12.75));
}

TEST_CASE("l1: the gradient is lambda * sign(W), zero at zero, kernels only") {
  SmallNet s;
  const RegularizerPtr reg = build("lambda: 0.5");
  reg->add_penalty_gradient(s.net);
  const models::Param& k0 = s.net.dense_layers()[0]->kernel();
  CHECK(k0.grad(0) == 0.5f);
  CHECK(k0.grad(1) == -0.5f);
  CHECK(k0.grad(3) == 0.0f);  // w = 0
  for (models::Param* p : s.net.params()) {
    if (p->is_kernel) continue;
    for (float g : p->grad) CHECK(g == 0.0f);
  }
  // Finite differences away from the kink at 0 (every entry of the second kernel is non-zero).
  models::Param& k1 = s.net.dense_layers()[1]->kernel();
  const std::vector<float> analytic(k1.grad.begin(), k1.grad.end());
  const auto r = testing::check_gradient(k1.value.data(), analytic.data(), k1.value.size(),
                                         [&] { return reg->penalty(s.net); });
  CHECK(r.checked == 6);
  CHECK(r.failed == 0);
}

TEST_CASE("l1: options") {
  CHECK(build("{}")->describe() == "l1(lambda=1e-05)");
  CHECK_THROWS_WITH_AS(build("lambda: -0.5"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("lambda: x"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("weight: 1"), doctest::Contains("test.yaml"), ConfigError);
}

TEST_CASE("l1: start_epoch switches the penalty on late in training") {
  SmallNet s;
  const RegularizerPtr reg = build("{lambda: 0.1, start_epoch: 3}");
  CHECK(reg->describe() == "l1(lambda=0.1, start_epoch=3)");
  for (std::size_t epoch = 0; epoch < 5; ++epoch) {
    reg->begin_epoch(epoch);
    const bool on = epoch + 1 >= 3;
    CHECK(reg->penalty(s.net) == doctest::Approx(on ? 0.1 * 12.75 : 0.0));
    for (models::Param* p : s.net.params()) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
    reg->add_penalty_gradient(s.net);
    const float g = s.net.dense_layers()[0]->kernel().grad(0);
    CHECK(g == doctest::Approx(on ? 0.1 : 0.0));
  }
  CHECK_THROWS_AS(build("{lambda: 0.1, start_epoch: 0}"), ConfigError);
  CHECK(build("lambda: 0.1")->describe() == "l1(lambda=0.1)");
}

}  // namespace reglab::regularizers
