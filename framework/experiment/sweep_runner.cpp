/// Running a sweep's missing cells, merging the cell files into the sweep file, and `reglab
/// merge` (experiment/sweep_runner.hpp).
#include "framework/experiment/sweep_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "framework/core/build_info.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/cell_file.hpp"
#include "framework/experiment/cell_folder.hpp"
#include "framework/experiment/executor.hpp"
#include "framework/experiment/report.hpp"
#include "framework/experiment/sweep_summary.hpp"
#include "framework/storage/results.hpp"

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

/// Merges, prints the arm table and returns run_sweep's exit code.
int merge_after_run(const Sweep& sweep, bool quiet) {
  merge_sweep(sweep, quiet);
  std::size_t failed = 0, diverged = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(failed_path(sweep, cell)) && !fs::exists(cell.output)) ++failed;
  }
  const storage::ResultsFile merged = storage::read_results(sweep.output);
  for (const auto& run : merged.runs) diverged += run.status == "diverged" ? 1 : 0;
  print_arm_table(sweep.output);
  if (failed > 0) {
    std::fprintf(stderr, "%s: %zu cells failed (see %s/<cell_id>.log); rerun to retry them\n",
                 sweep.name.c_str(), failed, sweep.cell_dir.c_str());
    return code(Exit::kCellsFailed);
  }
  return diverged > 0 ? 3 : 0;
}

/// The cell's summary row, moving its run (named) into `file`; a placeholder if it has no file.
CellSummary merge_cell(const Sweep& sweep, const Cell& cell, storage::ResultsFile& file) {
  if (fs::exists(cell.output)) {
    storage::ResultsFile cf = storage::read_results(cell.output);
    if (cf.runs.size() != 1 || cf.runs.front().run_id != cell.id) {
      throw StorageError(cell.output + ": does not hold cell " + cell.id);
    }
    cf.runs.front().attributes.emplace_back("cell_name", cell.name);
    CellSummary row = summarize_run(cf.runs.front());
    file.runs.push_back(std::move(cf.runs.front()));
    return row;
  }
  if (fs::exists(failed_path(sweep, cell))) {
    return placeholder_summary("failed", read_failure(sweep, cell));
  }
  return placeholder_summary("missing", "");
}

/// merge_and_report's listing: every failed (with its error) and missing cell, then the counts.
/// Returns its exit code.
int report_cells(const Sweep& sweep) {
  std::size_t failed = 0, missing = 0, diverged = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(cell.output)) {
      diverged += storage::read_results(cell.output).runs.front().status == "diverged" ? 1 : 0;
    } else if (fs::exists(failed_path(sweep, cell))) {
      ++failed;
      std::string message = read_failure(sweep, cell);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      std::printf("FAILED  %s  %s: %s\n", cell.id.c_str(), cell.name.c_str(), message.c_str());
    } else {
      ++missing;
      std::printf("MISSING %s  %s\n", cell.id.c_str(), cell.name.c_str());
    }
  }
  std::printf("%s: %zu cells: %zu complete, %zu diverged, %zu failed, %zu missing\n",
              sweep.name.c_str(), sweep.cells.size(),
              sweep.cells.size() - failed - missing - diverged, diverged, failed, missing);
  if (failed + missing > 0) return code(Exit::kCellsFailed);
  return diverged > 0 ? 3 : 0;
}

}  // namespace

void prepare_cell_folder(const Sweep& sweep, bool create) {
  check_manifest(sweep);
  check_output_file(sweep, false);
  if (create) create_manifest(sweep);
}

std::size_t merge_sweep(const Sweep& sweep, bool quiet) {
  storage::ResultsFile file;
  file.reglab_version = reglab_version();
  file.created_utc = utc_now();
  file.config_yaml = sweep.config_yaml;
  file.attributes = {
      {"sweep_id", sweep.sweep_id}, {"sweep_name", sweep.name}, {"cell_folder", sweep.cell_dir}};
  std::vector<CellSummary> rows;
  std::size_t not_complete = 0;
  for (const Cell& cell : sweep.cells) {
    rows.push_back(merge_cell(sweep, cell, file));
    if (rows.back().status != "complete") ++not_complete;
  }
  file.summary = summary_table(sweep, rows);
  storage::write_results(sweep.output, file, true);
  if (!quiet) {
    std::printf("%s: merged %zu of %zu cells into %s\n", sweep.name.c_str(), file.runs.size(),
                sweep.cells.size(), sweep.output.c_str());
  }
  return not_complete;
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

int merge_and_report(const Sweep& sweep) {
  if (!fs::exists(sweep.cell_dir)) {
    throw StorageError(sweep.cell_dir + ": no cell folder; nothing of this sweep has run yet");
  }
  check_manifest(sweep);
  check_output_file(sweep, false);
  const SweepLock lock(sweep.cell_dir);
  merge_sweep(sweep, false);
  print_arm_table(sweep.output);
  return report_cells(sweep);
}

void print_arm_table(const std::string& sweep_file) {
  // The same per-arm statistics as `reglab report` (experiment/report.hpp), in its compact view.
  ReportOptions options;
  options.results_path = sweep_file;
  try {
    const Report report = build_report(storage::read_results(sweep_file), options);
    std::ostringstream out;
    write_compact(out, report, {"final_test_accuracy", "gap_final"}, report_width(0));
    std::printf("\n%s", out.str().c_str());
  } catch (const Error& e) {
    std::printf("\nno per-arm table: %s\n", e.what());
  }
}

}  // namespace reglab::experiment
