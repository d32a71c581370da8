/// `reglab report RESULTS.h5`: per-arm statistics of a sweep and paired comparisons against a
/// baseline arm, from the file's /summary table (experiment/sweep_runner.hpp lists its columns).
///
/// Arms. The summary's factor columns are those between `name` and `seed` (one per varying key
/// path). Cells are grouped into arms by the factors given with --by (default: all of them), and
/// an arm is labelled "factor=value, ..." in column order ("(all)" without factors). Numeric
/// factor values are written in the shortest form that reads back to the same double, so a grid
/// value written `1e-3` is labelled `0.001`. Arms are listed in the order of their first cell.
/// Only cells with status "complete" count; diverged, failed and missing cells are excluded and
/// counted per arm (excluding diverged cells favours arms that diverge: the count is printed so
/// that this is visible). NaN metric values of complete cells are skipped for that metric.
///
/// Per arm: n (complete cells), and mean, sample standard deviation and 95% t confidence
/// interval of the mean of final_test_accuracy, best_test_accuracy (test accuracy at the epoch of
/// best validation accuracy), final_test_loss and gap_final (train minus test accuracy), plus the
/// comparison metric if it is none of these.
///
/// Comparisons (of the --metric column, default final_test_accuracy; any float64 summary column
/// that is not a factor): every arm against the baseline arm. Cells are matched on seed and on
/// the values of the factors not in --by, i.e. cell pairs that differ only in the arm's factors;
/// the replicate seed alone fixes the data split, order and initialisation (README, Sweeps), so
/// matched cells share them. With at least 2 matched pairs: mean difference (arm - baseline) with
/// its 95% t interval, the paired t-test and the Wilcoxon signed-rank test (core/stats.hpp: zero
/// differences dropped, exact distribution for up to 25 untied differences). With fewer pairs:
/// Welch's t-test on the two arms' unpaired values (method "welch", no Wilcoxon). The t p-values
/// (paired and Welch together) and the Wilcoxon p-values are each Holm-adjusted across the arms
/// compared (stats::holm). The baseline is --baseline (an arm label, a label without the factor
/// names, or a unique substring of a label), else the first arm whose `regularizers` factor is
/// "none" if `regularizers` is a grouping factor, else the first arm.
///
/// Selection on validation (--select-by METRIC --within FACTOR[,FACTOR...]). The arms are the
/// --within factors (instead of --by); within an arm, a setting is one combination of the values
/// of the other factors (seed aside). Each arm keeps the one setting with the best mean of the
/// selection column over its seeds (higher for an accuracy, lower for a loss; ties: the first
/// setting in sweep order) and reports only that setting's cells: its test numbers, and the
/// comparisons with the baseline arm's chosen setting, matched on seed. `validation_accuracy` and
/// `validation_loss` are short for final_validation_accuracy and final_validation_loss; any other
/// float accuracy or loss column of /summary may be named, except test columns (the numbers
/// reported must not choose the setting). A setting with a cell that is not complete or whose
/// selection value is NaN is skipped and named in the report (never chosen on a subset of its
/// seeds); an arm none of whose settings can be chosen is an error, and so is a selection column
/// that is NaN in every complete cell (the sweep has no validation split).
///
/// Units: in table and markdown formats, metrics whose name contains "accuracy" and the gap
/// columns (gap_*) are shown in percentage points (x 100); CSV holds the values as stored.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "framework/core/stats.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {

/// Output format of the report.
enum class ReportFormat { kTable, kMarkdown, kCsv };

/// Parsed command line of `reglab report`.
struct ReportOptions {
  std::string results_path;
  std::string baseline;         ///< empty: the default baseline
  std::vector<std::string> by;  ///< grouping factors; empty: every factor column
  std::string metric = "final_test_accuracy";
  ReportFormat format = ReportFormat::kTable;
  /// --columns: the per-arm metrics of the table format (default final_test_accuracy and
  /// gap_final); any float summary column. Markdown, CSV and --wide show these after the
  /// standard ones.
  std::vector<std::string> columns;
  bool wide = false;      ///< --wide: the table format with every column (lines of ~230 chars)
  std::size_t width = 0;  ///< --width; 0: the terminal's width, else $COLUMNS, else 100
  bool help = false;      ///< --help was given (nothing else is checked)
  std::string select_by;  ///< --select-by: the column settings are chosen on; "": none
  std::vector<std::string> within;  ///< --within: the arms' factors when selecting
};

/// Mean, sample standard deviation and 95% confidence interval of one metric over an arm's cells.
struct MetricSummary {
  std::string metric;  ///< summary column name
  std::size_t n = 0;   ///< non-NaN values
  double mean = 0.0;
  double sd = 0.0;
  stats::Interval ci{0.0, 0.0};
};

/// With --select-by: the setting chosen in one arm.
struct ArmSelection {
  std::string setting;  ///< "optimizer.learning_rate=0.02"; "(one setting)" if no factor
  std::vector<std::string> values;  ///< one per Report::setting_factors
  double mean = 0.0;                ///< mean of the selection column over the setting's seeds
  std::size_t seeds = 0;            ///< cells of the setting
  std::size_t candidates = 0;       ///< settings it was chosen from (skipped ones not counted)
  std::vector<std::string>
      skipped;  ///< "setting (reason)" of each setting that could not be chosen
};

/// One arm: the cells that share the values of the grouping factors.
struct ReportArm {
  std::string label;                   ///< "regularizers=dropout, optimizer.learning_rate=0.02"
  std::string short_label;             ///< the values only: "dropout, 0.02"
  std::vector<std::string> values;     ///< one per grouping factor, as in the label
  std::vector<std::size_t> rows;       ///< summary rows of its complete cells
  std::size_t excluded = 0;            ///< cells not complete
  std::vector<MetricSummary> metrics;  ///< report_metrics(options.metric) order
  ArmSelection selection;  ///< with --select-by: the chosen setting (rows are its cells)
};

/// One arm compared with the baseline on the comparison metric.
struct ReportComparison {
  std::size_t arm = 0;    ///< index into Report::arms
  std::string method;     ///< "paired", "welch" or "none" (too few values for either)
  std::size_t pairs = 0;  ///< matched pairs (paired) ; 0 for welch
  std::size_t n_arm = 0, n_baseline = 0;  ///< values used from each arm
  double difference = 0.0;                ///< mean of arm - baseline
  stats::Interval ci{0.0, 0.0};           ///< 95% interval of the difference
  double p_t = 0.0, p_t_holm = 0.0;       ///< paired or Welch t-test, raw and Holm-adjusted
  double p_wilcoxon = 0.0, p_wilcoxon_holm = 0.0;  ///< NaN for welch and none
  bool wilcoxon_exact = false;
};

/// Everything `reglab report` prints.
struct Report {
  std::string results_path;
  std::string metric;                   ///< comparison metric
  std::vector<std::string> factors;     ///< grouping factor columns
  std::vector<std::string> matched_on;  ///< "seed" and the factors not grouped by
  std::size_t cells = 0;                ///< rows of /summary
  std::size_t excluded = 0;             ///< rows whose status is not "complete"
  std::vector<std::pair<std::string, std::size_t>> excluded_by_status;  ///< in first-seen order
  std::vector<ReportArm> arms;
  std::size_t baseline = 0;                   ///< index into arms
  std::vector<ReportComparison> comparisons;  ///< every arm but the baseline, in arm order
  std::string select_by;                      ///< --select-by's column; "": no selection
  bool select_higher = true;                  ///< a higher selection value is better
  std::vector<std::string> setting_factors;   ///< the factors a setting is made of
};

/// The metrics summarised per arm: final_test_accuracy, best_test_accuracy, final_test_loss,
/// gap_final, then `metric` and each of `extra` that is not already listed.
std::vector<std::string> report_metrics(const std::string& metric,
                                        const std::vector<std::string>& extra = {});

/// Parses `RESULTS.h5 [--baseline ARM] [--by FACTOR[,FACTOR...]] [--metric NAME]
/// [--format table|markdown|csv] [--select-by METRIC --within FACTOR[,FACTOR...]]` (--by and
/// --within may repeat). Throws UsageError on a missing or extra positional argument, an unknown
/// format, --select-by without --within or the reverse, --by with --within, or an option Boost
/// rejects (the message is Boost's).
ReportOptions parse_report_args(const std::vector<std::string>& args);

/// The help text of `reglab report`.
std::string report_help();

/// Computes the report of a sweep file already read; `options.results_path` only names the file
/// in messages. Throws StorageError if the file is not a sweep or /summary lacks name, seed,
/// status or a metric column; UsageError for an unknown --by factor, --metric or --baseline (the
/// message lists the valid choices) or a baseline without complete cells; with --select-by,
/// UsageError for an unknown --within factor, a selection column that is unknown, a test
/// column, neither an accuracy nor a loss, or NaN in every complete cell, and an arm without a
/// setting that can be chosen.
Report build_report(const storage::ResultsFile& file, const ReportOptions& options);

/// Writes `report` in `format`, every column (the table format as with --wide).
void write_report(std::ostream& out, const Report& report, ReportFormat format);

/// The table format's default view, made to be read in a terminal of `width` columns: per arm n,
/// each of `columns` as mean (sd) with its 95% CI, and the difference from the baseline on the
/// comparison metric with its Holm-adjusted p (paired or Welch t); then one line per comparison,
/// wrapped. Columns that do not fit are dropped in this order: the CIs from the last metric
/// backwards, then the arm labels are shortened (a final '~' marks a cut label).
void write_compact(std::ostream& out, const Report& report, const std::vector<std::string>& columns,
                   std::size_t width);

/// The width `reglab report` fits: `requested` if not 0, else the terminal's (stdout), else
/// $COLUMNS, else 100; at least 40.
std::size_t report_width(std::size_t requested);

/// `reglab report ARGS`: parses, reads the file (storage::read_results), builds and writes the
/// report to `out`. Returns 0. Throws UsageError / StorageError as above.
int report_command(const std::vector<std::string>& args, std::ostream& out);

/// report_command writing to std::cout.
int report_command(const std::vector<std::string>& args);

}  // namespace reglab::experiment
