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
#include "framework/regularizers/gaussian_dropout.hpp"
#include "framework/testing/gradcheck.hpp"
#include "tests/support/layer_checks.hpp"

namespace reglab::regularizers {
namespace {

GaussianDropoutLayer make_layer(double rate, std::uint64_t seed, std::size_t rows,
                                std::size_t cols) {
  GaussianDropoutLayer layer("gaussian_dropout_0", rate, Rng::stream(seed, "gaussian_dropout", 1));
  layer.allocate(rows, reglab::models::Shape{cols, 1, 1});
  return layer;
}

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = GaussianDropout::from_config(reader);
  reader.finish();
  return reg;
}

std::vector<std::string> layer_names(const models::Network& net) {
  std::vector<std::string> names;
  for (const models::Layer* l : net.layers()) names.push_back(l->name());
  return names;
}

models::NetworkSpec small_spec(std::vector<std::size_t> hidden) {
  models::NetworkSpec spec;
  spec.inputs = 4;
  spec.hidden = std::move(hidden);
  spec.classes = 3;
  return spec;
}

/// The noise of layer `name` after one train-mode forward of a {6, 6} network with
/// gaussian_dropout attached under `ctx`.
Matrix attached_noise(const AttachContext& ctx, const std::string& name) {
  models::Network net(small_spec({6, 6}), 1);
  GaussianDropout(GaussianDropoutOptions{0.5, 0.2}).attach(net, ctx);
  net.finalize(16);
  net.forward(testing::uniform_matrix(16, 4, 3, -1.0f, 1.0f), 16, Mode::kTrain);
  for (const models::Layer* l : net.layers()) {
    if (l->name() == name) return dynamic_cast<const GaussianDropoutLayer&>(*l).noise();
  }
  FAIL("no layer " << name);
  return Matrix();
}

}  // namespace

TEST_CASE("gaussian_dropout: rate 0 and eval mode are the identity") {
  const Matrix x = testing::uniform_matrix(16, 7, 1, -2.0f, 2.0f);
  const Matrix g = testing::uniform_matrix(16, 7, 2, -1.0f, 1.0f);
  GaussianDropoutLayer zero = make_layer(0.0, 3, 16, 7);
  GaussianDropoutLayer half = make_layer(0.5, 3, 16, 7);
  zero.forward(x, 16, Mode::kTrain);
  half.forward(x, 16, Mode::kEval);
  zero.backward(x, g, 16, true);
  half.backward(x, g, 16, true);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(zero.output().data()[i] == x.data()[i]);
    CHECK(half.output().data()[i] == x.data()[i]);
    CHECK(zero.input_grad().data()[i] == g.data()[i]);
    CHECK(half.input_grad().data()[i] == g.data()[i]);
  }
  CHECK(zero.sigma() == 0.0);
}

TEST_CASE("gaussian_dropout: the noise has mean 1 and variance rate/(1-rate)") {
  const std::size_t rows = 1000;
  const std::size_t cols = 100;
  const double count = static_cast<double>(rows * cols);
  const Matrix x = testing::uniform_matrix(rows, cols, 5, 0.5f, 2.0f);
  for (const double rate : {0.1, 0.3, 0.5, 0.8}) {
    CAPTURE(rate);
    GaussianDropoutLayer layer = make_layer(rate, 42, rows, cols);
    layer.forward(x, rows, Mode::kTrain);
    const double var = rate / (1.0 - rate);
    CHECK(layer.sigma() == doctest::Approx(std::sqrt(var)));
    double sum = 0.0;
    double sq = 0.0;
    std::size_t mismatched = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double m = layer.noise().data()[i];
      sum += m;
      sq += (m - 1.0) * (m - 1.0);
      mismatched += layer.output().data()[i] == x.data()[i] * layer.noise().data()[i] ? 0 : 1;
    }
    const double mean = sum / count;
    const double sample_var = sq / count - (mean - 1.0) * (mean - 1.0);
    // Five standard errors: sd(mean) = sigma / sqrt(N), sd(variance) = sigma^2 sqrt(2 / N).
    CHECK(std::abs(mean - 1.0) < 5.0 * std::sqrt(var / count));
    CHECK(std::abs(sample_var - var) < 5.0 * var * std::sqrt(2.0 / count));
    CHECK(mismatched == 0);
  }
}

TEST_CASE(
    "gaussian_dropout: backward multiplies by the same noise and matches finite differences") {
  const std::size_t n = 6;
  const std::size_t cols = 5;
  Matrix x = testing::uniform_matrix(n, cols, 11, -1.0f, 1.0f);
  const Matrix g = testing::uniform_matrix(n, cols, 12, -1.0f, 1.0f);
  GaussianDropoutLayer layer = make_layer(0.4, 13, n, cols);
  Rng& rng = *layer.streams().at(0);
  const Rng saved = rng;
  // Every evaluation restores the stream, so it draws the same noise.
  auto loss = [&] {
    rng = saved;
    layer.forward(x, n, Mode::kTrain);
    double sum = 0.0;
    for (std::size_t k = 0; k < n * cols; ++k) {
      sum += static_cast<double>(layer.output().data()[k]) * g.data()[k];
    }
    return sum;
  };
  loss();
  layer.backward(x, g, n, true);
  std::size_t not_one = 0;
  for (std::size_t k = 0; k < n * cols; ++k) {
    CHECK(layer.input_grad().data()[k] == g.data()[k] * layer.noise().data()[k]);
    not_one += layer.noise().data()[k] != 1.0f ? 1 : 0;
  }
  CHECK(not_one == n * cols);
  const std::vector<float> dx(layer.input_grad().begin(), layer.input_grad().end());
  const auto result = testing::check_gradient(x.data(), dx.data(), n * cols, loss);
  CHECK(result.checked == n * cols);
  CHECK(result.failed == 0);
}

TEST_CASE("gaussian_dropout: same seed same noise, a different arm different noise") {
  GaussianDropoutLayer a = make_layer(0.5, 5, 64, 32);
  GaussianDropoutLayer b = make_layer(0.5, 5, 64, 32);
  const Matrix x(std::array<std::size_t, 2>{64, 32}, 1.0f);
  a.forward(x, 64, Mode::kTrain);
  b.forward(x, 64, Mode::kTrain);
  CHECK(a.noise() == b.noise());
  const Matrix first = a.noise();
  a.forward(x, 64, Mode::kTrain);
  CHECK_FALSE(a.noise() == first);  // the next batch draws fresh noise

  for (const char* name : {"gaussian_dropout_input", "gaussian_dropout_0", "gaussian_dropout_1"}) {
    CAPTURE(name);
    const Matrix base = attached_noise(AttachContext{7, 0, 1}, name);
    CHECK(attached_noise(AttachContext{7, 0, 1}, name) == base);
    const Matrix other_arm = attached_noise(AttachContext{7, 0, 2}, name);
    const Matrix other_position = attached_noise(AttachContext{7, 1, 1}, name);
    std::size_t same_arm = 0;
    std::size_t same_position = 0;
    for (std::size_t i = 0; i < base.size(); ++i) {
      same_arm += base.data()[i] == other_arm.data()[i] ? 1 : 0;
      same_position += base.data()[i] == other_position.data()[i] ? 1 : 0;
    }
    CHECK(same_arm == 0);
    CHECK(same_position == 0);
  }
}

TEST_CASE("gaussian_dropout: streams() returns the layer's Rng") {
  GaussianDropoutLayer layer = make_layer(0.3, 21, 8, 8);
  const auto streams = layer.streams();
  REQUIRE(streams.size() == 1);
  const Matrix x(std::array<std::size_t, 2>{8, 8}, 1.0f);
  const Rng saved = *streams[0];
  layer.forward(x, 8, Mode::kTrain);
  const Matrix first = layer.noise();
  layer.forward(x, 8, Mode::kTrain);
  CHECK_FALSE(layer.noise() == first);
  *streams[0] = saved;  // what a checkpoint restore does
  layer.forward(x, 8, Mode::kTrain);
  CHECK(layer.noise() == first);
}

TEST_CASE("gaussian_dropout: attach places layers in the input and post-activation slots") {
  models::Network net(small_spec({5, 5}), 1);
  build("rate: 0.5\ninput_rate: 0.2")->attach(net, AttachContext{7, 3, 9});
  net.finalize(8);
  CHECK(layer_names(net) == std::vector<std::string>{"gaussian_dropout_input", "dense_0", "relu_0",
                                                     "gaussian_dropout_0", "dense_1", "relu_1",
                                                     "gaussian_dropout_1", "dense_2"});
  // Streams: slot 0 the input, slot i + 1 hidden layer i, position 3 in the high bits.
  const std::uint64_t arm_seed = derive_seed(7, "dropout_arm", 9);
  const std::vector<std::size_t> at = {0, 3, 6};
  for (std::size_t slot = 0; slot < at.size(); ++slot) {
    Rng expected = Rng::stream(arm_seed, "gaussian_dropout", (std::uint64_t{3} << 32) + slot);
    CHECK(net.layers()[at[slot]]->streams().at(0)->next_u64() == expected.next_u64());
  }

  models::Network last(small_spec({5, 5}), 1);
  build("layers: last")->attach(last, AttachContext{7, 0});
  last.finalize(8);
  CHECK(layer_names(last) == std::vector<std::string>{"dense_0", "relu_0", "dense_1", "relu_1",
                                                      "gaussian_dropout_1", "dense_2"});

  models::Network input_only(small_spec({5}), 1);
  build("rate: 0\ninput_rate: 0.2")->attach(input_only, AttachContext{7, 0});
  input_only.finalize(8);
  CHECK(layer_names(input_only) ==
        std::vector<std::string>{"gaussian_dropout_input", "dense_0", "relu_0", "dense_1"});

  // Eval mode equals the same network without noise.
  models::Network plain(small_spec({5, 5}), 1);
  plain.finalize(8);
  const Matrix x = testing::uniform_matrix(8, 4, 3, -1.0f, 1.0f);
  CHECK(Matrix(net.forward(x, 8, Mode::kEval)) == plain.forward(x, 8, Mode::kEval));
}

TEST_CASE("gaussian_dropout: options are read and bad ones rejected with their location") {
  CHECK(build("{}")->describe() == "gaussian_dropout(rate=0.5, input_rate=0)");
  CHECK(build("rate: 0.3\ninput_rate: 0.2\nlayers: last")->describe() ==
        "gaussian_dropout(rate=0.3, input_rate=0.2, layers=last)");
  CHECK(build("layers: all")->describe() == "gaussian_dropout(rate=0.5, input_rate=0)");
  for (const char* bad :
       {"rate: 1.0", "rate: -0.1", "input_rate: 1.0", "input_rate: -1", "rate: .nan", "rate: half",
        "sigma: 0.5", "layers: first", "layers: [last]"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(build(bad), doctest::Contains("test.yaml:1:"), ConfigError);
  }
  CHECK_THROWS_WITH_AS(build("sigma: 0.5"), doctest::Contains("sigma"), ConfigError);
  CHECK_THROWS_WITH_AS(build("layers: first"), doctest::Contains("layers"), ConfigError);
  CHECK_THROWS_WITH_AS(build("layers: first"), doctest::Contains("all, hidden, last"), ConfigError);
  CHECK_THROWS_AS(GaussianDropout(GaussianDropoutOptions{1.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(GaussianDropoutLayer("g", -0.1, Rng(1)), std::invalid_argument);
  CHECK(make_layer(0.5, 1, 2, 2).describe() == "gaussian_dropout_0: rate 0.5 (sigma 1)");
}

}  // namespace reglab::regularizers
