#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/models/network.hpp"
#include "framework/train/trainer.hpp"
#include "support/builtins.hpp"
#include "tests/support/curves.hpp"

using namespace reglab;

namespace {

data::Source synthetic() {
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 1200, test_samples: 400, features: 32, classes: 4, noise: 0.5}", "t.yaml");
  experiment::OptionReader r(node);
  return reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
}

struct Outcome {
  train::TrainResult result;
  std::vector<float> weights;
};

/// Plans a run from YAML (so the real optimizer and regularizer factories are used) and trains it.
Outcome run(const data::Source& src, const std::string& yaml) {
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "run.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 200, plan.seed);
  const auto network = experiment::build_network(plan, src);
  models::Network& net = *network;
  Outcome o;
  o.result = train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                          plan.train, plan.seed, nullptr);
  for (auto* layer : net.layers()) {
    for (auto* p : layer->params())
      o.weights.insert(o.weights.end(), p->value.begin(), p->value.end());
    for (auto& s : layer->state())
      o.weights.insert(o.weights.end(), s.value->begin(), s.value->end());
  }
  return o;
}

using reglab::testing::curve;

const char* kBase = R"(
name: t
seed: 5
data: {dataset: synthetic}
model: {name: mlp, hidden: [32, 16], activation: relu}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 6, batch_size: 32, eval_batch_size: 256}
regularizers:
  - {name: dropout, rate: 0.3, input_rate: 0.1}
  - {name: batch_norm}
  - {name: max_norm, c: 2.0}
  - {name: l2, lambda: 0.0001}
output: unused.h5
)";

/// `yaml` with its train map's "epochs: 6," replaced by `keys`.
std::string with_train(std::string yaml, const std::string& keys) {
  return yaml.replace(yaml.find("epochs: 6,"), 10, keys);
}

}  // namespace

TEST_CASE("training learns the synthetic task and records every curve") {
  const auto src = synthetic();
  const Outcome o = run(src, kBase);
  CHECK(o.result.status == "complete");
  for (const char* name :
       {"epoch", "learning_rate", "train_objective", "train_loss", "train_accuracy",
        "validation_loss", "validation_accuracy", "test_loss", "test_accuracy", "seconds"}) {
    CHECK(curve(o.result, name).size() == 6);
  }
  CHECK(curve(o.result, "epoch").back() == 6.0);
  CHECK(curve(o.result, "test_accuracy").back() > 0.8);
  CHECK(curve(o.result, "train_loss").back() < curve(o.result, "train_loss").front());
}

TEST_CASE("same config and seed give bitwise-identical curves and weights") {
  const auto src = synthetic();
  const Outcome a = run(src, kBase);
  const Outcome b = run(src, kBase);
  REQUIRE(a.weights.size() == b.weights.size());
  CHECK(std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
  for (const auto& c : a.result.curves) {
    if (c.first == "seconds") continue;  // wall time is the one curve that is not reproducible
    CAPTURE(c.first);
    CHECK(c.second == curve(b.result, c.first));
  }
  std::string other = kBase;
  other.replace(other.find("seed: 5"), 7, "seed: 6");
  const Outcome c = run(src, other);
  CHECK(std::memcmp(a.weights.data(), c.weights.data(), a.weights.size() * sizeof(float)) != 0);
}

TEST_CASE("a diverging run stops with status diverged") {
  const auto src = synthetic();
  std::string yaml = kBase;
  yaml.replace(yaml.find("learning_rate: 0.05"), 19, "learning_rate: 1e30");
  const Outcome o = run(src, yaml);
  CHECK(o.result.status == "diverged");
  CHECK(o.result.message.find("non-finite") != std::string::npos);
  CHECK(curve(o.result, "epoch").size() < 6);
}

TEST_CASE("runs on 1, 2 and 3 threads are bitwise identical") {
  // 1,100 units at batch 300 and evaluation batches of 256: products are cut into column and
  // row blocks fixed by their shape, and element-wise loops run on every thread
  // (framework/core/gemm.hpp, parallel.hpp); dropout, batch norm, max-norm and L2 all act.
  const auto src = synthetic();
  std::string yaml = kBase;
  yaml.replace(yaml.find("hidden: [32, 16]"), 16, "hidden: [1100, 64]");
  yaml.replace(yaml.find("batch_size: 32"), 14, "batch_size: 300");
  yaml = with_train(yaml, "epochs: 2,");
  parallel::set_threads(1);
  const Outcome one = run(src, yaml);
  for (int threads : {2, 3}) {
    CAPTURE(threads);
    parallel::set_threads(threads);
    const Outcome many = run(src, yaml);
    parallel::set_threads(1);
    REQUIRE(many.weights.size() == one.weights.size());
    CHECK(std::memcmp(many.weights.data(), one.weights.data(),
                      one.weights.size() * sizeof(float)) == 0);
    for (const auto& c : one.result.curves) {
      if (c.first == "seconds") continue;
      CAPTURE(c.first);
      CHECK(std::memcmp(c.second.data(), curve(many.result, c.first).data(),
                        c.second.size() * sizeof(double)) == 0);
    }
  }
  CHECK(curve(one.result, "test_accuracy").back() > 0.8);
}

TEST_CASE("eval_every evaluates after every N-th and the last epoch, and leaves training alone") {
  const auto src = synthetic();
  const std::string every3 = with_train(kBase, "epochs: 7, eval_every: 3,");
  const std::string every1 = with_train(kBase, "epochs: 7,");
  const Outcome a = run(src, every3);
  const Outcome b = run(src, every1);
  REQUIRE(a.result.status == "complete");
  // Evaluation draws nothing and changes nothing: the same weights and objective.
  REQUIRE(a.weights.size() == b.weights.size());
  CHECK(std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
  CHECK(curve(a.result, "train_objective") == curve(b.result, "train_objective"));
  const std::vector<bool> evaluated = {false, false, true, false, false, true, true};
  for (const char* name : {"train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                           "test_loss", "test_accuracy"}) {
    CAPTURE(name);
    const auto& got = curve(a.result, name);
    const auto& all = curve(b.result, name);
    REQUIRE(got.size() == 7);
    for (std::size_t e = 0; e < 7; ++e) {
      CAPTURE(e);
      if (evaluated[e]) {
        CHECK(got[e] == all[e]);
      } else {
        CHECK(std::isnan(got[e]));
      }
    }
  }
  CHECK(curve(a.result, "learning_rate").size() == 7);
}

TEST_CASE("mc_samples: Monte-Carlo test evaluation after the last epoch leaves training alone") {
  const auto src = synthetic();
  const Outcome a = run(src, with_train(kBase, "epochs: 3, mc_samples: [1, 4, 64],"));
  const Outcome a2 = run(src, with_train(kBase, "epochs: 3, mc_samples: [1, 4, 64],"));
  const Outcome b = run(src, with_train(kBase, "epochs: 3,"));
  REQUIRE(a.result.status == "complete");
  CHECK(std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
  CHECK(curve(a.result, "test_accuracy") == curve(b.result, "test_accuracy"));
  for (const char* name : {"mc1_test_loss", "mc1_test_accuracy", "mc4_test_loss",
                           "mc4_test_accuracy", "mc64_test_loss", "mc64_test_accuracy"}) {
    CAPTURE(name);
    const auto& c = curve(a.result, name);
    REQUIRE(c.size() == 3);
    CHECK(std::isnan(c[0]));
    CHECK(std::isnan(c[1]));
    CHECK(std::isfinite(c[2]));
    CHECK(std::memcmp(c.data() + 2, curve(a2.result, name).data() + 2, sizeof(double)) == 0);
  }
  // Averaging sampled networks: the loss of the mean probability falls with k (Jensen), and 64
  // samples come close to weight scaling, as Srivastava et al. 2014 (Figure 11) found at ~50.
  const double ws = curve(a.result, "test_accuracy")[2];
  CHECK(curve(a.result, "mc64_test_loss")[2] < curve(a.result, "mc1_test_loss")[2]);
  CHECK(curve(a.result, "mc64_test_accuracy")[2] > curve(a.result, "mc1_test_accuracy")[2] - 0.01);
  CHECK(std::fabs(curve(a.result, "mc64_test_accuracy")[2] - ws) < 0.03);
  CHECK(std::fabs(curve(a.result, "mc1_test_accuracy")[2] - ws) > 0.0);
}

TEST_CASE("mc_samples without noise layers: every k is weight scaling's deterministic pass") {
  const auto src = synthetic();
  std::string yaml = with_train(kBase, "epochs: 2, mc_samples: [1, 3],");
  const std::string dropout = "  - {name: dropout, rate: 0.3, input_rate: 0.1}\n";
  yaml.erase(yaml.find(dropout), dropout.size());
  const Outcome a = run(src, yaml);
  REQUIRE(a.result.status == "complete");
  const double acc = curve(a.result, "test_accuracy")[1];
  const double loss = curve(a.result, "test_loss")[1];
  for (const char* k : {"mc1", "mc3"}) {
    CAPTURE(k);
    CHECK(curve(a.result, std::string(k) + "_test_accuracy")[1] == acc);
    CHECK(std::fabs(curve(a.result, std::string(k) + "_test_loss")[1] - loss) < 1e-5 * loss);
  }
}

TEST_CASE("train_eval_size measures the training split on a fixed random subset") {
  const auto src = synthetic();
  const std::string subset = with_train(kBase, "epochs: 2, train_eval_size: 100,");
  const std::string whole = with_train(kBase, "epochs: 2,");
  const Outcome a = run(src, subset);
  const Outcome a2 = run(src, subset);
  const Outcome b = run(src, whole);
  CHECK(std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
  CHECK(curve(a.result, "train_loss") == curve(a2.result, "train_loss"));  // fixed by the seed
  CHECK(curve(a.result, "train_loss") != curve(b.result, "train_loss"));
  CHECK(curve(a.result, "test_loss") == curve(b.result, "test_loss"));
  // Accuracy on 100 samples is a multiple of 1/100.
  for (double acc : curve(a.result, "train_accuracy")) {
    CHECK(std::fabs(acc * 100.0 - std::round(acc * 100.0)) < 1e-9);
  }
  CHECK_THROWS_AS(run(src, with_train(kBase, "epochs: 2, train_eval_size: 5000,")),
                  reglab::DataError);
}
