/// The default view of `reglab report`: a table made to fit the terminal's width (CI columns
/// dropped from the last metric backwards, then arm labels shortened), prose wrapped to it (with
/// --select-by, each arm's chosen setting first).
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <sstream>

#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment {
namespace {

using namespace report_detail;

/// Candidate columns of the compact table; `ci[k]` marks the CI column of a metric.
struct CompactGrid {
  std::vector<std::string> header;
  std::vector<bool> right, ci;
  std::vector<std::vector<std::string>> rows;

  void add_column(const std::string& title, bool is_ci) {
    header.push_back(title);
    right.push_back(true);
    ci.push_back(is_ci);
  }
};

/// `text` broken into lines of at most `width` characters at spaces; continuation lines are
/// indented by `indent` spaces.
std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
  std::string out, line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = std::string(indent, ' ');
    } else if (!line.empty() && line.find_first_not_of(' ') != std::string::npos) {
      line += " ";
    }
    line += word;
  }
  return out + line + "\n";
}

/// The width of the table write_grid would print.
std::size_t grid_width(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::size_t total = 0;
  for (std::size_t k = 0; k < header.size(); ++k) {
    std::size_t w = header[k].size();
    for (const auto& row : rows) w = std::max(w, row[k].size());
    total += w + (k + 1 < header.size() ? 2 : 0);
  }
  return total;
}

CompactGrid compact_header(const Report& report, const std::vector<std::string>& columns) {
  CompactGrid g{{"arm", "n"}, {false, true}, {false, false}, {}};
  if (report.excluded > 0) g.add_column("excl.", false);
  for (const auto& m : columns) {
    g.add_column(metric_title(m), false);
    g.add_column("95% CI", true);
  }
  g.add_column("vs " + display_label(report, report.arms[report.baseline]), false);
  g.add_column("p (Holm)", false);
  return g;
}

/// Mean (sd) and CI of metric `m` in `arm`, or "n/a" twice.
void add_metric_cells(std::vector<std::string>& row, const ReportArm& arm, const std::string& m) {
  const auto s = std::find_if(arm.metrics.begin(), arm.metrics.end(),
                              [&](const MetricSummary& x) { return x.metric == m; });
  if (s == arm.metrics.end() || s->n == 0) {
    row.insert(row.end(), {"n/a", "n/a"});
  } else {
    row.push_back(show(m, s->mean) + " (" + show(m, s->sd) + ")");
    row.push_back(show_ci(m, s->ci));
  }
}

/// The difference from the baseline and its Holm p (" W" for Welch), "baseline" or "n/a".
void add_versus_cells(std::vector<std::string>& row, const Report& report, std::size_t a) {
  const ReportComparison* c = nullptr;
  for (const auto& comparison : report.comparisons) {
    if (comparison.arm == a) c = &comparison;
  }
  if (a == report.baseline) {
    row.insert(row.end(), {"baseline", ""});
  } else if (c == nullptr || c->method == "none") {
    row.insert(row.end(), {"n/a", "n/a"});
  } else {
    row.push_back(show(report.metric, c->difference, true));
    row.push_back(show_p(c->p_t_holm) + (c->method == "welch" ? " W" : ""));
  }
}

CompactGrid compact_grid(const Report& report, const std::vector<std::string>& columns) {
  CompactGrid g = compact_header(report, columns);
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    const ReportArm& arm = report.arms[a];
    std::vector<std::string> row = {display_label(report, arm), std::to_string(arm.rows.size())};
    if (report.excluded > 0) row.push_back(std::to_string(arm.excluded));
    for (const auto& m : columns) add_metric_cells(row, arm, m);
    add_versus_cells(row, report, a);
    g.rows.push_back(row);
  }
  return g;
}

/// Drops CI columns, last metric first, until the table fits; then shortens the arm labels.
void fit(CompactGrid& g, std::size_t width) {
  for (std::size_t k = g.header.size(); k-- > 0 && grid_width(g.header, g.rows) > width;) {
    if (!g.ci[k]) continue;
    g.header.erase(g.header.begin() + static_cast<long>(k));
    g.right.erase(g.right.begin() + static_cast<long>(k));
    for (auto& row : g.rows) row.erase(row.begin() + static_cast<long>(k));
  }
  const std::size_t total = grid_width(g.header, g.rows);
  std::size_t label = 0;
  for (const auto& row : g.rows) label = std::max(label, row[0].size());
  if (total > width && label > 12) {
    const std::size_t keep = std::max<std::size_t>(12, label - (total - width));
    for (auto& row : g.rows) {
      if (row[0].size() > keep) row[0] = row[0].substr(0, keep - 1) + "~";
    }
  }
}

void write_legend(std::ostream& out, const Report& report, const CompactGrid& g,
                  std::size_t width) {
  const std::string unit = in_points(report.metric) ? " (points)" : "";
  const bool any_ci = std::find(g.header.begin(), g.header.end(), "95% CI") != g.header.end();
  out << "\n"
      << wrap(std::string("per arm: mean (sd) over seeds") + (any_ci ? " and 95% CI" : "") +
                  "; accuracy and gap in percentage points; vs " +
                  display_label(report, report.arms[report.baseline]) + ": difference in " +
                  report.metric + unit + ", t-test p Holm-adjusted (W: Welch, unpaired)",
              width, 2);
}

/// The spectral diagnostics not shown, and how to see every column.
void write_hints(std::ostream& out, const Report& report, const std::vector<std::string>& columns,
                 std::size_t width) {
  std::vector<std::string> spectral;
  for (const auto& m : shown_metrics(report)) {
    if (is_spectral(m) && std::find(columns.begin(), columns.end(), m) == columns.end()) {
      spectral.push_back(m);
    }
  }
  if (!spectral.empty()) {
    out << "\n"
        << wrap("spectral diagnostics recorded (shown with --wide or --columns): " +
                    join(spectral, ", "),
                width, 2);
  }
  out << "\n"
      << wrap(
             "all columns: --wide, --format markdown or --format csv; other metrics: "
             "--columns NAME,...",
             width, 2);
}

}  // namespace

void write_compact(std::ostream& out, const Report& report, const std::vector<std::string>& columns,
                   std::size_t width) {
  out << wrap(report.results_path + ": " + status_text(report) + "; arms by " +
                  (report.factors.empty() ? "(none)" : join(report.factors, ", ")) +
                  ", matched on " + join(report.matched_on, ", "),
              width, 2);
  if (!report.select_by.empty()) {
    out << "\n" << wrap(selection_heading(report), width, 2);
    for (const auto& arm : report.arms) out << wrap(selection_line(report, arm), width, 2);
  }
  CompactGrid g = compact_grid(report, columns);
  fit(g, width);
  write_legend(out, report, g, width);
  write_grid(out, g.header, g.rows, g.right, false);
  if (!report.comparisons.empty()) out << "\n";
  for (const auto& c : report.comparisons) out << wrap(interpretation(report, c), width, 2);
  write_hints(out, report, columns, width);
}

std::size_t report_width(std::size_t requested) {
  std::size_t width = requested;
  winsize ws{};
  if (width == 0 && isatty(STDOUT_FILENO) != 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
    width = ws.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS"); width == 0 && columns != nullptr) {
    width = static_cast<std::size_t>(std::strtoul(columns, nullptr, 10));
  }
  if (width == 0) width = 100;
  return std::max<std::size_t>(width, 40);
}

}  // namespace reglab::experiment
