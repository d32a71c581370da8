/// The /summary table of a merged sweep file: one row per cell, its columns listed in
/// experiment/sweep_runner.hpp. A cell's row comes from its run record (final and best-epoch
/// metrics, gaps, wall time), or is a placeholder for a cell that failed or is missing.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "framework/experiment/sweep.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {

/// The per-cell values of a /summary row (the factor columns and seed come from the Cell).
struct CellSummary {
  std::string status;   ///< complete | diverged | failed | missing
  std::string message;  ///< the run's status_message, or the failure
  std::int64_t epochs = 0;
  std::int64_t best_epoch = 0;       ///< 1-based; 0 when no epoch ran
  std::vector<double> final_values;  ///< {train, validation, test} x {loss, accuracy}
  std::vector<double> best_values;   ///< the same at best_epoch
  /// Train minus test accuracy at the end and at best_epoch; NaN if unknown.
  double gap_final = std::numeric_limits<double>::quiet_NaN();
  double gap_best = std::numeric_limits<double>::quiet_NaN();
  /// Training wall time; NaN if unknown.
  double seconds = std::numeric_limits<double>::quiet_NaN();
};

/// The row of a finished cell. best_epoch is the epoch of best validation accuracy (the first if
/// tied; epochs not evaluated, NaN under train.eval_every, are skipped), the last epoch without
/// a validation split. Missing curves give NaN.
CellSummary summarize_run(const storage::RunRecord& run);

/// The row of a cell without results (status "failed" or "missing"): every metric NaN.
CellSummary placeholder_summary(const std::string& status, const std::string& message);

/// The /summary table: one row per cell of `sweep`, `rows` in the same order. A factor is a
/// float64 column when every cell's value is a number, else text; a factor named like a fixed
/// column (cell_id, name, seed, status, message, epochs) is prefixed with "grid.". The seed
/// factor has no column of its own (the seed column holds it).
storage::Table summary_table(const Sweep& sweep, const std::vector<CellSummary>& rows);

/// The rows of a /summary written by summary_table, by cell_id: exactly the values they were
/// written from (an incremental merge keeps the rows of the cells it does not read again). Empty
/// if a column is missing or of another type.
std::map<std::string, CellSummary> rows_by_cell(const storage::Table& summary);

}  // namespace reglab::experiment
