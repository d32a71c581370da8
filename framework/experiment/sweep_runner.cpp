/// Running a sweep's missing cells (experiment/sweep_runner.hpp); merging them into the sweep
/// file and `reglab merge` live in experiment/sweep_merge.cpp.
#include "framework/experiment/sweep_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "framework/core/error.hpp"
#include "framework/experiment/cell_file.hpp"
#include "framework/experiment/cell_folder.hpp"
#include "framework/experiment/executor.hpp"
#include "framework/experiment/sweep_merge.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// The cells without a results file, in sweep order.
std::vector<const Cell*> missing_cells(const Sweep& sweep) {
  std::vector<const Cell*> cells;
  for (const Cell& cell : sweep.cells) {
    if (!fs::exists(cell.output)) cells.push_back(&cell);
  }
  return cells;
}

/// Each missing cell runs from its cell file (experiment/cell_file.hpp).
std::vector<CellTask> cell_tasks(const Sweep& sweep, const std::vector<const Cell*>& cells) {
  std::vector<CellTask> tasks;
  for (const Cell* cell : cells) {
    tasks.push_back({cell->id,
                     cell->name,
                     log_path(sweep, *cell),
                     {cell_file_path(sweep, *cell)},
                     cell->output});
  }
  return tasks;
}

/// Cells at once: the requested number (0 = the number of cores), between 1 and the cells to run.
std::size_t parallel_cells(std::size_t requested, std::size_t cells) {
  const std::size_t jobs = requested != 0 ? requested : std::thread::hardware_concurrency();
  return std::max<std::size_t>(1, std::min(jobs, std::max<std::size_t>(1, cells)));
}

/// Cells per child process: the requested number, or (0) enough to give each of the `jobs`
/// workers about kBatchesPerJob batches, at most kMaxAutoBatch cells each. Small sweeps get one
/// cell per process, as before; large ones share process starts and data loads.
std::size_t cells_per_child(std::size_t requested, std::size_t cells, std::size_t jobs) {
  constexpr std::size_t kBatchesPerJob = 4;
  constexpr std::size_t kMaxAutoBatch = 64;
  if (requested != 0) return requested;
  const std::size_t batches = jobs * kBatchesPerJob;
  return std::clamp<std::size_t>((cells + batches - 1) / batches, 1, kMaxAutoBatch);
}

/// Each batch of cells runs as `reglab cells FILE...` (experiment/cell_runner.hpp).
ExecutorOptions executor_options(const RunOptions& options, std::size_t jobs, std::size_t cells) {
  ExecutorOptions ex;
  ex.self = "/proc/self/exe";
  ex.args = {"cells"};
  ex.jobs = jobs;
  ex.cells_per_child = cells_per_child(options.cells_per_child, cells, jobs);
  ex.interactive = isatty(fileno(stderr)) != 0;
  return ex;
}

const Cell* find_cell(const Sweep& sweep, const std::string& id) {
  const Cell* found = nullptr;
  for (const auto& c : sweep.cells) {
    if (c.id == id) found = &c;
  }
  return found;
}

/// A cell with a cell file loses an old `.failed` file; one without gets one with its error,
/// unless an interruption killed it (it is then simply missing).
void record_outcomes(const Sweep& sweep, const std::vector<CellOutcome>& outcomes) {
  for (const CellOutcome& o : outcomes) {
    const Cell* cell = find_cell(sweep, o.id);
    if (cell == nullptr) continue;
    if (fs::exists(cell->output)) {
      fs::remove(failed_path(sweep, *cell));
    } else if (!(interrupted() && o.signal != 0)) {
      write_failure(sweep, *cell,
                    o.message.empty() ? "exit code " + std::to_string(o.exit_code) : o.message);
    }
  }
}

int report_interrupted(const Sweep& sweep) {
  std::size_t done = 0;
  for (const auto& c : sweep.cells) done += fs::exists(c.output) ? 1 : 0;
  std::fprintf(stderr,
               "%s: interrupted with %zu of %zu cells complete; rerun the same command to "
               "resume\n",
               sweep.name.c_str(), done, sweep.cells.size());
  return code(Exit::kInterrupted);
}

/// Runs `cells` and records their outcomes. Returns false if interrupted.
bool run_missing_cells(const Sweep& sweep, const RunOptions& options,
                       const std::vector<const Cell*>& cells, std::size_t jobs) {
  if (cells.empty()) return true;
  write_cell_files(sweep, cells);
  record_outcomes(
      sweep, run_cells(cell_tasks(sweep, cells), executor_options(options, jobs, cells.size())));
  return !interrupted();
}

}  // namespace

void prepare_cell_folder(const Sweep& sweep, bool create) {
  check_manifest(sweep);
  check_output_file(sweep, false);
  if (create) create_manifest(sweep);
}

int run_sweep(const Sweep& sweep, const RunOptions& options) {
  check_manifest(sweep);
  check_output_file(sweep, options.overwrite);
  const SweepLock lock(sweep.cell_dir);
  remove_stale_temporaries(sweep.cell_dir);
  create_manifest(sweep);
  const std::vector<const Cell*> tasks = missing_cells(sweep);
  const std::size_t jobs = parallel_cells(options.jobs, tasks.size());
  std::fprintf(stderr, "%s: %zu cells (%zu complete, %zu to run, %zu at a time); cells in %s\n",
               sweep.name.c_str(), sweep.cells.size(), sweep.cells.size() - tasks.size(),
               tasks.size(), jobs, sweep.cell_dir.c_str());
  if (!run_missing_cells(sweep, options, tasks, jobs)) return report_interrupted(sweep);
  return merge_after_run(sweep, options.quiet);
}

}  // namespace reglab::experiment
