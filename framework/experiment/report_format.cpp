/// What the renderings of `reglab report` share: metric names and values as shown (accuracies
/// and gaps in percentage points), the status line, arm labels, a comparison in words, and the
/// aligned text or markdown grid.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment::report_detail {
namespace {

std::string format(const char* pattern, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, v);
  return buffer;
}

}  // namespace

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : separator) + parts[i];
  return out;
}

bool in_points(const std::string& metric) {
  return metric.find("accuracy") != std::string::npos || metric.rfind("gap_", 0) == 0;
}

std::string metric_title(const std::string& metric) {
  if (metric == "final_test_accuracy") return "final test acc";
  if (metric == "best_test_accuracy") return "best-val test acc";
  if (metric == "final_test_loss") return "final test loss";
  if (metric == "best_test_loss") return "best-val test loss";
  if (metric == "gap_final") return "gap final";
  if (metric == "gap_best") return "gap best-val";
  return metric;
}

std::string show(const std::string& metric, double v, bool sign) {
  if (std::isnan(v)) return "n/a";
  if (in_points(metric)) return format(sign ? "%+.2f" : "%.2f", 100.0 * v);
  return format(sign ? "%+.4f" : "%.4f", v);
}

std::string show_ci(const std::string& metric, const stats::Interval& ci) {
  if (std::isnan(ci.low) || std::isnan(ci.high)) return "n/a";
  return "[" + show(metric, ci.low) + ", " + show(metric, ci.high) + "]";
}

std::string show_p(double p) { return std::isnan(p) ? "n/a" : format("%.3g", p); }

std::string status_text(const Report& report) {
  std::string status = std::to_string(report.cells) + " cells, " +
                       std::to_string(report.cells - report.excluded) + " complete, " +
                       std::to_string(report.excluded) + " excluded";
  if (report.excluded > 0) {
    std::vector<std::string> parts;
    for (const auto& [name, count] : report.excluded_by_status) {
      parts.push_back(std::to_string(count) + " " + name);
    }
    status += " (" + join(parts, ", ") + ")";
  }
  return status;
}

std::vector<std::string> shown_metrics(const Report& report) {
  std::vector<std::string> out;
  if (report.arms.empty()) return report_metrics(report.metric);
  for (const auto& m : report.arms.front().metrics) out.push_back(m.metric);
  return out;
}

std::string display_label(const Report& report, const ReportArm& arm) {
  return report.factors.size() == 1 ? arm.short_label : arm.label;
}

std::string interpretation(const Report& report, const ReportComparison& c) {
  const ReportArm& arm = report.arms[c.arm];
  const ReportArm& base = report.arms[report.baseline];
  std::string s = display_label(report, arm) + " vs " + display_label(report, base) + ": ";
  if (c.method == "none") {
    return s + "not compared (" + std::to_string(c.n_arm) + " vs " + std::to_string(c.n_baseline) +
           " values; at least 2 each are needed)";
  }
  const std::string unit = in_points(report.metric) ? " points" : "";
  s += show(report.metric, c.difference, true) + unit + " [95% CI " +
       show(report.metric, c.ci.low) + ", " + show(report.metric, c.ci.high) + "], ";
  if (c.method == "paired") {
    s += "paired t p=" + show_p(c.p_t) + " (Holm " + show_p(c.p_t_holm) +
         "), Wilcoxon p=" + show_p(c.p_wilcoxon) + " (Holm " + show_p(c.p_wilcoxon_holm) + "), " +
         std::to_string(c.pairs) + " pairs";
  } else {
    s += "Welch t p=" + show_p(c.p_t) + " (Holm " + show_p(c.p_t_holm) + "), unpaired " +
         std::to_string(c.n_arm) + " vs " + std::to_string(c.n_baseline) +
         " cells (fewer than 2 matched seeds)";
  }
  return s;
}

std::string selection_heading(const Report& report) {
  return "each arm's setting (" +
         (report.setting_factors.empty() ? std::string("no factor besides the arm's")
                                         : join(report.setting_factors, ", ")) +
         ") chosen on the mean " + report.select_by + " over its seeds (" +
         (report.select_higher ? "highest" : "lowest") +
         "; ties: the first in sweep order); every other number is the chosen setting's:";
}

std::string selection_line(const Report& report, const ReportArm& arm) {
  const ArmSelection& chosen = arm.selection;
  std::string s = display_label(report, arm) + ": " + chosen.setting + "; mean " +
                  report.select_by + " " + show(report.select_by, chosen.mean) + " over " +
                  std::to_string(chosen.seeds) + " seed" + (chosen.seeds == 1 ? "" : "s") +
                  "; chosen from " + std::to_string(chosen.candidates) + " setting" +
                  (chosen.candidates == 1 ? "" : "s");
  if (!chosen.skipped.empty()) s += "; skipped: " + join(chosen.skipped, ", ");
  return s;
}

void write_grid(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right,
                bool markdown) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t k = 0; k < header.size(); ++k) {
    width[k] = std::max<std::size_t>(header[k].size(), markdown ? 3 : 1);
    for (const auto& row : rows) width[k] = std::max(width[k], row[k].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = markdown ? "| " : "";
    for (std::size_t k = 0; k < cells.size(); ++k) {
      const std::string pad(width[k] - cells[k].size(), ' ');
      s += right[k] ? pad + cells[k] : cells[k] + pad;
      if (k + 1 < cells.size()) s += markdown ? " | " : "  ";
    }
    if (markdown) s += " |";
    while (!markdown && !s.empty() && s.back() == ' ') s.pop_back();
    out << s << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (std::size_t k = 0; k < header.size(); ++k) {
    if (markdown)
      rule.push_back(std::string(width[k] - 1, '-') + (right[k] ? ":" : "-"));
    else
      rule.push_back(std::string(width[k], '-'));
  }
  line(rule);
  for (const auto& row : rows) line(row);
}

}  // namespace reglab::experiment::report_detail
