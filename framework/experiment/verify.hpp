/// `reglab verify`: reruns runs from the configurations stored in a results file and checks that
/// the new curves (all but the wall-clock `seconds`) and weights are bitwise identical to the
/// stored ones. The first mismatch of each run is printed, with the provenance entries that
/// differ between the two runs (how products are cut, `parallel_scheme`; OpenBLAS's kernels,
/// `blas_core` and `blas_fingerprint`; commit, compiler flags, data hashes), which usually
/// explain it.
#pragma once

#include <string>
#include <vector>

namespace reglab::experiment {

/// Verifies every run of `results_path`, or only run `cell` if not empty. Returns 0 if all
/// match, 5 if any differs. Throws reglab::Error on a bad file or an unknown cell.
///
/// A results file never makes reglab load code: a run that used plugins is rerun with the files
/// in `plugins` (command-line paths) whose SHA-256 equals the one recorded for it, loaded in the
/// recorded order. A recorded plugin without a matching file is a PluginError (exit 2) that names
/// the plugin, its recorded SHA-256 and the files given.
int verify_results(const std::string& results_path, const std::string& cell,
                   const std::vector<std::string>& plugins = {});

}  // namespace reglab::experiment
