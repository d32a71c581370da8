/// Merging a sweep's cell files into its merged file (the file's layout:
/// experiment/sweep_runner.hpp, which declares merge_sweep, merge_and_report and print_arm_table;
/// they live in sweep_merge.cpp).
///
/// Streaming: the merged file is written run by run (storage/results_writer.hpp): a cell file is
/// read, its run copied in and dropped, so memory holds one run and the /summary rows, not every
/// cell.
///
/// Incremental: when the sweep file exists and is this sweep's merged file (kind "sweep", the
/// same sweep_id and root attributes, this format_version), the merge starts from a kernel copy
/// of it and only reads and adds the cells not in it yet; the runs already in it are neither read
/// nor rewritten, and their /summary rows are taken from its /summary. Otherwise (or if it cannot
/// be read) the file is written anew. Either way the result has the same content as a merge
/// written anew (created_utc is the time of the merge; /runs lists the cells in sweep order),
/// and it replaces the old file only by a rename at the end, so a merge killed at any point
/// leaves the previous merged file as it was.
///
/// Runs already merged whose cell file changed: cell files are write-once (a cell never runs
/// again once its file exists), so this only happens if someone deletes or replaces a cell file.
/// A run whose cell file is gone is dropped (the cell is failed or missing again); a run whose
/// cell file is not older than the merged file (its mtime) is read and copied again; the others
/// are kept as merged.
#pragma once

#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"

namespace reglab::experiment {

/// run_sweep's end: merges (merge_sweep), prints the arm table and returns run_sweep's exit code:
/// 4 if some cells failed, else 3 if some diverged, else 0.
int merge_after_run(const Sweep& sweep, bool quiet);

}  // namespace reglab::experiment
