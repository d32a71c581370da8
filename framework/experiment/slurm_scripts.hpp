/// The text of a Slurm submission (experiment/slurm.hpp), rendered from its plan
/// (experiment/slurm_plan.hpp): the cell list, the array and merge job scripts, the sbatch
/// command lines and the dry run's listing. Pure functions: no file, process or clock is touched.
///
/// The array script runs, in task k, `SELF run CONFIG [overrides] [--plugin P ...] --cell ID`
/// with ID on line k + 1 of the cell list, its output teed to `<cell_dir>/<ID>.log`, and records
/// a crash the cell could not record itself in `<ID>.failed`. The merge script runs `SELF merge
/// CONFIG [overrides] [--plugin P ...]`. Both cd into the submitting folder and set
/// HDF5_USE_FILE_LOCKING=FALSE. Every path and argument in them is single-quoted for bash.
#pragma once

#include <string>
#include <vector>

#include "framework/experiment/slurm_plan.hpp"

namespace reglab::experiment {

/// `text` single-quoted for bash (a quote inside becomes '\'').
std::string sh_quote(const std::string& text);

/// The cell list: the cell id of array task k on line k + 1.
std::string cell_list_text(const SubmissionPlan& plan);

/// The array job's script (`#SBATCH --array=0-(n-1)[%K]`).
std::string array_script_text(const SubmissionPlan& plan);

/// The merge job's script (one CPU, job name "<job name>-merge").
std::string merge_script_text(const SubmissionPlan& plan);

/// `sbatch --parsable [--partition=P] [--account=A] [--time=T] [--mem=M] ARRAY_SCRIPT`. The
/// user's options are given on the command line too, so that they win over sbatch's input
/// environment variables (SBATCH_PARTITION, ...), which win over #SBATCH lines.
std::vector<std::string> array_sbatch_argv(const SubmissionPlan& plan);

/// The merge job's sbatch command: as the array's, with `--dependency=afterany:<array_job>`
/// (afterany: failed cells must not block the merge) before the merge script.
std::vector<std::string> merge_sbatch_argv(const SubmissionPlan& plan,
                                           const std::string& array_job);

/// What `--dry-run` prints: the cell list, both scripts and the two sbatch commands.
std::string dry_run_text(const SubmissionPlan& plan);

/// The arguments of `reglab status` for this sweep: the configuration as the user gave it, then
/// the overrides and plugins quoted.
std::string status_arguments(const SubmissionPlan& plan);

}  // namespace reglab::experiment
