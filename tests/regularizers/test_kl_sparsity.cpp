#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/loss.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/kl_sparsity.hpp"
#include "framework/testing/gradcheck.hpp"
#include "tests/support/layer_checks.hpp"

namespace reglab::regularizers {
namespace {

Matrix from_rows(const std::vector<std::vector<float>>& rows) {
  Matrix m(std::array<std::size_t, 2>{rows.size(), rows[0].size()}, 0.0f);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j];
  }
  return m;
}

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = KlSparsity::from_config(reader);
  reader.finish();
  return reg;
}

std::vector<std::string> layer_names(const models::Network& net) {
  std::vector<std::string> names;
  for (const models::Layer* l : net.layers()) names.push_back(l->name());
  return names;
}

models::NetworkSpec small_spec(std::vector<std::size_t> hidden,
                               models::Activation activation = models::Activation::kRelu) {
  models::NetworkSpec spec;
  spec.inputs = 4;
  spec.hidden = std::move(hidden);
  spec.classes = 3;
  spec.activation = activation;
  return spec;
}

/// sum_ij g_ij * y_ij over the first n rows.
double projection(const Matrix& y, const Matrix& g, std::size_t n) {
  double sum = 0.0;
  for (std::size_t k = 0; k < n * g.shape()[1]; ++k) {
    sum += static_cast<double>(y.data()[k]) * g.data()[k];
  }
  return sum;
}

}  // namespace

TEST_CASE("kl_sparsity: the forward pass is the identity in both modes") {
  const Matrix x = testing::uniform_matrix(16, 7, 1, -2.0f, 2.0f);
  const Matrix g = testing::uniform_matrix(16, 7, 2, -1.0f, 1.0f);
  KlSparsityLayer layer("kl_sparsity_0", 0.5, 0.05);
  layer.allocate(16, reglab::models::Shape{7, 1, 1});
  CHECK(layer.penalty() == 0.0);
  layer.forward(x, 16, Mode::kTrain);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(layer.output().data()[i] == x.data()[i]);
  const double train_penalty = layer.penalty();
  CHECK(train_penalty > 0.0);
  layer.forward(testing::uniform_matrix(16, 7, 3, 0.0f, 1.0f), 16, Mode::kEval);
  CHECK(layer.penalty() == train_penalty);  // eval mode records nothing
  layer.forward(x, 16, Mode::kEval);
  layer.backward(x, g, 16, true);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(layer.output().data()[i] == x.data()[i]);
    CHECK(layer.input_grad().data()[i] == g.data()[i]);  // no penalty gradient after eval
  }
}

TEST_CASE("kl_sparsity: penalty and gradient of a hand-computed example") {
  // beta 0.5, rho 0.05, n 4. Column means: 0.2; 0.05 (= rho); 0 (clamped to 1e-4); 2 (a ReLU
  // unit above 1, clamped to 1 - 1e-4).
  const Matrix x = from_rows({{0.1f, 0.05f, 0.0f, 2.0f},
                              {0.2f, 0.05f, 0.0f, 1.0f},
                              {0.3f, 0.05f, 0.0f, 3.0f},
                              {0.2f, 0.05f, 0.0f, 2.0f}});
  KlSparsityLayer layer("kl_sparsity_0", 0.5, 0.05);
  layer.allocate(4, reglab::models::Shape{4, 1, 1});
  layer.forward(x, 4, Mode::kTrain);
  REQUIRE(layer.rho_hat().size() == 4);
  CHECK(layer.rho_hat()[0] == doctest::Approx(0.2).epsilon(1e-6));
  CHECK(layer.rho_hat()[1] == doctest::Approx(0.05).epsilon(1e-6));
  CHECK(layer.rho_hat()[2] == 1e-4);
  CHECK(layer.rho_hat()[3] == 1.0 - 1e-4);
  // 0.5 * KL(0.05 || 0.2)    = 0.5 * (0.05 ln 0.25 + 0.95 ln(0.95 / 0.8))      = 0.0469715
  // 0.5 * KL(0.05 || 1e-4)   = 0.5 * (0.05 ln 500 + 0.95 ln(0.95 / 0.9999))    = 0.1310484
  // 0.5 * KL(0.05 || 0.9999) = 0.5 * (0.05 ln(0.05 / 0.9999) + 0.95 ln 9500)  = 4.2756566
  CHECK(layer.penalty() == doctest::Approx(0.0469715 + 0.1310484 + 4.2756566).epsilon(1e-6));

  const Matrix g = testing::uniform_matrix(4, 4, 5, -1.0f, 1.0f);
  layer.backward(x, g, 4, true);
  // Column 0: 0.5 / 4 * (-0.05 / 0.2 + 0.95 / 0.8) = 0.1171875; column 1: 0 (at the target);
  // columns 2 and 3: 0 (clamped).
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(layer.input_grad()(i, 0) == doctest::Approx(g(i, 0) + 0.1171875).epsilon(1e-5));
    CHECK(layer.input_grad()(i, 1) == doctest::Approx(g(i, 1)).epsilon(1e-5));
    CHECK(layer.input_grad()(i, 2) == g(i, 2));
    CHECK(layer.input_grad()(i, 3) == g(i, 3));
  }
}

TEST_CASE("kl_sparsity: the gradient of sum(G .* y) + penalty matches finite differences") {
  const std::size_t n = 8;
  const std::size_t units = 5;
  // Activations in (0.05, 0.5): column means stay far from the clamp under a step of 1e-2.
  Matrix x = testing::uniform_matrix(n, units, 11, 0.05f, 0.5f);
  for (const bool with_g : {true, false}) {
    CAPTURE(with_g);
    const Matrix g = with_g ? testing::uniform_matrix(n, units, 12, -1.0f, 1.0f)
                            : Matrix(std::array<std::size_t, 2>{n, units}, 0.0f);
    KlSparsityLayer layer("kl_sparsity_0", 0.5, 0.1);
    layer.allocate(n, reglab::models::Shape{units, 1, 1});
    auto loss = [&] {
      layer.forward(x, n, Mode::kTrain);
      return projection(layer.output(), g, n) + layer.penalty();
    };
    loss();
    layer.backward(x, g, n, true);
    const std::vector<float> dx(layer.input_grad().begin(), layer.input_grad().end());
    double largest = 0.0;
    for (const float d : dx) largest = std::max(largest, std::abs(static_cast<double>(d)));
    CHECK(largest > 1e-2);  // the penalty's gradient is not negligible
    const auto result = testing::check_gradient(x.data(), dx.data(), n * units, loss);
    CHECK(result.checked == n * units);
    CHECK(result.failed == 0);
  }
}

TEST_CASE("kl_sparsity: the regularizer's penalty and gradient through a sigmoid network") {
  const std::size_t n = 10;
  models::Network net(small_spec({6, 5}, models::Activation::kSigmoid), 3);
  KlSparsity reg(KlSparsityOptions{0.2, 0.1});
  reg.attach(net, AttachContext{1, 0});
  net.finalize(n);
  REQUIRE(reg.layers().size() == 2);
  CHECK(reg.penalty(net) == 0.0);

  const Matrix x = testing::uniform_matrix(n, 4, 4, -1.0f, 1.0f);
  std::vector<std::uint8_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::uint8_t>(i % 3);
  Matrix grad(std::array<std::size_t, 2>{n, 3}, 0.0f);
  auto objective = [&] {
    const Matrix& logits = net.forward(x, n, Mode::kTrain);
    return models::softmax_cross_entropy(logits, labels.data(), n, &grad).loss + reg.penalty(net);
  };
  objective();
  const double penalty = reg.penalty(net);
  CHECK(penalty > 0.0);
  CHECK(penalty == reg.layers()[0]->penalty() + reg.layers()[1]->penalty());
  net.forward(x, n, Mode::kEval);
  CHECK(reg.penalty(net) == penalty);  // the last train-mode value

  objective();
  net.backward(x, grad, n);
  std::vector<std::vector<float>> grads;
  for (const models::Param* p : net.params()) grads.emplace_back(p->grad.begin(), p->grad.end());
  reg.add_penalty_gradient(net);  // a no-op: the gradient flowed through backward()
  for (std::size_t k = 0; k < grads.size(); ++k) {
    CHECK(std::vector<float>(net.params()[k]->grad.begin(), net.params()[k]->grad.end()) ==
          grads[k]);
  }
  // d(cross-entropy + penalty) / d(first kernel and bias) against finite differences.
  for (std::size_t k = 0; k < 2; ++k) {
    models::Param& p = *net.params()[k];
    CAPTURE(p.name);
    const auto result =
        testing::check_gradient(p.value.data(), grads[k].data(), p.value.size(), objective);
    CHECK(result.failed == 0);
  }
}

TEST_CASE("kl_sparsity: attach places layers in the post-activation slots") {
  models::Network net(small_spec({5, 5}), 1);
  KlSparsity all(KlSparsityOptions{});
  all.attach(net, AttachContext{7, 0});
  net.finalize(8);
  CHECK(layer_names(net) == std::vector<std::string>{"dense_0", "relu_0", "kl_sparsity_0",
                                                     "dense_1", "relu_1", "kl_sparsity_1",
                                                     "dense_2"});
  REQUIRE(all.layers().size() == 2);
  CHECK(all.layers()[1] == net.layers()[5]);
  CHECK(net.layers()[2]->streams().empty());

  models::Network last(small_spec({5, 5, 5}), 1);
  KlSparsity only_last(KlSparsityOptions{1e-3, 0.05, LayerSelection::kLast});
  only_last.attach(last, AttachContext{7, 0});
  last.finalize(8);
  CHECK(layer_names(last) == std::vector<std::string>{"dense_0", "relu_0", "dense_1", "relu_1",
                                                      "dense_2", "relu_2", "kl_sparsity_2",
                                                      "dense_3"});
  REQUIRE(only_last.layers().size() == 1);
  CHECK(only_last.layers()[0] == last.layers()[6]);

  models::Network none(small_spec({5}), 1);
  KlSparsity zero(KlSparsityOptions{0.0, 0.05});
  zero.attach(none, AttachContext{7, 0});
  none.finalize(8);
  CHECK(layer_names(none) == std::vector<std::string>{"dense_0", "relu_0", "dense_1"});
  CHECK(zero.layers().empty());
}

TEST_CASE("kl_sparsity: options are read and bad ones rejected with their location") {
  CHECK(build("{}")->describe() == "kl_sparsity(beta=0.001, target=0.05)");
  CHECK(build("beta: 0.1\ntarget: 0.2\nlayers: last")->describe() ==
        "kl_sparsity(beta=0.1, target=0.2, layers=last)");
  CHECK(build("beta: 0\nlayers: all")->describe() == "kl_sparsity(beta=0, target=0.05)");
  for (const char* bad : {"beta: -1e-3", "beta: .inf", "target: 0", "target: 1", "target: 1.5",
                          "target: low", "rho: 0.05", "layers: first", "layers: [all, last]"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(build(bad), doctest::Contains("test.yaml:1:"), ConfigError);
  }
  CHECK_THROWS_WITH_AS(build("rho: 0.05"), doctest::Contains("rho"), ConfigError);
  CHECK_THROWS_WITH_AS(build("layers: first"), doctest::Contains("all, hidden, last"), ConfigError);
  CHECK_THROWS_AS(KlSparsity(KlSparsityOptions{-1.0, 0.05}), std::invalid_argument);
  CHECK_THROWS_AS(KlSparsityLayer("k", 0.1, 1.0), std::invalid_argument);
  CHECK(KlSparsityLayer("kl_sparsity_0", 0.001, 0.05).describe() ==
        "kl_sparsity_0: target 0.05, beta 0.001");
}

}  // namespace reglab::regularizers
