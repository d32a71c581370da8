/// The table (--wide) and markdown renderings of `reglab report`: the file's status line, the
/// setting chosen in each arm (with --select-by), the per-arm table with every metric, the
/// comparison table, and each comparison in words.
#include <ostream>

#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment::report_detail {
namespace {

/// A grid's header, its rows and which of its columns are right-aligned.
struct Grid {
  std::vector<std::string> header;
  std::vector<bool> right;
  std::vector<std::vector<std::string>> rows;
};

void write_heading(std::ostream& out, const Report& report, bool markdown) {
  const std::string bold = markdown ? "**" : "";
  const std::string sep = markdown ? "  \n" : "\n";
  out << bold << report.results_path << bold << ": " << status_text(report) << sep;
  out << "arms by: " << (report.factors.empty() ? "(none)" : join(report.factors, ", "))
      << "; matched on: " << join(report.matched_on, ", ")
      << "; baseline: " << report.arms[report.baseline].label << "\n\n";
  if (report.select_by.empty()) return;
  out << (markdown ? "Selection: " : "selection: ") << selection_heading(report) << "\n"
      << (markdown ? "\n" : "");
  for (const auto& arm : report.arms) {
    out << (markdown ? "- " : "  ") << selection_line(report, arm) << "\n";
  }
  out << "\n";
}

/// One row per arm: n, excluded (only when something was excluded), each metric and its CI.
Grid per_arm_grid(const Report& report) {
  const bool show_excluded = report.excluded > 0;
  Grid g{{"arm", "n"}, {false, true}, {}};
  if (show_excluded) {
    g.header.push_back("excluded");
    g.right.push_back(true);
  }
  for (const auto& m : shown_metrics(report)) {
    g.header.insert(g.header.end(), {metric_title(m), "95% CI"});
    g.right.insert(g.right.end(), {true, true});
  }
  for (const auto& arm : report.arms) {
    std::vector<std::string> row = {arm.label, std::to_string(arm.rows.size())};
    if (show_excluded) row.push_back(std::to_string(arm.excluded));
    for (const auto& s : arm.metrics) {
      row.push_back(s.n == 0 ? "n/a" : show(s.metric, s.mean) + " (" + show(s.metric, s.sd) + ")");
      row.push_back(show_ci(s.metric, s.ci));
    }
    g.rows.push_back(row);
  }
  return g;
}

/// One row per comparison: method, n, difference with CI, raw and Holm-adjusted p-values.
Grid comparison_grid(const Report& report) {
  Grid g{{"arm", "method", "n", "difference", "95% CI", "t p", "t p Holm", "Wilcoxon p",
          "Wilcoxon p Holm"},
         {false, false, true, true, true, true, true, true, true},
         {}};
  for (const auto& c : report.comparisons) {
    const bool paired = c.method == "paired";
    g.rows.push_back({report.arms[c.arm].label, c.method,
                      paired ? std::to_string(c.pairs)
                             : std::to_string(c.n_arm) + " vs " + std::to_string(c.n_baseline),
                      show(report.metric, c.difference, true), show_ci(report.metric, c.ci),
                      show_p(c.p_t), show_p(c.p_t_holm), paired ? show_p(c.p_wilcoxon) : "-",
                      paired ? show_p(c.p_wilcoxon_holm) : "-"});
  }
  return g;
}

void write_comparisons(std::ostream& out, const Report& report, bool markdown) {
  if (report.comparisons.empty()) {
    out << "\nno other arm to compare with the baseline\n";
    return;
  }
  const std::string unit = in_points(report.metric) ? ", percentage points" : "";
  out << "\n"
      << (markdown ? "Comparison" : "comparison") << " with " << report.arms[report.baseline].label
      << " on " << report.metric << " (arm - baseline" << unit
      << "; two-sided p, Holm-adjusted across " << report.comparisons.size() << " arm"
      << (report.comparisons.size() == 1 ? "" : "s") << ")\n"
      << (markdown ? "\n" : "");
  const Grid g = comparison_grid(report);
  write_grid(out, g.header, g.rows, g.right, markdown);
  out << "\n";
  bool few_pairs = false;
  for (const auto& c : report.comparisons) {
    out << (markdown ? "- " : "") << interpretation(report, c) << "\n";
    few_pairs = few_pairs || (c.method == "paired" && c.pairs < 6);
  }
  if (few_pairs) {
    out << "\n"
        << (markdown ? "Note: " : "note: ")
        << "with fewer than 6 pairs the two-sided Wilcoxon p cannot be below 0.05 (its minimum "
           "is 2/2^n: 0.25 for 3 pairs)\n";
  }
}

}  // namespace

void write_text(std::ostream& out, const Report& report, bool markdown) {
  write_heading(out, report, markdown);
  const Grid g = per_arm_grid(report);
  out << (markdown ? "Per arm: " : "per arm: ")
      << "mean (sd) over seeds and 95% CI of the mean; accuracy and gap in percentage points\n"
      << (markdown ? "\n" : "");
  write_grid(out, g.header, g.rows, g.right, markdown);
  write_comparisons(out, report, markdown);
}

}  // namespace reglab::experiment::report_detail
