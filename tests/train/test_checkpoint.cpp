#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/state_blob.hpp"
#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/models/network.hpp"
#include "framework/train/trainer.hpp"
#include "support/builtins.hpp"

using namespace reglab;

namespace {

data::Source synthetic(int features = 24) {
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 900, test_samples: 300, features: " + std::to_string(features) +
          ", classes: 4, noise: 0.6}",
      "t.yaml");
  experiment::OptionReader r(node);
  return reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
}

/// Keeps checkpoints in memory; can stop the run (by throwing) after a given number of saves,
/// which is what a SIGKILL right after writing a checkpoint leaves behind.
class MemoryCheckpointer : public train::Checkpointer {
 public:
  explicit MemoryCheckpointer(int stop_after_saves) : stop_after_(stop_after_saves) {}
  const StateBlob* resume_state() const override { return resume_.get(); }
  void save(StateBlob& blob) override {
    // Round-trip through the file image, as a real checkpoint does.
    last_ = std::make_unique<StateBlob>(StateBlob::parse(blob.serialize(), "mem"));
    ++saves_;
    if (saves_ == stop_after_) throw std::runtime_error("killed");
  }
  /// Makes the last saved state the one to resume from.
  void prepare_resume(int stop_after_saves) {
    resume_ = std::move(last_);
    stop_after_ = stop_after_saves;
    saves_ = 0;
  }
  int saves() const { return saves_; }

 private:
  int stop_after_;
  int saves_ = 0;
  std::unique_ptr<StateBlob> last_;
  std::unique_ptr<StateBlob> resume_;
};

struct Outcome {
  train::TrainResult result;
  std::vector<float> weights;
};

Outcome run(const data::Source& src, const std::string& yaml, train::Checkpointer* ckpt,
            bool* killed = nullptr) {
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "run.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 150, plan.seed);
  plan.train.input = experiment::input_pipeline(plan, src, splits);
  const auto network = experiment::build_network(plan, src);
  models::Network& net = *network;
  Outcome o;
  try {
    o.result = train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                            plan.train, plan.seed, nullptr, ckpt);
  } catch (const std::runtime_error& e) {
    if (killed == nullptr || std::string(e.what()) != "killed") throw;
    *killed = true;
    return o;
  }
  for (auto* layer : net.layers()) {
    for (auto* p : layer->params())
      o.weights.insert(o.weights.end(), p->value.begin(), p->value.end());
    for (auto& s : layer->state())
      o.weights.insert(o.weights.end(), s.value->begin(), s.value->end());
  }
  return o;
}

/// Curves without the wall-clock "seconds".
std::vector<std::pair<std::string, std::vector<double>>> numbers(const train::TrainResult& r) {
  auto c = r.curves;
  c.erase(std::remove_if(c.begin(), c.end(), [](const auto& x) { return x.first == "seconds"; }),
          c.end());
  return c;
}

std::string run_yaml(const std::string& optimizer, const std::string& extra_train = "") {
  return R"(
name: ckpt
seed: 11
data: {dataset: synthetic, validation_size: 150}
model: {name: mlp, hidden: [20, 12], activation: relu}
optimizer: )" +
         optimizer +
         R"(
train: {epochs: 7, batch_size: 32, eval_batch_size: 256)" +
         extra_train + R"(}
regularizers:
  - {name: dropout, rate: 0.3, input_rate: 0.1}
  - {name: batch_norm}
  - {name: max_norm, c: 2.0}
diagnostics: {every_steps: 10, weight_norms: true, step_test_accuracy: true}
output: unused.h5
)";
}

/// Stops `yaml` (with checkpoint_every: 2) after each of its first `stops` checkpoints, resumes,
/// and checks the result against the uninterrupted run `full`.
void check_resumes(const data::Source& src, const std::string& yaml, const Outcome& full,
                   int stops) {
  for (int stop = 1; stop <= stops; ++stop) {
    CAPTURE(stop);
    MemoryCheckpointer ckpt(stop);
    bool killed = false;
    run(src, yaml, &ckpt, &killed);
    REQUIRE(killed);
    ckpt.prepare_resume(-1);
    const Outcome resumed = run(src, yaml, &ckpt);
    CHECK(resumed.result.resumed_from_epoch == static_cast<std::size_t>(2 * stop));
    CHECK(numbers(resumed.result) == numbers(full.result));
    CHECK(resumed.result.step_curves == full.result.step_curves);
    CHECK(resumed.weights == full.weights);
  }
}

}  // namespace

TEST_CASE("checkpoint: a blob round-trips through its file image and rejects corruption") {
  StateBlob b;
  b.put_u64("a", 42);
  b.put_f64("b", -1.25);
  const float f[3] = {1.0f, 2.5f, -3.0f};
  b.put_floats("c", f, 3);
  b.put_string("d", "text\nwith newline");
  Rng rng(7);
  rng.normal();  // leaves a spare variate: part of the state
  b.put_rng("r", rng);
  const std::string image = b.serialize();
  const StateBlob c = StateBlob::parse(image, "x.ckpt");
  CHECK(c.get_u64("a") == 42);
  CHECK(c.get_f64("b") == -1.25);
  float g[3] = {};
  c.get_floats("c", g, 3);
  CHECK(g[1] == 2.5f);
  CHECK(c.get_string("d") == "text\nwith newline");
  Rng other(1);
  c.get_rng("r", other);
  CHECK(other.normal() == rng.normal());
  CHECK(other.next_u64() == rng.next_u64());
  CHECK_THROWS_AS(c.get_floats("c", g, 2), StorageError);
  CHECK_THROWS_AS(c.get_u64("missing"), StorageError);

  std::string flipped = image;
  flipped[20] = static_cast<char>(flipped[20] ^ 1);
  CHECK_THROWS_WITH_AS(StateBlob::parse(flipped, "x.ckpt"),
                       doctest::Contains("x.ckpt: not a valid reglab checkpoint"), StorageError);
  CHECK_THROWS_AS(StateBlob::parse(image.substr(0, image.size() - 5), "x.ckpt"), StorageError);
  CHECK_THROWS_AS(StateBlob::parse("", "x.ckpt"), StorageError);
}

TEST_CASE("checkpoint: file write is atomic and read back") {
  const auto dir = std::filesystem::temp_directory_path() / "reglab_ckpt_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "r.h5.ckpt").string();
  StateBlob b;
  b.put_u64("x", 1);
  b.write_file(path);
  b.put_u64("x", 2);
  b.write_file(path);  // replaces
  CHECK(StateBlob::read_file(path).get_u64("x") == 2);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);  // no temporary left behind
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(StateBlob::read_file(path), StorageError);
}

TEST_CASE("checkpoint: a run stopped after any checkpoint resumes bitwise identical") {
  const auto src = synthetic();
  for (const std::string& opt :
       {std::string("{name: sgd, learning_rate: 0.05, momentum: 0.9, initial_momentum: 0.5, "
                    "momentum_ramp_epochs: 4}"),
        std::string("{name: adam, learning_rate: 0.003}")}) {
    CAPTURE(opt);
    const std::string yaml = run_yaml(opt, ", checkpoint_every: 2");
    const Outcome full = run(src, yaml, nullptr);
    REQUIRE(full.result.status == "complete");
    check_resumes(src, yaml, full, 3);
  }
}

TEST_CASE("checkpoint: the dropout paper's recipe (dampening, weight scaling) resumes bitwise") {
  const auto src = synthetic();
  std::string yaml = run_yaml(
      "{name: sgd, learning_rate: 0.5, momentum: 0.9, initial_momentum: 0.5, "
      "momentum_ramp_epochs: 4, dampening: true}",
      ", checkpoint_every: 2");
  const std::string dropout = "{name: dropout, rate: 0.3, input_rate: 0.1}";
  REQUIRE(yaml.find(dropout) != std::string::npos);
  yaml.replace(yaml.find(dropout), dropout.size(),
               "{name: dropout, rate: 0.3, input_rate: 0.1, scaling: weight}");
  const Outcome full = run(src, yaml, nullptr);
  REQUIRE(full.result.status == "complete");
  check_resumes(src, yaml, full, 3);
}

TEST_CASE("checkpoint: a convolutional run with augmentation resumes bitwise identical") {
  data::Source src = synthetic(64);
  src.train.sample_shape = {1, 8, 8};
  src.test.sample_shape = {1, 8, 8};
  const std::string yaml = R"(
name: ckpt-cnn
seed: 5
data: {dataset: synthetic, validation_size: 150, augment: {crop_padding: 2, flip: true},
       standardize: per_channel}
model:
  name: sequential
  layers: [{conv2d: {filters: 4, kernel: 3, padding: same}}, {relu: {}}, {max_pool: {size: 2}},
           {flatten: {}}, {dense: {units: 8}}, {relu: {}}, {dense: {units: classes}}]
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 5, batch_size: 32, eval_batch_size: 256, checkpoint_every: 2}
regularizers: [{name: dropout, rate: 0.3, spatial: true}, {name: batch_norm}]
output: unused.h5
)";
  const Outcome full = run(src, yaml, nullptr);
  REQUIRE(full.result.status == "complete");
  check_resumes(src, yaml, full, 2);
  // The augmentation changes the numbers (its stream is really drawn from).
  std::string plain = yaml;
  plain.replace(plain.find("augment: {crop_padding: 2, flip: true},"), 39, "");
  CHECK(numbers(run(src, plain, nullptr).result) != numbers(full.result));
}

TEST_CASE("checkpoint: early-stopping state survives a resume") {
  const auto src = synthetic();
  const std::string yaml =
      run_yaml("{name: sgd, learning_rate: 0.2, momentum: 0.9}",
               ", checkpoint_every: 1, early_stopping: {metric: validation_loss, patience: 2}");
  const Outcome full = run(src, yaml, nullptr);
  for (int stop = 1; stop <= 2; ++stop) {
    MemoryCheckpointer ckpt(stop);
    bool killed = false;
    run(src, yaml, &ckpt, &killed);
    REQUIRE(killed);
    ckpt.prepare_resume(-1);
    const Outcome resumed = run(src, yaml, &ckpt);
    CHECK(resumed.result.best_epoch == full.result.best_epoch);
    CHECK(resumed.result.stopped_epoch == full.result.stopped_epoch);
    CHECK(numbers(resumed.result) == numbers(full.result));
    CHECK(resumed.weights == full.weights);
  }
}

TEST_CASE("checkpoint: checkpoint_every 0 writes none, the last epoch writes none") {
  const auto src = synthetic();
  MemoryCheckpointer none(-1);
  run(src, run_yaml("{name: adam, learning_rate: 0.003}", ", checkpoint_every: 0"), &none);
  CHECK(none.saves() == 0);
  MemoryCheckpointer every(-1);
  run(src, run_yaml("{name: adam, learning_rate: 0.003}", ", checkpoint_every: 1"), &every);
  CHECK(every.saves() == 6);  // after epochs 1..6 of 7
}
