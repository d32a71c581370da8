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
#include "tests/support/layer_checks.hpp"

namespace reglab::regularizers {
namespace {

DropoutLayer make_layer(double rate, std::uint64_t seed, std::size_t rows, std::size_t cols) {
  DropoutLayer layer("dropout_0", rate, Rng::stream(seed, "dropout", 1));
  layer.allocate(rows, reglab::models::Shape{cols, 1, 1});
  return layer;
}

std::string config_error(const std::string& text) {
  return testing::config_error(text, Dropout::from_config);
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

}  // namespace

TEST_CASE("dropout: rate 0 and eval mode are the identity") {
  const Matrix x = testing::uniform_matrix(16, 7, 1, -2.0f, 2.0f);
  const Matrix g = testing::uniform_matrix(16, 7, 2, -1.0f, 1.0f);
  DropoutLayer zero = make_layer(0.0, 3, 16, 7);
  DropoutLayer half = make_layer(0.5, 3, 16, 7);
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

TEST_CASE("dropout: the dropped fraction matches the rate") {
  const std::size_t rows = 1000;
  const std::size_t cols = 100;
  const Matrix x(std::array<std::size_t, 2>{rows, cols}, 1.0f);
  for (const double rate : {0.1, 0.3, 0.5, 0.8}) {
    CAPTURE(rate);
    DropoutLayer layer = make_layer(rate, 42, rows, cols);
    layer.forward(x, rows, Mode::kTrain);
    const float kept = static_cast<float>(1.0 / (1.0 - rate));
    std::size_t dropped = 0;
    std::size_t other = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float y = layer.output().data()[i];
      if (y == 0.0f) {
        ++dropped;
      } else if (y != kept) {
        ++other;
      }
    }
    // 1e5 draws: the standard deviation of the fraction is at most 0.0016.
    CHECK(std::abs(static_cast<double>(dropped) / static_cast<double>(x.size()) - rate) < 0.01);
    CHECK(other == 0);
  }
}

TEST_CASE("dropout: the expectation is preserved") {
  const Matrix x = testing::uniform_matrix(2000, 50, 7, 0.5f, 1.5f);
  for (const double rate : {0.2, 0.5}) {
    DropoutLayer layer = make_layer(rate, 9, 2000, 50);
    layer.forward(x, 2000, Mode::kTrain);
    double in_sum = 0.0;
    double out_sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      in_sum += x.data()[i];
      out_sum += layer.output().data()[i];
    }
    CHECK(out_sum / in_sum == doctest::Approx(1.0).epsilon(0.01));
  }
}

TEST_CASE("dropout: masks depend on the seed only") {
  const Matrix x(std::array<std::size_t, 2>{64, 32}, 1.0f);
  DropoutLayer a = make_layer(0.5, 5, 64, 32);
  DropoutLayer b = make_layer(0.5, 5, 64, 32);
  DropoutLayer c = make_layer(0.5, 6, 64, 32);
  a.forward(x, 64, Mode::kTrain);
  b.forward(x, 64, Mode::kTrain);
  c.forward(x, 64, Mode::kTrain);
  std::size_t same_ab = 0;
  std::size_t same_ac = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    same_ab += a.mask().data()[i] == b.mask().data()[i] ? 1 : 0;
    same_ac += a.mask().data()[i] == c.mask().data()[i] ? 1 : 0;
  }
  CHECK(same_ab == x.size());
  CHECK(same_ac < x.size() * 3 / 4);  // independent masks agree on about half the entries
  Matrix first = a.mask();
  a.forward(x, 64, Mode::kTrain);
  std::size_t same_next = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    same_next += first.data()[i] == a.mask().data()[i] ? 1 : 0;
  }
  CHECK(same_next < x.size() * 3 / 4);  // the next batch draws a fresh mask
}

TEST_CASE("dropout: backward masks the same entries and scales by 1/(1-rate)") {
  const Matrix x = testing::uniform_matrix(32, 16, 11, 0.5f, 1.0f);
  const Matrix g = testing::uniform_matrix(32, 16, 12, 0.5f, 1.0f);
  DropoutLayer layer = make_layer(0.3, 13, 32, 16);
  layer.forward(x, 32, Mode::kTrain);
  layer.backward(x, g, 32, true);
  const float scale = static_cast<float>(1.0 / 0.7);
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool dropped = layer.output().data()[i] == 0.0f;
    zeros += dropped ? 1 : 0;
    CHECK(layer.input_grad().data()[i] == (dropped ? 0.0f : g.data()[i] * scale));
  }
  CHECK(zeros > 0);
  CHECK(zeros < x.size());
}

TEST_CASE("dropout: attach inserts layers into the input and post-activation slots") {
  Dropout both(DropoutOptions{0.5, 0.2});
  models::Network net(small_spec({5, 5}), 1);
  both.attach(net, AttachContext{7, 0});
  net.finalize(8);
  CHECK(layer_names(net) == std::vector<std::string>{"dropout_input", "dense_0", "relu_0",
                                                     "dropout_0", "dense_1", "relu_1", "dropout_1",
                                                     "dense_2"});

  // Each layer has its own stream: the two hidden layers draw different masks.
  const Matrix x = testing::uniform_matrix(8, 4, 3, -1.0f, 1.0f);
  net.forward(x, 8, Mode::kTrain);
  const auto* d0 = dynamic_cast<const DropoutLayer*>(net.layers()[3]);
  const auto* d1 = dynamic_cast<const DropoutLayer*>(net.layers()[6]);
  REQUIRE(d0 != nullptr);
  REQUIRE(d1 != nullptr);
  CHECK(d0->rate() == 0.5);
  std::size_t same = 0;
  for (std::size_t i = 0; i < 40; ++i) same += d0->mask().data()[i] == d1->mask().data()[i] ? 1 : 0;
  CHECK(same < 40);

  // Eval mode equals the same network without dropout (dropout does not touch the init stream).
  models::Network plain(small_spec({5, 5}), 1);
  plain.finalize(8);
  const Matrix with = net.forward(x, 8, Mode::kEval);
  const Matrix without = plain.forward(x, 8, Mode::kEval);
  for (std::size_t i = 0; i < with.size(); ++i) CHECK(with.data()[i] == without.data()[i]);

  models::Network hidden_only(small_spec({5}), 1);
  Dropout(DropoutOptions{0.5, 0.0}).attach(hidden_only, AttachContext{7, 0});
  hidden_only.finalize(8);
  CHECK(layer_names(hidden_only) ==
        std::vector<std::string>{"dense_0", "relu_0", "dropout_0", "dense_1"});

  models::Network input_only(small_spec({5}), 1);
  Dropout(DropoutOptions{0.0, 0.2}).attach(input_only, AttachContext{7, 0});
  input_only.finalize(8);
  CHECK(layer_names(input_only) ==
        std::vector<std::string>{"dropout_input", "dense_0", "relu_0", "dense_1"});
}

TEST_CASE("dropout: options are read and bad ones rejected with their location") {
  experiment::OptionReader reader(
      experiment::ConfigNode::parse("rate: 0.3\ninput_rate: 0.2\n", "test.yaml"));
  const RegularizerPtr reg = Dropout::from_config(reader);
  reader.finish();
  CHECK(reg->name() == "dropout");
  CHECK(reg->describe() == "dropout(rate=0.3, input_rate=0.2)");

  CHECK(config_error("{}").empty());
  for (const char* bad :
       {"rate: 1.0", "rate: -0.1", "input_rate: 1.0", "rate: half", "rat: 0.5", "rate: [0.5]"}) {
    CAPTURE(bad);
    const std::string message = config_error(bad);
    CHECK(message.find("test.yaml") != std::string::npos);
  }
  CHECK(config_error("rat: 0.5").find("rat") != std::string::npos);
  CHECK_THROWS_AS(Dropout(DropoutOptions{1.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(DropoutLayer("d", -0.1, Rng(1)), std::invalid_argument);
}

TEST_CASE("dropout: the layers option selects all or only the last hidden layer") {
  experiment::OptionReader reader(
      experiment::ConfigNode::parse("rate: 0.4\ninput_rate: 0.1\nlayers: last\n", "test.yaml"));
  const RegularizerPtr last = Dropout::from_config(reader);
  reader.finish();
  CHECK(last->describe() == "dropout(rate=0.4, input_rate=0.1, layers=last)");
  experiment::OptionReader all_reader(experiment::ConfigNode::parse("layers: all", "test.yaml"));
  CHECK(Dropout::from_config(all_reader)->describe() == "dropout(rate=0.5, input_rate=0)");

  for (const char* bad : {"layers: first", "layers: [all]", "layers: ALL", "layers: 1"}) {
    CAPTURE(bad);
    const std::string message = config_error(bad);
    CHECK(message.find("test.yaml:1:") != std::string::npos);
    CHECK(message.find("layers") != std::string::npos);
  }
  CHECK(config_error("layers: first").find("all, hidden, last") != std::string::npos);

  models::Network net(small_spec({5, 5, 5}), 1);
  last->attach(net, AttachContext{7, 0, 3});
  net.finalize(8);
  CHECK(layer_names(net) == std::vector<std::string>{"dropout_input", "dense_0", "relu_0",
                                                     "dense_1", "relu_1", "dense_2", "relu_2",
                                                     "dropout_2", "dense_3"});

  models::Network single(small_spec({5}), 1);
  Dropout(DropoutOptions{0.5, 0.0, LayerSelection::kLast}).attach(single, AttachContext{7, 0});
  single.finalize(8);
  CHECK(layer_names(single) ==
        std::vector<std::string>{"dense_0", "relu_0", "dropout_0", "dense_1"});

  models::Network softmax(small_spec({}), 1);
  Dropout(DropoutOptions{0.5, 0.2, LayerSelection::kLast}).attach(softmax, AttachContext{7, 0});
  softmax.finalize(8);
  CHECK(layer_names(softmax) == std::vector<std::string>{"dropout_input", "dense_0"});
}

TEST_CASE("dropout: stream indices are (position << 32) + slot whatever the layers option") {
  const std::uint64_t seed = 7;
  const std::uint64_t arm = 0x1234;
  const std::size_t position = 2;
  const std::uint64_t arm_seed = derive_seed(seed, "dropout_arm", arm);
  for (const LayerSelection layers : {LayerSelection::kAll, LayerSelection::kLast}) {
    models::Network net(small_spec({5, 5}), 1);
    Dropout(DropoutOptions{0.5, 0.2, layers}).attach(net, AttachContext{seed, position, arm});
    net.finalize(8);
    std::size_t checked = 0;
    for (models::Layer* l : net.layers()) {
      const auto streams = l->streams();
      if (streams.empty()) continue;
      REQUIRE(streams.size() == 1);
      const std::string name = l->name();
      const std::uint64_t slot =
          name == "dropout_input" ? 0 : std::stoull(name.substr(name.rfind('_') + 1)) + 1;
      CAPTURE(name);
      Rng expected = Rng::stream(arm_seed, "dropout", (std::uint64_t{position} << 32) + slot);
      CHECK(streams[0]->next_u64() == expected.next_u64());
      ++checked;
    }
    CHECK(checked == (layers == LayerSelection::kAll ? 3u : 2u));
  }
}

TEST_CASE("dropout: streams() returns the layer's Rng, so restoring it repeats the mask") {
  const Matrix x(std::array<std::size_t, 2>{32, 16}, 1.0f);
  DropoutLayer layer = make_layer(0.5, 21, 32, 16);
  const auto streams = layer.streams();
  REQUIRE(streams.size() == 1);
  const Rng saved = *streams[0];
  layer.forward(x, 32, Mode::kTrain);
  const Matrix first = layer.mask();
  layer.forward(x, 32, Mode::kTrain);
  CHECK_FALSE(layer.mask() == first);
  *streams[0] = saved;
  layer.forward(x, 32, Mode::kTrain);
  CHECK(layer.mask() == first);
}

}  // namespace reglab::regularizers
