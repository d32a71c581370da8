/// `reglab slurm submit`: runs a sweep's missing cells as a Slurm job array, then merges them in a
/// job that depends on the array (docs/cluster.md).
///
///   reglab slurm submit SWEEP.yaml [key=value ...] [--partition P] [--account A]
///       [--max-parallel K] [--time T] [--mem M] [--cpus-per-task C] [--dry-run]
///
/// Expands the sweep, checks and creates its cell folder and manifest as `reglab run` does
/// (a different configuration on the same output is refused), and lists the missing cells: no
/// cell file (failed cells count as missing and are retried; cells still pending or running in
/// an earlier submission, asked of `squeue`, are left to it). Under `<cell_dir>/slurm/` it writes
///   cells-<UTC time>.txt   line k + 1 = the cell id of array task k
///   array-<UTC time>.sh    the array: task k cds into the submission's working folder and runs
///                          `reglab run SWEEP.yaml [overrides] --cell <line k + 1>` with the
///                          absolute paths of this reglab binary and of the sweep file
///   merge-<UTC time>.sh    `reglab merge SWEEP.yaml [overrides]`
/// and submits them with `sbatch --parsable`: the array (`--array=0-(n-1)%K`, job name
/// `reglab-<sweep name>`, output `<cell_dir>/slurm/%A_%a.out`), then the merge job with
/// `--dependency=afterany:<array job>` (afterany: failed cells must not block the merge). Each
/// submission is appended to `<cell_dir>/slurm/submissions.tsv`, one line per cell (time, array
/// job, merge job, cell id, "<array job>_<task>", cell list), which `reglab status` shows.
///
/// With no missing cell nothing is submitted and the cells are merged at once (as `reglab
/// merge`). `--dry-run` prints the cell list and both scripts, and writes and submits nothing.
///
/// Shared file systems: every array task writes only the files of its own cell (`<id>.h5`,
/// `<id>.failed`, `<id>.log`), each cell file through a temporary file and rename, so a task the
/// scheduler kills leaves no torn file and a resubmission completes it. Published files are never
/// modified, so no HDF5 file locking is needed; the scripts set HDF5_USE_FILE_LOCKING=FALSE so
/// that file systems without flock work too.
#pragma once

#include <string>
#include <vector>

namespace reglab::experiment {

/// `reglab slurm ...` (the arguments after "slurm"). Returns 0 when the jobs were submitted (or
/// nothing was missing and the merge reported every cell complete), else the merge's exit code.
/// Throws UsageError on bad usage, reglab::Error when sbatch fails.
int slurm_command(const std::vector<std::string>& args);

}  // namespace reglab::experiment
