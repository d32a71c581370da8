/// The /summary table of a sweep read for `reglab report`: curve-derived columns added, the
/// name, seed, status, factor and metric columns located and checked against the options, the
/// cells grouped into arms and the baseline arm chosen (see report.hpp for the rules).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/number_text.hpp"
#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment::report_detail {
namespace {

using storage::Column;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// Adds every spectral curve of `file`'s runs to `wanted`.
void add_spectral_curves(const storage::ResultsFile& file, std::vector<std::string>& wanted) {
  for (const auto& run : file.runs) {
    for (const auto& [name, values] : run.curves) {
      if (is_spectral(name) && !contains(wanted, name)) wanted.push_back(name);
    }
  }
}

/// The last finite value of curve `name` of `run` (NaN if none); sets `found` if it has the curve.
double last_finite(const storage::RunRecord& run, const std::string& name, bool& found) {
  double last = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [curve, values] : run.curves) {
    if (curve != name) continue;
    found = true;
    for (double v : values) {
      if (std::isfinite(v)) last = v;
    }
  }
  return last;
}

/// The /summary table plus one float column per curve in `wanted` that /summary lacks, holding
/// each cell's last finite value of that curve (NaN for a cell without a run or the curve).
/// Adds every spectral curve of the runs to `wanted` first.
storage::Table with_curve_columns(const storage::ResultsFile& file,
                                  std::vector<std::string>& wanted) {
  storage::Table table = file.summary;
  add_spectral_curves(file, wanted);
  const std::size_t ids_index = column_index(table, "cell_id");
  if (ids_index == table.columns.size() || table.columns[ids_index].type != Column::Type::kString) {
    return table;
  }
  const std::vector<std::string> ids = table.columns[ids_index].str;
  // Each run once, by id: a sweep of N cells costs N lookups per column, not N^2 comparisons.
  std::map<std::string, const storage::RunRecord*> by_id;
  for (const auto& run : file.runs) by_id.emplace(run.run_id, &run);
  for (const auto& name : wanted) {
    if (column_index(table, name) != table.columns.size()) continue;
    Column column;
    column.name = name;
    bool found = false;
    for (const auto& id : ids) {
      const auto it = by_id.find(id);
      column.f64.push_back(it == by_id.end() ? std::numeric_limits<double>::quiet_NaN()
                                             : last_finite(*it->second, name, found));
    }
    if (found) table.columns.push_back(std::move(column));
  }
  return table;
}

/// Locates name, seed and status; the factors are the columns between name and seed.
void locate_key_columns(SummaryTable& s, const std::string& path) {
  const storage::Table& t = s.table;
  if (t.empty()) {
    throw StorageError(path +
                       ": not a sweep file (no /summary); report needs the merged file of "
                       "a sweep");
  }
  const std::size_t name = column_index(t, "name");
  s.seed = column_index(t, "seed");
  s.status = column_index(t, "status");
  const std::size_t none = t.columns.size();
  if (name == none || s.seed == none || s.seed < name || s.status == none ||
      t.columns[s.status].type != Column::Type::kString) {
    throw StorageError(path + ": /summary lacks the name, seed or status column");
  }
  for (std::size_t k = name + 1; k < s.seed; ++k) s.other.push_back(k);
}

/// Splits the factor columns (in s.other) into the grouping factors of `by` (given as --`option`)
/// and the others.
void choose_factors(SummaryTable& s, const std::vector<std::string>& by, const std::string& option,
                    const std::string& path) {
  const std::vector<std::size_t> all_factors = s.other;
  std::vector<std::string> factor_names;
  for (std::size_t k : all_factors) factor_names.push_back(s.table.columns[k].name);
  if (by.empty()) s.group = all_factors;
  for (const auto& f : by) {
    const auto it = std::find(factor_names.begin(), factor_names.end(), f);
    if (it == factor_names.end()) {
      throw UsageError("report: --" + option + " '" + f + "' is not a factor of " + path +
                       "; factors: " +
                       (factor_names.empty() ? "(none: the sweep varies only the seed)"
                                             : join(factor_names, ", ")));
    }
    const std::size_t k = all_factors[static_cast<std::size_t>(it - factor_names.begin())];
    if (std::find(s.group.begin(), s.group.end(), k) == s.group.end()) s.group.push_back(k);
  }
  s.other.clear();
  for (std::size_t k : all_factors) {
    if (std::find(s.group.begin(), s.group.end(), k) == s.group.end()) s.other.push_back(k);
  }
}

/// Checks --metric and --columns against the float columns after seed.
void check_metric_names(const SummaryTable& s, const ReportOptions& options) {
  const std::string& path = options.results_path;
  const std::vector<std::string> allowed = metric_names(s);
  if (!contains(allowed, options.metric)) {
    throw UsageError("report: --metric '" + options.metric + "' is not a float column of " + path +
                     "'s /summary; choose one of: " + join(allowed, ", "));
  }
  for (const auto& c : options.columns) {
    if (!contains(allowed, c)) {
      throw UsageError("report: --columns '" + c + "' is neither a float column of " + path +
                       "'s /summary nor a curve of its runs" + config::did_you_mean(c, allowed) +
                       "; choose from: " + join(allowed, ", "));
    }
  }
}

/// Locates the float64 column of every metric in s.metrics.
void locate_metric_columns(SummaryTable& s, const std::string& metric, const std::string& path) {
  for (const auto& m : s.metrics) {
    const std::size_t k = column_index(s.table, m);
    if (k == s.table.columns.size() || s.table.columns[k].type != Column::Type::kFloat64) {
      throw StorageError(path + ": /summary lacks the float64 column " + m);
    }
    s.metric_columns.push_back(k);
  }
  s.comparison = static_cast<std::size_t>(std::find(s.metrics.begin(), s.metrics.end(), metric) -
                                          s.metrics.begin());
}

/// Counts an excluded cell of `status` in `arm` and in the report's totals.
void count_excluded(Report& report, ReportArm& arm, const std::string& status) {
  ++arm.excluded;
  ++report.excluded;
  auto s = std::find_if(report.excluded_by_status.begin(), report.excluded_by_status.end(),
                        [&](const auto& e) { return e.first == status; });
  if (s == report.excluded_by_status.end())
    report.excluded_by_status.emplace_back(status, 1);
  else
    ++s->second;
}

/// A new arm for row `i`, labelled by the values of the grouping factors.
ReportArm new_arm(const SummaryTable& s, std::size_t i) {
  std::vector<std::string> values, named;
  for (std::size_t k : s.group) {
    values.push_back(cell_text(s.table.columns[k], i));
    named.push_back(s.table.columns[k].name + "=" + values.back());
  }
  ReportArm arm;
  arm.values = values;
  arm.label = s.group.empty() ? "(all)" : join(named, ", ");
  arm.short_label = s.group.empty() ? "(all)" : join(values, ", ");
  return arm;
}

/// The key of row `i` that groups it into its arm: the grouping factors' values.
std::string arm_key(const SummaryTable& s, std::size_t i) {
  std::vector<std::string> values;
  for (std::size_t k : s.group) values.push_back(cell_text(s.table.columns[k], i));
  return join(values, "\x1f");
}

/// The key of row `i` that pairs it across arms: its seed and the factors not grouped by.
std::string pair_key(const SummaryTable& s, std::size_t i) {
  std::string key = cell_text(s.table.columns[s.seed], i);
  for (std::size_t k : s.other) key += '\x1f' + cell_text(s.table.columns[k], i);
  return key;
}

/// The arm whose label or short label is `wanted`, else the one arm whose label contains it.
std::size_t match_baseline(const Report& report, const std::string& wanted) {
  const auto& arms = report.arms;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (arms[a].label == wanted) return a;
  }
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (arms[a].short_label == wanted) return a;
  }
  std::vector<std::size_t> matches;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (arms[a].label.find(wanted) != std::string::npos) matches.push_back(a);
  }
  if (matches.size() == 1) return matches.front();
  std::vector<std::string> labels;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (matches.empty() || std::find(matches.begin(), matches.end(), a) != matches.end()) {
      labels.push_back("  " + arms[a].label);
    }
  }
  if (matches.empty()) {
    throw UsageError("report: --baseline '" + wanted + "' matches no arm; arms:\n" +
                     join(labels, "\n"));
  }
  throw UsageError("report: --baseline '" + wanted + "' matches several arms:\n" +
                   join(labels, "\n") + "\ngive a whole label");
}

}  // namespace

std::string cell_text(const Column& c, std::size_t i) {
  switch (c.type) {
    case Column::Type::kString:
      return c.str[i];
    case Column::Type::kInt64:
      return std::to_string(c.i64[i]);
    case Column::Type::kFloat64:
      break;
  }
  return shortest_decimal(c.f64[i]);
}

std::size_t column_index(const storage::Table& t, const std::string& name) {
  for (std::size_t k = 0; k < t.columns.size(); ++k) {
    if (t.columns[k].name == name) return k;
  }
  return t.columns.size();
}

std::vector<std::string> metric_names(const SummaryTable& s) {
  std::vector<std::string> names;
  for (std::size_t k = s.seed + 1; k < s.table.columns.size(); ++k) {
    if (s.table.columns[k].type == Column::Type::kFloat64) names.push_back(s.table.columns[k].name);
  }
  return names;
}

bool is_spectral(const std::string& curve) {
  return curve.rfind("alpha.", 0) == 0 || curve.rfind("stable_rank.", 0) == 0 ||
         curve.rfind("spectral_norm.", 0) == 0;
}

SummaryTable read_summary(const storage::ResultsFile& file, const ReportOptions& options) {
  const std::string& path = options.results_path;
  std::vector<std::string> extra = options.columns;
  SummaryTable s;
  s.table = with_curve_columns(file, extra);
  locate_key_columns(s, path);
  if (options.select_by.empty()) {
    choose_factors(s, options.by, "by", path);
  } else {
    choose_factors(s, options.within, "within", path);
  }
  check_metric_names(s, options);
  s.metrics = report_metrics(options.metric, extra);
  locate_metric_columns(s, options.metric, path);
  return s;
}

ArmGrouping group_arms(const SummaryTable& s, Report& report) {
  const storage::Table& t = s.table;
  report.cells = t.rows();
  for (std::size_t k : s.group) report.factors.push_back(t.columns[k].name);
  report.matched_on.push_back("seed");
  for (std::size_t k : s.other) report.matched_on.push_back(t.columns[k].name);
  std::map<std::string, std::size_t> arm_index;
  ArmGrouping g;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    g.pair_keys.push_back(pair_key(s, i));
    auto [it, added] = arm_index.emplace(arm_key(s, i), report.arms.size());
    if (added) report.arms.push_back(new_arm(s, i));
    g.arm_of_row.push_back(it->second);
    ReportArm& arm = report.arms[it->second];
    const std::string& status = t.columns[s.status].str[i];
    if (status == "complete") {
      arm.rows.push_back(i);
    } else {
      count_excluded(report, arm, status);
    }
  }
  if (report.arms.empty()) throw StorageError(report.results_path + ": /summary has no rows");
  return g;
}

std::size_t choose_baseline(const Report& report, const std::string& wanted) {
  if (!wanted.empty()) return match_baseline(report, wanted);
  const auto it = std::find(report.factors.begin(), report.factors.end(), "regularizers");
  if (it != report.factors.end()) {
    const auto k = static_cast<std::size_t>(it - report.factors.begin());
    for (std::size_t a = 0; a < report.arms.size(); ++a) {
      if (report.arms[a].values[k] == "none") return a;
    }
  }
  return 0;
}

}  // namespace reglab::experiment::report_detail
