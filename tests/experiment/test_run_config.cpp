#include <doctest/doctest.h>

#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/experiment/run_config.hpp"
#include "support/builtins.hpp"

namespace reglab::experiment {
namespace {

/// The example configuration of the issue; line numbers are referenced below.
const std::string kExample =
    "name: dropout-maxnorm\n"                            // 1
    "seed: 7\n"                                          // 2
    "data:\n"                                            // 3
    "  dataset: fashion-mnist\n"                         // 4
    "  train_size: 20000\n"                              // 5
    "  validation_size: 5000\n"                          // 6
    "model:\n"                                           // 7
    "  name: mlp\n"                                      // 8
    "  hidden: [256, 256]\n"                             // 9
    "  activation: relu\n"                               // 10
    "optimizer:\n"                                       // 11
    "  name: sgd\n"                                      // 12
    "  learning_rate: 0.02\n"                            // 13
    "  momentum: 0.9\n"                                  // 14
    "train:\n"                                           // 15
    "  epochs: 10\n"                                     // 16
    "  batch_size: 64\n"                                 // 17
    "regularizers:\n"                                    // 18
    "  - {name: dropout, rate: 0.5, input_rate: 0.2}\n"  // 19
    "  - {name: max_norm, c: 3.0}\n"                     // 20
    "output: results/dropout-maxnorm.h5\n";              // 21

RunPlan plan(const std::string& text) {
  return plan_run(ConfigNode::parse(text, "cfg.yaml"), reglab::testing::builtins());
}

/// `text` with the first occurrence of `from` replaced by `to` (which must occur).
std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'", from, "' not in the config");
  return text.replace(at, from.size(), to);
}

/// The ConfigError message plan_run throws for `text` ("" and a failed check if none).
std::string plan_error(const std::string& text) {
  try {
    plan(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL_CHECK("expected a ConfigError, nothing was thrown");
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Checks that plan_run(text, reglab::testing::builtins()) throws a ConfigError whose message
/// contains every part.
void check_error(const std::string& text, const std::vector<std::string>& parts) {
  const std::string msg = plan_error(text);
  INFO("message: ", msg);
  for (const auto& part : parts) CHECK_MESSAGE(contains(msg, part), "missing '", part, "'");
}

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_CASE("plan_run: the example configuration") {
  const RunPlan p = plan(kExample);
  CHECK(p.name == "dropout-maxnorm");
  CHECK(p.seed == 7);
  CHECK(p.threads == 1);
  CHECK(p.output == "results/dropout-maxnorm.h5");
  CHECK(p.dataset == "fashion-mnist");
  CHECK(p.train_size == 20000);
  CHECK(p.validation_size == 5000);
  CHECK(static_cast<bool>(p.load_data));

  CHECK(p.model == "mlp");
  CHECK(p.network.hidden == std::vector<std::size_t>{256, 256});
  CHECK(p.network.activation == models::Activation::kRelu);
  CHECK(p.network.inputs == 0);  // filled in from the data later
  CHECK(p.network.classes == 0);

  CHECK(p.optimizer_name == "sgd");
  CHECK(p.learning_rate == doctest::Approx(0.02));
  REQUIRE(p.optimizer != nullptr);
  CHECK(p.optimizer->name() == "sgd");
  CHECK(contains(p.optimizer->describe(), "0.9"));
  REQUIRE(p.schedule != nullptr);
  CHECK(p.schedule->learning_rate(0) == doctest::Approx(0.02));  // default: constant
  CHECK(p.schedule->learning_rate(9) == doctest::Approx(0.02));

  CHECK(p.train.epochs == 10);
  CHECK(p.train.batch_size == 64);
  CHECK(p.train.eval_batch_size == 1000);  // default

  REQUIRE(p.regularizers.size() == 2);
  CHECK(p.regularizers[0]->name() == "dropout");
  CHECK(p.regularizers[1]->name() == "max_norm");
  const std::string d0 = p.regularizers[0]->describe();
  const std::string d1 = p.regularizers[1]->describe();
  INFO("describe: ", d0, " | ", d1);
  CHECK(contains(d0, "rate=0.5"));
  CHECK(contains(d0, "input_rate=0.2"));
  CHECK(contains(d1, "c=3"));

  CHECK(p.run_id.size() == 12);
  CHECK(is_lower_hex(p.run_id));
  // The id hashes the configuration without its `output` key.
  const std::string identity = ConfigNode::parse(kExample, "cfg.yaml").to_yaml({"output"});
  CHECK(p.run_id == sha256_hex(identity.data(), identity.size()).substr(0, 12));
  CHECK_FALSE(contains(identity, "output"));
  // config_yaml is the whole configuration, output included.
  CHECK(contains(p.config_yaml, "output: results/dropout-maxnorm.h5"));
  const ConfigNode again = ConfigNode::parse(p.config_yaml, "again.yaml");
  CHECK(again.child("optimizer").child("learning_rate").scalar() == "0.02");
  CHECK(again.child("regularizers").size() == 2);
}

TEST_CASE("plan_run: defaults for optional keys") {
  const RunPlan p = plan(
      "name: minimal\n"
      "data: {dataset: synthetic}\n"
      "model: {name: softmax_regression}\n"
      "optimizer: {name: adam, learning_rate: 0.001}\n"
      "train: {epochs: 1}\n"
      "output: out.h5\n");
  CHECK(p.seed == 0);
  CHECK(p.threads == 1);
  CHECK(p.train_size == 0);
  CHECK(p.validation_size == 0);
  CHECK(p.network.hidden.empty());
  CHECK(p.train.batch_size == 64);
  CHECK(p.regularizers.empty());
  CHECK(p.optimizer->name() == "adam");
}

TEST_CASE("plan_run: run_id is stable and changes with every value") {
  const std::string id = plan(kExample).run_id;
  // The id this configuration has always had: loading no plugin adds nothing to it, and the
  // `plugins:` key itself (paths of files) is not part of it.
  CHECK(id == "e79e647eb578");
  CHECK(plan(kExample + "plugins: []\n").run_id == id);
  CHECK(plan(kExample).run_id == id);
  // Comments and layout are not part of the configuration.
  CHECK(plan("# the example\n" + replace(kExample, "seed: 7\n", "seed:    7   # lucky\n")).run_id ==
        id);
  // An override that sets the value already there changes nothing.
  {
    ConfigNode root = ConfigNode::parse(kExample, "cfg.yaml");
    root.set_override("seed", "7");
    CHECK(plan_run(root, reglab::testing::builtins()).run_id == id);
  }

  const std::vector<std::pair<std::string, std::string>> changes = {
      {"name: dropout-maxnorm", "name: dropout-maxnorm2"},
      {"seed: 7", "seed: 8"},
      {"train_size: 20000", "train_size: 20001"},
      {"validation_size: 5000", "validation_size: 4000"},
      {"hidden: [256, 256]", "hidden: [256, 128]"},
      {"activation: relu", "activation: tanh"},
      {"name: sgd", "name: adam"},
      {"learning_rate: 0.02", "learning_rate: 0.03"},
      {"momentum: 0.9", "momentum: 0.8"},
      {"epochs: 10", "epochs: 11"},
      {"batch_size: 64", "batch_size: 32"},
      {"rate: 0.5,", "rate: 0.4,"},
      {"input_rate: 0.2", "input_rate: 0.1"},
      {"c: 3.0", "c: 4.0"},
  };
  std::set<std::string> ids = {id};
  for (const auto& [from, to] : changes) {
    INFO("change: ", from, " -> ", to);
    const std::string changed = replace(kExample, from, to);
    if (from == "name: sgd") {
      // Adam has no momentum option.
      const RunPlan p = plan(replace(changed, "  momentum: 0.9\n", ""));
      CHECK(p.run_id != id);
      ids.insert(p.run_id);
      continue;
    }
    const RunPlan p = plan(changed);
    CHECK(p.run_id.size() == 12);
    CHECK(p.run_id != id);
    ids.insert(p.run_id);
  }
  CHECK(ids.size() == changes.size() + 1);

  // Where the result is written is not part of the id.
  CHECK(plan(replace(kExample, "output: results/dropout-maxnorm.h5", "output: elsewhere/x.h5"))
            .run_id == id);

  // Regularizer order matters.
  const std::string swapped = replace(
      replace(kExample, "  - {name: dropout, rate: 0.5, input_rate: 0.2}\n", "SLOT\n"),
      "  - {name: max_norm, c: 3.0}\n", "  - {name: dropout, rate: 0.5, input_rate: 0.2}\n");
  CHECK(plan(replace(swapped, "SLOT\n", "  - {name: max_norm, c: 3.0}\n")).run_id != id);
}

TEST_CASE("plan_run: a missing required section names the file and the key") {
  check_error(replace(kExample, "name: dropout-maxnorm\n", ""),
              {"cfg.yaml:1:1", "missing required key 'name'"});
  check_error(replace(kExample,
                      "data:\n  dataset: fashion-mnist\n  train_size: 20000\n"
                      "  validation_size: 5000\n",
                      ""),
              {"cfg.yaml:1:1", "missing required key 'data'"});
  check_error(
      replace(kExample, "model:\n  name: mlp\n  hidden: [256, 256]\n  activation: relu\n", ""),
      {"cfg.yaml:1:1", "missing required key 'model'"});
  check_error(
      replace(kExample, "optimizer:\n  name: sgd\n  learning_rate: 0.02\n  momentum: 0.9\n", ""),
      {"cfg.yaml:1:1", "missing required key 'optimizer'"});
  check_error(replace(kExample, "train:\n  epochs: 10\n  batch_size: 64\n", ""),
              {"cfg.yaml:1:1", "missing required key 'train'"});
  check_error(replace(kExample, "output: results/dropout-maxnorm.h5\n", ""),
              {"cfg.yaml:1:1", "missing required key 'output'"});
  // Required keys inside sections point at the section.
  check_error(replace(kExample, "  dataset: fashion-mnist\n", ""),
              {"cfg.yaml:4:3", "data", "missing required key 'dataset'"});
  check_error(replace(kExample, "  name: mlp\n", ""),
              {"cfg.yaml:8:3", "model", "missing required key 'name'"});
  check_error(replace(kExample, "  learning_rate: 0.02\n", ""),
              {"cfg.yaml:12:3", "optimizer", "missing required key 'learning_rate'"});
  check_error(replace(kExample, "  epochs: 10\n", ""),
              {"cfg.yaml:16:3", "train", "missing required key 'epochs'"});
  check_error(replace(kExample, "  hidden: [256, 256]\n", ""),
              {"cfg.yaml:8:3", "model", "'hidden'"});
  // Not a map at all.
  check_error("- a\n- b\n", {"cfg.yaml:1:1", "must be a YAML map"});
}

TEST_CASE("plan_run: unknown keys and names list the known ones") {
  check_error(kExample + "extra: 1\n",
              {"cfg.yaml:22:8", "extra", "unknown key 'extra'", "name", "seed", "data", "model",
               "optimizer", "train", "regularizers", "output", "threads"});
  check_error(replace(kExample, "name: mlp", "name: cnn"),
              {"cfg.yaml:8:9", "model.name", "unknown model 'cnn'", "mlp", "softmax_regression"});
  check_error(replace(kExample, "name: sgd", "name: rmsprop"),
              {"cfg.yaml:12:9", "optimizer.name", "unknown optimizer 'rmsprop'", "sgd", "adam"});
  check_error(replace(kExample, "name: max_norm", "name: maxnorm"),
              {"cfg.yaml:20:12", "regularizers[1].name", "unknown regularizer 'maxnorm'", "dropout",
               "l2", "l1", "weight_decay", "max_norm", "batch_norm"});
  check_error(
      replace(kExample, "  momentum: 0.9\n", "  momentum: 0.9\n  schedule: {name: cosine}\n"),
      {"cfg.yaml:15:20", "optimizer.schedule.name", "unknown schedule 'cosine'", "constant",
       "exponential", "step", "inverse_time"});
  // Unknown option keys inside sections.
  check_error(replace(kExample, "  momentum: 0.9\n", "  momentum: 0.9\n  momentun: 0.5\n"),
              {"cfg.yaml:15:13", "optimizer.momentun", "unknown key 'momentun'", "momentum"});
  check_error(replace(kExample, "  batch_size: 64\n", "  batch_size: 64\n  epoch: 3\n"),
              {"cfg.yaml:18:10", "train.epoch", "unknown key 'epoch'", "epochs"});
  check_error(replace(kExample, "c: 3.0}", "c: 3.0, d: 1}"),
              {"cfg.yaml:20:33", "regularizers[1].d", "unknown key 'd'", "c"});
  check_error(replace(kExample, "  activation: relu\n", "  activation: relu\n  dropout: 0.5\n"),
              {"cfg.yaml:11:12", "model.dropout", "unknown key 'dropout'", "hidden"});
}

TEST_CASE("plan_run: bad values name file:line:col and the key path") {
  check_error(replace(kExample, "learning_rate: 0.02", "learning_rate: -0.02"),
              {"cfg.yaml:13:18", "optimizer.learning_rate", "must be > 0", "-0.02"});
  check_error(replace(kExample, "learning_rate: 0.02", "learning_rate: 0"),
              {"cfg.yaml:13:18", "optimizer.learning_rate", "must be > 0"});
  check_error(replace(kExample, "learning_rate: 0.02", "learning_rate: fast"),
              {"cfg.yaml:13:18", "optimizer.learning_rate", "expected a number"});
  check_error(replace(kExample, "learning_rate: 0.02", "learning_rate: .inf"),
              {"cfg.yaml:13:18", "optimizer.learning_rate", "finite"});
  check_error(replace(kExample, "epochs: 10", "epochs: 0"),
              {"cfg.yaml:16:11", "train.epochs", "got 0"});
  check_error(replace(kExample, "epochs: 10", "epochs: 2.5"),
              {"cfg.yaml:16:11", "train.epochs", "expected an integer"});
  check_error(replace(kExample, "seed: 7", "seed: -1"), {"cfg.yaml:2:7", "seed"});
  check_error(replace(kExample, "train_size: 20000", "train_size: lots"),
              {"cfg.yaml:5:15", "data.train_size", "expected an integer"});
  check_error(replace(kExample, "hidden: [256, 256]", "hidden: [256, 0]"),
              {"cfg.yaml:9:17", "model.hidden[1]"});
  check_error(replace(kExample, "activation: relu", "activation: swish"),
              {"cfg.yaml:10:15", "model.activation", "swish", "relu", "tanh", "sigmoid"});
  check_error(replace(kExample, "momentum: 0.9", "momentum: 1.0"),
              {"cfg.yaml:14:13", "optimizer.momentum"});
  check_error(replace(kExample, "batch_size: 64", "batch_size: 0"),
              {"cfg.yaml:17:15", "train.batch_size"});
  check_error(replace(kExample, "seed: 7\n", "seed: 7\nthreads: 0\n"),
              {"cfg.yaml:3:10", "threads"});
  check_error(replace(kExample, "epochs: 10\n", "epochs: 10\n  eval_every: 0\n"),
              {"cfg.yaml:17:15", "train.eval_every", "got 0"});
  check_error(replace(kExample, "epochs: 10\n", "epochs: 10\n  train_eval_size: -5\n"),
              {"cfg.yaml:17:20", "train.train_eval_size"});
  check_error(replace(kExample, "epochs: 10\n",
                      "epochs: 10\n  eval_every: 2\n  early_stopping: {patience: 3}\n"),
              {"cfg.yaml:17:15", "train.eval_every", "early_stopping"});
  check_error(replace(kExample, "epochs: 10\n", "epochs: 10\n  mc_samples: [1, 10, 5]\n"),
              {"cfg.yaml:17", "train.mc_samples", "ascending and distinct"});
  check_error(replace(kExample, "epochs: 10\n", "epochs: 10\n  mc_samples: [0, 10]\n"),
              {"cfg.yaml:17", "train.mc_samples"});
  check_error(replace(kExample, "epochs: 10\n", "epochs: 10\n  mc_samples: []\n"),
              {"cfg.yaml:17", "train.mc_samples", "at least one"});
  check_error(replace(kExample, "epochs: 10\n",
                      "epochs: 10\n  mc_samples: [1, 10]\n  early_stopping: {patience: 3}\n"),
              {"cfg.yaml:17", "train.mc_samples", "early_stopping"});
}

TEST_CASE("plan_run: malformed regularizers") {
  check_error(replace(kExample,
                      "regularizers:\n  - {name: dropout, rate: 0.5, input_rate: 0.2}\n"
                      "  - {name: max_norm, c: 3.0}\n",
                      "regularizers: {name: dropout}\n"),
              {"cfg.yaml:18:15", "regularizers", "expected a list"});
  check_error(replace(kExample,
                      "regularizers:\n  - {name: dropout, rate: 0.5, input_rate: 0.2}\n"
                      "  - {name: max_norm, c: 3.0}\n",
                      "regularizers: dropout\n"),
              {"cfg.yaml:18:15", "regularizers", "expected a list"});
  check_error(replace(kExample, "{name: max_norm, c: 3.0}", "{c: 3.0}"),
              {"cfg.yaml:20:5", "regularizers[1]", "missing required key 'name'"});
  check_error(replace(kExample, "  - {name: max_norm, c: 3.0}\n", "  - max_norm\n"),
              {"cfg.yaml:20:5", "regularizers[1]", "expected a map"});
  check_error(replace(kExample, "rate: 0.5,", "rate: 1.5,"),
              {"cfg.yaml:19:27", "regularizers[0].rate", "[0, 1)", "1.5"});
  check_error(replace(kExample, "input_rate: 0.2", "input_rate: -0.1"),
              {"cfg.yaml:19:44", "regularizers[0].input_rate"});
  check_error(replace(kExample, "c: 3.0", "c: 0"), {"cfg.yaml:20:25", "regularizers[1].c"});
  // An empty list is fine.
  CHECK(plan(replace(kExample,
                     "regularizers:\n  - {name: dropout, rate: 0.5, input_rate: 0.2}\n"
                     "  - {name: max_norm, c: 3.0}\n",
                     "regularizers: []\n"))
            .regularizers.empty());
}

TEST_CASE("plan_run: errors in overridden values name the override") {
  ConfigNode root = ConfigNode::parse(kExample, "cfg.yaml");
  root.set_override("regularizers[0].rate", "1.5");
  std::string msg;
  try {
    plan_run(root, reglab::testing::builtins());
  } catch (const ConfigError& e) {
    msg = e.what();
  }
  INFO("message: ", msg);
  CHECK(contains(msg, "command-line override 'regularizers[0].rate=1.5'"));
  CHECK(contains(msg, "regularizers[0].rate"));

  ConfigNode ok = ConfigNode::parse(kExample, "cfg.yaml");
  ok.set_override("optimizer.learning_rate", "0.05");
  ok.set_override("train.epochs", "2");
  const RunPlan p = plan_run(ok, reglab::testing::builtins());
  CHECK(p.learning_rate == doctest::Approx(0.05));
  CHECK(p.train.epochs == 2);
  CHECK(p.run_id != plan(kExample).run_id);
  CHECK(contains(p.config_yaml, "learning_rate: 0.05"));
}

TEST_CASE("plan_run: dataset options are checked when the run is planned, before any data") {
  // The directory does not exist: planning does not read it, so only the misspelt key fails.
  const std::string bad = replace(kExample, "  train_size: 20000\n",
                                  "  train_size: 20000\n  path: /nonexistent\n  pathh: x\n");
  CHECK_THROWS_WITH_AS(
      plan(bad), doctest::Contains("cfg.yaml:7:10: data.pathh: unknown key 'pathh'"), ConfigError);
  const RunPlan ok = plan(
      replace(kExample, "  train_size: 20000\n", "  train_size: 20000\n  path: /nonexistent\n"));
  CHECK_THROWS_AS(ok.load_data(), DataError);  // the files are read when the run starts
}

}  // namespace
}  // namespace reglab::experiment
