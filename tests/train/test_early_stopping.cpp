#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
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
      "{train_samples: 300, test_samples: 300, features: 24, classes: 4, noise: 1.0}", "t.yaml");
  experiment::OptionReader r(node);
  return reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
}

struct Outcome {
  train::TrainResult result;
  std::vector<float> weights;
  std::vector<float> best_weights;  ///< weights after training to the best epoch only
};

std::vector<float> weights_of(models::Network& net) {
  std::vector<float> w;
  for (auto* layer : net.layers()) {
    for (auto* p : layer->params()) w.insert(w.end(), p->value.begin(), p->value.end());
    for (auto& s : layer->state()) w.insert(w.end(), s.value->begin(), s.value->end());
  }
  return w;
}

train::TrainResult train_yaml(const data::Source& src, const std::string& yaml,
                              std::vector<float>& weights) {
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "run.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, plan.validation_size, plan.seed);
  const auto network = experiment::build_network(plan, src);
  models::Network& net = *network;
  auto r = train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits, plan.train,
                        plan.seed, nullptr);
  weights = weights_of(net);
  return r;
}

std::string run_yaml(int epochs, const std::string& early) {
  return R"(
name: es
seed: 3
data: {dataset: synthetic, validation_size: 100}
model: {name: mlp, hidden: [64, 64], activation: relu}
optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
train: {epochs: )" +
         std::to_string(epochs) + ", batch_size: 20, eval_batch_size: 256" + early + R"(}
regularizers: [{name: batch_norm}]
output: unused.h5
)";
}

using reglab::testing::curve;

}  // namespace

TEST_CASE("early stopping: stops patience epochs after the best validation loss") {
  // A small noisy training set overfits: validation loss rises after a few epochs.
  const auto src = synthetic();
  std::vector<float> w;
  const auto r =
      train_yaml(src, run_yaml(60, ", early_stopping: {metric: validation_loss, patience: 3}"), w);
  REQUIRE(r.stopped_epoch > 0);
  CHECK(r.stopped_epoch < 60);
  CHECK(r.stopped_epoch == r.best_epoch + 3);
  const auto& val = curve(r, "validation_loss");
  REQUIRE(val.size() == r.stopped_epoch);
  const auto best = std::min_element(val.begin(), val.end());
  CHECK(static_cast<std::size_t>(best - val.begin()) + 1 == r.best_epoch);
  // The 3 epochs after the best are not better.
  for (std::size_t e = r.best_epoch; e < r.stopped_epoch; ++e) CHECK(val[e] >= *best);
  CHECK(r.message.find("early stopping after epoch") != std::string::npos);

  // restore_best leaves the weights of the best epoch: the same as training exactly that long.
  std::vector<float> at_best;
  train_yaml(src, run_yaml(static_cast<int>(r.best_epoch), ""), at_best);
  CHECK(w == at_best);

  // Without restore_best the weights are the last epoch's.
  std::vector<float> last;
  train_yaml(src,
             run_yaml(60,
                      ", early_stopping: {metric: validation_loss, patience: 3, "
                      "restore_best: false}"),
             last);
  std::vector<float> at_stop;
  train_yaml(src, run_yaml(static_cast<int>(r.stopped_epoch), ""), at_stop);
  CHECK(last == at_stop);
}

TEST_CASE("early stopping: validation_accuracy is maximised and min_delta counts") {
  const auto src = synthetic();
  std::vector<float> w;
  const auto r = train_yaml(
      src, run_yaml(40, ", early_stopping: {metric: validation_accuracy, patience: 2}"), w);
  if (r.stopped_epoch > 0) {
    const auto& acc = curve(r, "validation_accuracy");
    const auto best = std::max_element(acc.begin(), acc.end());
    CHECK(static_cast<std::size_t>(best - acc.begin()) + 1 == r.best_epoch);
  }
  // A huge min_delta: no epoch after the first counts as an improvement.
  const auto strict = train_yaml(
      src,
      run_yaml(40, ", early_stopping: {metric: validation_accuracy, patience: 2, min_delta: 1.0}"),
      w);
  CHECK(strict.best_epoch == 1);
  CHECK(strict.stopped_epoch == 3);
}

TEST_CASE("early stopping: configuration errors") {
  auto error = [](const std::string& yaml) -> std::string {
    try {
      experiment::plan_run(experiment::ConfigNode::parse(yaml, "run.yaml"),
                           reglab::testing::builtins());
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error(run_yaml(5, ", early_stopping: {metric: test_accuracy}"))
            .find("validation_loss, validation_accuracy") != std::string::npos);
  CHECK(error(run_yaml(5, ", early_stopping: {patience: 0}")).find("patience") !=
        std::string::npos);
  CHECK(error(run_yaml(5, ", early_stopping: {patiense: 3}")).find("patiense") !=
        std::string::npos);
  std::string no_val = run_yaml(5, ", early_stopping: {patience: 3}");
  no_val.replace(no_val.find(", validation_size: 100"), 22, "");
  CHECK(error(no_val).find("needs a validation split") != std::string::npos);
  CHECK(error(run_yaml(5, ", checkpoint_every: -1")).find("checkpoint_every") != std::string::npos);
}
