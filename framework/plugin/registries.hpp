/// Every registry of a run, as one value: the built-in entries (builtin.cpp, the registration
/// list) plus whatever plugins added (loader.hpp). Planning and running take it explicitly
/// (experiment::plan_run), so a process can hold several, and a test can build its own.
#pragma once

#include <string>
#include <vector>

#include "framework/data/dataset.hpp"
#include "framework/models/models.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace reglab::plugin {

/// A shared object loaded into a Registries value: what the run's provenance records.
struct LoadedPlugin {
  std::string path;     ///< absolute path it was loaded from
  std::string sha256;   ///< of the file's bytes
  std::string name;     ///< as the plugin declares it (REGLAB_PLUGIN)
  std::string version;  ///< as the plugin declares it
};

struct Registries {
  regularizers::RegularizerRegistry regularizers;
  models::ModelRegistry models;
  models::LayerRegistry layers;
  optim::OptimizerRegistry optimizers;
  optim::ScheduleRegistry schedules;
  data::DatasetRegistry datasets;
  /// The plugins loaded into this value, in load order.
  std::vector<LoadedPlugin> plugins;

  /// Sets the origin recorded with entries added from now on, in every registry.
  void set_origin(const std::string& origin);
  /// What the loaded plugins contribute to a run's identity: "" without plugins (so runs without
  /// plugins keep their ids), else one line per plugin, "plugin NAME VERSION SHA256", in load
  /// order.
  std::string identity() const;
  /// The same as provenance text: one line per plugin, "SHA256 NAME VERSION PATH".
  std::string provenance() const;
};

/// The built-in regularizers, models, layer types, optimizers, schedules and datasets.
Registries builtin_registries();

}  // namespace reglab::plugin
