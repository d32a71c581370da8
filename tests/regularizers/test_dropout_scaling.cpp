// Dropout's `scaling` option (regularizers/dropout.hpp): the paper's weight scaling (plain 0/1
// masks in training, y = p x in eval) against inverted dropout, and the gradient check of both.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/dropout.hpp"
#include "framework/testing/gradcheck.hpp"
#include "tests/support/layer_checks.hpp"

namespace reglab::regularizers {
namespace {

constexpr DropoutScaling kWeight = DropoutScaling::kWeight;
constexpr DropoutScaling kInverted = DropoutScaling::kInverted;

DropoutLayer make_layer(double rate, DropoutScaling scaling, std::size_t rows, std::size_t cols,
                        models::Shape shape = {}) {
  DropoutLayer layer("dropout_0", rate, Rng::stream(42, "dropout", 1), shape.channels > 0, scaling);
  layer.allocate(rows, shape.channels > 0 ? shape : models::Shape{cols, 1, 1});
  return layer;
}

std::string config_error(const std::string& text) {
  return testing::config_error(text, Dropout::from_config);
}

models::NetworkSpec small_spec() {
  models::NetworkSpec spec;
  spec.inputs = 4;
  spec.hidden = {6, 5};
  spec.classes = 3;
  return spec;
}

}  // namespace

TEST_CASE("dropout scaling weight: train masks are exactly 0 or 1, kept within 4 sigma of p") {
  const std::size_t rows = 500;
  const std::size_t cols = 80;
  const Matrix x = testing::uniform_matrix(rows, cols, 1, 0.5f, 1.5f);
  for (const double rate : {0.2, 0.5, 0.8}) {
    CAPTURE(rate);
    DropoutLayer layer = make_layer(rate, kWeight, rows, cols);
    layer.forward(x, rows, Mode::kTrain);
    std::size_t kept = 0;
    std::size_t other = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float m = layer.mask().data()[i];
      const float y = layer.output().data()[i];
      kept += m == 1.0f ? 1 : 0;
      other += m != 0.0f && m != 1.0f ? 1 : 0;
      CHECK(y == (m == 1.0f ? x.data()[i] : 0.0f));  // y = x * m, no 1/p
    }
    CHECK(other == 0);
    const double n = static_cast<double>(x.size());
    const double p = 1.0 - rate;
    CHECK(std::abs(static_cast<double>(kept) - n * p) <= 4.0 * std::sqrt(n * p * (1.0 - p)));
  }
}

TEST_CASE("dropout scaling weight: the same draws as inverted, only the kept value differs") {
  const Matrix x(std::array<std::size_t, 2>{64, 32}, 1.0f);
  DropoutLayer weight = make_layer(0.3, kWeight, 64, 32);
  DropoutLayer inverted = make_layer(0.3, kInverted, 64, 32);
  weight.forward(x, 64, Mode::kTrain);
  inverted.forward(x, 64, Mode::kTrain);
  const float scale = static_cast<float>(1.0 / 0.7);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(inverted.mask().data()[i] == weight.mask().data()[i] * scale);
  }
}

TEST_CASE("dropout scaling weight: eval mode is y = (1 - rate) x, bit for bit") {
  const Matrix x = testing::uniform_matrix(16, 7, 3, -2.0f, 2.0f);
  const Matrix g = testing::uniform_matrix(16, 7, 4, -1.0f, 1.0f);
  for (const double rate : {0.2, 0.5, 0.35}) {
    CAPTURE(rate);
    const float p = static_cast<float>(1.0 - rate);
    DropoutLayer layer = make_layer(rate, kWeight, 16, 7);
    layer.forward(x, 16, Mode::kEval);
    layer.backward(x, g, 16, true);
    for (std::size_t i = 0; i < x.size(); ++i) {
      CHECK(layer.output().data()[i] == p * x.data()[i]);
      CHECK(layer.input_grad().data()[i] == p * g.data()[i]);
    }
  }
  // Rate 0 keeps everything: the identity in both modes.
  DropoutLayer zero = make_layer(0.0, kWeight, 16, 7);
  zero.forward(x, 16, Mode::kEval);
  CHECK(zero.output() == x);
  zero.forward(x, 16, Mode::kTrain);
  CHECK(zero.output() == x);
}

TEST_CASE("dropout scaling weight: a Monte-Carlo sample keeps or drops x, unscaled") {
  const Matrix x = testing::uniform_matrix(32, 16, 6, 0.5f, 1.5f);
  DropoutLayer layer = make_layer(0.5, kWeight, 32, 16);
  layer.forward(x, 32, Mode::kSample);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float y = layer.output().data()[i];
    CHECK((y == 0.0f || y == x.data()[i]));
    kept += y == x.data()[i] ? 1 : 0;
  }
  CHECK(kept > 0);
  CHECK(kept < x.size());
}

TEST_CASE("dropout scaling: the expectation of training is the eval output") {
  const Matrix x = testing::uniform_matrix(2000, 50, 7, 0.5f, 1.5f);
  for (const DropoutScaling scaling : {kInverted, kWeight}) {
    DropoutLayer layer = make_layer(0.4, scaling, 2000, 50);
    layer.forward(x, 2000, Mode::kTrain);
    double train_sum = 0.0;
    for (const float y : layer.output()) train_sum += y;
    layer.forward(x, 2000, Mode::kEval);
    double eval_sum = 0.0;
    for (const float y : layer.output()) eval_sum += y;
    CHECK(train_sum / eval_sum == doctest::Approx(1.0).epsilon(0.01));
  }
}

TEST_CASE("dropout scaling: finite-difference gradient check in train and eval mode") {
  const std::size_t n = 6;
  const std::size_t cols = 5;
  const Matrix g = testing::uniform_matrix(n, cols, 12, -1.0f, 1.0f);
  for (const DropoutScaling scaling : {kInverted, kWeight}) {
    for (const Mode mode : {Mode::kTrain, Mode::kEval}) {
      CAPTURE(scaling_name(scaling));
      CAPTURE(mode == Mode::kTrain);
      Matrix x = testing::uniform_matrix(n, cols, 11, -1.0f, 1.0f);
      DropoutLayer layer = make_layer(0.4, scaling, n, cols);
      Rng& rng = *layer.streams().at(0);
      const Rng saved = rng;
      // Every evaluation restores the stream, so it draws the same mask.
      auto loss = [&] {
        rng = saved;
        layer.forward(x, n, mode);
        double sum = 0.0;
        for (std::size_t k = 0; k < n * cols; ++k) {
          sum += static_cast<double>(layer.output().data()[k]) * g.data()[k];
        }
        return sum;
      };
      loss();
      layer.backward(x, g, n, true);
      const std::vector<float> dx(layer.input_grad().begin(), layer.input_grad().end());
      const auto result = testing::check_gradient(x.data(), dx.data(), n * cols, loss);
      CHECK(result.checked == n * cols);
      CHECK(result.failed == 0);
    }
  }
}

TEST_CASE("dropout scaling weight: spatial masks are 0 or 1 per channel; eval scales by p") {
  const models::Shape shape{3, 2, 2};
  const Matrix x = testing::uniform_matrix(40, shape.size(), 5, 0.5f, 1.5f);
  DropoutLayer layer = make_layer(0.5, kWeight, 40, shape.size(), shape);
  layer.forward(x, 40, Mode::kTrain);
  for (std::size_t c = 0; c < x.size(); c += 4) {
    const float m = layer.mask().data()[c];
    CHECK((m == 0.0f || m == 1.0f));
    for (std::size_t k = 1; k < 4; ++k) CHECK(layer.mask().data()[c + k] == m);
  }
  layer.forward(x, 40, Mode::kEval);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(layer.output().data()[i] == 0.5f * x.data()[i]);
}

TEST_CASE("dropout scaling: read, described, applied to the input slot, bad values refused") {
  experiment::OptionReader reader(
      experiment::ConfigNode::parse("rate: 0.5\ninput_rate: 0.2\nscaling: weight\n", "test.yaml"));
  const RegularizerPtr reg = Dropout::from_config(reader);
  reader.finish();
  CHECK(reg->describe() == "dropout(rate=0.5, input_rate=0.2, scaling=weight)");
  experiment::OptionReader plain(experiment::ConfigNode::parse("scaling: inverted", "test.yaml"));
  CHECK(Dropout::from_config(plain)->describe() == "dropout(rate=0.5, input_rate=0)");

  models::Network net(small_spec(), 1);
  reg->attach(net, AttachContext{7, 0});
  net.finalize(8);
  std::vector<std::string> lines;
  for (const models::Layer* l : net.layers()) {
    const auto* d = dynamic_cast<const DropoutLayer*>(l);
    if (d == nullptr) continue;
    CHECK(d->scaling() == kWeight);
    lines.push_back(d->describe());
  }
  CHECK(lines == std::vector<std::string>{"dropout_input: rate 0.2, scaling weight (eval x 0.8)",
                                          "dropout_0: rate 0.5, scaling weight (eval x 0.5)",
                                          "dropout_1: rate 0.5, scaling weight (eval x 0.5)"});
  // The input layer multiplies by p_input = 1 - input_rate in eval mode.
  const Matrix x = testing::uniform_matrix(8, 4, 9, -1.0f, 1.0f);
  models::Layer* input = net.layers().front();
  input->forward(x, 8, Mode::kEval);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(input->output().data()[i] == 0.8f * x.data()[i]);
  }

  for (const char* bad : {"scaling: foo", "scaling: Weight", "scaling: [weight]", "scaling: 1"}) {
    CAPTURE(bad);
    const std::string message = config_error(bad);
    CHECK(message.find("test.yaml:1:") != std::string::npos);
    CHECK(message.find("scaling") != std::string::npos);
  }
  CHECK(config_error("scaling: foo").find("inverted, weight") != std::string::npos);
  CHECK(config_error("scalling: weight").find("scalling") != std::string::npos);
}

}  // namespace reglab::regularizers
