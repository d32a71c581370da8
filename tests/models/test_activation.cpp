#include <doctest/doctest.h>

#include <cmath>

#include "framework/core/random.hpp"
#include "framework/models/activation.hpp"
#include "framework/testing/gradcheck.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::models::Activation;
using reglab::models::ActivationLayer;

TEST_CASE("activations compute their functions") {
  Matrix x = {{-2.0f, -0.5f, 0.0f, 0.5f, 2.0f}};
  ActivationLayer relu("relu_0", Activation::kRelu), tanh_l("tanh_0", Activation::kTanh),
      sig("sigmoid_0", Activation::kSigmoid);
  for (auto* l : {&relu, &tanh_l, &sig}) l->allocate(1, reglab::models::Shape{5, 1, 1});
  relu.forward(x, 1, Mode::kTrain);
  tanh_l.forward(x, 1, Mode::kTrain);
  sig.forward(x, 1, Mode::kTrain);
  for (std::size_t j = 0; j < 5; ++j) {
    const float v = x(0, j);
    CHECK(relu.output()(0, j) == (v > 0 ? v : 0.0f));
    CHECK(tanh_l.output()(0, j) == doctest::Approx(std::tanh(v)));
    CHECK(sig.output()(0, j) == doctest::Approx(1.0 / (1.0 + std::exp(-v))));
  }
}

TEST_CASE("activation gradients match finite differences") {
  for (Activation kind : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid}) {
    CAPTURE(reglab::models::activation_name(kind));
    ActivationLayer layer("act", kind);
    const std::size_t n = 4, w = 6;
    layer.allocate(n, reglab::models::Shape{w, 1, 1});
    reglab::Rng rng(11);
    Matrix x = xt::zeros<float>({n, w});
    Matrix proj = xt::zeros<float>({n, w});
    for (std::size_t i = 0; i < n * w; ++i) {
      // Keep inputs away from relu's kink at 0, where finite differences are meaningless.
      float v = static_cast<float>(rng.normal());
      if (std::abs(v) < 0.1f) v += v < 0 ? -0.2f : 0.2f;
      x.data()[i] = v;
      proj.data()[i] = static_cast<float>(rng.normal());
    }
    auto loss = [&] {
      layer.forward(x, n, Mode::kTrain);
      double s = 0;
      for (std::size_t i = 0; i < n * w; ++i)
        s += double(layer.output().data()[i]) * proj.data()[i];
      return s;
    };
    loss();
    layer.backward(x, proj, n, true);
    Matrix gx = layer.input_grad();
    auto r = reglab::testing::check_gradient(x.data(), gx.data(), n * w, loss, 1e-2);
    CHECK(r.failed == 0);
  }
}
