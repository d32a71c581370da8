/// Merging cell files into the sweep file, streaming and incremental, and `reglab merge`
/// (experiment/sweep_merge.hpp).
#include "framework/experiment/sweep_merge.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/build_info.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/cell_folder.hpp"
#include "framework/experiment/report.hpp"
#include "framework/experiment/sweep_summary.hpp"
#include "framework/storage/results.hpp"
#include "framework/storage/results_writer.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// What the sweep file holds from an earlier merge of this sweep that a merge can extend.
struct PreviousMerge {
  bool usable = false;
  struct timespec mtime {};
  std::map<std::string, CellSummary> rows;  ///< its /summary rows of merged cells, by cell id

  /// Whether the run of `cell_mtime`'s cell, merged before, can stay as it is.
  bool keeps(const std::string& id, const struct timespec& cell_mtime) const {
    const bool older = cell_mtime.tv_sec < mtime.tv_sec ||
                       (cell_mtime.tv_sec == mtime.tv_sec && cell_mtime.tv_nsec < mtime.tv_nsec);
    return usable && older && rows.count(id) != 0;
  }
};

/// The outcome of a merge: the counts and every cell's summary row, in sweep order.
struct MergeCounts {
  std::size_t merged = 0, diverged = 0, not_complete = 0;
  std::vector<CellSummary> rows;
};

/// The root of the merged file: provenance and the sweep's identity.
storage::ResultsFile merged_header(const Sweep& sweep) {
  storage::ResultsFile file;
  file.reglab_version = reglab_version();
  file.created_utc = utc_now();
  file.config_yaml = sweep.config_yaml;
  file.attributes = {
      {"sweep_id", sweep.sweep_id}, {"sweep_name", sweep.name}, {"cell_folder", sweep.cell_dir}};
  return file;
}

bool same_attribute_names(const storage::ResultsFile& a, const storage::ResultsFile& b) {
  if (a.attributes.size() != b.attributes.size()) return false;
  for (std::size_t i = 0; i < a.attributes.size(); ++i) {
    if (a.attributes[i].first != b.attributes[i].first) return false;
  }
  return true;
}

/// The sweep file, if it is a merge of this sweep that `header` can extend (runs not read).
PreviousMerge previous_merge(const Sweep& sweep, const storage::ResultsFile& header) {
  PreviousMerge previous;
  struct stat info {};
  if (::stat(sweep.output.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return previous;
  try {
    storage::ReadOptions options;
    options.runs = false;
    const storage::ResultsFile old = storage::read_results(sweep.output, options);
    previous.usable = old.kind() == "sweep" && same_attribute_names(old, header) &&
                      old.attributes.front().second == sweep.sweep_id;
    for (auto& [id, row] : rows_by_cell(old.summary)) {
      if (row.status == "complete" || row.status == "diverged") previous.rows.emplace(id, row);
    }
  } catch (const Error&) {
    previous.usable = false;  // unreadable: written anew
  }
  previous.mtime = info.st_mtim;
  return previous;
}

/// The cell's summary row; copies its run (named) into `writer` unless the run there is kept.
/// Sets `merged` if the cell's run is in the file.
CellSummary merge_cell(const Sweep& sweep, const Cell& cell, const PreviousMerge& previous,
                       storage::ResultsWriter& writer, bool& merged) {
  struct stat info {};
  merged = ::stat(cell.output.c_str(), &info) == 0;
  if (!merged) {
    if (fs::exists(failed_path(sweep, cell))) {
      return placeholder_summary("failed", read_failure(sweep, cell));
    }
    return placeholder_summary("missing", "");
  }
  if (previous.keeps(cell.id, info.st_mtim) && writer.has_run(cell.id)) {
    return previous.rows.at(cell.id);
  }
  storage::ResultsFile cf = storage::read_results(cell.output);
  if (cf.runs.size() != 1 || cf.runs.front().run_id != cell.id) {
    throw StorageError(cell.output + ": does not hold cell " + cell.id);
  }
  cf.runs.front().attributes.emplace_back("cell_name", cell.name);
  writer.add_run(cf.runs.front());
  return summarize_run(cf.runs.front());
}

/// Merges the cell files present into the sweep file (see sweep_merge.hpp).
MergeCounts merge_cells(const Sweep& sweep, bool quiet) {
  // A merge killed earlier left its temporary copy of the merged file (we hold the sweep lock).
  const fs::path output(sweep.output);
  remove_stale_temporaries(output.has_parent_path() ? output.parent_path().string() : ".",
                           output.filename().string() + ".tmp.");
  const storage::ResultsFile header = merged_header(sweep);
  const PreviousMerge previous = previous_merge(sweep, header);
  storage::ResultsWriter writer =
      previous.usable ? storage::ResultsWriter::extend(sweep.output, header)
                      : storage::ResultsWriter::create(sweep.output, header, "sweep", true);
  MergeCounts counts;
  std::vector<CellSummary>& rows = counts.rows;
  std::vector<std::string> merged_ids;
  for (const Cell& cell : sweep.cells) {
    bool merged = false;
    rows.push_back(merge_cell(sweep, cell, previous, writer, merged));
    if (merged) merged_ids.push_back(cell.id);
    counts.not_complete += rows.back().status != "complete" ? 1 : 0;
    counts.diverged += rows.back().status == "diverged" ? 1 : 0;
  }
  writer.set_run_order(merged_ids);
  writer.write_summary(summary_table(sweep, rows));
  writer.commit();
  counts.merged = merged_ids.size();
  if (!quiet) {
    std::printf("%s: merged %zu of %zu cells into %s\n", sweep.name.c_str(), counts.merged,
                sweep.cells.size(), sweep.output.c_str());
  }
  return counts;
}

/// merge_and_report's listing, from the merge's rows: every failed (with its error) and missing
/// cell, then the counts. Returns its exit code.
int report_cells(const Sweep& sweep, const std::vector<CellSummary>& rows) {
  std::size_t failed = 0, missing = 0, diverged = 0;
  for (std::size_t i = 0; i < sweep.cells.size(); ++i) {
    const Cell& cell = sweep.cells[i];
    if (rows[i].status == "diverged") {
      ++diverged;
    } else if (rows[i].status == "failed") {
      ++failed;
      std::string message = rows[i].message;
      while (!message.empty() && message.back() == '\n') message.pop_back();
      std::printf("FAILED  %s  %s: %s\n", cell.id.c_str(), cell.name.c_str(), message.c_str());
    } else if (rows[i].status == "missing") {
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

int merge_after_run(const Sweep& sweep, bool quiet) {
  const MergeCounts counts = merge_cells(sweep, quiet);
  std::size_t failed = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(failed_path(sweep, cell)) && !fs::exists(cell.output)) ++failed;
  }
  print_arm_table(sweep.output);
  if (failed > 0) {
    std::fprintf(stderr, "%s: %zu cells failed (see %s/<cell_id>.log); rerun to retry them\n",
                 sweep.name.c_str(), failed, sweep.cell_dir.c_str());
    return code(Exit::kCellsFailed);
  }
  return counts.diverged > 0 ? 3 : 0;
}

std::size_t merge_sweep(const Sweep& sweep, bool quiet) {
  return merge_cells(sweep, quiet).not_complete;
}

int merge_and_report(const Sweep& sweep) {
  if (!fs::exists(sweep.cell_dir)) {
    throw StorageError(sweep.cell_dir + ": no cell folder; nothing of this sweep has run yet");
  }
  check_manifest(sweep);
  check_output_file(sweep, false);
  const SweepLock lock(sweep.cell_dir);
  const MergeCounts counts = merge_cells(sweep, false);
  print_arm_table(sweep.output);
  return report_cells(sweep, counts.rows);
}

void print_arm_table(const std::string& sweep_file) {
  // The same per-arm statistics as `reglab report` (experiment/report.hpp), in its compact view;
  // the report reads curves and /summary, never weights.
  ReportOptions options;
  options.results_path = sweep_file;
  storage::ReadOptions without_weights;
  without_weights.weights = false;
  try {
    const Report report = build_report(storage::read_results(sweep_file, without_weights), options);
    std::ostringstream out;
    write_compact(out, report, {"final_test_accuracy", "gap_final"}, report_width(0));
    std::printf("\n%s", out.str().c_str());
  } catch (const Error& e) {
    std::printf("\nno per-arm table: %s\n", e.what());
  }
}

}  // namespace reglab::experiment
