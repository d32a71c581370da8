/// `reglab cells FILE...`: runs sweep cells from their cell files (experiment/cell_file.hpp), one
/// after another in this process. This is what a sweep's child processes and Slurm array tasks
/// run; several small cells share one process start, one plugin load and one data load.
///
/// For each cell, in order:
///   - its stdout and stderr go to `<cell_dir>/<id>.log` (truncated when the cell starts);
///   - a cell whose results file exists is skipped ("already complete");
///   - the configuration must plan to the cell's id (else the sweep, its plugins or reglab changed
///     since the cell file was written: an error, never a result under the wrong id);
///   - the run writes its own atomic results file, bitwise the same as when the cell runs alone;
///   - a failure writes `<cell_dir>/<id>.failed` with the error and stops the batch (the cells
///     after it have not run; the launcher runs them again).
/// Exit: 0 when every cell completed, 3 if some diverged, else the failing cell's exit code.
#pragma once

#include <string>
#include <vector>

namespace reglab::experiment {

/// Runs the cells of `files`; returns the exit code described above. `quiet` as `reglab run -q`.
int run_cell_files(const std::vector<std::string>& files, bool quiet);

}  // namespace reglab::experiment
