#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/weight_decay.hpp"

namespace reglab::regularizers {
namespace {

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = WeightDecay::from_config(reader);
  reader.finish();
  return reg;
}

std::vector<std::vector<float>> snapshot(const models::Network& net) {
  std::vector<std::vector<float>> out;
  for (const models::Param* p : net.params()) out.emplace_back(p->value.begin(), p->value.end());
  return out;
}

}  // namespace

TEST_CASE("weight_decay: one update shrinks kernels by 1 - lr * rate, biases untouched") {
  models::NetworkSpec spec;
  spec.inputs = 5;
  spec.hidden = {4, 3};
  spec.classes = 2;
  models::Network net(spec, 3);
  net.finalize(2);
  for (models::Param* p : net.params()) {
    if (!p->is_kernel) std::fill(p->value.begin(), p->value.end(), 0.5f);
  }
  const auto before = snapshot(net);
  const RegularizerPtr reg = build("rate: 0.01");
  StepContext ctx;
  ctx.learning_rate = 0.1;
  reg->after_update(net, ctx);
  const float factor = static_cast<float>(1.0 - 0.1 * 0.01);
  CHECK(factor == doctest::Approx(0.999));
  const auto params = net.params();
  std::size_t kernels = 0;
  for (std::size_t k = 0; k < params.size(); ++k) {
    kernels += params[k]->is_kernel ? 1 : 0;
    for (std::size_t i = 0; i < before[k].size(); ++i) {
      const float expected = params[k]->is_kernel ? before[k][i] * factor : before[k][i];
      CHECK(params[k]->value(i) == expected);
    }
  }
  CHECK(kernels == 3);

  ctx.learning_rate = 0.0;  // no learning rate, no decay
  const auto again = snapshot(net);
  reg->after_update(net, ctx);
  CHECK(snapshot(net) == again);
}

TEST_CASE("weight_decay: options") {
  CHECK(build("{}")->describe() == "weight_decay(rate=0.0005)");
  CHECK_THROWS_WITH_AS(build("rate: -0.1"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("rate: fast"), doctest::Contains("test.yaml"), ConfigError);
  CHECK_THROWS_WITH_AS(build("lambda: 0.1"), doctest::Contains("test.yaml"), ConfigError);
}

}  // namespace reglab::regularizers
