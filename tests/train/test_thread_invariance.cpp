// The element-wise parts of training give the same bits at any thread count: batch norm's
// per-column statistics and gradients, activations, and the noise masks, which a multi-threaded
// run draws for all layers before the pass (Layer::prepare) instead of one layer at a time.
// (Matrix products are cut into blocks fixed by their shape and give the same bits at any thread
// count too: tests/core/test_gemm.cpp; a whole dropout + batch-norm run at 1, 2 and 3 threads:
// tests/e2e/test_reproducible.sh.)
#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/activation.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/batch_norm.hpp"
#include "framework/regularizers/dropout.hpp"
#include "framework/regularizers/gaussian_dropout.hpp"
#include "framework/regularizers/uout.hpp"
#include "support/layer_checks.hpp"

using namespace reglab;

namespace {

bool same(const Matrix& a, const Matrix& b, std::size_t count) {
  return std::memcmp(a.data(), b.data(), count * sizeof(float)) == 0;
}

/// Batch norm and ReLU forward (train, then eval) and backward on 256 x 300 inputs.
std::vector<Matrix> layer_pass() {
  const std::size_t n = 256, units = 300;
  const Matrix x = testing::normal_matrix(n, units, 1);
  const Matrix dy = testing::normal_matrix(n, units, 2);
  regularizers::BatchNormLayer bn("batch_norm_0", units, 0.1, 1e-5);
  models::ActivationLayer relu("relu_0", models::Activation::kRelu);
  models::ActivationLayer tanh("tanh_0", models::Activation::kTanh);
  bn.allocate(n, reglab::models::Shape{units, 1, 1});
  relu.allocate(n, reglab::models::Shape{units, 1, 1});
  tanh.allocate(n, reglab::models::Shape{units, 1, 1});
  std::vector<Matrix> out;
  bn.forward(x, n, Mode::kTrain);
  relu.forward(bn.output(), n, Mode::kTrain);
  tanh.forward(x, n, Mode::kTrain);
  relu.backward(bn.output(), dy, n, true);
  bn.backward(x, relu.input_grad(), n, true);
  tanh.backward(x, dy, n, true);
  out.push_back(bn.output());
  out.push_back(relu.output());
  out.push_back(tanh.output());
  out.push_back(relu.input_grad());
  out.push_back(bn.input_grad());
  out.push_back(tanh.input_grad());
  for (models::Param* p : bn.params()) {
    Matrix g(std::array<std::size_t, 2>{1, p->grad.size()}, 0.0f);
    std::memcpy(g.data(), p->grad.data(), p->grad.size() * sizeof(float));
    out.push_back(g);
  }
  bn.forward(x, n, Mode::kEval);
  out.push_back(bn.output());
  return out;
}

/// The noise multipliers of every noise layer after two train-mode passes of a network with
/// dropout (inputs and hidden), Gaussian dropout and Uout.
std::vector<Matrix> noise_masks() {
  models::NetworkSpec spec;
  spec.inputs = 64;
  spec.hidden = {256, 256};
  spec.classes = 10;
  models::Network net(spec, 7);
  regularizers::DropoutOptions d;
  d.rate = 0.5;
  d.input_rate = 0.2;
  regularizers::Dropout(d).attach(net, {7, 0, 3});
  regularizers::GaussianDropoutOptions g;
  g.rate = 0.3;
  regularizers::GaussianDropout(g).attach(net, {7, 1, 3});
  regularizers::UoutOptions u;
  u.beta = 0.2;
  regularizers::Uout(u).attach(net, {7, 2, 3});
  const std::size_t n = 200;
  net.finalize(n);
  const Matrix x = testing::normal_matrix(n, spec.inputs, 3);
  net.forward(x, n, Mode::kTrain);
  net.forward(x, n - 37, Mode::kTrain);  // a shorter last batch
  net.forward(x, n, Mode::kEval);        // draws nothing
  std::vector<Matrix> out;
  for (models::Layer* layer : net.layers()) {
    if (auto* noise = dynamic_cast<regularizers::NoiseLayer*>(layer)) out.push_back(noise->noise());
  }
  return out;
}

}  // namespace

TEST_CASE("batch norm and activations give the same bits on 1, 2 and 3 threads") {
  parallel::set_threads(1);
  const auto one = layer_pass();
  for (int t : {2, 3}) {
    parallel::set_threads(t);
    const auto many = layer_pass();
    parallel::set_threads(1);
    REQUIRE(many.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      CAPTURE(t);
      CAPTURE(i);
      CHECK(same(one[i], many[i], one[i].size()));
    }
  }
}

TEST_CASE("noise masks drawn before the pass on 2 threads equal those drawn layer by layer") {
  parallel::set_threads(1);
  const auto one = noise_masks();
  parallel::set_threads(2);
  const auto two = noise_masks();
  parallel::set_threads(1);
  REQUIRE(one.size() == 7);  // dropout on the inputs and 2 hidden layers, Gaussian 2, Uout 2
  REQUIRE(two.size() == one.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(same(one[i], two[i], one[i].size()));
  }
}
