/// `reglab slurm submit`: runs a sweep's missing cells as Slurm job arrays, then merges them in a
/// job that depends on the arrays (docs/cluster.md).
///
///   reglab slurm submit SWEEP.yaml [key=value ...] [--partition P] [--account A]
///       [--max-parallel K] [--time T] [--mem M] [--cpus-per-task C] [--cells-per-task K]
///       [--max-array-size N] [--dry-run]
///
/// Expands the sweep, checks and creates its cell folder and manifest as `reglab run` does
/// (a different configuration on the same output is refused), and lists the missing cells: no
/// cell file (failed cells count as missing and are retried; cells still pending or running in
/// an earlier submission, asked of `squeue`, are left to it). It writes each missing cell's cell
/// file (`<cell_dir>/<id>.yaml`, experiment/cell_file.hpp) and under `<cell_dir>/slurm/`
///   cells-<UTC time>.txt   line k + 1 = the cell ids of task k (--cells-per-task of them)
///   array-<UTC time>.sh    an array task cds into the submission's working folder and runs
///                          `reglab cells --keep-going` on its cells' files with the absolute
///                          path of this reglab binary
///   merge-<UTC time>.sh    `reglab merge SWEEP.yaml [overrides]`
/// and submits them with `sbatch --parsable`: the tasks in arrays of at most MaxArraySize tasks
/// (--max-array-size, else `scontrol show config`, else Slurm's default 1001): one array is
/// `--array=0-(n-1)%K` in the script; several arrays get their range and their first line's
/// offset on sbatch's command line (`sbatch --array=0-(n-1)%K ARRAY_SCRIPT OFFSET`). Job name
/// `reglab-<sweep name>`, output `<cell_dir>/slurm/%A_%a.out`. Then the merge job with
/// `--dependency=afterany:J1[:J2...]` (afterany: failed cells must not block the merge). Each
/// submission is appended to `<cell_dir>/slurm/submissions.tsv`, one line per cell (time, array
/// job, merge job, cell id, "<array job>_<task>", cell list), which `reglab status` shows.
///
/// With no missing cell nothing is submitted and the cells are merged at once (as `reglab
/// merge`). `--dry-run` prints the cell list, both scripts and every sbatch command, and writes
/// and submits nothing.
///
/// Shared file systems: every array task writes only the files of its own cells (`<id>.h5`,
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
