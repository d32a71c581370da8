/// `reglab status` for a sweep and for a results file (experiment/sweep_status.hpp).
#include "framework/experiment/sweep_status.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/cell_folder.hpp"
#include "framework/experiment/slurm_jobs.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

enum State { kComplete, kDiverged, kFailed, kMissing, kStates };
constexpr const char* kStateNames[kStates] = {"complete", "diverged", "failed", "missing"};

/// read_results without the weights, which status never shows.
storage::ResultsFile read_without_weights(const std::string& path) {
  storage::ReadOptions options;
  options.weights = false;
  return storage::read_results(path, options);
}

State cell_state(const Sweep& sweep, const Cell& cell) {
  if (fs::exists(cell.output)) {
    return read_without_weights(cell.output).runs.front().status == "complete" ? kComplete
                                                                               : kDiverged;
  }
  return fs::exists(failed_path(sweep, cell)) ? kFailed : kMissing;
}

/// Cell id -> "<array job>_<task>" of its latest Slurm submission; empty if never submitted.
std::map<std::string, std::string> latest_slurm_tasks(const Sweep& sweep) {
  std::map<std::string, std::string> latest;
  for (const auto& [id, tasks] : read_submissions(submissions_path(sweep.cell_dir))) {
    latest[id] = tasks.back();
  }
  return latest;
}

/// One line of the sweep table: with a slurm_job column if `jobs` is not empty.
void print_cell_line(const std::map<std::string, std::string>& jobs, const std::string& id,
                     const char* state, const std::string& name) {
  if (jobs.empty()) {
    std::printf("%-12s  %-9s  %s\n", id.c_str(), state, name.c_str());
    return;
  }
  const auto job = jobs.find(id);
  std::printf("%-12s  %-9s  %-12s  %s\n", id.c_str(), state,
              job == jobs.end() ? "-" : job->second.c_str(), name.c_str());
}

int print_run_file_status(const std::string& results_file, const storage::ResultsFile& f) {
  std::size_t complete = 0;
  for (const auto& run : f.runs) {
    std::printf("%-12s  %-9s  %s\n", run.run_id.c_str(), run.status.c_str(), run.name.c_str());
    complete += run.status == "complete" ? 1 : 0;
  }
  std::printf("%s: %zu runs, %zu complete\n", results_file.c_str(), f.runs.size(), complete);
  return 0;
}

const storage::Column* find_column(const storage::Table& t, const std::string& name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int print_sweep_file_status(const std::string& results_file, const storage::ResultsFile& f) {
  const storage::Column* ids = find_column(f.summary, "cell_id");
  const storage::Column* names = find_column(f.summary, "name");
  const storage::Column* states = find_column(f.summary, "status");
  if (ids == nullptr || names == nullptr || states == nullptr) {
    throw StorageError(results_file + ": /summary lacks cell_id, name or status");
  }
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < f.summary.rows(); ++i) {
    std::printf("%-12s  %-9s  %s\n", ids->str[i].c_str(), states->str[i].c_str(),
                names->str[i].c_str());
    ++counts[states->str[i]];
  }
  std::string line;
  for (const auto& [state, n] : counts) line += ", " + std::to_string(n) + " " + state;
  std::printf("%s: %zu cells%s\n", results_file.c_str(), f.summary.rows(), line.c_str());
  return 0;
}

}  // namespace

int print_sweep_status(const Sweep& sweep) {
  std::size_t counts[kStates] = {0, 0, 0, 0};
  const std::map<std::string, std::string> jobs = latest_slurm_tasks(sweep);
  if (jobs.empty()) {
    std::printf("%-12s  %-9s  %s\n", "cell", "state", "name");
  } else {
    std::printf("%-12s  %-9s  %-12s  %s\n", "cell", "state", "slurm_job", "name");
  }
  for (const Cell& cell : sweep.cells) {
    const State state = cell_state(sweep, cell);
    ++counts[state];
    print_cell_line(jobs, cell.id, kStateNames[state], cell.name);
  }
  std::printf("%s: %zu cells: %zu complete, %zu diverged, %zu failed, %zu missing\n",
              sweep.name.c_str(), sweep.cells.size(), counts[kComplete], counts[kDiverged],
              counts[kFailed], counts[kMissing]);
  return 0;
}

int print_file_status(const std::string& results_file) {
  storage::ReadOptions root_only;  // a sweep file's /summary has every cell's state
  root_only.runs = false;
  const storage::ResultsFile f = storage::read_results(results_file, root_only);
  std::printf("%-12s  %-9s  %s\n", "cell", "state", "name");
  if (f.kind() == "run")
    return print_run_file_status(results_file, read_without_weights(results_file));
  return print_sweep_file_status(results_file, f);
}

}  // namespace reglab::experiment
