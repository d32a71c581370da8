/// The text of a Slurm submission (experiment/slurm.hpp), rendered from its plan
/// (experiment/slurm_plan.hpp): the cell list, the array and merge job scripts, the sbatch
/// command lines and the dry run's listing. Pure functions: no file, process or clock is touched.
///
/// The array script runs, in task k of an array, `SELF cells --keep-going <cell_dir>/<ID>.yaml
/// ...` for the ids on line OFFSET + k + 1 of the cell list (OFFSET: the script's argument, 0 if
/// none; each cell's output goes to `<cell_dir>/<ID>.log`), and records a crash the cells could
/// not record themselves in `<ID>.failed`. A submission of more tasks than MaxArraySize is several
/// arrays of the same script, each given its range (`--array`) and offset on sbatch's command
/// line; a submission of one array runs it as `sbatch ARRAY_SCRIPT` (range in `#SBATCH --array`).
/// The merge script runs `SELF merge CONFIG [overrides] [--plugin P ...]`. Both cd into the
/// submitting folder and set HDF5_USE_FILE_LOCKING=FALSE. Every path and argument in them is
/// single-quoted for bash.
#pragma once

#include <string>
#include <vector>

#include "framework/experiment/slurm_plan.hpp"

namespace reglab::experiment {

/// `text` single-quoted for bash (a quote inside becomes '\'').
std::string sh_quote(const std::string& text);

/// The cell list: line k + 1 holds the cell ids of task k (over all arrays), space-separated.
std::string cell_list_text(const SubmissionPlan& plan);

/// The array jobs' script (`#SBATCH --array=0-(n-1)[%K]` if there is one array).
std::string array_script_text(const SubmissionPlan& plan);

/// The merge job's script (one CPU, job name "<job name>-merge").
std::string merge_script_text(const SubmissionPlan& plan);

/// The sbatch command of array `index` of the plan: `sbatch --parsable [--partition=P]
/// [--account=A] [--time=T] [--mem=M] ARRAY_SCRIPT`, and with several arrays
/// `--array=0-(n-1)[%K]` before the script and its offset after it. The user's options are given
/// on the command line too, so that they win over sbatch's input environment variables
/// (SBATCH_PARTITION, ...), which win over #SBATCH lines.
std::vector<std::string> array_sbatch_argv(const SubmissionPlan& plan, std::size_t index = 0);

/// The merge job's sbatch command: as the array's, with `--dependency=afterany:J1[:J2...]` on
/// `array_jobs` (afterany: failed cells must not block the merge) before the merge script.
std::vector<std::string> merge_sbatch_argv(const SubmissionPlan& plan,
                                           const std::vector<std::string>& array_jobs);

/// What `--dry-run` prints: the cell list, both scripts and every sbatch command.
std::string dry_run_text(const SubmissionPlan& plan);

/// The arguments of `reglab status` for this sweep: the configuration as the user gave it, then
/// the overrides and plugins quoted.
std::string status_arguments(const SubmissionPlan& plan);

}  // namespace reglab::experiment
