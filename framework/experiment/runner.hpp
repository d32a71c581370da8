/// `reglab run`: configuration file -> training -> results file.
///
/// Order of work, so that bad input never costs a training run or leaves a file behind:
/// parse and validate the configuration and overrides, refuse an existing output (unless
/// overwrite), load and validate the data, build the network, train, then write the results file
/// atomically (storage/results.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/data/dataset.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/plugin/registries.hpp"

namespace reglab::experiment {

struct RunOptions {
  std::string config_path;
  std::vector<std::string> overrides;  ///< "key.path=value"
  bool overwrite = false;
  bool quiet = false;
  std::string cell;      ///< run only this cell of a sweep (its file in the sweep's cell folder)
  std::size_t jobs = 0;  ///< cells at once for a sweep; 0 = the number of cores
  std::size_t cells_per_child = 0;   ///< cells one child process runs; 0 = chosen by sweep size
  std::vector<std::string> plugins;  ///< --plugin PATH, loaded after the config's `plugins:`
};

/// `reglab run`: a configuration without grid, zip or seeds is one run written to `output`; a
/// sweep runs its missing cells and merges them (experiment/sweep_runner.hpp); with `cell` set,
/// runs that one cell. Returns 0 on success, 3 if a run diverged (its file is still written, with
/// status "diverged"), 4 if sweep cells failed. Throws reglab::Error on bad input.
int run_config(const RunOptions& options);

/// Keeps the last data set loaded, for a process that runs several runs
/// (experiment/cell_runner.hpp): a run whose `data` options (and plugins) equal the previous run's
/// gets a copy of it instead of decompressing and hashing the files again. The copy holds the same
/// bytes and the same recorded SHA-256 as a fresh load. The cost is memory: one more copy of the
/// data set while a run trains.
class DataCache {
 public:
  /// The source for `key`: `loader()` on a miss, else a copy of the kept one.
  data::Source load(const std::string& key, const data::DataLoader& loader);

 private:
  std::string key_;
  std::unique_ptr<data::Source> source_;
};

/// Runs one configuration tree with the given registries (built-ins and the loaded plugins) and
/// writes its results file. With `cache`, the data come through it.
int run_one(const ConfigNode& root, const plugin::Registries& registries, bool overwrite,
            bool quiet, DataCache* cache = nullptr);

}  // namespace reglab::experiment
