/// One run's configuration: YAML -> validated, typed plan.
///
/// Top-level keys (all others are rejected):
///   name           string, required; names the run in logs and in the results file
///   seed           integer >= 0 (default 0); root of every random stream (core/random.hpp)
///   threads        threads of the run's pool (core/parallel.hpp), 1..256 (default 1); recorded,
///                  changes results bitwise (products are cut into one block per thread)
///   data           dataset (required), train_size (0 = all), validation_size (default 0),
///                  label_corruption (0..1, default 0) and input_randomisation
///                  (none|shuffled_pixels|random_pixels|gaussian) (data/randomize.hpp), and the
///                  dataset's own keys (data/dataset.hpp)
///   model          name (required) and the model's keys (models/models.hpp)
///   optimizer      name (required), learning_rate (required, > 0), schedule (map with `name`,
///                  default constant), and the optimizer's keys (optim/optimizer.hpp)
///   train          epochs (required, >= 1), batch_size (default 64), eval_batch_size (1000),
///                  early_stopping (map: metric, patience, min_delta, restore_best; needs
///                  data.validation_size > 0), checkpoint_every (epochs, default 1, 0 = off)
///   regularizers   list of maps, each with `name` and the regularizer's keys; applied in order
///   diagnostics    optional map of measurements recorded during training
///                  (train/diagnostics.hpp)
///   output         path of the HDF5 results file (required)
///   plugins        list of plugin files (shared objects, docs/plugins.md), relative to the file
///                  that names them; loaded before the rest is read
///
/// Parsing builds every plugin, so a bad key or value anywhere is reported before any data is
/// read or any file is written; dataset keys too (the data itself is read when the run starts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/data/augment.hpp"
#include "framework/data/dataset.hpp"
#include "framework/data/randomize.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/models/network.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/plugin/registries.hpp"
#include "framework/regularizers/regularizer.hpp"
#include "framework/train/settings.hpp"

namespace reglab::experiment {

struct RunPlan {
  std::string name;
  std::uint64_t seed = 0;
  int threads = 1;
  std::string output;

  std::string dataset;
  std::size_t train_size = 0;
  std::size_t validation_size = 0;
  /// Reads the data files; the dataset's options were checked when the plan was made.
  data::DataLoader load_data;
  data::RandomizeOptions randomize;  ///< data.label_corruption, data.input_randomisation
  data::Augmentation augment;        ///< data.augment (checked against the images at run start)
  bool standardize = false;          ///< data.standardize: per_channel

  std::string model;
  models::NetworkSpec network;  ///< inputs and classes are filled in from the data

  std::string optimizer_name;
  double learning_rate = 0.0;
  optim::OptimizerPtr optimizer;
  optim::SchedulePtr schedule;

  train::TrainSettings train;
  std::vector<regularizers::RegularizerPtr> regularizers;

  /// The configuration after command-line overrides, as YAML text.
  std::string config_yaml;
  /// Stable identifier: the first 12 hex digits of SHA-256 of the configuration without its
  /// `output`, `plugins` and `threads` keys (where a result is written, where a plugin file
  /// lies, or how many threads compute it, does not change it; core/gemm.hpp), followed by the
  /// loaded plugins' names, versions and SHA-256 (plugin::Registries::identity; nothing without
  /// plugins).
  std::string run_id;
  /// Identifies the arm: a hash of the configuration without `seed`, `output`, `threads`,
  /// `diagnostics`, `train.eval_every` and `train.train_eval_size` (measurements change no
  /// trained number), with the plugins' identity. Dropout masks derive from it, so arms sharing
  /// a replicate seed share initialisation and data order but not masks.
  std::uint64_t arm_key = 0;
};

/// Validates `root` and builds the plan with the entries of `regs` (built-in and loaded
/// plugins; the configuration's own `plugins:` key is accepted here but loaded before, by
/// experiment/plugins.hpp). Throws ConfigError naming file, line, column and key.
RunPlan plan_run(const ConfigNode& root, const plugin::Registries& regs);

/// data.augment and data.standardize for this data: the image shape, and the training split's
/// channel statistics (data/augment.hpp). Throws ConfigError (at data.augment or
/// data.standardize) for data that is not images.
train::InputPipeline input_pipeline(const RunPlan& plan, const data::Source& source,
                                    const data::Splits& splits);

/// The shape of one sample of `d` as the network sees it: {c, h, w} for images ({h, w} files are
/// one channel), {features, 1, 1} otherwise.
models::Shape sample_shape(const data::Dataset& d);

/// The run's network for data shaped like `source`: sets plan.network's inputs and classes,
/// draws the initial weights from the plan's seed, attaches the plan's regularizers in their
/// order, and finalizes it for batches of max(batch_size, eval_batch_size). The one sequence the
/// runner and the tests use.
std::unique_ptr<models::Network> build_network(RunPlan& plan, const data::Source& source);

}  // namespace reglab::experiment
