/// `reglab run`: configuration file -> training -> results file.
///
/// Order of work, so that bad input never costs a training run or leaves a file behind:
/// parse and validate the configuration and overrides, refuse an existing output (unless
/// overwrite), load and validate the data, build the network, train, then write the results file
/// atomically (storage/results.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace reglab::experiment {

struct RunOptions {
  std::string config_path;
  std::vector<std::string> overrides;  ///< "key.path=value"
  bool overwrite = false;
  bool quiet = false;
};

/// Runs one configuration. Returns 0 if the run completed, 3 if it diverged (the results file is
/// still written, with status "diverged"). Throws reglab::Error on bad input.
int run_config(const RunOptions& options);

/// Provenance of this process: build, libraries, BLAS, host and CPU, as name/value pairs.
std::vector<std::pair<std::string, std::string>> environment_provenance();

/// Current UTC time as ISO 8601 ("2026-11-27T17:30:00Z").
std::string utc_now();

}  // namespace reglab::experiment
