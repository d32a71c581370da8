/// The CSV rendering of `reglab report` (core/csv.hpp): one row per arm with its factor values,
/// counts, every metric's n, mean, sd and CI, and its comparison with the baseline (empty fields
/// for the baseline itself), then with --select-by the chosen setting. Values are as stored, not in
/// percentage points.
#include <ostream>

#include "framework/core/csv.hpp"
#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment::report_detail {
namespace {

csv::Row header_row(const Report& report) {
  csv::Row row;
  row.text("arm");
  for (const auto& f : report.factors) row.text(f);
  for (const char* h : {"n", "excluded", "is_baseline"}) row.text(h);
  for (const auto& m : shown_metrics(report)) {
    for (const char* s : {"_n", "_mean", "_sd", "_ci_low", "_ci_high"}) row.text(m + s);
  }
  for (const char* h : {"metric", "method", "pairs", "n_arm", "n_baseline", "difference",
                        "difference_ci_low", "difference_ci_high", "p_t", "p_t_holm", "p_wilcoxon",
                        "p_wilcoxon_holm", "wilcoxon_exact"}) {
    row.text(h);
  }
  if (report.select_by.empty()) return row;
  row.text("select_by").text("setting");
  for (const auto& f : report.setting_factors) row.text(f);
  for (const char* h :
       {"select_mean", "select_seeds", "settings_chosen_from", "settings_skipped"}) {
    row.text(h);
  }
  return row;
}

/// With --select-by: the column, the chosen setting (label and factor values), the mean of the
/// column, its seeds, the number of settings it was chosen from and the skipped ones.
void add_selection(csv::Row& row, const Report& report, const ReportArm& arm) {
  if (report.select_by.empty()) return;
  const ArmSelection& chosen = arm.selection;
  row.text(report.select_by).text(chosen.setting);
  for (const auto& v : chosen.values) row.text(v);
  row.number(chosen.mean).integer(chosen.seeds).integer(chosen.candidates);
  row.text(join(chosen.skipped, "; "));
}

/// The comparison's 12 fields, empty if `c` is null (the baseline).
void add_comparison(csv::Row& row, const ReportComparison* c) {
  if (c == nullptr) {
    row.empty(12);
    return;
  }
  const bool paired = c->method == "paired";
  row.text(c->method).integer(paired ? c->pairs : 0).integer(c->n_arm).integer(c->n_baseline);
  for (double v : {c->difference, c->ci.low, c->ci.high, c->p_t, c->p_t_holm, c->p_wilcoxon,
                   c->p_wilcoxon_holm}) {
    row.number(v);
  }
  if (paired) {
    row.boolean(c->wilcoxon_exact);
  } else {
    row.empty();
  }
}

csv::Row arm_row(const Report& report, std::size_t a) {
  const ReportArm& arm = report.arms[a];
  csv::Row row;
  row.text(arm.label);
  for (const auto& v : arm.values) row.text(v);
  row.integer(arm.rows.size()).integer(arm.excluded).boolean(a == report.baseline);
  for (const auto& s : arm.metrics) {
    row.integer(s.n).number(s.mean).number(s.sd).number(s.ci.low).number(s.ci.high);
  }
  row.text(report.metric);
  const ReportComparison* c = nullptr;
  for (const auto& comparison : report.comparisons) {
    if (comparison.arm == a) c = &comparison;
  }
  add_comparison(row, c);
  add_selection(row, report, arm);
  return row;
}

}  // namespace

void write_csv(std::ostream& out, const Report& report) {
  out << header_row(report).line();
  for (std::size_t a = 0; a < report.arms.size(); ++a) out << arm_row(report, a).line();
}

}  // namespace reglab::experiment::report_detail
