/// `reglab run`: configuration file -> training -> results file.
///
/// Order of work, so that bad input never costs a training run or leaves a file behind:
/// parse and validate the configuration and overrides, refuse an existing output (unless
/// overwrite), load and validate the data, build the network, train, then write the results file
/// atomically (storage/results.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

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
  std::vector<std::string> plugins;  ///< --plugin PATH, loaded after the config's `plugins:`
};

/// `reglab run`: a configuration without grid, zip or seeds is one run written to `output`; a
/// sweep runs its missing cells and merges them (experiment/sweep_runner.hpp); with `cell` set,
/// runs that one cell. Returns 0 on success, 3 if a run diverged (its file is still written, with
/// status "diverged"), 4 if sweep cells failed. Throws reglab::Error on bad input.
int run_config(const RunOptions& options);

/// Runs one configuration tree with the given registries (built-ins and the loaded plugins) and
/// writes its results file.
int run_one(const ConfigNode& root, const plugin::Registries& registries, bool overwrite,
            bool quiet);

}  // namespace reglab::experiment
