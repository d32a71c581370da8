/// `reglab status`: the state of each cell of a sweep (from its cell folder, with the Slurm jobs
/// it was submitted as), or of each run or cell recorded in a results file.
///
/// A cell is complete or diverged (its cell file's status), failed (a `<id>.failed` file and no
/// cell file) or missing (neither).
#pragma once

#include <string>

#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// Prints each cell's state (complete, diverged, failed, missing) and the counts; if the sweep was
/// submitted to Slurm (`<cell_dir>/slurm/submissions.tsv`), also each cell's latest Slurm job
/// ("<array job>_<task>", "-" if never submitted). Returns 0.
int print_sweep_status(const Sweep& sweep);

/// Prints the state of every run or cell recorded in a results file (from its /summary for a
/// sweep file). Returns 0.
int print_file_status(const std::string& results_file);

}  // namespace reglab::experiment
