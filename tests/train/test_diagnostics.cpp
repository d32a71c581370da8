#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "framework/core/error.hpp"
#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/models/dense.hpp"
#include "framework/train/diagnostics.hpp"
#include "framework/train/trainer.hpp"
#include "support/builtins.hpp"

using namespace reglab;

namespace {

data::Source synthetic() {
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 800, test_samples: 300, features: 24, classes: 4, noise: 0.6}", "t.yaml");
  experiment::OptionReader r(node);
  return reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
}

struct Outcome {
  train::TrainResult result;
  std::vector<float> weights;
};

Outcome run(const data::Source& src, const std::string& diagnostics) {
  const std::string yaml = R"(
name: diag
seed: 3
data: {dataset: synthetic}
model: {name: mlp, hidden: [16, 12], activation: relu}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 3, batch_size: 32, eval_batch_size: 200}
regularizers:
  - {name: dropout, rate: 0.3}
  - {name: batch_norm}
output: unused.h5
)" + diagnostics;
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "diag.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 100, plan.seed);
  const auto network = experiment::build_network(plan, src);
  models::Network& net = *network;
  Outcome o;
  o.result = train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                          plan.train, plan.seed, nullptr);
  for (auto* p : net.params()) o.weights.insert(o.weights.end(), p->value.begin(), p->value.end());
  return o;
}

const std::vector<double>* find(const std::vector<std::pair<std::string, std::vector<double>>>& c,
                                const std::string& name) {
  for (const auto& x : c) {
    if (x.first == name) return &x.second;
  }
  return nullptr;
}

const char* kAll = R"(diagnostics:
  weight_norms: true
  activations: true
  percentiles_layer: 1
  percentiles_unit: 3
  variance_shift: true
  every_steps: 5
  probe_size: 100
)";

}  // namespace

TEST_CASE("diagnostics are recorded per epoch and every N steps") {
  const auto src = synthetic();
  const Outcome o = run(src, kAll);
  REQUIRE(o.result.status == "complete");
  for (const char* name :
       {"weight_norm.dense_0", "max_unit_norm.dense_0", "weight_norm.dense_2",
        "zero_fraction.relu_0", "zero_fraction.relu_1", "preact_p15.layer_1", "preact_p50.layer_1",
        "preact_p85.layer_1", "variance_shift.batch_norm_0", "variance_shift.batch_norm_1"}) {
    CAPTURE(name);
    const auto* c = find(o.result.curves, name);
    REQUIRE(c != nullptr);
    CHECK(c->size() == 3);
    const auto* s = find(o.result.step_curves, name);
    REQUIRE(s != nullptr);
  }
  // 700 training samples / 32 = 22 batches (the last of 28) x 3 epochs = 66 steps: every 5th.
  const auto* step = find(o.result.step_curves, "step");
  REQUIRE(step != nullptr);
  CHECK(step->size() == 13);
  CHECK(step->front() == 5.0);
  const auto& p15 = *find(o.result.curves, "preact_p15.layer_1");
  const auto& p50 = *find(o.result.curves, "preact_p50.layer_1");
  const auto& p85 = *find(o.result.curves, "preact_p85.layer_1");
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(p15[i] <= p50[i]);
    CHECK(p50[i] <= p85[i]);
  }
  for (double z : *find(o.result.curves, "zero_fraction.relu_0")) {
    CHECK(z >= 0.0);
    CHECK(z <= 1.0);
  }
  for (double v : *find(o.result.curves, "variance_shift.batch_norm_0")) CHECK(v >= 1.0);
  CHECK(*find(o.result.curves, "max_unit_norm.dense_0") <=
        *find(o.result.curves, "weight_norm.dense_0"));
}

TEST_CASE("diagnostics do not change training: same curves and weights bitwise") {
  const auto src = synthetic();
  const Outcome plain = run(src, "");
  const Outcome with = run(src, kAll);
  REQUIRE(plain.weights.size() == with.weights.size());
  CHECK(std::memcmp(plain.weights.data(), with.weights.data(),
                    plain.weights.size() * sizeof(float)) == 0);
  for (const auto& [name, values] : plain.result.curves) {
    // Wall time, and the products' work: some diagnostics run products of their own.
    if (name == "seconds" || name == "gflop") continue;
    CAPTURE(name);
    CHECK(values == *find(with.result.curves, name));
  }
  CHECK(plain.result.step_curves.empty());
}

TEST_CASE("weight norms match a direct computation") {
  models::NetworkSpec spec;
  spec.inputs = 5;
  spec.hidden = {3};
  spec.classes = 2;
  models::Network net(spec, 1);
  net.finalize(8);
  data::Dataset tiny;
  tiny.images = xt::zeros<std::uint8_t>({std::size_t{3}, std::size_t{5}});
  tiny.labels = xt::zeros<std::uint8_t>({std::size_t{3}});
  tiny.classes = 2;
  data::Split probe{&tiny, {0, 1, 2}};
  train::DiagnosticsOptions o;
  o.weight_norms = true;
  train::Diagnostics d(o, net, probe);
  std::vector<std::pair<std::string, double>> out;
  d.measure(net, out);
  REQUIRE(out.size() == 4);
  const auto& k = net.dense_layers()[0]->kernel().value;
  double total = 0.0, col0 = 0.0, best = 0.0;
  for (std::size_t c = 0; c < 3; ++c) {
    double col = 0.0;
    for (std::size_t r = 0; r < 5; ++r) col += double(k(r * 3 + c)) * k(r * 3 + c);
    total += col;
    best = std::max(best, col);
    if (c == 0) col0 = col;
  }
  CHECK(out[0].first == "weight_norm.dense_0");
  CHECK(out[0].second == doctest::Approx(std::sqrt(total)));
  CHECK(out[1].second == doctest::Approx(std::sqrt(best)));
  CHECK(col0 <= best);
}

TEST_CASE("diagnostics options are validated") {
  const auto src = synthetic();
  CHECK_THROWS_WITH_AS(run(src, "diagnostics: {percentiles_layer: 2}\n"),
                       doctest::Contains("percentiles_layer"), ConfigError);
  CHECK_THROWS_WITH_AS(run(src, "diagnostics: {weight_norm: true}\n"),
                       doctest::Contains("unknown key 'weight_norm'"), ConfigError);
  CHECK_THROWS_WITH_AS(run(src, "diagnostics: {probe_size: 5000}\n"),
                       doctest::Contains("probe_size"), ConfigError);
}

TEST_CASE("step_test_accuracy: the test split evaluated every N steps, changing nothing") {
  const auto src = synthetic();
  const Outcome plain = run(src, "");
  const Outcome with = run(src, "diagnostics: {every_steps: 11, step_test_accuracy: true}\n");
  CHECK(plain.weights == with.weights);
  const auto* step = find(with.result.step_curves, "step");
  const auto* acc = find(with.result.step_curves, "test_accuracy");
  const auto* loss = find(with.result.step_curves, "test_loss");
  REQUIRE(step != nullptr);
  REQUIRE(acc != nullptr);
  REQUIRE(loss != nullptr);
  CHECK(step->size() == 6);  // 66 steps, every 11th
  CHECK(acc->size() == 6);
  // At the end of an epoch (step 22, 44, 66) it equals the epoch's test accuracy.
  const auto& epoch_acc = *find(with.result.curves, "test_accuracy");
  CHECK((*acc)[1] == epoch_acc[0]);
  CHECK((*acc)[5] == epoch_acc[2]);
  for (double a : *acc) CHECK((a >= 0.0 && a <= 1.0));
  CHECK_THROWS_AS(run(src, "diagnostics: {step_test_accuracy: true}\n"), ConfigError);
}
