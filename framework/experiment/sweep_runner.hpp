/// Running and merging sweeps (experiment/sweep.hpp).
///
/// `run_sweep` runs every cell whose file is missing from the sweep's cell folder (in parallel,
/// one child process per cell: experiment/executor.hpp), records failed cells in
/// `<cell_dir>/<id>.failed` without stopping the others, and merges the cell files into the
/// sweep file. Rerunning the same command after an interruption runs only what is missing and
/// ends with the same sweep file. The cell folder holds a `sweep.yaml` manifest; a different
/// configuration for the same folder is refused with what differs, never mixed.
///
/// The merged file (storage/results.hpp, kind "sweep") holds /runs/<cell_id>/ for every finished
/// cell and /summary, one row per cell:
///   cell_id, name, one column per varying key path (float64 when every value is a number, else
///   text), seed, status (complete | diverged | failed | missing), message, epochs,
///   final_{train,validation,test}_{loss,accuracy}, best_epoch (the epoch of best validation
///   accuracy; the last epoch when there is no validation split),
///   best_{train,validation,test}_{loss,accuracy} (at best_epoch), gap_final and gap_best
///   (train minus test accuracy at the end and at best_epoch), seconds (training wall time).
/// Missing values are NaN.
///
/// The cell folder's files, manifest and lock: experiment/cell_folder.hpp; the /summary rows:
/// experiment/sweep_summary.hpp; `reglab status`: experiment/sweep_status.hpp.
#pragma once

#include <string>
#include <vector>

#include "framework/experiment/runner.hpp"
#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// Runs the missing cells of `sweep`, then merges. Returns 0 if every cell completed, 3 if some
/// diverged, 4 if some failed, 130 if interrupted (nothing merged; rerun to resume).
int run_sweep(const Sweep& sweep, const RunOptions& options);

/// What `run_sweep` does before running cells, for other launchers (experiment/slurm.hpp):
/// refuses a cell folder made by a different configuration (with what differs) and an existing
/// merged file of another sweep, then, with `create`, creates the cell folder and its manifest.
void prepare_cell_folder(const Sweep& sweep, bool create);

/// Merges the cell files present into the sweep file (replacing an earlier merge of the same
/// sweep; streaming and incremental: experiment/sweep_merge.hpp). Returns the number of cells
/// not complete (failed, diverged or missing).
std::size_t merge_sweep(const Sweep& sweep, bool quiet);

/// `reglab merge`: merges, prints the arm table and every cell that failed (with its error) or is
/// missing. Returns 0 if all cells completed, 3 if some diverged, 4 if some failed or are missing.
int merge_and_report(const Sweep& sweep);

/// Prints `reglab report`'s compact per-arm table of a sweep file (arms: cells that differ only in
/// seed; n, final test accuracy and gap with 95% CIs, the difference from the baseline arm).
void print_arm_table(const std::string& sweep_file);

}  // namespace reglab::experiment
