// Tests of `reglab report --select-by METRIC --within FACTORS` (framework/experiment/report.hpp,
// report_select.cpp) on a sweep file built here whose validation and test accuracies are set
// independently, so that the chosen setting and the test numbers reported are known by
// construction: the setting with the best test accuracy is not the one with the best validation
// accuracy, one arm has a tie, and each error has its file. Expected p-values were computed with
// Debian's /usr/bin/python3 (scipy 1.10.1) by the calls quoted next to them.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/report.hpp"
#include "framework/storage/results.hpp"
#include "support/temp_dir.hpp"

using reglab::UsageError;
using reglab::experiment::build_report;
using reglab::experiment::parse_report_args;
using reglab::experiment::Report;
using reglab::experiment::report_command;
using reglab::experiment::ReportOptions;
using reglab::storage::Column;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

doctest::Approx rel(double expected, double tolerance) {
  return doctest::Approx(expected).epsilon(tolerance).scale(0.0);
}

/// One summary row: arm, setting (learning rate), seed, status and the two accuracies that
/// matter; the other metrics are derived from them.
struct Cell {
  std::string regularizers;
  double learning_rate;
  std::int64_t seed;
  std::string status;
  double validation;              // final_validation_accuracy (final_validation_loss is 1 - it)
  double test;                    // final_test_accuracy
  double best_validation = kNaN;  // best_validation_accuracy; NaN: same as `validation`
};

Column column(const std::string& name, Column::Type type) {
  Column c;
  c.name = name;
  c.type = type;
  return c;
}

/// A sweep file whose /summary has sweep_runner's layout around the two factors regularizers and
/// optimizer.learning_rate: cell_id, name, factors, seed, status, then float metrics.
reglab::storage::ResultsFile sweep_file(const std::vector<Cell>& cells) {
  using Type = Column::Type;
  reglab::storage::Table t;
  for (const char* name : {"cell_id", "name", "regularizers"}) {
    t.columns.push_back(column(name, Type::kString));
  }
  t.columns.push_back(column("optimizer.learning_rate", Type::kFloat64));
  t.columns.push_back(column("seed", Type::kInt64));
  t.columns.push_back(column("status", Type::kString));
  for (const char* name : {"final_validation_loss", "final_validation_accuracy", "final_test_loss",
                           "final_test_accuracy", "best_validation_accuracy", "best_test_loss",
                           "best_test_accuracy", "gap_final", "gap_best"}) {
    t.columns.push_back(column(name, Type::kFloat64));
  }
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    t.columns[0].str.push_back("cell" + std::to_string(i));
    t.columns[1].str.push_back(c.regularizers + ", " + std::to_string(c.learning_rate) + ", " +
                               std::to_string(c.seed));
    t.columns[2].str.push_back(c.regularizers);
    t.columns[3].f64.push_back(c.learning_rate);
    t.columns[4].i64.push_back(c.seed);
    t.columns[5].str.push_back(c.status);
    const double best = std::isnan(c.best_validation) ? c.validation : c.best_validation;
    std::size_t k = 6;
    for (double v : {1.0 - c.validation, c.validation, 1.0 - c.test, c.test, best, 1.0 - c.test,
                     c.test, 0.99 - c.test, 0.99 - c.test}) {
      t.columns[k++].f64.push_back(v);
    }
  }
  reglab::storage::ResultsFile f;
  f.reglab_version = "0.1.0";
  f.created_utc = "2026-12-04T03:00:00Z";
  f.config_yaml = "name: select-test\n";
  f.summary = t;
  return f;
}

// Per arm, two learning rates x seeds 1-3, in sweep order:
// - none: 0.1 has validation mean 0.81, 0.01 has 0.85: chosen 0.01 (test 0.83, 0.84, 0.85).
// - dropout: 0.1 has the best test accuracy (0.91) but validation 0.84; 0.01 has validation
//   0.87: chosen 0.01 (test 0.85, 0.87, 0.86, mean 0.86). Selecting on test would report 0.91.
//   best_validation_accuracy prefers 0.1 (0.95).
// - l2: both rates have validation mean 0.85 (the same values in another order): the tie goes
//   to the first, 0.1 (test 0.80, 0.82, 0.81); 0.01 would report 0.95.
const std::vector<Cell> kCells = {
    {"none", 0.1, 1, "complete", 0.80, 0.79},
    {"none", 0.1, 2, "complete", 0.82, 0.80},
    {"none", 0.1, 3, "complete", 0.81, 0.78},
    {"none", 0.01, 1, "complete", 0.84, 0.83},
    {"none", 0.01, 2, "complete", 0.85, 0.84},
    {"none", 0.01, 3, "complete", 0.86, 0.85},
    {"dropout", 0.1, 1, "complete", 0.83, 0.90, 0.95},
    {"dropout", 0.1, 2, "complete", 0.84, 0.91, 0.95},
    {"dropout", 0.1, 3, "complete", 0.85, 0.92, 0.95},
    {"dropout", 0.01, 1, "complete", 0.86, 0.85},
    {"dropout", 0.01, 2, "complete", 0.87, 0.87},
    {"dropout", 0.01, 3, "complete", 0.88, 0.86},
    {"l2", 0.1, 1, "complete", 0.84, 0.80},
    {"l2", 0.1, 2, "complete", 0.86, 0.82},
    {"l2", 0.1, 3, "complete", 0.85, 0.81},
    {"l2", 0.01, 1, "complete", 0.86, 0.95},
    {"l2", 0.01, 2, "complete", 0.84, 0.95},
    {"l2", 0.01, 3, "complete", 0.85, 0.95},
};

/// The temporary folder of one test and the file written into it.
class SweepFile {
 public:
  explicit SweepFile(const std::vector<Cell>& cells) : dir_("reglab_report_select") {
    path_ = dir_.file("sweep.h5");
    reglab::storage::write_results(path_, sweep_file(cells), false);
  }
  const std::string& path() const { return path_; }

  /// The report with `select_by` chosen within regularizers (or `within`).
  Report report(const std::string& select_by, std::vector<std::string> within = {"regularizers"},
                ReportOptions options = {}) const {
    options.results_path = path_;
    options.select_by = select_by;
    options.within = std::move(within);
    return build_report(reglab::storage::read_results(path_), options);
  }

 private:
  reglab::testing::TempDir dir_;
  std::string path_;
};

/// `cells` with the validation accuracy of those matching (arm, rate, seed) replaced by `v`.
std::vector<Cell> with_validation(std::vector<Cell> cells, const std::string& arm, double rate,
                                  std::int64_t seed, double v) {
  for (auto& c : cells) {
    if (c.regularizers == arm && c.learning_rate == rate && (seed == 0 || c.seed == seed)) {
      c.validation = v;
    }
  }
  return cells;
}

std::string message_of(const SweepFile& file, const std::string& select_by,
                       const std::vector<std::string>& within = {"regularizers"}) {
  try {
    file.report(select_by, within);
  } catch (const UsageError& e) {
    return e.what();
  }
  FAIL("no UsageError for --select-by " << select_by);
  return "";
}

}  // namespace

TEST_CASE("report --select-by: the setting with the best validation mean, its test numbers") {
  const SweepFile file(kCells);
  const Report r = file.report("validation_accuracy");
  CHECK(r.select_by == "final_validation_accuracy");
  CHECK(r.select_higher);
  CHECK(r.factors == std::vector<std::string>{"regularizers"});
  CHECK(r.setting_factors == std::vector<std::string>{"optimizer.learning_rate"});
  CHECK(r.matched_on == std::vector<std::string>{"seed"});
  REQUIRE(r.arms.size() == 3);
  CHECK(r.baseline == 0);
  const auto& none = r.arms[0].selection;
  const auto& dropout = r.arms[1].selection;
  const auto& l2 = r.arms[2].selection;
  CHECK(none.setting == "optimizer.learning_rate=0.01");
  CHECK(none.values == std::vector<std::string>{"0.01"});
  CHECK(none.mean == rel(0.85, 1e-12));
  CHECK(none.seeds == 3);
  CHECK(none.candidates == 2);
  CHECK(none.skipped.empty());
  // Not the setting with the best test accuracy (0.1: 0.91).
  CHECK(dropout.setting == "optimizer.learning_rate=0.01");
  CHECK(dropout.mean == rel(0.87, 1e-12));
  // The tie goes to the first setting in sweep order.
  CHECK(l2.setting == "optimizer.learning_rate=0.1");
  CHECK(l2.mean == rel(0.85, 1e-12));

  // Only the chosen setting's cells: np.mean([0.85, 0.87, 0.86]) -> 0.86,
  // st.t.interval(0.95, 2, loc=0.86, scale=st.sem([0.85, 0.87, 0.86])) ->
  // (0.8351586228815624, 0.8848413771184376)
  const auto& d = r.arms[1].metrics[0];
  CHECK(d.metric == "final_test_accuracy");
  CHECK(d.n == 3);
  CHECK(d.mean == rel(0.86, 1e-12));
  CHECK(d.ci.low == rel(0.8351586228815624, 1e-6));
  CHECK(d.ci.high == rel(0.8848413771184376, 1e-6));
  CHECK(r.arms[0].metrics[0].mean == rel(0.84, 1e-12));
  CHECK(r.arms[2].metrics[0].mean == rel(0.81, 1e-12));

  // Paired on seed with the baseline's chosen setting: none = [0.83, 0.84, 0.85].
  // st.ttest_rel([0.85, 0.87, 0.86], none).pvalue -> 0.07417990022744853;
  // st.ttest_rel([0.80, 0.82, 0.81], none).pvalue -> 0.03509871864598444;
  // holm -> [0.07417990022744853, 0.07019743729196888]
  REQUIRE(r.comparisons.size() == 2);
  CHECK(r.comparisons[0].method == "paired");
  CHECK(r.comparisons[0].pairs == 3);
  CHECK(r.comparisons[0].difference == rel(0.02, 1e-9));
  CHECK(r.comparisons[0].p_t == rel(0.07417990022744853, 1e-6));
  CHECK(r.comparisons[0].p_t_holm == rel(0.07417990022744853, 1e-6));
  CHECK(r.comparisons[1].difference == rel(-0.03, 1e-9));
  CHECK(r.comparisons[1].p_t == rel(0.03509871864598444, 1e-6));
  CHECK(r.comparisons[1].p_t_holm == rel(0.07019743729196888, 1e-6));
}

TEST_CASE("report --select-by: losses, full column names and several --within factors") {
  const SweepFile file(kCells);
  const Report loss = file.report("validation_loss");  // lower is better: the same choices
  CHECK(loss.select_by == "final_validation_loss");
  CHECK_FALSE(loss.select_higher);
  CHECK(loss.arms[0].selection.setting == "optimizer.learning_rate=0.01");
  CHECK(loss.arms[0].selection.mean == rel(0.15, 1e-9));
  CHECK(loss.arms[1].selection.setting == "optimizer.learning_rate=0.01");

  const Report best = file.report("best_validation_accuracy");
  CHECK(best.select_by == "best_validation_accuracy");
  CHECK(best.arms[1].selection.setting == "optimizer.learning_rate=0.1");
  CHECK(best.arms[1].metrics[0].mean == rel(0.91, 1e-12));

  // Within both factors every arm is one setting.
  const Report both =
      file.report("validation_accuracy", {"regularizers", "optimizer.learning_rate"});
  REQUIRE(both.arms.size() == 6);
  CHECK(both.setting_factors.empty());
  CHECK(both.arms[1].selection.setting == "(one setting)");
  CHECK(both.arms[1].selection.candidates == 1);
}

TEST_CASE("report --select-by: settings with incomplete cells or NaN values are skipped") {
  // none at 0.01 loses a seed's validation value; dropout at 0.01 a complete cell.
  std::vector<Cell> cells = with_validation(kCells, "none", 0.01, 2, kNaN);
  cells[11].status = "diverged";
  const SweepFile file(cells);
  const Report r = file.report("validation_accuracy");
  const auto& none = r.arms[0].selection;
  CHECK(none.setting == "optimizer.learning_rate=0.1");
  CHECK(none.candidates == 1);
  REQUIRE(none.skipped.size() == 1);
  CHECK(none.skipped[0] ==
        "optimizer.learning_rate=0.01 (1 of 3 seeds without final_validation_accuracy)");
  const auto& dropout = r.arms[1].selection;
  CHECK(dropout.setting == "optimizer.learning_rate=0.1");
  CHECK(dropout.skipped == std::vector<std::string>{"optimizer.learning_rate=0.01 (1 of 3 cells "
                                                    "not complete)"});
  CHECK(r.arms[1].excluded == 1);

  // An arm none of whose settings can be chosen is an error.
  const SweepFile none_left(with_validation(cells, "none", 0.1, 1, kNaN));
  CHECK(message_of(none_left, "validation_accuracy")
            .find("no setting of the arm regularizers=none") != std::string::npos);
}

TEST_CASE("report --select-by: errors name the option and the value") {
  const SweepFile file(kCells);
  CHECK(message_of(file, "validation_acc")
            .find("--select-by 'validation_acc' is not a float column") != std::string::npos);
  CHECK(message_of(file, "validation_acuracy").find("did you mean 'validation_accuracy'?") !=
        std::string::npos);
  CHECK(message_of(file, "final_test_accuracy").find("is a test column") != std::string::npos);
  CHECK(message_of(file, "gap_final").find("neither an accuracy") != std::string::npos);
  CHECK(message_of(file, "regularizers").find("not a float column") != std::string::npos);
  CHECK(
      message_of(file, "validation_accuracy", {"depth"}).find("--within 'depth' is not a factor") !=
      std::string::npos);
  CHECK(message_of(file, "validation_accuracy", {"seed"}).find("--within 'seed'") !=
        std::string::npos);

  // No validation split: the column is NaN in every cell (best_validation_accuracy is set).
  std::vector<Cell> all_nan = kCells;
  for (auto& c : all_nan) {
    c.validation = kNaN;
    c.best_validation = 0.9;
  }
  const SweepFile nan_file(all_nan);
  CHECK(message_of(nan_file, "validation_accuracy").find("no validation split") !=
        std::string::npos);
  CHECK(nan_file.report("best_validation_accuracy").arms[0].selection.candidates == 2);

  std::ostringstream ignored;
  CHECK_THROWS_WITH_AS(report_command({file.path(), "--select-by", "validation_accuracy"}, ignored),
                       doctest::Contains("--select-by 'validation_accuracy' needs --within"),
                       UsageError);
  CHECK_THROWS_WITH_AS(report_command({file.path(), "--within", "regularizers"}, ignored),
                       doctest::Contains("--within needs --select-by"), UsageError);
  CHECK_THROWS_WITH_AS(report_command({file.path(), "--select-by", "validation_accuracy",
                                       "--within", "regularizers", "--by", "regularizers"},
                                      ignored),
                       doctest::Contains("--by and --within"), UsageError);
  const ReportOptions o =
      parse_report_args({file.path(), "--select-by", "validation_loss", "--within",
                         "regularizers, optimizer.learning_rate", "--within", "seed"});
  CHECK(o.select_by == "validation_loss");
  CHECK(o.within == std::vector<std::string>{"regularizers", "optimizer.learning_rate", "seed"});
}

TEST_CASE("report --select-by: the table, markdown and CSV formats carry the choice") {
  const SweepFile file(kCells);
  const std::vector<std::string> select = {file.path(), "--select-by", "validation_accuracy",
                                           "--within", "regularizers"};
  std::ostringstream compact;
  std::vector<std::string> args = select;
  args.insert(args.end(), {"--width", "200"});
  CHECK(report_command(args, compact) == 0);
  const std::string c = compact.str();
  std::ostringstream narrow;
  args = select;
  args.insert(args.end(), {"--width", "80"});
  CHECK(report_command(args, narrow) == 0);
  std::istringstream narrow_lines(narrow.str());
  for (std::string line; std::getline(narrow_lines, line);) CHECK(line.size() <= 80);
  CHECK(c.find("chosen on the mean final_validation_accuracy") != std::string::npos);
  CHECK(c.find("dropout: optimizer.learning_rate=0.01; mean final_validation_accuracy 87.00 over "
               "3 seeds; chosen from 2 settings") != std::string::npos);
  CHECK(c.find("matched on seed") != std::string::npos);
  CHECK(c.find("dropout vs none: +2.00 points") != std::string::npos);

  std::ostringstream markdown;
  args = select;
  args.insert(args.end(), {"--format", "markdown"});
  CHECK(report_command(args, markdown) == 0);
  CHECK(markdown.str().find("- l2: optimizer.learning_rate=0.1; mean") != std::string::npos);

  std::ostringstream csv;
  args = select;
  args.insert(args.end(), {"--format", "csv"});
  CHECK(report_command(args, csv) == 0);
  std::istringstream lines(csv.str());
  std::string header, none_row;
  std::getline(lines, header);
  std::getline(lines, none_row);
  CHECK(header.find("\"select_by\",\"setting\",\"optimizer.learning_rate\",\"select_mean\","
                    "\"select_seeds\",\"settings_chosen_from\",\"settings_skipped\"") !=
        std::string::npos);
  CHECK(none_row.find("\"final_validation_accuracy\",\"optimizer.learning_rate=0.01\",\"0.01\","
                      "0.85") != std::string::npos);
  CHECK(none_row.find(",3,2,\"\"") != std::string::npos);
}
