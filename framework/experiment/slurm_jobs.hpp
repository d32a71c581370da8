/// Slurm's side of a submission (experiment/slurm.hpp): the sbatch and squeue calls, the
/// submission's files, and the record of every submission in `<cell_dir>/slurm/submissions.tsv`.
///
/// submissions.tsv: "#" comment lines, a header line, then one line per cell and submission,
/// tab-separated: submitted_utc, array_job, merge_job ("-" if its submission failed), cell_id,
/// task ("<array job>_<k>": the cell ran in task k of that array), cell_list (the cell list's file
/// name).
/// A cell's last line is its latest submission. Only the submitting process appends to it.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "framework/experiment/slurm_plan.hpp"

namespace reglab::experiment {

/// `<cell_dir>/slurm/submissions.tsv`.
std::string submissions_path(const std::string& cell_dir);

/// Per cell id, every task it was submitted as, oldest first; empty if there is no file.
TaskHistory read_submissions(const std::string& tsv);

/// The array tasks ("<job>_<task>") of `array_jobs` that Slurm still has pending or running, as
/// `squeue` lists them. Empty if squeue is not there or fails (e.g. the jobs are long gone).
std::set<std::string> queued_tasks(const std::set<std::string>& array_jobs);

/// "<time>" for this submission's files in `slurm_dir`: the UTC time, with "-2", "-3", ... added
/// while a cell list of that name exists.
std::string free_stamp(const std::string& slurm_dir);

/// MaxArraySize as `scontrol show config` reports it; 0 if scontrol is missing, fails or does
/// not say.
long cluster_max_array_size();

/// The outcome of submitting a plan.
struct SubmittedJobs {
  std::vector<std::string> array_jobs;  ///< of the plan's first arrays.size() arrays, in order
  std::string array_error;              ///< why the next array was not submitted; empty if all were
  std::string merge_job = "-";          ///< "-" if the merge job could not be submitted
  std::string merge_error;              ///< why; empty if it was submitted
};

/// Writes the cell list and both scripts, submits the arrays in order and then the merge job
/// after all of them, and appends the submitted cells to submissions.tsv. If the first array
/// cannot be submitted, the three files are removed and reglab::Error says what sbatch said. If a
/// later array cannot be submitted, the arrays before it are kept, the merge job is submitted
/// after them and the error is returned in `array_error` (a resubmission runs the rest); a failed
/// merge submission is returned too (the arrays run regardless). Throws StorageError if a file
/// cannot be written.
SubmittedJobs submit_and_record(const SubmissionPlan& plan);

}  // namespace reglab::experiment
