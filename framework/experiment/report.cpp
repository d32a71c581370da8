#include "framework/experiment/report.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"

namespace reglab::experiment {
namespace {

namespace po = boost::program_options;
using storage::Column;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kStandardMetrics[] = {"final_test_accuracy", "best_test_accuracy",
                                            "final_test_loss",     "best_test_loss",
                                            "gap_final",           "gap_best"};

/// The shortest "%.*g" text of v that reads back to v.
std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v) break;
  }
  return buffer;
}

std::string format(const char* pattern, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, v);
  return buffer;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : separator) + parts[i];
  return out;
}

/// The text of row `i` of a column (factor values).
std::string cell_text(const Column& c, std::size_t i) {
  switch (c.type) {
    case Column::Type::kString:
      return c.str[i];
    case Column::Type::kInt64:
      return std::to_string(c.i64[i]);
    case Column::Type::kFloat64:
      break;
  }
  return shortest(c.f64[i]);
}

const Column* find_column(const storage::Table& t, const std::string& name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

/// Accuracies and gaps (differences of accuracies) are shown in percentage points.
bool in_points(const std::string& metric) {
  return metric.find("accuracy") != std::string::npos || metric.rfind("gap_", 0) == 0;
}

/// Display name of a metric in table headers.
std::string metric_title(const std::string& metric) {
  if (metric == "final_test_accuracy") return "final test acc";
  if (metric == "best_test_accuracy") return "best-val test acc";
  if (metric == "final_test_loss") return "final test loss";
  if (metric == "best_test_loss") return "best-val test loss";
  if (metric == "gap_final") return "gap final";
  if (metric == "gap_best") return "gap best-val";
  return metric;
}

/// A value of `metric` for tables: points with 2 decimals, else 4 decimals.
std::string show(const std::string& metric, double v, bool sign = false) {
  if (std::isnan(v)) return "n/a";
  if (in_points(metric)) return format(sign ? "%+.2f" : "%.2f", 100.0 * v);
  return format(sign ? "%+.4f" : "%.4f", v);
}

std::string show_ci(const std::string& metric, const stats::Interval& ci) {
  if (std::isnan(ci.low) || std::isnan(ci.high)) return "n/a";
  return "[" + show(metric, ci.low) + ", " + show(metric, ci.high) + "]";
}

std::string show_p(double p) { return std::isnan(p) ? "n/a" : format("%.3g", p); }

MetricSummary summarize(const std::string& metric, const Column& column,
                        const std::vector<std::size_t>& rows) {
  std::vector<double> values;
  for (std::size_t r : rows) {
    if (!std::isnan(column.f64[r])) values.push_back(column.f64[r]);
  }
  MetricSummary s;
  s.metric = metric;
  s.n = values.size();
  s.mean = stats::mean(values);
  s.sd = stats::sample_sd(values);
  s.ci = stats::mean_ci(values, 0.95);
  return s;
}

/// Chooses the baseline arm (see report.hpp).
std::size_t choose_baseline(const Report& report, const std::string& wanted) {
  const auto& arms = report.arms;
  std::vector<std::string> labels;
  for (const auto& a : arms) labels.push_back("  " + a.label);
  const std::string choices = "arms:\n" + join(labels, "\n");
  if (wanted.empty()) {
    const auto it = std::find(report.factors.begin(), report.factors.end(), "regularizers");
    if (it != report.factors.end()) {
      const auto k = static_cast<std::size_t>(it - report.factors.begin());
      for (std::size_t a = 0; a < arms.size(); ++a) {
        if (arms[a].values[k] == "none") return a;
      }
    }
    return 0;
  }
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
  if (matches.empty()) {
    throw UsageError("report: --baseline '" + wanted + "' matches no arm; " + choices);
  }
  std::vector<std::string> matched;
  for (std::size_t a : matches) matched.push_back("  " + arms[a].label);
  throw UsageError("report: --baseline '" + wanted + "' matches several arms:\n" +
                   join(matched, "\n") + "\ngive a whole label");
}

/// Compares arm `a` with the baseline on `metric` (Holm adjustment is done by the caller).
ReportComparison compare(const Report& report, std::size_t a, const Column& metric,
                         const std::vector<std::string>& pair_keys) {
  const ReportArm& arm = report.arms[a];
  const ReportArm& base = report.arms[report.baseline];
  ReportComparison c;
  c.arm = a;
  std::map<std::string, double> base_by_key;
  std::vector<double> base_values, arm_values;
  for (std::size_t r : base.rows) {
    if (std::isnan(metric.f64[r])) continue;
    base_by_key[pair_keys[r]] = metric.f64[r];
    base_values.push_back(metric.f64[r]);
  }
  std::vector<double> x, y;
  for (std::size_t r : arm.rows) {
    if (std::isnan(metric.f64[r])) continue;
    arm_values.push_back(metric.f64[r]);
    const auto it = base_by_key.find(pair_keys[r]);
    if (it == base_by_key.end()) continue;
    x.push_back(metric.f64[r]);
    y.push_back(it->second);
  }
  c.p_wilcoxon = kNaN;
  if (x.size() >= 2) {
    const stats::TTest t = stats::paired_t_test(x, y);
    const stats::Wilcoxon w = stats::wilcoxon_signed_rank(x, y);
    c.method = "paired";
    c.pairs = c.n_arm = c.n_baseline = x.size();
    c.difference = t.mean_difference;
    c.ci = t.ci;
    c.p_t = t.pvalue;
    c.p_wilcoxon = w.pvalue;
    c.wilcoxon_exact = w.exact;
    return c;
  }
  const stats::TTest t = stats::welch_t_test(arm_values, base_values);
  c.method = arm_values.size() >= 2 && base_values.size() >= 2 ? "welch" : "none";
  c.n_arm = arm_values.size();
  c.n_baseline = base_values.size();
  c.difference = t.mean_difference;
  c.ci = t.ci;
  c.p_t = t.pvalue;
  return c;
}

/// Writes an aligned text table (markdown: a GitHub pipe table). `right[k]`: right-align column
/// k. Widths count bytes; labels are ASCII in practice (non-ASCII only misaligns).
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

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string csv_number(double v) { return std::isnan(v) ? "" : shortest(v); }

/// "12 cells, 10 complete, 2 excluded (1 failed, 1 diverged)".
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

/// The metrics summarised per arm, in order (the standard ones, the comparison metric, --columns
/// and the runs' spectral diagnostics).
std::vector<std::string> shown_metrics(const Report& report) {
  std::vector<std::string> out;
  if (report.arms.empty()) return report_metrics(report.metric);
  for (const auto& m : report.arms.front().metrics) out.push_back(m.metric);
  return out;
}

/// "dropout+max_norm" with one grouping factor, else the whole label.
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

void write_text(std::ostream& out, const Report& report, bool markdown) {
  const std::string bold = markdown ? "**" : "";
  const std::string status = status_text(report);
  const std::string sep = markdown ? "  \n" : "\n";
  out << bold << report.results_path << bold << ": " << status << sep;
  out << "arms by: " << (report.factors.empty() ? "(none)" : join(report.factors, ", "))
      << "; matched on: " << join(report.matched_on, ", ")
      << "; baseline: " << report.arms[report.baseline].label << "\n\n";

  // Per-arm table.
  const std::vector<std::string> metrics = shown_metrics(report);
  // The excluded column only when something was excluded.
  const bool show_excluded = report.excluded > 0;
  std::vector<std::string> header = {"arm", "n"};
  std::vector<bool> right = {false, true};
  if (show_excluded) {
    header.push_back("excluded");
    right.push_back(true);
  }
  for (const auto& m : metrics) {
    header.push_back(metric_title(m));
    header.push_back("95% CI");
    right.push_back(true);
    right.push_back(true);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& arm : report.arms) {
    std::vector<std::string> row = {arm.label, std::to_string(arm.rows.size())};
    if (show_excluded) row.push_back(std::to_string(arm.excluded));
    for (const auto& s : arm.metrics) {
      row.push_back(s.n == 0 ? "n/a" : show(s.metric, s.mean) + " (" + show(s.metric, s.sd) + ")");
      row.push_back(show_ci(s.metric, s.ci));
    }
    rows.push_back(row);
  }
  out << (markdown ? "Per arm: " : "per arm: ")
      << "mean (sd) over seeds and 95% CI of the mean; accuracy and gap in percentage points\n"
      << (markdown ? "\n" : "");
  write_grid(out, header, rows, right, markdown);

  // Comparisons.
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
  header = {"arm", "method",   "n",          "difference",     "95% CI",
            "t p", "t p Holm", "Wilcoxon p", "Wilcoxon p Holm"};
  right = {false, false, true, true, true, true, true, true, true};
  rows.clear();
  bool few_pairs = false;
  for (const auto& c : report.comparisons) {
    const bool paired = c.method == "paired";
    few_pairs = few_pairs || (paired && c.pairs < 6);
    rows.push_back({report.arms[c.arm].label, c.method,
                    paired ? std::to_string(c.pairs)
                           : std::to_string(c.n_arm) + " vs " + std::to_string(c.n_baseline),
                    show(report.metric, c.difference, true), show_ci(report.metric, c.ci),
                    show_p(c.p_t), show_p(c.p_t_holm), paired ? show_p(c.p_wilcoxon) : "-",
                    paired ? show_p(c.p_wilcoxon_holm) : "-"});
  }
  write_grid(out, header, rows, right, markdown);
  out << "\n";
  for (const auto& c : report.comparisons) {
    out << (markdown ? "- " : "") << interpretation(report, c) << "\n";
  }
  if (few_pairs) {
    out << "\n"
        << (markdown ? "Note: " : "note: ")
        << "with fewer than 6 pairs the two-sided Wilcoxon p cannot be below 0.05 (its minimum "
           "is 2/2^n: 0.25 for 3 pairs)\n";
  }
}

void write_csv(std::ostream& out, const Report& report) {
  const std::vector<std::string> metrics = shown_metrics(report);
  std::vector<std::string> header = {"arm"};
  for (const auto& f : report.factors) header.push_back(f);
  for (const char* h : {"n", "excluded", "is_baseline"}) header.push_back(h);
  for (const auto& m : metrics) {
    for (const char* s : {"_n", "_mean", "_sd", "_ci_low", "_ci_high"}) header.push_back(m + s);
  }
  for (const char* h : {"metric", "method", "pairs", "n_arm", "n_baseline", "difference",
                        "difference_ci_low", "difference_ci_high", "p_t", "p_t_holm", "p_wilcoxon",
                        "p_wilcoxon_holm", "wilcoxon_exact"}) {
    header.push_back(h);
  }
  std::vector<std::string> fields;
  for (const auto& h : header) fields.push_back(csv_field(h));
  out << join(fields, ",") << "\n";
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    const ReportArm& arm = report.arms[a];
    fields = {csv_field(arm.label)};
    for (const auto& v : arm.values) fields.push_back(csv_field(v));
    fields.push_back(std::to_string(arm.rows.size()));
    fields.push_back(std::to_string(arm.excluded));
    fields.push_back(a == report.baseline ? "true" : "false");
    for (const auto& s : arm.metrics) {
      fields.push_back(std::to_string(s.n));
      for (double v : {s.mean, s.sd, s.ci.low, s.ci.high}) fields.push_back(csv_number(v));
    }
    fields.push_back(csv_field(report.metric));
    const ReportComparison* c = nullptr;
    for (const auto& comparison : report.comparisons) {
      if (comparison.arm == a) c = &comparison;
    }
    if (c == nullptr) {
      fields.insert(fields.end(), 12, "");
    } else {
      fields.push_back(c->method);
      fields.push_back(c->method == "paired" ? std::to_string(c->pairs) : "0");
      fields.push_back(std::to_string(c->n_arm));
      fields.push_back(std::to_string(c->n_baseline));
      for (double v : {c->difference, c->ci.low, c->ci.high, c->p_t, c->p_t_holm, c->p_wilcoxon,
                       c->p_wilcoxon_holm}) {
        fields.push_back(csv_number(v));
      }
      fields.push_back(c->method != "paired" ? "" : c->wilcoxon_exact ? "true" : "false");
    }
    out << join(fields, ",") << "\n";
  }
}

}  // namespace

std::vector<std::string> report_metrics(const std::string& metric,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> metrics(std::begin(kStandardMetrics), std::end(kStandardMetrics));
  std::vector<std::string> wanted = {metric};
  wanted.insert(wanted.end(), extra.begin(), extra.end());
  for (const auto& m : wanted) {
    if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
  }
  return metrics;
}

std::string report_help() {
  std::ostringstream s;
  s << "reglab report RESULTS.h5 [--baseline ARM] [--by FACTOR[,FACTOR...]] [--metric NAME]\n"
       "                         [--format table|markdown|csv]\n\n"
       "Per arm (cells grouped by the --by factors, default every grid factor but seed; only\n"
       "complete cells): n, mean, sd and 95% CI of final and best-validation test accuracy,\n"
       "final test loss and the generalisation gap. Then every arm against the baseline on\n"
       "--metric, matched on seed: mean difference with 95% CI, paired t-test and Wilcoxon\n"
       "signed-rank p, Holm-adjusted across arms (Welch's t-test when fewer than 2 seeds "
       "match).\n\n"
       "options:\n"
       "  --baseline ARM   arm label, label without factor names, or a unique substring of one\n"
       "                   (default: regularizers=none if present, else the first arm)\n"
       "  --by FACTORS     grouping factors, comma-separated (default: all but seed)\n"
       "  --metric NAME    summary column compared (default final_test_accuracy)\n"
       "  --format F       table (default), markdown or csv\n"
       "  --columns M,...  per-arm metrics of the table (default final_test_accuracy,gap_final;\n"
       "                   any float column of /summary); markdown and csv add them\n"
       "  --wide           the table with every column (markdown and csv always have them)\n"
       "  --width N        fit the table into N columns (default: the terminal, $COLUMNS, 100)\n"
       "  -h, --help       show this help\n";
  return s.str();
}

ReportOptions parse_report_args(const std::vector<std::string>& args) {
  ReportOptions options;
  std::string format_name = "table";
  std::vector<std::string> by;
  std::vector<std::string> columns;
  std::vector<std::string> positional;
  po::options_description desc;
  desc.add_options()("help,h", po::bool_switch(&options.help))(
      "baseline", po::value<std::string>(&options.baseline))(
      "by", po::value<std::vector<std::string>>(&by)->composing())(
      "metric", po::value<std::string>(&options.metric))("format",
                                                         po::value<std::string>(&format_name))(
      "columns", po::value<std::vector<std::string>>(&columns)->composing())(
      "wide", po::bool_switch(&options.wide))("width", po::value<std::size_t>(&options.width))(
      "results", po::value<std::vector<std::string>>(&positional));
  po::positional_options_description pos;
  pos.add("results", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string("report: ") + e.what() + "\n" + report_help());
  }
  if (options.help) return options;
  if (positional.empty()) throw UsageError("report: missing RESULTS.h5\n" + report_help());
  if (positional.size() > 1) {
    throw UsageError("report: one RESULTS.h5 expected, got also '" + positional[1] + "'");
  }
  options.results_path = positional.front();
  for (const auto& list : by) {
    std::istringstream parts(list);
    for (std::string part; std::getline(parts, part, ',');) {
      const auto first = part.find_first_not_of(' ');
      const auto last = part.find_last_not_of(' ');
      if (first == std::string::npos)
        throw UsageError("report: empty factor in --by '" + list + "'");
      options.by.push_back(part.substr(first, last - first + 1));
    }
  }
  for (const auto& list : columns) {
    std::istringstream parts(list);
    for (std::string part; std::getline(parts, part, ',');) {
      const auto first = part.find_first_not_of(' ');
      const auto last = part.find_last_not_of(' ');
      if (first == std::string::npos)
        throw UsageError("report: empty metric in --columns '" + list + "'");
      options.columns.push_back(part.substr(first, last - first + 1));
    }
  }
  if (format_name == "table")
    options.format = ReportFormat::kTable;
  else if (format_name == "markdown")
    options.format = ReportFormat::kMarkdown;
  else if (format_name == "csv")
    options.format = ReportFormat::kCsv;
  else
    throw UsageError("report: --format must be table, markdown or csv, not '" + format_name + "'");
  return options;
}

namespace {

/// Spectral diagnostics (train/spectra.hpp) are shown per arm without being asked for.
bool is_spectral(const std::string& curve) {
  return curve.rfind("alpha.", 0) == 0 || curve.rfind("stable_rank.", 0) == 0 ||
         curve.rfind("spectral_norm.", 0) == 0;
}

/// The /summary table plus one float column per curve in `wanted` that /summary lacks, holding
/// each cell's last finite value of that curve (NaN for a cell without a run or the curve).
/// Adds every spectral curve of the runs to `wanted` first.
storage::Table with_curve_columns(const storage::ResultsFile& file,
                                  std::vector<std::string>& wanted) {
  storage::Table table = file.summary;
  for (const auto& run : file.runs) {
    for (const auto& [name, values] : run.curves) {
      if (is_spectral(name) && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
        wanted.push_back(name);
      }
    }
  }
  const Column* ids = find_column(table, "cell_id");
  if (ids == nullptr || ids->type != Column::Type::kString) return table;
  // Each run once, by id: a sweep of N cells costs N lookups per column, not N^2 comparisons.
  std::map<std::string, const storage::RunRecord*> by_id;
  for (const auto& run : file.runs) by_id.emplace(run.run_id, &run);
  for (const auto& name : wanted) {
    if (find_column(table, name) != nullptr) continue;
    Column column;
    column.name = name;
    bool found = false;
    for (const auto& id : ids->str) {
      double last = std::numeric_limits<double>::quiet_NaN();
      const auto it = by_id.find(id);
      if (it != by_id.end()) {
        for (const auto& [curve, values] : it->second->curves) {
          if (curve != name) continue;
          found = true;
          for (double v : values) {
            if (std::isfinite(v)) last = v;
          }
        }
      }
      column.f64.push_back(last);
    }
    if (found) table.columns.push_back(std::move(column));
  }
  return table;
}

}  // namespace

Report build_report(const storage::ResultsFile& file, const ReportOptions& options) {
  const std::string& path = options.results_path;
  std::vector<std::string> extra = options.columns;
  const storage::Table table = with_curve_columns(file, extra);
  const storage::Table& t = table;
  if (t.empty()) {
    throw StorageError(path +
                       ": not a sweep file (no /summary); report needs the merged file of "
                       "a sweep");
  }
  std::size_t name_index = t.columns.size(), seed_index = t.columns.size();
  for (std::size_t k = 0; k < t.columns.size(); ++k) {
    if (t.columns[k].name == "name" && name_index == t.columns.size()) name_index = k;
    if (t.columns[k].name == "seed" && seed_index == t.columns.size()) seed_index = k;
  }
  const Column* status = find_column(t, "status");
  if (name_index == t.columns.size() || seed_index == t.columns.size() || seed_index < name_index ||
      status == nullptr || status->type != Column::Type::kString) {
    throw StorageError(path + ": /summary lacks the name, seed or status column");
  }
  const Column& seed = t.columns[seed_index];

  // Factor columns, grouping factors and the allowed metrics.
  std::vector<std::size_t> all_factors;
  std::vector<std::string> factor_names;
  for (std::size_t k = name_index + 1; k < seed_index; ++k) {
    all_factors.push_back(k);
    factor_names.push_back(t.columns[k].name);
  }
  std::vector<std::size_t> group, other;
  if (options.by.empty()) {
    group = all_factors;
  } else {
    for (const auto& f : options.by) {
      const auto it = std::find(factor_names.begin(), factor_names.end(), f);
      if (it == factor_names.end()) {
        throw UsageError("report: --by '" + f + "' is not a factor of " + path + "; factors: " +
                         (factor_names.empty() ? "(none: the sweep varies only the seed)"
                                               : join(factor_names, ", ")));
      }
      const std::size_t k = all_factors[static_cast<std::size_t>(it - factor_names.begin())];
      if (std::find(group.begin(), group.end(), k) == group.end()) group.push_back(k);
    }
  }
  for (std::size_t k : all_factors) {
    if (std::find(group.begin(), group.end(), k) == group.end()) other.push_back(k);
  }
  std::vector<std::string> allowed;
  for (std::size_t k = seed_index + 1; k < t.columns.size(); ++k) {
    if (t.columns[k].type == Column::Type::kFloat64) allowed.push_back(t.columns[k].name);
  }
  if (std::find(allowed.begin(), allowed.end(), options.metric) == allowed.end()) {
    throw UsageError("report: --metric '" + options.metric + "' is not a float column of " + path +
                     "'s /summary; choose one of: " + join(allowed, ", "));
  }
  for (const auto& c : options.columns) {
    if (std::find(allowed.begin(), allowed.end(), c) == allowed.end()) {
      throw UsageError("report: --columns '" + c + "' is neither a float column of " + path +
                       "'s /summary nor a curve of its runs" + config::did_you_mean(c, allowed) +
                       "; choose from: " + join(allowed, ", "));
    }
  }
  const std::vector<std::string> metrics = report_metrics(options.metric, extra);
  std::vector<const Column*> metric_columns;
  for (const auto& m : metrics) {
    const Column* c = find_column(t, m);
    if (c == nullptr || c->type != Column::Type::kFloat64) {
      throw StorageError(path + ": /summary lacks the float64 column " + m);
    }
    metric_columns.push_back(c);
  }

  Report report;
  report.results_path = path;
  report.metric = options.metric;
  report.cells = t.rows();
  for (std::size_t k : group) report.factors.push_back(t.columns[k].name);
  report.matched_on.push_back("seed");
  for (std::size_t k : other) report.matched_on.push_back(t.columns[k].name);

  // Arms, in order of first appearance, and the pairing key of each row.
  std::map<std::string, std::size_t> arm_index;
  std::vector<std::string> pair_keys(t.rows());
  for (std::size_t i = 0; i < t.rows(); ++i) {
    std::vector<std::string> values, named;
    for (std::size_t k : group) {
      values.push_back(cell_text(t.columns[k], i));
      named.push_back(t.columns[k].name + "=" + values.back());
    }
    std::string key = cell_text(seed, i);
    for (std::size_t k : other) key += '\x1f' + cell_text(t.columns[k], i);
    pair_keys[i] = key;
    const std::string arm_key = join(values, "\x1f");
    auto it = arm_index.find(arm_key);
    if (it == arm_index.end()) {
      ReportArm arm;
      arm.values = values;
      arm.label = group.empty() ? "(all)" : join(named, ", ");
      arm.short_label = group.empty() ? "(all)" : join(values, ", ");
      it = arm_index.emplace(arm_key, report.arms.size()).first;
      report.arms.push_back(arm);
    }
    ReportArm& arm = report.arms[it->second];
    if (status->str[i] == "complete") {
      arm.rows.push_back(i);
      continue;
    }
    ++arm.excluded;
    ++report.excluded;
    auto s = std::find_if(report.excluded_by_status.begin(), report.excluded_by_status.end(),
                          [&](const auto& e) { return e.first == status->str[i]; });
    if (s == report.excluded_by_status.end())
      report.excluded_by_status.emplace_back(status->str[i], 1);
    else
      ++s->second;
  }
  if (report.arms.empty()) throw StorageError(path + ": /summary has no rows");
  for (auto& arm : report.arms) {
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      arm.metrics.push_back(summarize(metrics[m], *metric_columns[m], arm.rows));
    }
  }

  report.baseline = choose_baseline(report, options.baseline);
  if (report.arms[report.baseline].rows.empty()) {
    throw UsageError("report: the baseline arm " + report.arms[report.baseline].label +
                     " has no complete cells; choose another with --baseline");
  }
  const Column& metric = *metric_columns[static_cast<std::size_t>(
      std::find(metrics.begin(), metrics.end(), options.metric) - metrics.begin())];
  std::vector<double> p_t, p_w;
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    if (a == report.baseline) continue;
    report.comparisons.push_back(compare(report, a, metric, pair_keys));
    p_t.push_back(report.comparisons.back().p_t);
    p_w.push_back(report.comparisons.back().p_wilcoxon);
  }
  const std::vector<double> holm_t = stats::holm(p_t), holm_w = stats::holm(p_w);
  for (std::size_t c = 0; c < report.comparisons.size(); ++c) {
    report.comparisons[c].p_t_holm = holm_t[c];
    report.comparisons[c].p_wilcoxon_holm = holm_w[c];
  }
  return report;
}

void write_report(std::ostream& out, const Report& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      write_text(out, report, false);
      break;
    case ReportFormat::kMarkdown:
      write_text(out, report, true);
      break;
    case ReportFormat::kCsv:
      write_csv(out, report);
      break;
  }
}

int report_command(const std::vector<std::string>& args, std::ostream& out) {
  const ReportOptions options = parse_report_args(args);
  if (options.help) {
    out << report_help();
    return 0;
  }
  const storage::ResultsFile file = storage::read_results(options.results_path);
  const Report report = build_report(file, options);
  if (options.format == ReportFormat::kTable && !options.wide) {
    const std::vector<std::string> columns =
        options.columns.empty() ? std::vector<std::string>{"final_test_accuracy", "gap_final"}
                                : options.columns;
    write_compact(out, report, columns, report_width(options.width));
  } else {
    write_report(out, report, options.format);
  }
  return 0;
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

namespace {

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

}  // namespace

void write_compact(std::ostream& out, const Report& report, const std::vector<std::string>& columns,
                   std::size_t width) {
  const std::string status = status_text(report);
  out << wrap(report.results_path + ": " + status + "; arms by " +
                  (report.factors.empty() ? "(none)" : join(report.factors, ", ")) +
                  ", matched on " + join(report.matched_on, ", "),
              width, 2);
  const bool show_excluded = report.excluded > 0;
  std::vector<const ReportComparison*> versus(report.arms.size(), nullptr);
  for (const auto& c : report.comparisons) versus[c.arm] = &c;
  // Candidate columns; `ci[k]` marks the CI column of a metric (dropped first, last one first).
  std::vector<std::string> header = {"arm", "n"};
  std::vector<bool> right = {false, true}, ci = {false, false};
  if (show_excluded) {
    header.push_back("excl.");
    right.push_back(true);
    ci.push_back(false);
  }
  for (const auto& m : columns) {
    header.insert(header.end(), {metric_title(m), "95% CI"});
    right.insert(right.end(), {true, true});
    ci.insert(ci.end(), {false, true});
  }
  header.insert(header.end(),
                {"vs " + display_label(report, report.arms[report.baseline]), "p (Holm)"});
  right.insert(right.end(), {true, true});
  ci.insert(ci.end(), {false, false});
  std::vector<std::vector<std::string>> rows;
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    const ReportArm& arm = report.arms[a];
    std::vector<std::string> row = {display_label(report, arm), std::to_string(arm.rows.size())};
    if (show_excluded) row.push_back(std::to_string(arm.excluded));
    for (const auto& m : columns) {
      const auto s = std::find_if(arm.metrics.begin(), arm.metrics.end(),
                                  [&](const MetricSummary& x) { return x.metric == m; });
      if (s == arm.metrics.end() || s->n == 0) {
        row.insert(row.end(), {"n/a", "n/a"});
      } else {
        row.push_back(show(m, s->mean) + " (" + show(m, s->sd) + ")");
        row.push_back(show_ci(m, s->ci));
      }
    }
    const ReportComparison* c = versus[a];
    if (a == report.baseline) {
      row.insert(row.end(), {"baseline", ""});
    } else if (c == nullptr || c->method == "none") {
      row.insert(row.end(), {"n/a", "n/a"});
    } else {
      row.push_back(show(report.metric, c->difference, true));
      row.push_back(show_p(c->p_t_holm) + (c->method == "welch" ? " W" : ""));
    }
    rows.push_back(row);
  }
  // Drop CI columns, last metric first, until the table fits.
  for (std::size_t k = header.size(); k-- > 0 && grid_width(header, rows) > width;) {
    if (!ci[k]) continue;
    header.erase(header.begin() + static_cast<long>(k));
    right.erase(right.begin() + static_cast<long>(k));
    for (auto& row : rows) row.erase(row.begin() + static_cast<long>(k));
  }
  // Then shorten the arm labels.
  const std::size_t total = grid_width(header, rows);
  std::size_t label = 0;
  for (const auto& row : rows) label = std::max(label, row[0].size());
  if (total > width && label > 12) {
    const std::size_t keep = std::max<std::size_t>(12, label - (total - width));
    for (auto& row : rows) {
      if (row[0].size() > keep) row[0] = row[0].substr(0, keep - 1) + "~";
    }
  }
  const std::string unit = in_points(report.metric) ? " (points)" : "";
  const bool any_ci = std::find(header.begin(), header.end(), "95% CI") != header.end();
  out << "\n"
      << wrap(std::string("per arm: mean (sd) over seeds") + (any_ci ? " and 95% CI" : "") +
                  "; accuracy and gap in percentage points; vs " +
                  display_label(report, report.arms[report.baseline]) + ": difference in " +
                  report.metric + unit + ", t-test p Holm-adjusted (W: Welch, unpaired)",
              width, 2);
  write_grid(out, header, rows, right, false);
  if (!report.comparisons.empty()) out << "\n";
  for (const auto& c : report.comparisons) out << wrap(interpretation(report, c), width, 2);
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

int report_command(const std::vector<std::string>& args) { return report_command(args, std::cout); }

}  // namespace reglab::experiment
