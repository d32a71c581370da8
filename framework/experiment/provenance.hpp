/// What a run records about the process that computed it (README, Results files): reglab's
/// build, the libraries, the BLAS kernel and threads, the host and its CPU.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace reglab::experiment {

/// Provenance of this process: build, libraries, BLAS, host and CPU, as name/value pairs.
std::vector<std::pair<std::string, std::string>> environment_provenance();

}  // namespace reglab::experiment
