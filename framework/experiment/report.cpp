/// `reglab report` (see report.hpp): reads the results file, builds the report from its /summary
/// (report_arms.cpp, report_select.cpp, report_stats.cpp) and writes it in the chosen format
/// (report_text.cpp, report_compact.cpp, report_csv.cpp). report_internal.hpp lists every piece.
#include "framework/experiment/report.hpp"

#include <iostream>

#include "framework/core/error.hpp"
#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment {

Report build_report(const storage::ResultsFile& file, const ReportOptions& options) {
  using namespace report_detail;
  const SummaryTable summary = read_summary(file, options);
  Report report;
  report.results_path = options.results_path;
  report.metric = options.metric;
  ArmGrouping grouping = group_arms(summary, report);
  if (!options.select_by.empty()) select_settings(summary, options, report, grouping);
  for (auto& arm : report.arms) {
    for (std::size_t m = 0; m < summary.metrics.size(); ++m) {
      const storage::Column& column = summary.table.columns[summary.metric_columns[m]];
      arm.metrics.push_back(summarize(summary.metrics[m], column, arm.rows));
    }
  }
  report.baseline = choose_baseline(report, options.baseline);
  if (report.arms[report.baseline].rows.empty()) {
    throw UsageError("report: the baseline arm " + report.arms[report.baseline].label +
                     " has no complete cells; choose another with --baseline");
  }
  const storage::Column& metric = summary.table.columns[summary.metric_columns[summary.comparison]];
  report.comparisons = compare_with_baseline(report, metric, grouping.pair_keys);
  return report;
}

void write_report(std::ostream& out, const Report& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      report_detail::write_text(out, report, false);
      break;
    case ReportFormat::kMarkdown:
      report_detail::write_text(out, report, true);
      break;
    case ReportFormat::kCsv:
      report_detail::write_csv(out, report);
      break;
  }
}

int report_command(const std::vector<std::string>& args, std::ostream& out) {
  const ReportOptions options = parse_report_args(args);
  if (options.help) {
    out << report_help();
    return 0;
  }
  storage::ReadOptions read;
  read.weights = false;  // the report uses curves, attributes and /summary only
  const storage::ResultsFile file = storage::read_results(options.results_path, read);
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

int report_command(const std::vector<std::string>& args) { return report_command(args, std::cout); }

}  // namespace reglab::experiment
