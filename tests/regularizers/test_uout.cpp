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
#include "framework/models/network.hpp"
#include "framework/regularizers/uout.hpp"
#include "framework/testing/gradcheck.hpp"
#include "tests/support/layer_checks.hpp"

namespace reglab::regularizers {
namespace {

UoutLayer make_layer(double beta, std::uint64_t seed, std::size_t rows, std::size_t cols) {
  UoutLayer layer("uout_0", beta, Rng::stream(seed, "uout", 1));
  layer.allocate(rows, reglab::models::Shape{cols, 1, 1});
  return layer;
}

RegularizerPtr build(const std::string& text) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(text, "test.yaml"));
  RegularizerPtr reg = Uout::from_config(reader);
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

/// The noise of layer `name` after one train-mode forward of a {6, 6} network with uout
/// (beta 0.5) attached under `ctx`.
Matrix attached_noise(const AttachContext& ctx, const std::string& name) {
  models::Network net(small_spec({6, 6}), 1);
  Uout(UoutOptions{0.5}).attach(net, ctx);
  net.finalize(16);
  net.forward(testing::uniform_matrix(16, 4, 3, -1.0f, 1.0f), 16, Mode::kTrain);
  for (const models::Layer* l : net.layers()) {
    if (l->name() == name) return dynamic_cast<const UoutLayer&>(*l).noise();
  }
  FAIL("no layer " << name);
  return Matrix();
}

}  // namespace

TEST_CASE("uout: beta 0 and eval mode are the identity") {
  const Matrix x = testing::uniform_matrix(16, 7, 1, -2.0f, 2.0f);
  const Matrix g = testing::uniform_matrix(16, 7, 2, -1.0f, 1.0f);
  UoutLayer zero = make_layer(0.0, 3, 16, 7);
  UoutLayer half = make_layer(0.5, 3, 16, 7);
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
}

TEST_CASE("uout: the factor 1 + r has mean 1, variance beta^2/3 and bounds 1 -+ beta") {
  const std::size_t rows = 1000;
  const std::size_t cols = 100;
  const double count = static_cast<double>(rows * cols);
  const Matrix x = testing::uniform_matrix(rows, cols, 5, 0.5f, 2.0f);
  for (const double beta : {0.05, 0.1, 0.5, 1.0}) {
    CAPTURE(beta);
    UoutLayer layer = make_layer(beta, 42, rows, cols);
    layer.forward(x, rows, Mode::kTrain);
    double sum = 0.0;
    double sq = 0.0;
    double lo = 2.0;
    double hi = 0.0;
    std::size_t mismatched = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double m = layer.noise().data()[i];
      sum += m;
      sq += (m - 1.0) * (m - 1.0);
      lo = std::min(lo, m);
      hi = std::max(hi, m);
      mismatched += layer.output().data()[i] == x.data()[i] * layer.noise().data()[i] ? 0 : 1;
    }
    const double var = beta * beta / 3.0;
    const double mean = sum / count;
    const double sample_var = sq / count - (mean - 1.0) * (mean - 1.0);
    // Five standard errors: sd(mean) = sqrt(var / N); sd(variance) = sqrt(Var(r^2) / N) with
    // Var(r^2) = E r^4 - (E r^2)^2 = beta^4 / 5 - beta^4 / 9 = 4 beta^4 / 45.
    CHECK(std::abs(mean - 1.0) < 5.0 * std::sqrt(var / count));
    CHECK(std::abs(sample_var - var) < 5.0 * beta * beta * std::sqrt(4.0 / 45.0 / count));
    CHECK(lo >= 1.0 - beta - 1e-6);
    CHECK(hi <= 1.0 + beta + 1e-6);
    // 1e5 draws fill the interval: none in its outer 0.5% has probability 0.995^1e5.
    CHECK(lo < 1.0 - 0.99 * beta);
    CHECK(hi > 1.0 + 0.99 * beta);
    CHECK(mismatched == 0);
  }
}

TEST_CASE("uout: backward multiplies by the same factor and matches finite differences") {
  const std::size_t n = 6;
  const std::size_t cols = 5;
  Matrix x = testing::uniform_matrix(n, cols, 11, -1.0f, 1.0f);
  const Matrix g = testing::uniform_matrix(n, cols, 12, -1.0f, 1.0f);
  UoutLayer layer = make_layer(0.3, 13, n, cols);
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

TEST_CASE("uout: same seed same noise, a different arm different noise") {
  UoutLayer a = make_layer(0.5, 5, 64, 32);
  UoutLayer b = make_layer(0.5, 5, 64, 32);
  const Matrix x(std::array<std::size_t, 2>{64, 32}, 1.0f);
  a.forward(x, 64, Mode::kTrain);
  b.forward(x, 64, Mode::kTrain);
  CHECK(a.noise() == b.noise());
  const Matrix first = a.noise();
  a.forward(x, 64, Mode::kTrain);
  CHECK_FALSE(a.noise() == first);  // the next batch draws fresh noise

  for (const char* name : {"uout_0", "uout_1"}) {
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
    // 96 entries; 24-bit uniforms coincide with probability 2^-24 each.
    CHECK(same_arm < 3);
    CHECK(same_position < 3);
  }
}

TEST_CASE("uout: streams() returns the layer's Rng") {
  UoutLayer layer = make_layer(0.3, 21, 8, 8);
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

TEST_CASE("uout: attach places layers in the post-activation slots") {
  models::Network net(small_spec({5, 5}), 1);
  build("beta: 0.2")->attach(net, AttachContext{7, 3, 9});
  net.finalize(8);
  CHECK(layer_names(net) == std::vector<std::string>{"dense_0", "relu_0", "uout_0", "dense_1",
                                                     "relu_1", "uout_1", "dense_2"});
  // Streams: slot i + 1 for hidden layer i, position 3 in the high bits.
  const std::uint64_t arm_seed = derive_seed(7, "dropout_arm", 9);
  const std::vector<std::size_t> at = {2, 5};
  for (std::size_t i = 0; i < at.size(); ++i) {
    Rng expected = Rng::stream(arm_seed, "uout", (std::uint64_t{3} << 32) + i + 1);
    CHECK(net.layers()[at[i]]->streams().at(0)->next_u64() == expected.next_u64());
  }

  models::Network last(small_spec({5, 5, 5}), 1);
  build("layers: last")->attach(last, AttachContext{7, 0});
  last.finalize(8);
  CHECK(layer_names(last) == std::vector<std::string>{"dense_0", "relu_0", "dense_1", "relu_1",
                                                      "dense_2", "relu_2", "uout_2", "dense_3"});

  models::Network none(small_spec({5}), 1);
  build("beta: 0")->attach(none, AttachContext{7, 0});
  none.finalize(8);
  CHECK(layer_names(none) == std::vector<std::string>{"dense_0", "relu_0", "dense_1"});

  // Eval mode equals the same network without noise.
  models::Network plain(small_spec({5, 5}), 1);
  plain.finalize(8);
  const Matrix x = testing::uniform_matrix(8, 4, 3, -1.0f, 1.0f);
  CHECK(Matrix(net.forward(x, 8, Mode::kEval)) == plain.forward(x, 8, Mode::kEval));
}

TEST_CASE("uout: options are read and bad ones rejected with their location") {
  CHECK(build("{}")->describe() == "uout(beta=0.1)");
  CHECK(build("beta: 1\nlayers: last")->describe() == "uout(beta=1, layers=last)");
  CHECK(build("beta: 0.3\nlayers: all")->describe() == "uout(beta=0.3)");
  for (const char* bad : {"beta: 1.5", "beta: -0.1", "beta: .inf", "beta: wide", "rate: 0.5",
                          "layers: middle", "layers: {a: 1}"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(build(bad), doctest::Contains("test.yaml:1:"), ConfigError);
  }
  CHECK_THROWS_WITH_AS(build("rate: 0.5"), doctest::Contains("rate"), ConfigError);
  CHECK_THROWS_WITH_AS(build("layers: middle"), doctest::Contains("all, hidden, last"),
                       ConfigError);
  CHECK_THROWS_AS(Uout(UoutOptions{1.5}), std::invalid_argument);
  CHECK_THROWS_AS(UoutLayer("u", -0.1, Rng(1)), std::invalid_argument);
  CHECK(make_layer(0.1, 1, 2, 2).describe() == "uout_0: beta 0.1");
}

}  // namespace reglab::regularizers
