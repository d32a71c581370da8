#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/batch_norm.hpp"
#include "framework/regularizers/dropout.hpp"
#include "framework/testing/gradcheck.hpp"

namespace reglab::regularizers {
namespace {

Matrix normal_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix m(std::array<std::size_t, 2>{rows, cols}, 0.0f);
  Rng rng(seed);
  for (std::size_t i = 0; i < m.size(); ++i) {
    const std::size_t j = i % cols;
    // column j has mean 3j and standard deviation j + 1
    m.data()[i] = static_cast<float>(3.0 * static_cast<double>(j) +
                                     static_cast<double>(j + 1) * rng.normal());
  }
  return m;
}

Matrix from_rows(const std::vector<std::vector<float>>& rows) {
  Matrix m(std::array<std::size_t, 2>{rows.size(), rows[0].size()}, 0.0f);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j];
  }
  return m;
}

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = BatchNorm::from_config(reader);
  reader.finish();
  return reg;
}

/// sum_ij r_ij * y_ij over the first n rows.
double projection(const Matrix& y, const Matrix& r, std::size_t n) {
  double sum = 0.0;
  for (std::size_t k = 0; k < n * r.shape()[1]; ++k) {
    sum += static_cast<double>(y.data()[k]) * r.data()[k];
  }
  return sum;
}

}  // namespace

TEST_CASE("batch_norm: train mode output has zero mean and unit variance per column") {
  const std::size_t n = 64;
  const Matrix x = normal_matrix(n, 5, 1);
  BatchNormLayer layer("batch_norm_0", 5, 0.1, 1e-5);
  layer.allocate(n, reglab::models::Shape{5, 1, 1});
  layer.forward(x, n, Mode::kTrain);
  for (std::size_t j = 0; j < 5; ++j) {
    double mean = 0.0;
    double sq = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += layer.output()(i, j);
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) sq += std::pow(layer.output()(i, j) - mean, 2.0);
    CHECK(std::abs(mean) < 1e-5);
    CHECK(sq / static_cast<double>(n) == doctest::Approx(1.0).epsilon(1e-4));
  }
}

TEST_CASE("batch_norm: running statistics follow the PyTorch convention") {
  const Matrix x = from_rows({{1, 10}, {2, 20}, {3, 30}, {4, 40}});
  BatchNormLayer layer("batch_norm_0", 2, 0.1, 1e-5);
  layer.allocate(4, reglab::models::Shape{2, 1, 1});
  CHECK(layer.running_mean()(0) == 0.0f);
  CHECK(layer.running_var()(0) == 1.0f);
  layer.forward(x, 4, Mode::kTrain);
  // column 0: mean 2.5, unbiased variance 5/3; column 1: mean 25, unbiased variance 500/3
  CHECK(layer.running_mean()(0) == doctest::Approx(0.25));
  CHECK(layer.running_mean()(1) == doctest::Approx(2.5));
  CHECK(layer.running_var()(0) == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0));
  CHECK(layer.running_var()(1) == doctest::Approx(0.9 + 0.1 * 500.0 / 3.0));
  // normalised with the biased variance 1.25
  CHECK(layer.output()(0, 0) == doctest::Approx(-1.5 / std::sqrt(1.25 + 1e-5)));
  layer.forward(x, 4, Mode::kTrain);
  CHECK(layer.running_mean()(0) == doctest::Approx(0.9 * 0.25 + 0.25));
  CHECK(layer.running_var()(0) == doctest::Approx(0.9 * (0.9 + 0.5 / 3.0) + 0.5 / 3.0));

  BatchNormLayer full("batch_norm_1", 2, 1.0, 1e-5);  // momentum 1: the last batch's statistics
  full.allocate(4, reglab::models::Shape{2, 1, 1});
  full.forward(x, 4, Mode::kTrain);
  CHECK(full.running_mean()(1) == doctest::Approx(25.0));
  CHECK(full.running_var()(1) == doctest::Approx(500.0 / 3.0));

  CHECK_THROWS_AS(full.forward(x, 1, Mode::kTrain), Error);
}

TEST_CASE("batch_norm: eval mode uses the running statistics") {
  const Matrix x = from_rows({{1, 10}, {2, 20}, {3, 30}, {4, 40}});
  BatchNormLayer layer("batch_norm_0", 2, 0.5, 1e-3);
  layer.allocate(4, reglab::models::Shape{2, 1, 1});
  layer.forward(x, 4, Mode::kTrain);
  layer.gamma().value(0) = 2.0f;
  layer.beta().value(0) = 0.5f;
  const float mean = layer.running_mean()(0);
  const float var = layer.running_var()(0);
  layer.forward(x, 4, Mode::kEval);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(layer.output()(i, 0) ==
          doctest::Approx(2.0 * (x(i, 0) - mean) / std::sqrt(var + 1e-3) + 0.5));
  }
  CHECK(layer.running_mean()(0) == mean);  // eval leaves the statistics alone
  CHECK(layer.running_var()(0) == var);
  const float first = layer.output()(2, 1);
  layer.forward(from_rows({{3, 30}}), 1, Mode::kEval);  // independent of the other rows
  CHECK(layer.output()(0, 1) == first);
}

TEST_CASE("batch_norm: gradients match finite differences") {
  const std::size_t n = 6;
  const std::size_t units = 3;
  Matrix x = normal_matrix(n, units, 2);
  const Matrix r = normal_matrix(n, units, 3);
  BatchNormLayer layer("batch_norm_0", units, 0.1, 1e-5);
  layer.allocate(n, reglab::models::Shape{units, 1, 1});
  Rng rng(4);
  for (float& g : layer.gamma().value) g = static_cast<float>(0.5 + rng.uniform_double());
  for (float& b : layer.beta().value) b = static_cast<float>(rng.normal());
  for (const Mode mode : {Mode::kTrain, Mode::kEval}) {
    CAPTURE(mode == Mode::kTrain);
    auto loss = [&] {
      layer.forward(x, n, mode);
      return projection(layer.output(), r, n);
    };
    loss();
    layer.backward(x, r, n, true);
    const std::vector<float> dx(layer.input_grad().begin(), layer.input_grad().end());
    const std::vector<float> dgamma(layer.gamma().grad.begin(), layer.gamma().grad.end());
    const std::vector<float> dbeta(layer.beta().grad.begin(), layer.beta().grad.end());
    const auto rx = testing::check_gradient(x.data(), dx.data(), n * units, loss);
    const auto rg = testing::check_gradient(layer.gamma().value.data(), dgamma.data(), units, loss);
    const auto rb = testing::check_gradient(layer.beta().value.data(), dbeta.data(), units, loss);
    CHECK(rx.checked == n * units);
    CHECK(rx.failed == 0);
    CHECK(rg.failed == 0);
    CHECK(rb.failed == 0);
  }
}

TEST_CASE("batch_norm: params and state are named") {
  BatchNormLayer layer("batch_norm_3", 4, 0.1, 1e-5);
  const auto params = layer.params();
  REQUIRE(params.size() == 2);
  CHECK(params[0]->name == "gamma");
  CHECK(params[1]->name == "beta");
  CHECK_FALSE(params[0]->is_kernel);
  CHECK(params[0]->value(3) == 1.0f);
  CHECK(params[1]->value(3) == 0.0f);
  const auto state = layer.state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].name == "running_mean");
  CHECK(state[1].name == "running_var");
  CHECK(state[0].shape == std::vector<std::size_t>{4});
  CHECK(state[0].value == &layer.running_mean());
  CHECK(state[1].value == &layer.running_var());
  CHECK(layer.describe() == "batch_norm_3: 4 units, momentum 0.1, eps 1e-05");
}

TEST_CASE("batch_norm: attach inserts a layer after each hidden dense layer") {
  models::NetworkSpec spec;
  spec.inputs = 4;
  spec.hidden = {5, 3};
  spec.classes = 2;
  models::Network net(spec, 1);
  build("momentum: 0.01")->attach(net, AttachContext{1, 0});
  Dropout(DropoutOptions{}).attach(net, AttachContext{1, 1});
  net.finalize(8);
  std::vector<std::string> names;
  for (const models::Layer* l : net.layers()) names.push_back(l->name());
  CHECK(names == std::vector<std::string>{"dense_0", "batch_norm_0", "relu_0", "dropout_0",
                                          "dense_1", "batch_norm_1", "relu_1", "dropout_1",
                                          "dense_2"});
  const auto* bn = dynamic_cast<const BatchNormLayer*>(net.layers()[5]);
  REQUIRE(bn != nullptr);
  CHECK(bn->describe() == "batch_norm_1: 3 units, momentum 0.01, eps 1e-05");
  const Matrix x = normal_matrix(8, 4, 9);
  const Matrix& logits = net.forward(x, 8, Mode::kTrain);
  CHECK(std::isfinite(logits(7, 1)));
}

TEST_CASE("batch_norm: options") {
  CHECK(build("{}")->describe() == "batch_norm(momentum=0.1, eps=1e-05)");
  for (const char* bad :
       {"momentum: 0", "momentum: 1.5", "eps: 0", "eps: -1e-5", "momentum: fast", "decay: 0.9"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(build(bad), doctest::Contains("test.yaml"), ConfigError);
  }
  CHECK_THROWS_AS(BatchNormLayer("b", 0, 0.1, 1e-5), std::invalid_argument);
}

}  // namespace reglab::regularizers
