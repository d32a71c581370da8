/// Runs the cells of a sweep in parallel, each in its own child process.
///
/// Cells run in child processes, `SELF ARGS... CELL-ARGS...` (for a sweep: `reglab cells FILE`,
/// experiment/cell_runner.hpp), so a crash or an out-of-memory kill never takes the launcher
/// down, and each process runs on its own pool of `threads` (core/parallel.hpp). A child's stdout
/// and stderr go to its first cell's log. Up to `jobs` children run at once; cells start in the
/// order given.
///
/// Batches: with `cells_per_child` K > 1, one child runs up to K consecutive cells, receiving the
/// CELL-ARGS of each; it must write each cell's `result` file when the cell is done, run the cells
/// in order and stop at the first that fails (as `reglab cells` does). A cell counts as done when
/// its result file appears. When a batch child ends, its cells without a result file are: the
/// first, failed (with the child's exit code or signal, and its own log's tail, or the child's
/// first log when its own is empty); the rest, not run yet, go back to the front of the queue.
///
/// Progress: on a terminal, one redrawn line with cells done/total, the epoch of every running
/// cell (the last "epoch K/N" the cell printed to its log) and an ETA; otherwise a plain line
/// when each cell starts and ends.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace reglab::experiment {

/// One cell to run.
struct CellTask {
  std::string id;                 ///< the cell id
  std::string name;               ///< readable name for the progress display
  std::string log;                ///< path of the cell's log file
  std::vector<std::string> args;  ///< what the child receives for this cell
  std::string result;             ///< the file that exists once the cell is done (batches)
};

/// How a cell ended.
struct CellOutcome {
  std::string id;
  int exit_code = -1;    ///< the child's exit code; -1 if it was killed by a signal
  int signal = 0;        ///< the signal that killed it, or 0
  double seconds = 0.0;  ///< wall time of the child process
  std::string message;   ///< empty on exit 0; else the last non-empty lines of its log
};

struct ExecutorOptions {
  std::string self;                 ///< path of the reglab executable (e.g. /proc/self/exe)
  std::vector<std::string> args;    ///< arguments before the cells' own, e.g. {"cells"}
  std::size_t jobs = 1;             ///< children at once, >= 1
  std::size_t cells_per_child = 1;  ///< cells one child runs one after another, >= 1
  bool interactive = false;         ///< redrawn progress line (a terminal) or plain lines
  std::FILE* out = stderr;          ///< where progress goes
};

/// Runs every task and returns one outcome per task that ran, in the order of `tasks`. Never
/// throws for a failing cell (its outcome says so); throws reglab::Error if a child cannot be
/// started at all. On SIGINT, SIGTERM or SIGHUP the children are terminated, and the function
/// returns the outcomes so far (interrupted cells have signal != 0, cells not started have none);
/// `interrupted()` then returns true.
std::vector<CellOutcome> run_cells(const std::vector<CellTask>& tasks,
                                   const ExecutorOptions& options);

/// True after run_cells returned because of SIGINT or SIGTERM.
bool interrupted();

}  // namespace reglab::experiment
