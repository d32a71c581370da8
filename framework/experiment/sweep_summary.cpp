/// A merged sweep file's /summary table (experiment/sweep_summary.hpp).
#include "framework/experiment/sweep_summary.hpp"

#include <cmath>
#include <limits>

namespace reglab::experiment {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kSplits[] = {"train", "validation", "test"};
constexpr const char* kMetrics[] = {"loss", "accuracy"};
/// Summary columns that are not factors (the metric columns all contain '_').
constexpr const char* kFixedColumns[] = {"cell_id", "name", "seed", "status", "message", "epochs"};

const std::vector<double>* curve(const storage::RunRecord& r, const std::string& name) {
  for (const auto& c : r.curves) {
    if (c.first == name) return &c.second;
  }
  return nullptr;
}

double at(const std::vector<double>* c, std::size_t i) {
  return c != nullptr && i < c->size() ? (*c)[i] : kNaN;
}

/// The 0-based epoch of best validation accuracy (the first if tied; epochs without an
/// evaluation skipped); the last of `n` epochs without a validation curve. 0 when n is 0.
std::size_t best_epoch_index(const storage::RunRecord& r, std::size_t n) {
  std::size_t best = n == 0 ? 0 : n - 1;
  const auto* val = curve(r, "validation_accuracy");
  if (val == nullptr || n == 0) return best;
  // Epochs that were not evaluated (train.eval_every) hold NaN and are never the best.
  bool found = false;
  for (std::size_t i = 0; i < n && i < val->size(); ++i) {
    if (std::isnan((*val)[i])) continue;
    if (!found || (*val)[i] > (*val)[best]) best = i;
    found = true;
  }
  return best;
}

storage::Column column(const std::string& name, storage::Column::Type type) {
  storage::Column c;
  c.name = name;
  c.type = type;
  return c;
}

storage::Column text_column(const std::string& name) {
  return column(name, storage::Column::Type::kString);
}
storage::Column number_column(const std::string& name) {
  return column(name, storage::Column::Type::kFloat64);
}
storage::Column int_column(const std::string& name) {
  return column(name, storage::Column::Type::kInt64);
}

/// "<prefix><split>_<metric>" for every split and metric, as float64 columns.
void add_metric_columns(storage::Table& t, const std::string& prefix) {
  for (const char* split : kSplits) {
    for (const char* m : kMetrics) t.columns.push_back(number_column(prefix + split + "_" + m));
  }
}

/// The column of factor `k`: float64 if every cell's value is a number, else text; named by its
/// key path, prefixed with "grid." if that is the name of a fixed column (a grid over `name`).
storage::Column factor_column(const Sweep& s, std::size_t k) {
  bool numeric = true;
  for (const auto& c : s.cells) numeric = numeric && c.factors[k].numeric;
  std::string name = s.factor_paths[k];
  for (const char* fixed : kFixedColumns) {
    if (name == fixed) name = "grid." + name;
  }
  return numeric ? number_column(name) : text_column(name);
}

/// The table's columns, empty; `factor_index` receives the factor (index into Cell::factors) of
/// each factor column, in column order.
storage::Table empty_table(const Sweep& s, std::vector<std::size_t>& factor_index) {
  storage::Table t;
  t.columns.push_back(text_column("cell_id"));
  t.columns.push_back(text_column("name"));
  for (std::size_t k = 0; k < s.factor_paths.size(); ++k) {
    if (s.factor_paths[k] == "seed") continue;
    t.columns.push_back(factor_column(s, k));
    factor_index.push_back(k);
  }
  t.columns.push_back(int_column("seed"));
  for (const char* name : {"status", "message"}) t.columns.push_back(text_column(name));
  t.columns.push_back(int_column("epochs"));
  add_metric_columns(t, "final_");
  t.columns.push_back(int_column("best_epoch"));
  add_metric_columns(t, "best_");
  for (const char* name : {"gap_final", "gap_best", "seconds"}) {
    t.columns.push_back(number_column(name));
  }
  return t;
}

void append_row(storage::Table& t, const Cell& cell, const CellSummary& row,
                const std::vector<std::size_t>& factor_index) {
  std::size_t col = 0;
  t.columns[col++].str.push_back(cell.id);
  t.columns[col++].str.push_back(cell.name);
  for (std::size_t k : factor_index) {
    auto& c = t.columns[col++];
    if (c.type == storage::Column::Type::kFloat64)
      c.f64.push_back(cell.factors[k].number);
    else
      c.str.push_back(cell.factors[k].text);
  }
  t.columns[col++].i64.push_back(static_cast<std::int64_t>(cell.seed));
  t.columns[col++].str.push_back(row.status);
  t.columns[col++].str.push_back(row.message);
  t.columns[col++].i64.push_back(row.epochs);
  for (double v : row.final_values) t.columns[col++].f64.push_back(v);
  t.columns[col++].i64.push_back(row.best_epoch);
  for (double v : row.best_values) t.columns[col++].f64.push_back(v);
  for (double v : {row.gap_final, row.gap_best, row.seconds}) t.columns[col++].f64.push_back(v);
}

/// The column `name` of type `type`, or nullptr.
const storage::Column* find_column(const storage::Table& t, const std::string& name,
                                   storage::Column::Type type) {
  for (const auto& c : t.columns) {
    if (c.name == name) return c.type == type ? &c : nullptr;
  }
  return nullptr;
}

/// The columns of a CellSummary in a /summary table, in the order of its fields.
struct RowColumns {
  const storage::Column* status = nullptr;
  const storage::Column* message = nullptr;
  const storage::Column* epochs = nullptr;
  const storage::Column* best_epoch = nullptr;
  std::vector<const storage::Column*> final_values, best_values, tail;  ///< tail: gaps, seconds

  /// Finds them all; false if one is missing.
  bool find(const storage::Table& t) {
    using Type = storage::Column::Type;
    status = find_column(t, "status", Type::kString);
    message = find_column(t, "message", Type::kString);
    epochs = find_column(t, "epochs", Type::kInt64);
    best_epoch = find_column(t, "best_epoch", Type::kInt64);
    bool found = status != nullptr && message != nullptr && epochs != nullptr && best_epoch;
    for (const char* split : kSplits) {
      for (const char* m : kMetrics) {
        final_values.push_back(
            find_column(t, std::string("final_") + split + "_" + m, Type::kFloat64));
        best_values.push_back(
            find_column(t, std::string("best_") + split + "_" + m, Type::kFloat64));
      }
    }
    for (const char* name : {"gap_final", "gap_best", "seconds"}) {
      tail.push_back(find_column(t, name, Type::kFloat64));
    }
    for (const auto* list : {&final_values, &best_values, &tail}) {
      for (const storage::Column* c : *list) found = found && c != nullptr;
    }
    return found;
  }

  CellSummary row(std::size_t r) const {
    CellSummary row;
    row.status = status->str[r];
    row.message = message->str[r];
    row.epochs = epochs->i64[r];
    row.best_epoch = best_epoch->i64[r];
    for (const storage::Column* c : final_values) row.final_values.push_back(c->f64[r]);
    for (const storage::Column* c : best_values) row.best_values.push_back(c->f64[r]);
    row.gap_final = tail[0]->f64[r];
    row.gap_best = tail[1]->f64[r];
    row.seconds = tail[2]->f64[r];
    return row;
  }
};

}  // namespace

CellSummary summarize_run(const storage::RunRecord& run) {
  CellSummary row;
  row.status = run.status;
  for (const auto& [k, v] : run.attributes) {
    if (k == "status_message") row.message = v;
  }
  const auto* epoch = curve(run, "epoch");
  const std::size_t n = epoch != nullptr ? epoch->size() : 0;
  const std::size_t best = best_epoch_index(run, n);
  row.epochs = static_cast<std::int64_t>(n);
  row.best_epoch = n == 0 ? 0 : static_cast<std::int64_t>(best + 1);
  for (const char* split : kSplits) {
    for (const char* m : kMetrics) {
      const auto* c = curve(run, std::string(split) + "_" + m);
      row.final_values.push_back(n == 0 ? kNaN : at(c, n - 1));
      row.best_values.push_back(n == 0 ? kNaN : at(c, best));
    }
  }
  row.gap_final = row.final_values[1] - row.final_values[5];
  row.gap_best = row.best_values[1] - row.best_values[5];
  if (const auto* sec = curve(run, "seconds")) {
    row.seconds = 0.0;
    for (double v : *sec) row.seconds += v;
  }
  return row;
}

CellSummary placeholder_summary(const std::string& status, const std::string& message) {
  CellSummary row;
  row.status = status;
  row.message = message;
  row.final_values.assign(6, kNaN);
  row.best_values.assign(6, kNaN);
  return row;
}

storage::Table summary_table(const Sweep& sweep, const std::vector<CellSummary>& rows) {
  std::vector<std::size_t> factor_index;
  storage::Table t = empty_table(sweep, factor_index);
  for (std::size_t i = 0; i < sweep.cells.size(); ++i) {
    append_row(t, sweep.cells[i], rows[i], factor_index);
  }
  return t;
}

std::map<std::string, CellSummary> rows_by_cell(const storage::Table& summary) {
  std::map<std::string, CellSummary> rows;
  const storage::Column* ids = find_column(summary, "cell_id", storage::Column::Type::kString);
  RowColumns columns;
  if (ids == nullptr || !columns.find(summary)) return rows;
  for (std::size_t r = 0; r < summary.rows(); ++r) rows.emplace(ids->str[r], columns.row(r));
  return rows;
}

}  // namespace reglab::experiment
