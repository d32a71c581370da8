/// Planning a `reglab slurm submit` (experiment/slurm.hpp): which cells to submit, how many
/// CPUs each task gets, and where the submission's files go. Pure functions of the sweep, the
/// user's options and what was found on disk and in Slurm's queue; the scripts are rendered from
/// the plan by experiment/slurm_scripts.hpp and submitted by experiment/slurm_jobs.hpp.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// The options of `reglab slurm submit`.
struct SubmitOptions {
  std::string config;                  ///< SWEEP.yaml as given
  std::vector<std::string> overrides;  ///< key.path=value, as given
  std::vector<std::string> plugins;    ///< --plugin PATH
  std::string partition, account, time, mem;
  long max_parallel = 0;   ///< 0 = no limit
  long cpus_per_task = 0;  ///< 0 = the largest `threads` of the cells to run
  long cells_per_task = 1;
  long max_array_size = 0;  ///< --max-array-size; 0 = ask `scontrol show config`
  bool dry_run = false;
};

/// Per cell id, every "<array job>_<task>" it was submitted as (submissions.tsv, oldest first).
using TaskHistory = std::map<std::string, std::vector<std::string>>;

/// What the cell folder holds of a cell.
enum class CellState { kNone, kComplete, kFailed };

/// The cells of a submission: the missing ones (no cell file; failed cells are retried), less
/// those an earlier submission still has pending or running.
struct CellSelection {
  std::size_t complete = 0;
  std::size_t missing = 0;
  std::size_t failed = 0;                 ///< missing cells with a `.failed` file
  std::vector<const Cell*> to_run;        ///< in sweep order
  std::vector<std::string> still_queued;  ///< "<array job>_<task>" of missing cells left to Slurm
};

/// The array jobs that earlier submissions of the missing cells ran in: the jobs to ask squeue
/// about. `files` holds one entry per cell of `cells`.
std::set<std::string> earlier_array_jobs(const std::vector<Cell>& cells,
                                         const std::vector<CellState>& files,
                                         const TaskHistory& history);

/// Splits the missing cells into those to run and those whose latest queued task
/// ("<job>_<task>" in `queued`) is left to run them.
CellSelection select_cells(const std::vector<Cell>& cells, const std::vector<CellState>& files,
                           const TaskHistory& history, const std::set<std::string>& queued);

/// CPUs per array task: `requested` if not 0, else the largest `threads` of the cells (1 if
/// none sets it).
long cpus_per_task(long requested, const std::vector<const Cell*>& cells);

/// A Slurm job name from the sweep name: "reglab-" and the name with characters other than
/// [A-Za-z0-9._-] replaced by '_'.
std::string job_name(const std::string& sweep_name);

/// `path` made absolute against `cwd` and normalised.
std::filesystem::path absolute_in(const std::filesystem::path& cwd,
                                  const std::filesystem::path& path);

/// Where a submission's scripts, cell lists, logs and submissions.tsv go: `<cell_dir>/slurm`.
std::filesystem::path slurm_folder(const std::filesystem::path& cwd, const Sweep& sweep);

/// Slurm's MaxArraySize when the cluster does not say (task ids 0 .. 1000).
constexpr long kDefaultMaxArraySize = 1001;

/// MaxArraySize from the output of `scontrol show config` (the line "MaxArraySize = N"); 0 if
/// there is no such line or N is not a positive number.
long parse_max_array_size(const std::string& scontrol_output);

/// The cell ids in order, `per_task` (>= 1) to a task; the last task may hold fewer.
std::vector<std::vector<std::string>> group_cells(const std::vector<std::string>& ids,
                                                  std::size_t per_task);

/// One array job of a submission: its task k runs line offset + k + 1 of the cell list.
struct ArrayPart {
  std::size_t offset = 0;  ///< tasks of the arrays before this one
  std::size_t count = 0;   ///< its tasks: ids 0 .. count - 1
};

/// `tasks` (>= 1) split, in order, into arrays of at most `max_array_size` (>= 1) tasks: Slurm
/// allows task ids 0 .. MaxArraySize - 1.
std::vector<ArrayPart> split_arrays(std::size_t tasks, long max_array_size);

/// Facts of the submitting process and its cluster that the plan records.
struct SubmitContext {
  std::filesystem::path cwd;   ///< the folder every job cds into
  std::filesystem::path self;  ///< the reglab binary the jobs run
  std::string stamp;           ///< names this submission's files (UTC time, unique)
  std::string now_utc;         ///< the submission time written into the array script
  long max_array_size = kDefaultMaxArraySize;  ///< the cluster's MaxArraySize
};

/// Everything the scripts and the sbatch calls of one submission need.
struct SubmissionPlan {
  std::string sweep_name, sweep_id;
  std::size_t sweep_cells = 0;                  ///< cells in the sweep
  std::vector<std::string> cell_ids;            ///< the cells to run, in order; not empty
  std::vector<std::vector<std::string>> tasks;  ///< line k + 1 of the cell list: its cells
  std::vector<ArrayPart> arrays;                ///< the array jobs running `tasks`, in order
  std::string job_name;                         ///< the array's; the merge job's adds "-merge"
  long cpus = 1;                                ///< per array task
  long max_parallel = 0;                        ///< each array's %K; 0 = no limit
  std::string partition, account, time, mem;    ///< empty = not given
  std::string config_as_given;                  ///< SWEEP.yaml as the user wrote it
  std::vector<std::string> overrides;           ///< passed on to every task and the merge
  std::vector<std::string> plugins;             ///< --plugin paths passed on (absolute)
  std::filesystem::path cwd, self, config, cell_dir, slurm_dir;  ///< absolute
  std::filesystem::path cell_list, array_script, merge_script;   ///< in slurm_dir
  std::string written_utc;
};

/// The plan to run `to_run` (not empty) with `cpus` CPUs per task, `options.cells_per_task` cells
/// to a task, in as many arrays as the context's MaxArraySize needs.
SubmissionPlan plan_submission(const Sweep& sweep, const SubmitOptions& options,
                               const std::vector<const Cell*>& to_run, long cpus,
                               const SubmitContext& context);

}  // namespace reglab::experiment
