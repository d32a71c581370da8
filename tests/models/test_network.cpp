#include <doctest/doctest.h>

#include <cmath>

#include "framework/core/random.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/loss.hpp"
#include "framework/models/network.hpp"
#include "framework/testing/gradcheck.hpp"

using reglab::Matrix;
using reglab::Mode;
using namespace reglab::models;

TEST_CASE("network layout, names and shapes") {
  NetworkSpec spec;
  spec.inputs = 12;
  spec.hidden = {8, 6};
  spec.classes = 3;
  Network net(spec, 1);
  net.finalize(16);
  REQUIRE(net.layers().size() == 5);
  CHECK(net.layers()[0]->name() == "dense_0");
  CHECK(net.layers()[1]->name() == "relu_0");
  CHECK(net.layers()[4]->name() == "dense_2");
  CHECK(net.params().size() == 6);
  CHECK(net.dense_layers()[1]->kernel().shape == std::vector<std::size_t>{8, 6});
  Matrix x = xt::ones<float>({16, 12});
  CHECK(net.forward(x, 16, Mode::kEval).shape()[1] == 3);
}

TEST_CASE("initialisation is deterministic per seed and follows glorot's limit") {
  NetworkSpec spec;
  spec.inputs = 100;
  spec.hidden = {50};
  spec.classes = 10;
  Network a(spec, 9), b(spec, 9), c(spec, 10);
  const auto& ka = a.dense_layers()[0]->kernel().value;
  CHECK(ka == b.dense_layers()[0]->kernel().value);
  CHECK(ka != c.dense_layers()[0]->kernel().value);
  const double limit = std::sqrt(6.0 / 150.0);
  double max_abs = 0.0;
  for (float v : ka) max_abs = std::max(max_abs, double(std::abs(v)));
  CHECK(max_abs <= limit);
  CHECK(max_abs > 0.9 * limit);
  // Streams are per layer: layer 1 is the same whatever layer 0's width.
  NetworkSpec spec2 = spec;
  spec2.inputs = 30;
  spec2.hidden = {50};
  Network d(spec2, 9);
  CHECK(d.dense_layers()[1]->kernel().value.size() == a.dense_layers()[1]->kernel().value.size());
}

TEST_CASE("whole-network gradient matches finite differences") {
  for (Activation act : {Activation::kTanh, Activation::kSigmoid}) {
    NetworkSpec spec;
    spec.inputs = 5;
    spec.hidden = {4, 3};
    spec.classes = 3;
    spec.activation = act;
    Network net(spec, 2);
    net.finalize(4);
    reglab::Rng rng(8);
    Matrix x = xt::zeros<float>({4, 5});
    for (auto& v : x) v = static_cast<float>(rng.normal());
    const std::uint8_t y[] = {0, 2, 1, 2};
    Matrix g = xt::zeros<float>({4, 3});
    auto loss = [&] {
      return softmax_cross_entropy(net.forward(x, 4, Mode::kTrain), y, 4, nullptr).loss;
    };
    softmax_cross_entropy(net.forward(x, 4, Mode::kTrain), y, 4, &g);
    net.backward(x, g, 4);
    for (Param* p : net.params()) {
      Param copy = *p;
      CAPTURE(p->name);
      auto r = reglab::testing::check_gradient(p->value.data(), copy.grad.data(), p->value.size(),
                                               loss, 1e-2, 2e-2, 2e-4);
      CHECK(r.failed == 0);
    }
  }
}
