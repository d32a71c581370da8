#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "framework/core/error.hpp"
#include "framework/data/dataset.hpp"
#include "framework/data/ridge.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/models/network.hpp"
#include "framework/train/trainer.hpp"
#include "support/builtins.hpp"
#include "tests/support/curves.hpp"

using namespace reglab;

namespace {

const char* kRun = R"(
name: t
seed: 2
data: {dataset: teacher_student, inputs: 10, train_samples: 40, test_samples: 300, noise: 0.3}
model: {name: linear, init: normal, init_scale: 0.01}
optimizer: {name: sgd, learning_rate: 0.3}
train: {epochs: 200, batch_size: 40, eval_every: 50}
regularizers: [{name: l2, lambda: 0.01}]
output: unused.h5
)";

struct Trained {
  train::TrainResult result;
  std::unique_ptr<models::Network> net;
};

Trained train_yaml(const std::string& yaml, const data::Source& src) {
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "run.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 0, plan.seed);
  Trained t;
  t.net = experiment::build_network(plan, src);
  t.result = train::train(*t.net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                          plan.train, plan.seed, nullptr);
  return t;
}

data::Source load(const std::string& yaml) {
  auto root = experiment::ConfigNode::parse(yaml, "run.yaml");
  experiment::OptionReader data(root.child("data"));
  data.get_string("dataset", "");
  auto loader = reglab::testing::builtins().datasets.find("teacher_student")->factory(data);
  return loader();
}

using reglab::testing::curve;

}  // namespace

TEST_CASE("a linear model learns a teacher_student set with the squared error") {
  const data::Source src = load(kRun);
  const Trained t = train_yaml(kRun, src);
  CHECK(t.result.status == "complete");
  const auto& objective = curve(t.result, "train_objective");
  REQUIRE(objective.size() == 200);
  CHECK(objective.back() < 0.2 * objective.front());
  // The squared error of a perfect fit is noise^2 / 2 = 0.045; the network gets close.
  const double test_loss = curve(t.result, "test_loss").back();
  CHECK(test_loss > 0.03);
  CHECK(test_loss < 0.1);
  CHECK(std::isnan(curve(t.result, "test_accuracy").back()));
  CHECK(std::isnan(curve(t.result, "train_accuracy").back()));
  CHECK(std::isnan(curve(t.result, "test_loss")[0]));  // eval_every: 50
}

TEST_CASE("Monte-Carlo evaluation refuses a regression set") {
  std::string yaml = kRun;
  yaml.replace(yaml.find("eval_every: 50"), 14, "mc_samples: [1, 2]");
  yaml.replace(yaml.find("epochs: 200"), 11, "epochs: 2");
  const data::Source src = load(yaml);
  CHECK_THROWS_AS(train_yaml(yaml, src), DataError);
}

TEST_CASE("full-batch gradient descent reaches the closed-form ridge solution") {
  struct Case {
    int samples;
    double lambda;
    int epochs;
  };
  // Overdetermined with decay, underdetermined (P < N + 1) with decay, overdetermined without.
  for (const Case c : {Case{40, 0.05, 600}, Case{8, 0.05, 600}, Case{30, 0.0, 2000}}) {
    CAPTURE(c.samples);
    CAPTURE(c.lambda);
    const std::string p = std::to_string(c.samples);
    const std::string yaml =
        "name: t\nseed: 1\n"
        "data: {dataset: teacher_student, inputs: 10, train_samples: " +
        p +
        ", test_samples: 200, noise: 0.5, seed: 9}\n"
        "model: {name: linear, init: normal, init_scale: 0.01}\n"
        "optimizer: {name: sgd, learning_rate: 1.0}\n"
        "train: {epochs: " +
        std::to_string(c.epochs) + ", batch_size: " + p +
        ", eval_every: 100000}\n"
        "regularizers: [{name: l2, lambda: " +
        std::to_string(c.lambda) +
        "}]\n"
        "output: unused.h5\n";
    const data::Source src = load(yaml);
    const Trained t = train_yaml(yaml, src);
    REQUIRE(t.result.status == "complete");
    const data::LinearFit fit = data::ridge_fit(src.train, c.lambda);
    auto* layer = t.net->layers().front();
    const auto params = layer->params();
    REQUIRE(params.size() == 2);
    const auto& w = params[0]->value;
    REQUIRE(w.size() == 10);
    double worst = 0.0;
    for (std::size_t j = 0; j < 10; ++j) {
      worst = std::max(worst, std::abs(static_cast<double>(w.data()[j]) - fit.weights[j]));
    }
    worst = std::max(worst, std::abs(static_cast<double>(params[1]->value.data()[0]) - fit.bias));
    CHECK(worst < 2e-4);
    const double trained = curve(t.result, "test_loss").back();
    CHECK(trained == doctest::Approx(data::squared_error(fit, src.test)).epsilon(1e-4));
  }
}

TEST_CASE("ridge_fit: the normal equations hold and lambda = 0 interpolates with least norm") {
  data::Dataset d;
  d.classes = 1;
  d.inputs = {{1.0f, 0.0f}, {0.0f, 2.0f}, {1.0f, 1.0f}};
  d.targets = {{1.0f}, {2.0f}, {4.0f}};
  const double lambda = 0.3;
  const data::LinearFit f = data::ridge_fit(d, lambda);
  // dJ/dw_j = (1/P) sum_i r_i x_ij + lambda w_j = 0 and dJ/db = (1/P) sum_i r_i = 0.
  double gb = 0.0, g0 = 0.0, g1 = 0.0;
  for (std::size_t i = 0; i < 3; ++i) {
    const double r =
        f.weights[0] * d.inputs(i, 0) + f.weights[1] * d.inputs(i, 1) + f.bias - d.targets(i, 0);
    gb += r / 3;
    g0 += r * d.inputs(i, 0) / 3;
    g1 += r * d.inputs(i, 1) / 3;
  }
  CHECK(std::abs(gb) < 1e-12);
  CHECK(std::abs(g0 + lambda * f.weights[0]) < 1e-12);
  CHECK(std::abs(g1 + lambda * f.weights[1]) < 1e-12);
  // Two samples, three parameters: the least-norm interpolant of w0 + b = 1, 2 w1 + b = 2.
  data::Dataset two;
  two.classes = 1;
  two.inputs = {{1.0f, 0.0f}, {0.0f, 2.0f}};
  two.targets = {{1.0f}, {2.0f}};
  const data::LinearFit g = data::ridge_fit(two, 0.0);
  CHECK(data::squared_error(g, two) < 1e-20);
  // theta = A^T (A A^T)^-1 y with A = [[1, 0, 1], [0, 2, 1]]: A A^T = [[2, 1], [1, 5]].
  const double c0 = (5.0 * 1.0 - 1.0 * 2.0) / 9.0, c1 = (-1.0 * 1.0 + 2.0 * 2.0) / 9.0;
  CHECK(g.weights[0] == doctest::Approx(c0));
  CHECK(g.weights[1] == doctest::Approx(2.0 * c1));
  CHECK(g.bias == doctest::Approx(c0 + c1));
  CHECK_THROWS_AS(data::ridge_fit(two, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(data::ridge_fit(data::Dataset{}, 0.1), std::invalid_argument);
}

TEST_CASE("expected_test_loss: the exact risk on the teacher_student distribution") {
  data::LinearFit f;
  f.weights = {1.0, 2.0};
  f.bias = 0.5;
  CHECK(data::expected_test_loss(f, {1.0, 0.0}, 0.3) ==
        doctest::Approx(0.5 * (4.0 / 2.0 + 0.25 + 0.09)));
  CHECK_THROWS_AS(data::expected_test_loss(f, {1.0}, 0.3), std::invalid_argument);
}
