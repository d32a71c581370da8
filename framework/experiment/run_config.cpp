#include "framework/experiment/run_config.hpp"

#include <algorithm>
#include <limits>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/models/models.hpp"

namespace reglab::experiment {
namespace {

constexpr std::int64_t kMaxCount = std::numeric_limits<std::int32_t>::max();

std::string require_name(OptionReader& opts, const std::string& what) {
  if (!opts.has("name")) opts.fail("name", "missing required key 'name' (the " + what + ")");
  return opts.get_string("name", "");
}

/// " (did you mean 'X'?)" when `name` is a near miss of a registered name.
template <class Reg>
std::string suggest(const std::string& name, const Reg& registry) {
  std::vector<std::string> names;
  for (const auto& e : registry.entries()) names.push_back(e.name);
  return config::did_you_mean(name, names);
}

template <class Reg>
const typename Reg::Entry& lookup(const Reg& registry, OptionReader& opts, const std::string& name,
                                  const std::string& what) {
  const auto* entry = registry.find(name);
  if (entry == nullptr) {
    opts.fail("name", "unknown " + what + " '" + name + "'" + suggest(name, registry) +
                          " (known: " + registry.known() + ")");
  }
  return *entry;
}

void read_data(OptionReader& top, const plugin::Registries& regs, RunPlan& plan) {
  if (!top.has("data")) top.fail("data", "missing required key 'data'");
  OptionReader data(top.child("data"));
  if (!data.has("dataset")) data.fail("dataset", "missing required key 'dataset'");
  plan.dataset = data.get_string("dataset", "");
  plan.train_size = static_cast<std::size_t>(data.get_int("train_size", 0, 0, kMaxCount));
  plan.validation_size = static_cast<std::size_t>(data.get_int("validation_size", 0, 0, kMaxCount));
  plan.randomize = data::RandomizeOptions::read(data);
  const ConfigNode augment = data.child("augment");
  if (!augment.is_null()) {
    OptionReader aug(augment);
    plan.augment = data::read_augmentation(aug);
    aug.finish();
  }
  plan.standardize =
      data.get_string("standardize", "none", {"none", "per_channel"}) == "per_channel";
  const auto* entry = regs.datasets.find(plan.dataset);
  if (entry == nullptr) {
    data.fail("dataset", "unknown dataset '" + plan.dataset + "'" +
                             suggest(plan.dataset, regs.datasets) +
                             " (known: " + regs.datasets.known() + ")");
  }
  plan.load_data = entry->factory(data);
  data.finish();
}

void read_model(OptionReader& top, const plugin::Registries& regs, RunPlan& plan) {
  if (!top.has("model")) top.fail("model", "missing required key 'model'");
  OptionReader opts(top.child("model"));
  plan.model = require_name(opts, "model");
  const auto& entry = lookup(regs.models, opts, plan.model, "model");
  plan.network = entry.factory(opts, regs.layers);
  opts.finish();
}

void read_optimizer(OptionReader& top, const plugin::Registries& regs, RunPlan& plan) {
  if (!top.has("optimizer")) top.fail("optimizer", "missing required key 'optimizer'");
  OptionReader opts(top.child("optimizer"));
  plan.optimizer_name = require_name(opts, "optimizer");
  const auto& entry = lookup(regs.optimizers, opts, plan.optimizer_name, "optimizer");
  plan.learning_rate = opts.require_double("learning_rate", Range::positive());
  const ConfigNode schedule_node = opts.child("schedule");
  plan.optimizer = entry.factory(opts);
  opts.finish();

  OptionReader sched(schedule_node);
  const std::string sched_name =
      schedule_node.is_null() ? "constant" : require_name(sched, "learning-rate schedule");
  const auto& sentry = lookup(regs.schedules, sched, sched_name, "schedule");
  plan.schedule = sentry.factory(sched, plan.learning_rate);
  sched.finish();
}

/// `train.mc_samples`: a list of sample counts, ascending and distinct, each in [1, 10000].
void read_mc_samples(OptionReader& opts, RunPlan& plan) {
  if (!opts.has("mc_samples")) return;
  const std::vector<std::int64_t> ks = opts.get_int_list("mc_samples", {}, 1, 10000);
  if (ks.empty()) opts.fail("mc_samples", "mc_samples must list at least one sample count");
  for (std::size_t i = 1; i < ks.size(); ++i) {
    if (ks[i] <= ks[i - 1]) {
      opts.fail("mc_samples", "mc_samples must be ascending and distinct, e.g. [1, 10, 50]");
    }
  }
  for (std::int64_t k : ks) plan.train.mc_samples.push_back(static_cast<std::size_t>(k));
}

void read_train(OptionReader& top, RunPlan& plan) {
  if (!top.has("train")) top.fail("train", "missing required key 'train'");
  OptionReader opts(top.child("train"));
  plan.train.epochs = static_cast<std::size_t>(opts.require_int("epochs", 1, 1000000));
  plan.train.batch_size = static_cast<std::size_t>(opts.get_int("batch_size", 64, 1, 1 << 20));
  plan.train.eval_batch_size =
      static_cast<std::size_t>(opts.get_int("eval_batch_size", 1000, 1, 1 << 20));
  plan.train.checkpoint_every =
      static_cast<std::size_t>(opts.get_int("checkpoint_every", 1, 0, 1000000));
  plan.train.eval_every = static_cast<std::size_t>(opts.get_int("eval_every", 1, 1, 1000000));
  plan.train.train_eval_size =
      static_cast<std::size_t>(opts.get_int("train_eval_size", 0, 0, 1 << 30));
  read_mc_samples(opts, plan);
  const ConfigNode es_node = opts.child("early_stopping");
  if (!es_node.is_null() && !plan.train.mc_samples.empty()) {
    opts.fail("mc_samples",
              "Monte-Carlo evaluation runs after the last epoch, which early_stopping may "
              "replace with an earlier one: use one or the other");
  }
  if (!es_node.is_null() && plan.train.eval_every > 1) {
    opts.fail("eval_every",
              "early_stopping watches the validation split after every epoch: "
              "use eval_every: 1 with early_stopping");
  }
  opts.finish();
  if (es_node.is_null()) return;
  if (!es_node.is_map()) {
    es_node.fail("early_stopping must be a map (metric, patience, min_delta, restore_best)");
  }
  OptionReader es(es_node);
  auto& e = plan.train.early_stopping;
  e.enabled = true;
  e.metric = es.get_string("metric", e.metric, {"validation_loss", "validation_accuracy"});
  e.patience = static_cast<std::size_t>(es.get_int("patience", 10, 1, 1000000));
  e.min_delta = es.get_double("min_delta", 0.0, Range::at_least(0.0));
  e.restore_best = es.get_bool("restore_best", true);
  es.finish();
  if (plan.validation_size == 0) {
    es_node.fail("early_stopping needs a validation split: set data.validation_size > 0");
  }
}

void read_diagnostics(OptionReader& top, RunPlan& plan) {
  OptionReader opts(top.child("diagnostics"));
  auto& d = plan.train.diagnostics;
  d.weight_norms = opts.get_bool("weight_norms", false);
  d.activations = opts.get_bool("activations", false);
  d.percentiles_layer = static_cast<long>(opts.get_int("percentiles_layer", -1, -1, 1 << 20));
  d.percentiles_unit = static_cast<std::size_t>(opts.get_int("percentiles_unit", 0, 0, 1 << 20));
  d.variance_shift = opts.get_bool("variance_shift", false);
  d.spectra = opts.get_bool("spectra", false);
  d.spectra_every = static_cast<std::size_t>(opts.get_int("spectra_every", 1, 1, 1000000));
  d.every_steps = static_cast<std::size_t>(opts.get_int("every_steps", 0, 0, 1 << 30));
  d.probe_size = static_cast<std::size_t>(opts.get_int("probe_size", 1000, 2, 1 << 20));
  d.step_test_accuracy = opts.get_bool("step_test_accuracy", false);
  opts.finish();
  const std::size_t hidden = models::hidden_layer_count(plan.network);
  if (d.percentiles_layer >= static_cast<long>(hidden)) {
    opts.fail("percentiles_layer",
              "the model has " + std::to_string(hidden) + " hidden layers (0-based index)");
  }
  // A stack's widths are known once the data is (build_network checks them there).
  if (d.percentiles_layer >= 0 && plan.network.layers.empty() &&
      d.percentiles_unit >= plan.network.hidden[static_cast<std::size_t>(d.percentiles_layer)]) {
    opts.fail("percentiles_unit", "larger than the layer's width");
  }
  if (d.step_test_accuracy && d.every_steps == 0) {
    opts.fail("step_test_accuracy", "needs every_steps > 0 (how often to evaluate)");
  }
  if (opts.has("probe_size") &&
      d.probe_size > std::max(plan.train.batch_size, plan.train.eval_batch_size)) {
    opts.fail("probe_size", "must be at most max(batch_size, eval_batch_size)");
  }
}

void read_regularizers(OptionReader& top, const plugin::Registries& regs, RunPlan& plan) {
  const ConfigNode list = top.child("regularizers");
  if (list.is_null()) return;
  if (!list.is_sequence()) list.fail("expected a list of regularizers, each a map with 'name'");
  for (std::size_t i = 0; i < list.size(); ++i) {
    OptionReader opts(list.at(i));
    if (!list.at(i).is_map()) list.at(i).fail("expected a map with 'name'");
    const std::string name = require_name(opts, "regularizer");
    const auto& entry = lookup(regs.regularizers, opts, name, "regularizer");
    plan.regularizers.push_back(entry.factory(opts));
    opts.finish();
  }
}

/// `plugins:` was loaded before planning (experiment/plugins.hpp); here it only has to be a list.
void accept_plugins(OptionReader& top) {
  const ConfigNode list = top.child("plugins");
  if (list.is_null()) return;
  if (!list.is_sequence()) list.fail("expected a list of plugin files (shared objects)");
}

}  // namespace

models::Shape sample_shape(const data::Dataset& d) {
  const std::vector<std::size_t>& s = d.sample_shape;
  if (s.size() == 3) return {s[0], s[1], s[2]};
  if (s.size() == 2) return {1, s[0], s[1]};
  return {d.features(), 1, 1};
}

RunPlan plan_run(const ConfigNode& root, const plugin::Registries& regs) {
  if (!root.is_map()) root.fail("the configuration must be a YAML map");
  OptionReader top(root);
  RunPlan plan;
  if (!top.has("name")) top.fail("name", "missing required key 'name'");
  plan.name = top.get_string("name", "");
  plan.seed = static_cast<std::uint64_t>(
      top.get_int("seed", 0, 0, std::numeric_limits<std::int64_t>::max()));
  plan.threads = static_cast<int>(top.get_int("threads", 1, 1, 256));
  if (!top.has("output")) top.fail("output", "missing required key 'output' (the .h5 path)");
  plan.output = top.get_string("output", "");
  accept_plugins(top);
  read_data(top, regs, plan);
  read_model(top, regs, plan);
  read_optimizer(top, regs, plan);
  read_train(top, plan);
  read_regularizers(top, regs, plan);
  read_diagnostics(top, plan);
  top.finish();
  plan.config_yaml = root.to_yaml();
  // The id covers everything that can change a number (the plugins' code too), and not where the
  // result or a plugin file is, nor the thread count (products are cut by shape, core/gemm.hpp).
  const std::string plugins = regs.identity();
  const std::string identity = root.to_yaml({"output", "plugins", "threads"}) + plugins;
  plan.run_id = sha256_hex(identity.data(), identity.size()).substr(0, 12);
  // Measurements change no trained number, so they are not part of the arm.
  const std::string arm =
      root.to_yaml({"output", "seed", "threads", "diagnostics", "plugins", "train.eval_every",
                    "train.train_eval_size", "train.mc_samples"}) +
      plugins;
  plan.arm_key = std::stoull(sha256_hex(arm.data(), arm.size()).substr(0, 16), nullptr, 16);
  return plan;
}

train::InputPipeline input_pipeline(const RunPlan& plan, const data::Source& source,
                                    const data::Splits& splits) {
  train::InputPipeline input;
  input.augment = plan.augment;
  if (!plan.augment.active() && !plan.standardize) return input;
  data::check_augmentation(plan.augment, source.train.sample_shape);
  const auto shape = data::image_shape(source.train.sample_shape);
  if (!shape) {
    throw ConfigError("data.standardize: per_channel needs image data; " + source.description +
                      " has samples of " + std::to_string(source.train.features()) +
                      " features without an image shape");
  }
  input.shape = *shape;
  if (plan.standardize) {
    input.standardize = data::channel_stats(*splits.train.dataset, splits.train.indices, *shape);
  }
  return input;
}

std::unique_ptr<models::Network> build_network(RunPlan& plan, const data::Source& source) {
  plan.network.inputs = source.train.features();
  plan.network.input_shape = sample_shape(source.train);
  plan.network.classes = source.train.classes;
  auto net = std::make_unique<models::Network>(plan.network, plan.seed);
  for (std::size_t i = 0; i < plan.regularizers.size(); ++i) {
    plan.regularizers[i]->attach(*net, {plan.seed, i, plan.arm_key});
  }
  net->finalize(std::max(plan.train.batch_size, plan.train.eval_batch_size), plan.train.batch_size);
  return net;
}

}  // namespace reglab::experiment
