/// Tests of the DropConnect plugin, written as a plugin author would: doctest plus reglab's
/// installed test support (framework/testing/), against the installed library.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dropconnect.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/loss.hpp"
#include "framework/models/network.hpp"
#include "framework/testing/gradcheck.hpp"
#include "framework/testing/statistics.hpp"

namespace {

using reglab::Matrix;
using reglab::models::Network;
using reglab::models::NetworkSpec;

reglab::regularizers::RegularizerPtr build(const std::string& yaml) {
  reglab::config::OptionReader reader(reglab::config::ConfigNode::parse(yaml, "test.yaml"));
  auto reg = dropconnect::DropConnect::from_config(reader);
  reader.finish();
  return reg;
}

NetworkSpec spec(std::size_t inputs, std::vector<std::size_t> hidden, std::size_t classes) {
  NetworkSpec s;
  s.inputs = inputs;
  s.hidden = std::move(hidden);
  s.classes = classes;
  return s;
}

/// A batch of `n` rows with deterministic inputs and labels.
struct Batch {
  Matrix x;
  std::vector<std::uint8_t> labels;
  Batch(std::size_t n, std::size_t inputs, std::size_t classes) {
    x = Matrix::from_shape({n, inputs});
    reglab::Rng rng(7);
    for (auto& v : x) v = rng.uniform();
    for (std::size_t i = 0; i < n; ++i) labels.push_back(static_cast<std::uint8_t>(i % classes));
  }
};

}  // namespace

TEST_CASE("dropconnect: options are typed and unknown keys rejected") {
  CHECK(build("rate: 0.3")->describe() == "dropconnect(rate=0.3, layers=hidden)");
  CHECK(build("{rate: 0.2, layers: all}")->describe() == "dropconnect(rate=0.2, layers=all)");
  CHECK_THROWS_AS(build("rate: 1.0"), reglab::ConfigError);
  CHECK_THROWS_AS(build("rate: -0.1"), reglab::ConfigError);
  CHECK_THROWS_AS(build("layers: first"), reglab::ConfigError);
  CHECK_THROWS_WITH_AS(build("rat: 0.5"), doctest::Contains("rat"), reglab::ConfigError);
}

TEST_CASE("dropconnect: the dropped fraction is the rate, the kept weights are scaled by 1/q") {
  for (double rate : {0.1, 0.5, 0.8}) {
    CAPTURE(rate);
    Network net(spec(200, {300}, 10), 3);
    auto reg = build("rate: " + std::to_string(rate));
    reg->attach(net, {11, 0, 5});
    net.finalize(4);
    const std::vector<float> before(net.dense_layers()[0]->kernel().value.begin(),
                                    net.dense_layers()[0]->kernel().value.end());
    reg->before_forward(net, {0.1, 0, 1});
    const auto& w = net.dense_layers()[0]->kernel().value;
    std::size_t dropped = 0;
    bool scaled = true;
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (w[i] == 0.0f && before[i] != 0.0f) {
        ++dropped;
      } else if (w[i] != static_cast<float>(before[i] * (1.0f / static_cast<float>(1.0 - rate)))) {
        scaled = false;
      }
    }
    CHECK(scaled);
    CHECK(reglab::testing::fraction_within(dropped, before.size(), rate));
    // The output layer is left alone with layers: hidden.
    const auto& out = net.dense_layers()[1]->kernel().value;
    CHECK(std::count(out.begin(), out.end(), 0.0f) == 0);
    reg->after_backward(net);
    CHECK(std::equal(before.begin(), before.end(), w.begin()));  // restored exactly
  }
}

TEST_CASE("dropconnect: rate 0 is the identity; masks depend on step and arm, not on calls") {
  Network net(spec(20, {30}, 4), 3);
  auto none = build("rate: 0");
  none->attach(net, {1, 0, 0});
  auto reg = std::make_unique<dropconnect::DropConnect>(dropconnect::Options{0.5, "hidden"});
  reg->attach(net, {1, 0, 9});
  net.finalize(2);
  const std::vector<float> before(net.dense_layers()[0]->kernel().value.begin(),
                                  net.dense_layers()[0]->kernel().value.end());
  none->before_forward(net, {0.1, 0, 1});
  CHECK(std::equal(before.begin(), before.end(), net.dense_layers()[0]->kernel().value.begin()));
  reg->before_forward(net, {0.1, 0, 1});
  const auto first = reg->mask(0);
  reg->after_backward(net);
  reg->before_forward(net, {0.1, 0, 1});
  CHECK(reg->mask(0) == first);  // the same step gives the same mask (resumed runs agree)
  reg->after_backward(net);
  reg->before_forward(net, {0.1, 0, 2});
  CHECK(reg->mask(0) != first);
  reg->after_backward(net);
  auto other_arm = std::make_unique<dropconnect::DropConnect>(dropconnect::Options{0.5, "hidden"});
  other_arm->attach(net, {1, 0, 10});
  other_arm->before_forward(net, {0.1, 0, 1});
  CHECK(other_arm->mask(0) != first);
  other_arm->after_backward(net);
}

TEST_CASE("dropconnect: the kernel gradient matches finite differences of the masked loss") {
  const std::size_t n = 6;
  NetworkSpec smooth = spec(5, {7, 6}, 3);
  smooth.activation = reglab::models::Activation::kTanh;  // no kinks for finite differences
  Network net(smooth, 4);
  auto reg = build("{rate: 0.4, layers: all}");
  reg->attach(net, {2, 0, 1});
  net.finalize(n);
  Batch batch(n, 5, 3);
  Matrix grad = Matrix::from_shape({n, 3});
  const reglab::regularizers::StepContext step{0.1, 0, 3};
  const auto loss = [&] {
    reg->before_forward(net, step);
    const Matrix& logits = net.forward(batch.x, n, reglab::Mode::kTrain);
    const double l =
        reglab::models::softmax_cross_entropy(logits, batch.labels.data(), n, nullptr).loss;
    reg->after_backward(net);
    return l;
  };
  reg->before_forward(net, step);
  const Matrix& logits = net.forward(batch.x, n, reglab::Mode::kTrain);
  reglab::models::softmax_cross_entropy(logits, batch.labels.data(), n, &grad);
  net.backward(batch.x, grad, n);
  reg->after_backward(net);
  // Copied first: every loss evaluation runs after_backward, which rewrites the gradients.
  std::vector<std::vector<float>> analytics;
  for (auto* dense : net.dense_layers()) {
    analytics.emplace_back(dense->kernel().grad.begin(), dense->kernel().grad.end());
  }
  for (std::size_t l = 0; l < net.dense_layers().size(); ++l) {
    CAPTURE(l);
    reglab::models::Param& kernel = net.dense_layers()[l]->kernel();
    const std::vector<float>& analytic = analytics[l];
    const auto r = reglab::testing::check_gradient(kernel.value.data(), analytic.data(),
                                                   analytic.size(), loss, 1e-2, 2e-2, 1e-4);
    CHECK(r.checked == analytic.size());
    CHECK(r.failed == 0);
    std::size_t zero = 0;
    for (float g : analytic) zero += g == 0.0f ? 1 : 0;
    CHECK(zero > 0);  // dropped weights get no gradient
  }
}
