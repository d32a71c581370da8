/// Runs the cells of a sweep in parallel, each in its own child process.
///
/// Each cell runs as `SELF ARGS... --cell ID` (the same reglab binary, re-invoked on the same
/// sweep configuration), so a crash or an out-of-memory kill in one cell never takes the others
/// down, and each process runs on its own pool of `threads` (core/parallel.hpp). A cell's stdout
/// and stderr go to `<cell_dir>/<id>.log`. Up to `jobs` children run at once; cells start in the
/// order given.
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
  std::string id;    ///< the cell id, passed as --cell ID
  std::string name;  ///< readable name for the progress display
  std::string log;   ///< path of the log file (created or truncated)
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
  std::string self;               ///< path of the reglab executable (e.g. /proc/self/exe)
  std::vector<std::string> args;  ///< arguments before --cell, e.g. {"run", "sweep.yaml", "k=v"}
  std::size_t jobs = 1;           ///< children at once, >= 1
  bool interactive = false;       ///< redrawn progress line (a terminal) or plain lines
  std::FILE* out = stderr;        ///< where progress goes
};

/// Runs every task and returns one outcome per task, in the order of `tasks`. Never throws for a
/// failing cell (its outcome says so); throws reglab::Error if a child cannot be started at all.
/// On SIGINT, SIGTERM or SIGHUP the children are terminated, and the function returns the outcomes
/// so far (interrupted cells have signal != 0); `interrupted()` then returns true.
std::vector<CellOutcome> run_cells(const std::vector<CellTask>& tasks,
                                   const ExecutorOptions& options);

/// True after run_cells returned because of SIGINT or SIGTERM.
bool interrupted();

}  // namespace reglab::experiment
