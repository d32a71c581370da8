/// Internal declarations shared by the files of `reglab report` (not installed with report.hpp):
///
///   report.cpp          build_report, write_report, report_command: the entry tying them together
///   report_args.cpp     the command line into ReportOptions, and the help text
///   report_arms.cpp     the /summary table: its columns checked, its cells grouped into arms
///   report_select.cpp   --select-by: the setting of each arm chosen on a validation column
///   report_stats.cpp    per-arm summaries and the comparisons with the baseline (Holm)
///   report_format.cpp   values, labels and aligned grids shared by the renderings
///   report_text.cpp     the table (--wide) and markdown renderings
///   report_compact.cpp  the table fitted to the terminal's width
///   report_csv.cpp      the CSV rendering
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "framework/core/stats.hpp"
#include "framework/experiment/report.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment::report_detail {

// --- report_arms.cpp ---------------------------------------------------------------------------

/// The /summary table of a sweep as the report reads it, columns located and checked.
struct SummaryTable {
  /// /summary plus one column per curve asked for that it lacks (with_curve_columns).
  storage::Table table;
  std::size_t seed = 0;              ///< index of the seed column
  std::size_t status = 0;            ///< index of the status column
  std::vector<std::size_t> group;    ///< grouping factor columns (--by or --within; default all)
  std::vector<std::size_t> other;    ///< factor columns not grouped by (matched on; settings)
  std::vector<std::string> metrics;  ///< report_metrics order
  std::vector<std::size_t> metric_columns;  ///< column of each metric
  std::size_t comparison = 0;               ///< index into metrics of options.metric
};

/// Reads `file`'s /summary for `options`. Throws StorageError if it is missing or lacks name,
/// seed, status or a float64 metric column; UsageError for an unknown --by or --within factor,
/// --metric or --columns name.
SummaryTable read_summary(const storage::ResultsFile& file, const ReportOptions& options);

/// The text of row `i` of a column (factor values; numbers in their shortest round-trip form).
std::string cell_text(const storage::Column& c, std::size_t i);

/// Index of the first column called `name`, or t.columns.size().
std::size_t column_index(const storage::Table& t, const std::string& name);

/// The float columns after seed: the names --metric, --columns and --select-by may give.
std::vector<std::string> metric_names(const SummaryTable& s);

/// Each /summary row's arm and pairing key.
struct ArmGrouping {
  /// The key that matches a row with its counterparts in other arms (seed and the factors not
  /// grouped by).
  std::vector<std::string> pair_keys;
  std::vector<std::size_t> arm_of_row;  ///< index into Report::arms, complete or not
};

/// The arms of `summary` (in order of their first cell, without metrics) and the cell counts of
/// `report`. Throws StorageError if /summary has no rows.
ArmGrouping group_arms(const SummaryTable& summary, Report& report);

/// The baseline arm (see report.hpp): `wanted`, else the first arm whose regularizers factor is
/// "none", else the first. Throws UsageError if `wanted` matches no arm or several.
std::size_t choose_baseline(const Report& report, const std::string& wanted);

/// Spectral diagnostics (train/spectra.hpp) are shown per arm without being asked for.
bool is_spectral(const std::string& curve);

// --- report_select.cpp -------------------------------------------------------------------------

/// --select-by (see report.hpp): keeps in each arm of `report` the rows of its chosen setting and
/// fills its selection, and makes `grouping` pair cells on seed alone. Throws UsageError as
/// build_report describes.
void select_settings(const SummaryTable& summary, const ReportOptions& options, Report& report,
                     ArmGrouping& grouping);

// --- report_stats.cpp --------------------------------------------------------------------------

/// Mean, sd and 95% CI of `column` over `rows`, NaN values skipped.
MetricSummary summarize(const std::string& metric, const storage::Column& column,
                        const std::vector<std::size_t>& rows);

/// Every arm but the baseline compared with it on `metric` (paired on `pair_keys`, else Welch),
/// the t and Wilcoxon p-values each Holm-adjusted across the arms; in arm order.
std::vector<ReportComparison> compare_with_baseline(const Report& report,
                                                    const storage::Column& metric,
                                                    const std::vector<std::string>& pair_keys);

// --- report_format.cpp -------------------------------------------------------------------------

/// `parts` joined with `separator`.
std::string join(const std::vector<std::string>& parts, const std::string& separator);

/// Accuracies and gaps (differences of accuracies) are shown in percentage points.
bool in_points(const std::string& metric);

/// Display name of a metric in table headers.
std::string metric_title(const std::string& metric);

/// A value of `metric` for tables: points with 2 decimals, else 4 decimals; "n/a" for NaN.
std::string show(const std::string& metric, double v, bool sign = false);

/// "[low, high]" of `metric`, or "n/a".
std::string show_ci(const std::string& metric, const stats::Interval& ci);

/// A p-value with 3 significant digits, or "n/a".
std::string show_p(double p);

/// "12 cells, 10 complete, 2 excluded (1 failed, 1 diverged)".
std::string status_text(const Report& report);

/// The metrics summarised per arm, in order (the standard ones, the comparison metric, --columns
/// and the runs' spectral diagnostics).
std::vector<std::string> shown_metrics(const Report& report);

/// "dropout+max_norm" with one grouping factor, else the whole label.
std::string display_label(const Report& report, const ReportArm& arm);

/// One comparison in words: "dropout vs none: -1.55 points [95% CI ...], paired t p=...".
std::string interpretation(const Report& report, const ReportComparison& c);

/// With --select-by: how each arm's setting was chosen, one sentence.
std::string selection_heading(const Report& report);

/// With --select-by, one arm's chosen setting: "dropout: optimizer.learning_rate=0.02; mean
/// final_validation_accuracy 85.12 over 3 seeds; chosen from 3 settings[; skipped: ...]".
std::string selection_line(const Report& report, const ReportArm& arm);

/// Writes an aligned text table (markdown: a GitHub pipe table). `right[k]`: right-align column
/// k. Widths count bytes; labels are ASCII in practice (non-ASCII only misaligns).
void write_grid(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right,
                bool markdown);

// --- report_text.cpp, report_csv.cpp -----------------------------------------------------------

/// The table format with every column (`markdown`: the markdown format).
void write_text(std::ostream& out, const Report& report, bool markdown);

/// The CSV format (core/csv.hpp): one row per arm, its summaries and its comparison.
void write_csv(std::ostream& out, const Report& report);

}  // namespace reglab::experiment::report_detail
