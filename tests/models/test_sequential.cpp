// Layer stacks read from YAML (`model: {name: sequential, layers: [...]}`): shapes, names, slots,
// errors, whole-network gradients of convolutional stacks with batch norm, and the regularizers
// that act on feature maps (spatial dropout, max-norm per filter, L2 on conv kernels).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/models/loss.hpp"
#include "framework/models/models.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/batch_norm.hpp"
#include "framework/regularizers/dropout.hpp"
#include "framework/regularizers/l2.hpp"
#include "framework/regularizers/max_norm.hpp"
#include "framework/testing/gradcheck.hpp"
#include "framework/testing/statistics.hpp"
#include "support/builtins.hpp"

namespace {

using reglab::ConfigError;
using reglab::Matrix;
using reglab::Mode;
using reglab::Rng;
using reglab::config::ConfigNode;
using reglab::config::OptionReader;
using namespace reglab::models;
namespace regs = reglab::regularizers;

/// The spec a `model:` map describes, for samples of `input` and `classes` classes.
NetworkSpec spec_of(const std::string& yaml, Shape input, std::size_t classes) {
  OptionReader opts(ConfigNode::parse(yaml, "model.yaml"));
  const std::string name = opts.get_string("name", "");
  const auto& registries = reglab::testing::builtins();
  NetworkSpec spec = registries.models.find(name)->factory(opts, registries.layers);
  opts.finish();
  spec.input_shape = input;
  spec.inputs = input.size();
  spec.classes = classes;
  return spec;
}

/// The ConfigError message for a model map ("" if none is thrown).
std::string model_error(const std::string& yaml, Shape input = {1, 8, 8}) {
  try {
    Network net(spec_of(yaml, input, 3), 1);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kSmallCnn =
    "name: sequential\n"
    "init: he_uniform\n"
    "layers:\n"
    "  - conv2d: {filters: 4, kernel: 3, padding: same}\n"
    "  - relu: {}\n"
    "  - max_pool: {size: 2}\n"
    "  - conv2d: {filters: 6, kernel: 3, stride: 2, padding: 1}\n"
    "  - tanh: {}\n"
    "  - flatten: {}\n"
    "  - dense: {units: 5}\n"
    "  - sigmoid: {}\n"
    "  - dense: {units: classes}\n";

/// kSmallCnn with tanh for relu: finite differences across relu's kink at 0 (hundreds of units
/// over a batch, some within h of it) are not derivatives; relu's own gradient is checked in
/// test_activation.cpp.
/// With `avg_pool` for max_pool as well: batch norm couples every position of a channel, so a
/// weight's finite difference moves every pooling window and some argmax flips within h.
std::string smooth_cnn(bool average = false) {
  std::string s = kSmallCnn;
  s.replace(s.find("relu"), 4, "tanh");
  if (average) s.replace(s.find("max_pool"), 8, "avg_pool");
  return s;
}

void fill_normal(Matrix& x, std::uint64_t seed) {
  Rng rng(seed);
  for (auto& v : x) v = static_cast<float>(rng.normal());
}

/// Checks every parameter's gradient of the mean cross-entropy against finite differences, in
/// train mode (batch norm uses the batch's statistics, so the loss is a function of the
/// parameters for a fixed batch).
void check_network_gradients(Network& net, std::size_t n, std::uint64_t seed) {
  Matrix x = xt::zeros<float>({n, net.input_shape().size()});
  fill_normal(x, seed);
  std::vector<std::uint8_t> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<std::uint8_t>(i % net.spec().classes);
  Matrix g = xt::zeros<float>({n, net.spec().classes});
  auto loss = [&] {
    return softmax_cross_entropy(net.forward(x, n, Mode::kTrain), y.data(), n, nullptr).loss;
  };
  softmax_cross_entropy(net.forward(x, n, Mode::kTrain), y.data(), n, &g);
  net.backward(x, g, n);
  for (Param* p : net.params()) {
    const Param copy = *p;
    CAPTURE(p->name);
    CAPTURE(p->value.size());
    const auto r = reglab::testing::check_gradient(p->value.data(), copy.grad.data(),
                                                   p->value.size(), loss, 2e-3, 3e-2, 3e-4);
    CHECK(r.checked > 0);
    CHECK(r.failed == 0);
  }
}

}  // namespace

TEST_CASE("sequential: shapes, names, slots and the stored description") {
  Network net(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  CHECK(net.hidden_count() == 3);
  CHECK(net.weight_layers().size() == 4);
  CHECK(net.dense_layers().size() == 2);
  CHECK(net.pre_activation_shape(0) == Shape{4, 8, 8});
  CHECK(net.post_activation_shape(0) == Shape{4, 4, 4});  // after the pooling
  CHECK(net.pre_activation_shape(1) == Shape{6, 2, 2});
  CHECK(net.post_activation_shape(1) == Shape{6, 2, 2});  // before the flatten
  CHECK(net.pre_activation_shape(2) == Shape{5, 1, 1});
  // Regularizer layers land in the slots: batch norm after each weight layer, dropout after
  // the block's pooling and before the flatten.
  regs::BatchNorm(regs::BatchNormOptions{}).attach(net, {1, 0, 0});
  regs::Dropout(regs::DropoutOptions{0.5, 0.0, regs::LayerSelection::kAll, true})
      .attach(net, {1, 1, 0});
  net.finalize(4);
  std::vector<std::string> names;
  for (const Layer* l : net.layers()) names.push_back(l->name());
  CHECK(names == std::vector<std::string>{"conv2d_0", "batch_norm_0", "relu_0", "max_pool_0",
                                          "dropout_0", "conv2d_1", "batch_norm_1", "tanh_0",
                                          "dropout_1", "flatten_0", "dense_0", "batch_norm_2",
                                          "sigmoid_0", "dropout_2", "dense_1"});
  const Param& k = net.weight_layers()[1]->kernel();
  CHECK(k.shape == std::vector<std::size_t>{6, 4, 3, 3});
  CHECK(k.units_first);
  CHECK(k.is_kernel);
  const std::string json = net.model_json();
  CHECK(json.find("\"input\": [2, 8, 8]") != std::string::npos);
  CHECK(json.find("{\"kind\": \"conv2d\", \"name\": \"conv2d_1\", \"options\": {\"filters\": 6, "
                  "\"kernel\": 3, \"stride\": 2, \"padding\": 1}, \"output\": [6, 2, 2]}") !=
        std::string::npos);
  CHECK(json.find("\"units\": \"classes\"") != std::string::npos);
}

TEST_CASE("sequential: kernels are drawn per weight layer from the run seed") {
  Network a(spec_of(kSmallCnn, {2, 8, 8}, 3), 7), b(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  Network c(spec_of(kSmallCnn, {2, 8, 8}, 3), 8);
  for (std::size_t i = 0; i < a.weight_layers().size(); ++i) {
    CHECK(a.weight_layers()[i]->kernel().value == b.weight_layers()[i]->kernel().value);
    CHECK(a.weight_layers()[i]->kernel().value != c.weight_layers()[i]->kernel().value);
  }
  // he_uniform with fan_in = in_channels * kh * kw.
  const auto& k0 = a.weight_layers()[0]->kernel().value;
  const double limit = std::sqrt(6.0 / (2 * 3 * 3));
  double max_abs = 0.0;
  for (float v : k0) max_abs = std::max(max_abs, static_cast<double>(std::abs(v)));
  CHECK(max_abs <= limit);
  CHECK(max_abs > 0.7 * limit);
}

TEST_CASE("sequential: whole-network gradients of convolutional stacks, with batch norm") {
  SUBCASE("conv, pooling, flatten, dense with three activations") {
    Network net(spec_of(smooth_cnn(), {2, 8, 8}, 3), 3);
    net.finalize(5);
    check_network_gradients(net, 5, 11);
  }
  SUBCASE("batch norm per channel after each convolution and per unit after the dense layer") {
    Network net(spec_of(smooth_cnn(true), {2, 8, 8}, 3), 3);
    regs::BatchNorm(regs::BatchNormOptions{}).attach(net, {1, 0, 0});
    net.finalize(6);
    check_network_gradients(net, 6, 12);
  }
  SUBCASE("maxout, average pooling and global average pooling") {
    Network net(spec_of("name: sequential\n"
                        "layers:\n"
                        "  - conv2d: {filters: 6, kernel: 2}\n"
                        "  - maxout: {pieces: 2}\n"
                        "  - avg_pool: {size: 2, stride: 1}\n"
                        "  - conv2d: {filters: 4, kernel: 2}\n"
                        "  - relu: {}\n"
                        "  - global_avg_pool: {}\n"
                        "  - dense: {units: classes}\n",
                        {1, 6, 5}, 3),
                5);
    CHECK(net.post_activation_shape(0) == Shape{3, 4, 3});
    net.finalize(4);
    check_network_gradients(net, 4, 13);
  }
}

TEST_CASE("sequential: errors name the configuration and the layer") {
  CHECK(model_error("name: sequential\nlayers: [{conv2d: {filters: 2, kernel: 9}}, {flatten: {}},"
                    " {dense: {units: classes}}]")
            .find("model.yaml:2:") != std::string::npos);
  CHECK(model_error("name: sequential\nlayers: [{conv2d: {filters: 2, kernel: 9}}, {flatten: {}},"
                    " {dense: {units: classes}}]")
            .find("conv2d_0") != std::string::npos);
  CHECK(model_error("name: sequential\nlayers: [{dense: {units: 4}}, {relu: {}}, {dense: {units: "
                    "7}}]")
            .find("units: classes") != std::string::npos);
  auto plan_error = [](const std::string& yaml) {
    try {
      spec_of(yaml, {1, 8, 8}, 3);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(plan_error("name: sequential\nlayers: [{conv2: {filters: 2, kernel: 3}}, {dense: {units: "
                   "classes}}]")
            .find("did you mean 'conv2d'") != std::string::npos);
  CHECK(plan_error("name: sequential\nlayers: [{relu: {}, tanh: {}}, {dense: {units: classes}}]")
            .find("one key") != std::string::npos);
  CHECK(plan_error("name: sequential\nlayers: [{conv2d: {filters: 2, kernel: 3, strides: 2}}, "
                   "{dense: {units: classes}}]")
            .find("strides") != std::string::npos);
  CHECK(plan_error("name: sequential\nlayers: [{relu: {}}]").find("the last layer") !=
        std::string::npos);
  CHECK(plan_error("name: sequential\nlayers: []").find("non-empty") != std::string::npos);
}

TEST_CASE("sequential: regularizers select hidden layers by name") {
  Network net(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  regs::DropoutOptions o;
  o.layers.kind = regs::LayerSelection::kNamed;
  o.layers.names = {"dense_0", "conv2d_1"};
  regs::Dropout(o).attach(net, {1, 0, 0});
  net.finalize(2);
  std::vector<std::string> names;
  for (const Layer* l : net.layers()) names.push_back(l->name());
  CHECK(std::count(names.begin(), names.end(), "dropout_1") == 1);
  CHECK(std::count(names.begin(), names.end(), "dropout_2") == 1);
  CHECK(std::count(names.begin(), names.end(), "dropout_0") == 0);

  Network other(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  o.layers.names = {"dense_1"};  // the output layer is not a hidden layer
  try {
    regs::Dropout(o).attach(other, {1, 0, 0});
    FAIL("dense_1 accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("conv2d_0, conv2d_1, dense_0") != std::string::npos);
  }
}

TEST_CASE("spatial dropout drops whole channels, each with probability rate") {
  Network net(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  regs::DropoutOptions o{0.3, 0.0, regs::LayerSelection::kNamed, true};
  o.layers.names = {"conv2d_1"};
  regs::Dropout(o).attach(net, {5, 0, 0});
  net.finalize(200);
  const auto* dropout = dynamic_cast<const regs::DropoutLayer*>(net.layers()[5]);
  REQUIRE(dropout != nullptr);
  REQUIRE(dropout->input_shape() == Shape{6, 2, 2});
  Matrix x = xt::zeros<float>({200, 128});
  fill_normal(x, 3);
  net.forward(x, 200, Mode::kTrain);
  const Matrix& m = dropout->mask();
  std::size_t dropped = 0;
  for (std::size_t r = 0; r < 200; ++r) {
    for (std::size_t c = 0; c < 6; ++c) {
      const float first = m(r, c * 4);
      for (std::size_t p = 1; p < 4; ++p) CHECK(m(r, c * 4 + p) == first);
      dropped += first == 0.0f ? 1 : 0;
    }
  }
  // 1,200 channel draws at p = 0.3: the count lies within 4.5 standard deviations of 360.
  CHECK(reglab::testing::fraction_within(dropped, 1200, 0.3, 4.5));
}

TEST_CASE("max-norm clips each filter's incoming weights; L2 covers convolution kernels") {
  Network net(spec_of(kSmallCnn, {2, 8, 8}, 3), 7);
  net.finalize(2);
  Param& k = net.weight_layers()[1]->kernel();  // {6, 4, 3, 3}
  for (std::size_t i = 0; i < k.value.size(); ++i) k.value(i) = i < 36 ? 2.0f : 0.01f;
  regs::MaxNormOptions options;
  options.c = 3.0;
  regs::MaxNorm max_norm(options);
  max_norm.after_update(net, {});
  double filter0 = 0.0;
  for (std::size_t i = 0; i < 36; ++i) filter0 += double(k.value(i)) * k.value(i);
  CHECK(std::sqrt(filter0) == doctest::Approx(3.0).epsilon(1e-6));  // 2 * 6 = 12 > 3: clipped
  for (std::size_t i = 36; i < k.value.size(); ++i) CHECK(k.value(i) == 0.01f);  // inside

  regs::L2 l2(regs::L2Options{0.5});
  double sum = 0.0;
  for (const Param* p : net.params()) {
    if (!p->is_kernel) continue;
    for (float v : p->value) sum += double(v) * v;
  }
  CHECK(l2.penalty(net) == doctest::Approx(0.25 * sum));
}
