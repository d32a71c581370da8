/// Selection on validation for `reglab report --select-by METRIC --within FACTORS` (rules in
/// report.hpp): the selection column resolved and checked, each arm's cells split into settings
/// (the values of the factors not in --within), the setting with the best mean chosen, and the
/// arm narrowed to that setting's cells, paired with the other arms' chosen cells on seed.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment::report_detail {
namespace {

using storage::Column;

/// The cells of one arm that share the values of the setting factors.
struct Setting {
  std::string label;
  std::vector<std::string> values;
  std::vector<std::size_t> rows;  ///< every cell, complete or not, in sweep order
};

/// The /summary column a --select-by name stands for.
std::string full_column_name(const std::string& name) {
  if (name == "validation_accuracy" || name == "validation_loss") return "final_" + name;
  return name;
}

bool is_complete(const SummaryTable& s, std::size_t row) {
  return s.table.columns[s.status].str[row] == "complete";
}

/// Throws UsageError if `column` is NaN in every complete cell (the sweep has no validation
/// split); a sweep without complete cells fails later, arm by arm.
void check_has_values(const SummaryTable& s, const Column& column, const ReportOptions& options) {
  bool any_complete = false;
  for (std::size_t r = 0; r < s.table.rows(); ++r) {
    if (!is_complete(s, r)) continue;
    any_complete = true;
    if (!std::isnan(column.f64[r])) return;
  }
  if (!any_complete) return;
  throw UsageError("report: --select-by '" + options.select_by + "': " + column.name +
                   " is NaN in every complete cell of " + options.results_path +
                   ": the sweep has no validation split (set data.validation_size > 0)");
}

/// The selection column of `options` in `s`, checked; `higher` receives its direction.
const Column& selection_column(const SummaryTable& s, const ReportOptions& options, bool& higher) {
  const std::string given = options.select_by, name = full_column_name(given);
  const std::vector<std::string> allowed = metric_names(s);
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    std::vector<std::string> names = {"validation_accuracy", "validation_loss"};
    names.insert(names.end(), allowed.begin(), allowed.end());
    throw UsageError("report: --select-by '" + given + "' is not a float column of " +
                     options.results_path + "'s /summary" + config::did_you_mean(given, names) +
                     "; choose from: " + join(allowed, ", "));
  }
  if (name.find("test") != std::string::npos) {
    throw UsageError("report: --select-by '" + given +
                     "' is a test column: the test numbers reported must not choose the "
                     "setting; select on a validation column (validation_accuracy, "
                     "validation_loss, best_validation_accuracy, ...)");
  }
  const bool accuracy = name.find("accuracy") != std::string::npos;
  if (!accuracy && name.find("loss") == std::string::npos) {
    throw UsageError("report: --select-by '" + given +
                     "' is neither an accuracy (higher is better) nor a loss (lower is better)");
  }
  higher = accuracy;
  const Column& column = s.table.columns[column_index(s.table, name)];
  check_has_values(s, column, options);
  return column;
}

/// The settings of arm `a` in order of their first cell.
std::vector<Setting> settings_of(const SummaryTable& s, const ArmGrouping& g, std::size_t a) {
  std::vector<Setting> settings;
  std::map<std::string, std::size_t> index;
  for (std::size_t r = 0; r < g.arm_of_row.size(); ++r) {
    if (g.arm_of_row[r] != a) continue;
    Setting setting;
    std::vector<std::string> named;
    for (std::size_t k : s.other) {
      setting.values.push_back(cell_text(s.table.columns[k], r));
      named.push_back(s.table.columns[k].name + "=" + setting.values.back());
    }
    setting.label = s.other.empty() ? "(one setting)" : join(named, ", ");
    const auto [it, added] = index.emplace(join(setting.values, "\x1f"), settings.size());
    if (added) settings.push_back(setting);
    settings[it->second].rows.push_back(r);
  }
  return settings;
}

/// Why `setting` cannot be chosen: a cell not complete or without a selection value; "" if it
/// can.
std::string ineligible(const SummaryTable& s, const Setting& setting, const Column& column) {
  std::size_t incomplete = 0, missing = 0;
  for (std::size_t r : setting.rows) {
    if (!is_complete(s, r)) {
      ++incomplete;
    } else if (std::isnan(column.f64[r])) {
      ++missing;
    }
  }
  const std::string of = " of " + std::to_string(setting.rows.size());
  if (incomplete > 0) return std::to_string(incomplete) + of + " cells not complete";
  if (missing > 0) return std::to_string(missing) + of + " seeds without " + column.name;
  return "";
}

/// The mean of `column` over `rows`.
double mean_of(const Column& column, const std::vector<std::size_t>& rows) {
  std::vector<double> values;
  for (std::size_t r : rows) values.push_back(column.f64[r]);
  return stats::mean(values);
}

/// Chooses the setting of `arm` (index `a`) and narrows its rows to it.
void select_in_arm(const SummaryTable& s, const ArmGrouping& g, const Column& column, bool higher,
                   ReportArm& arm, std::size_t a) {
  const std::vector<Setting> settings = settings_of(s, g, a);
  ArmSelection& chosen = arm.selection;
  const Setting* best = nullptr;
  for (const auto& setting : settings) {
    const std::string reason = ineligible(s, setting, column);
    if (!reason.empty()) {
      chosen.skipped.push_back(setting.label + " (" + reason + ")");
      continue;
    }
    ++chosen.candidates;
    const double mean = mean_of(column, setting.rows);
    if (best == nullptr || (higher ? mean > chosen.mean : mean < chosen.mean)) {
      best = &setting;
      chosen.mean = mean;
    }
  }
  if (best == nullptr) {
    throw UsageError("report: --select-by: no setting of the arm " + arm.label +
                     " can be chosen: " + join(chosen.skipped, "; "));
  }
  chosen.setting = best->label;
  chosen.values = best->values;
  chosen.seeds = best->rows.size();
  arm.rows = best->rows;
}

}  // namespace

void select_settings(const SummaryTable& s, const ReportOptions& options, Report& report,
                     ArmGrouping& grouping) {
  bool higher = true;
  const Column& column = selection_column(s, options, higher);
  report.select_by = column.name;
  report.select_higher = higher;
  for (std::size_t k : s.other) report.setting_factors.push_back(s.table.columns[k].name);
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    select_in_arm(s, grouping, column, higher, report.arms[a], a);
  }
  // The chosen settings differ between arms: cells are paired on seed alone.
  report.matched_on = {"seed"};
  for (std::size_t r = 0; r < grouping.pair_keys.size(); ++r) {
    grouping.pair_keys[r] = cell_text(s.table.columns[s.seed], r);
  }
}

}  // namespace reglab::experiment::report_detail
