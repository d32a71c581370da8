// Counts heap allocations made while training, through a replacement of the global operator new
// (it applies to the whole test binary and only counts; it forwards to malloc).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "framework/core/parallel.hpp"
#include "framework/data/augment.hpp"
#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/train/trainer.hpp"
#include "support/builtins.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

// Every non-aligned form is replaced, so that each allocation and its release pair up (malloc and
// free) whichever form the standard library uses (e.g. std::stable_sort's nothrow buffer).
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace reglab;

namespace {

/// Allocations made by train() for `epochs` epochs of a run using every stateful plugin.
long allocations_for(const data::Source& src, int epochs, int hidden = 32, int batch = 16) {
  const std::string yaml = R"(
name: alloc
seed: 1
data: {dataset: synthetic}
model: {name: mlp, hidden: [)" +
                           std::to_string(hidden) + ", " + std::to_string(hidden) + R"(]}
optimizer: {name: adam, learning_rate: 0.001}
train: {epochs: )" + std::to_string(epochs) +
                           R"(, batch_size: )" + std::to_string(batch) + R"(, eval_batch_size: )" +
                           std::to_string(batch) + R"(}
regularizers:
  - {name: batch_norm}
  - {name: dropout, rate: 0.5, input_rate: 0.2}
  - {name: l2}
  - {name: l1}
  - {name: max_norm}
  - {name: weight_decay}
  - {name: gaussian_dropout, rate: 0.3, input_rate: 0.1}
  - {name: uout, beta: 0.2}
  - {name: kl_sparsity, beta: 0.01, layers: last}
output: unused.h5
)";
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "alloc.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 0, plan.seed);
  plan.network.inputs = src.train.features();
  plan.network.classes = src.train.classes;
  models::Network net(plan.network, plan.seed);
  for (std::size_t i = 0; i < plan.regularizers.size(); ++i) {
    plan.regularizers[i]->attach(net, {plan.seed, i, plan.arm_key});
  }
  net.finalize(static_cast<std::size_t>(std::max(batch, 64)));
  const long before = g_allocations.load();
  const auto result = train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                                   plan.train, plan.seed, nullptr);
  const long used = g_allocations.load() - before;
  REQUIRE(result.status == "complete");
  return used;
}

}  // namespace

TEST_CASE("the training step allocates nothing per batch after the first") {
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 640, test_samples: 64, features: 16, classes: 3}", "t.yaml");
  experiment::OptionReader r(node);
  const data::Source src = reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
  const long two = allocations_for(src, 2);
  const long six = allocations_for(src, 6);
  // 40 batches per epoch: 160 more batches in the longer run. What remains is the growth of the
  // per-epoch curve vectors (a few reallocations each).
  MESSAGE("allocations: 2 epochs " << two << ", 6 epochs " << six);
  CHECK(six - two < 40);
}

TEST_CASE("on two threads the training step allocates nothing either") {
  // Layers of 256 units at batch 128: every product is split in two and the element-wise loops
  // (128 x 256 = 32768 elements) run on both threads.
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 1280, test_samples: 128, features: 512, classes: 3}", "t.yaml");
  experiment::OptionReader r(node);
  const data::Source src = reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
  parallel::set_threads(2);
  const long two = allocations_for(src, 2, 256, 128);
  const long six = allocations_for(src, 6, 256, 128);
  parallel::set_threads(1);
  MESSAGE("allocations on 2 threads: 2 epochs " << two << ", 6 epochs " << six);
  CHECK(six - two < 40);
}

namespace {

/// Allocations made by train() for `epochs` epochs of a convolutional stack with batch norm per
/// channel, spatial dropout, max-norm per filter, augmentation and standardization.
long cnn_allocations_for(const data::Source& src, int epochs) {
  const std::string yaml = R"(
name: alloc-cnn
seed: 2
data: {dataset: synthetic}
model:
  name: sequential
  layers:
    - conv2d: {filters: 4, kernel: 3, padding: same}
    - relu: {}
    - max_pool: {size: 2}
    - conv2d: {filters: 6, kernel: 3, stride: 2, padding: 1}
    - maxout: {pieces: 2}
    - global_avg_pool: {}
    - dense: {units: classes}
optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}
train: {epochs: )" + std::to_string(epochs) +
                           R"(, batch_size: 16, eval_batch_size: 16}
regularizers:
  - {name: batch_norm}
  - {name: dropout, rate: 0.3, spatial: true}
  - {name: max_norm}
  - {name: l2}
output: unused.h5
)";
  auto plan = experiment::plan_run(experiment::ConfigNode::parse(yaml, "alloc.yaml"),
                                   reglab::testing::builtins());
  const data::Splits splits = data::make_splits(src, 0, 0, plan.seed);
  plan.train.input.shape = {1, 8, 8};
  plan.train.input.augment.crop_padding = 1;
  plan.train.input.augment.flip = true;
  plan.train.input.standardize =
      data::channel_stats(*splits.train.dataset, splits.train.indices, plan.train.input.shape);
  const std::unique_ptr<models::Network> net = experiment::build_network(plan, src);
  const long before = g_allocations.load();
  const auto result = train::train(*net, *plan.optimizer, *plan.schedule, plan.regularizers, splits,
                                   plan.train, plan.seed, nullptr);
  const long used = g_allocations.load() - before;
  REQUIRE(result.status == "complete");
  return used;
}

}  // namespace

TEST_CASE("a convolutional network's training step allocates nothing either") {
  auto node = experiment::ConfigNode::parse(
      "{train_samples: 640, test_samples: 64, features: 64, classes: 3}", "t.yaml");
  experiment::OptionReader r(node);
  data::Source src = reglab::testing::builtins().datasets.find("synthetic")->factory(r)();
  src.train.sample_shape = {1, 8, 8};
  src.test.sample_shape = {1, 8, 8};
  for (int threads : {1, 2}) {
    parallel::set_threads(threads);
    const long two = cnn_allocations_for(src, 2);
    const long six = cnn_allocations_for(src, 6);
    MESSAGE("CNN allocations at " << threads << " threads: 2 epochs " << two << ", 6 epochs "
                                  << six);
    CHECK(six - two < 40);
  }
  parallel::set_threads(1);
}
