// Tests of framework/experiment/report.hpp: arms, exclusions, baselines, paired and Welch
// comparisons, grouping with --by, formats and errors, on sweep-like files written to a temporary
// folder. Expected p-values were computed with Debian's /usr/bin/python3 (scipy 1.10.1) by the
// calls quoted next to them (`import numpy as np, scipy.stats as st`).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/report.hpp"
#include "framework/storage/results.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using reglab::StorageError;
using reglab::UsageError;
using reglab::experiment::build_report;
using reglab::experiment::parse_report_args;
using reglab::experiment::Report;
using reglab::experiment::report_command;
using reglab::experiment::ReportFormat;
using reglab::experiment::ReportOptions;
using reglab::storage::Column;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

doctest::Approx rel(double expected, double tolerance) {
  return doctest::Approx(expected).epsilon(tolerance).scale(0.0);
}

/// This file's temporary folders: /tmp/reglab_report_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_report") {}
};

/// One summary row.
struct Cell {
  std::string regularizers;
  double learning_rate;  // only used by the two-factor sweep
  std::int64_t seed;
  std::string status;
  double accuracy;
};

Column text(const std::string& name) {
  Column c;
  c.name = name;
  c.type = Column::Type::kString;
  return c;
}

Column number(const std::string& name) {
  Column c;
  c.name = name;
  c.type = Column::Type::kFloat64;
  return c;
}

Column integer(const std::string& name) {
  Column c;
  c.name = name;
  c.type = Column::Type::kInt64;
  return c;
}

/// A ResultsFile whose /summary has the layout of sweep_runner.cpp's summary_table: cell_id,
/// name, the factors, seed, status, message, epochs, the final_* and best_* metrics, gaps and
/// seconds. Metrics other than final_test_accuracy are derived from it (best = acc + 0.001, loss
/// = 1 - acc, gap_final = 0.95 - acc) so their means are known.
reglab::storage::ResultsFile sweep_file(const std::vector<Cell>& cells, bool learning_rate) {
  reglab::storage::Table t;
  t.columns.push_back(text("cell_id"));
  t.columns.push_back(text("name"));
  t.columns.push_back(text("regularizers"));
  if (learning_rate) t.columns.push_back(number("optimizer.learning_rate"));
  t.columns.push_back(integer("seed"));
  t.columns.push_back(text("status"));
  t.columns.push_back(text("message"));
  t.columns.push_back(integer("epochs"));
  for (const char* split : {"train", "validation", "test"}) {
    for (const char* m : {"loss", "accuracy"}) {
      t.columns.push_back(number(std::string("final_") + split + "_" + m));
    }
  }
  t.columns.push_back(integer("best_epoch"));
  for (const char* split : {"train", "validation", "test"}) {
    for (const char* m : {"loss", "accuracy"}) {
      t.columns.push_back(number(std::string("best_") + split + "_" + m));
    }
  }
  for (const char* name : {"gap_final", "gap_best", "seconds"}) t.columns.push_back(number(name));
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    const bool done = c.status == "complete";
    const double acc = done ? c.accuracy : kNaN;
    std::string name = "regularizers=" + c.regularizers;
    if (learning_rate) name += ", optimizer.learning_rate=" + std::to_string(c.learning_rate);
    name += ", seed=" + std::to_string(c.seed);
    std::size_t k = 0;
    t.columns[k++].str.push_back("cell" + std::to_string(i));
    t.columns[k++].str.push_back(name);
    t.columns[k++].str.push_back(c.regularizers);
    if (learning_rate) t.columns[k++].f64.push_back(c.learning_rate);
    t.columns[k++].i64.push_back(c.seed);
    t.columns[k++].str.push_back(c.status);
    t.columns[k++].str.push_back("");
    t.columns[k++].i64.push_back(done ? 5 : 0);
    // final train/validation/test loss/accuracy
    for (double v : {0.3, acc + 0.09, 0.4, acc + 0.01, 1.0 - acc, acc}) {
      t.columns[k++].f64.push_back(v);
    }
    t.columns[k++].i64.push_back(done ? 4 : 0);
    for (double v : {0.3, acc + 0.09, 0.4, acc + 0.01, 1.0 - acc, acc + 0.001}) {
      t.columns[k++].f64.push_back(v);
    }
    for (double v : {0.95 - acc, 0.94 - acc, 12.5}) t.columns[k++].f64.push_back(v);
  }
  reglab::storage::ResultsFile f;
  f.reglab_version = "0.1.0";
  f.created_utc = "2026-11-27T17:30:00Z";
  f.config_yaml = "name: report-test\n";
  f.summary = t;
  return f;
}

// Four arms, seeds 1-4, "dropout" first so that the default baseline has to be looked up.
const std::vector<Cell> kCells = {
    {"dropout", 0, 1, "complete", 0.8445},    {"dropout", 0, 2, "complete", 0.8379},
    {"dropout", 0, 3, "complete", 0.8448},    {"dropout", 0, 4, "complete", 0.8401},
    {"none", 0, 1, "complete", 0.8577},       {"none", 0, 2, "complete", 0.8558},
    {"none", 0, 3, "complete", 0.8603},       {"none", 0, 4, "failed", 0.0},
    {"l2", 0, 1, "complete", 0.8576},         {"l2", 0, 2, "complete", 0.8509},
    {"l2", 0, 3, "complete", 0.8581},         {"l2", 0, 4, "diverged", 0.0},
    {"batch_norm", 0, 1, "missing", 0.0},     {"batch_norm", 0, 2, "failed", 0.0},
    {"batch_norm", 0, 3, "complete", 0.8450}, {"batch_norm", 0, 4, "complete", 0.8511},
};

/// Writes kCells to a temporary file and returns the report with `options` (path filled in).
Report report_of(const TempDir& dir, ReportOptions options) {
  options.results_path = dir.file("sweep.h5");
  if (!fs::exists(options.results_path)) {
    reglab::storage::write_results(options.results_path, sweep_file(kCells, false), false);
  }
  return build_report(reglab::storage::read_results(options.results_path), options);
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string part; std::getline(in, part, separator);) out.push_back(part);
  if (!s.empty() && s.back() == separator) out.emplace_back();
  return out;
}

}  // namespace

TEST_CASE("report: arms, exclusions and per-arm statistics") {
  TempDir dir;
  const Report r = report_of(dir, {});
  CHECK(r.cells == 16);
  CHECK(r.excluded == 4);
  REQUIRE(r.excluded_by_status.size() == 3);
  CHECK(r.excluded_by_status[0] == std::make_pair(std::string("failed"), std::size_t{2}));
  CHECK(r.factors == std::vector<std::string>{"regularizers"});
  CHECK(r.matched_on == std::vector<std::string>{"seed"});
  REQUIRE(r.arms.size() == 4);
  CHECK(r.arms[0].label == "regularizers=dropout");
  CHECK(r.arms[1].label == "regularizers=none");
  CHECK(r.arms[1].short_label == "none");
  CHECK(r.arms[2].label == "regularizers=l2");
  CHECK(r.arms[3].label == "regularizers=batch_norm");
  CHECK(r.arms[0].rows.size() == 4);
  CHECK(r.arms[1].rows.size() == 3);
  CHECK(r.arms[1].excluded == 1);
  CHECK(r.arms[3].rows.size() == 2);
  CHECK(r.arms[3].excluded == 2);
  // The default baseline is the "none" arm although it is not the first.
  CHECK(r.baseline == 1);

  // np.mean of [0.8577, 0.8558, 0.8603] -> 0.8579333333333333, np.std(ddof=1) ->
  // 0.0022590558499809626, st.t.interval(0.95, 2, loc=mean, scale=st.sem(...)) ->
  // (0.8523215275032344, 0.8635451391634322)
  const auto& none = r.arms[1].metrics;
  REQUIRE(none.size() == 6);
  CHECK(none[0].metric == "final_test_accuracy");
  CHECK(none[0].n == 3);
  CHECK(none[0].mean == rel(0.8579333333333333, 1e-12));
  CHECK(none[0].sd == rel(0.0022590558499809626, 1e-9));
  CHECK(none[0].ci.low == rel(0.8523215275032344, 1e-6));
  CHECK(none[0].ci.high == rel(0.8635451391634322, 1e-6));
  CHECK(none[1].metric == "best_test_accuracy");
  CHECK(none[1].mean == rel(0.8579333333333333 + 0.001, 1e-12));
  CHECK(none[2].metric == "final_test_loss");
  CHECK(none[2].mean == rel(1.0 - 0.8579333333333333, 1e-12));
  CHECK(none[3].metric == "best_test_loss");
  CHECK(none[4].metric == "gap_final");
  CHECK(none[4].mean == rel(0.95 - 0.8579333333333333, 1e-12));
  CHECK(none[5].metric == "gap_best");
  // np.mean([0.8445, 0.8379, 0.8448, 0.8401]) -> 0.8418249999999999; np.mean([0.845, 0.8511])
  // -> 0.84805
  CHECK(r.arms[0].metrics[0].mean == rel(0.8418249999999999, 1e-12));
  CHECK(r.arms[3].metrics[0].mean == rel(0.84805, 1e-12));
}

TEST_CASE("report: paired comparisons, Welch fallback and Holm") {
  TempDir dir;
  const Report r = report_of(dir, {});
  REQUIRE(r.comparisons.size() == 3);
  const auto& dropout = r.comparisons[0];
  const auto& l2 = r.comparisons[1];
  const auto& bn = r.comparisons[2];
  CHECK(dropout.arm == 0);
  CHECK(l2.arm == 2);
  CHECK(bn.arm == 3);
  // none = [0.8577, 0.8558, 0.8603]; dropout = [0.8445, 0.8379, 0.8448] (seeds 1-3; seed 4 has
  // no partner); l2 = [0.8576, 0.8509, 0.8581]; bn = [0.8450, 0.8511] (shares only seed 3).
  CHECK(dropout.method == "paired");
  CHECK(dropout.pairs == 3);
  CHECK(l2.method == "paired");
  CHECK(l2.pairs == 3);
  CHECK(bn.method == "welch");
  CHECK(bn.n_arm == 2);
  CHECK(bn.n_baseline == 3);
  // np.mean(np.subtract(dropout, none)) -> -0.015533333333333324;
  // np.mean(np.subtract(l2, none)) -> -0.0023999999999999946;
  // np.mean(bn) - np.mean(none) -> -0.009883333333333355
  CHECK(dropout.difference == rel(-0.015533333333333324, 1e-9));
  CHECK(l2.difference == rel(-0.0023999999999999946, 1e-9));
  CHECK(bn.difference == rel(-0.009883333333333355, 1e-9));
  CHECK(dropout.ci.low < dropout.difference);
  CHECK(dropout.ci.high > dropout.difference);
  // st.ttest_rel(dropout, none).pvalue -> 0.007544219404862779
  // st.ttest_rel(l2, none).pvalue -> 0.22620894373700914
  // st.ttest_ind(bn, none, equal_var=False).pvalue -> 0.1482256227439646
  CHECK(dropout.p_t == rel(0.007544219404862779, 1e-6));
  CHECK(l2.p_t == rel(0.22620894373700914, 1e-6));
  CHECK(bn.p_t == rel(0.1482256227439646, 1e-6));
  // holm([0.007544219404862779, 0.22620894373700914, 0.1482256227439646]) (the procedure
  // written out in tests/core/test_stats.cpp) -> [0.022632658214588337, 0.2964512454879292,
  // 0.2964512454879292]
  CHECK(dropout.p_t_holm == rel(0.022632658214588337, 1e-6));
  CHECK(l2.p_t_holm == rel(0.2964512454879292, 1e-6));
  CHECK(bn.p_t_holm == rel(0.2964512454879292, 1e-6));
  // st.wilcoxon(dropout, none).pvalue -> 0.25, st.wilcoxon(l2, none).pvalue -> 0.25;
  // holm([0.25, 0.25]) -> [0.5, 0.5]; no Wilcoxon for the Welch arm.
  CHECK(dropout.p_wilcoxon == rel(0.25, 1e-12));
  CHECK(dropout.wilcoxon_exact);
  CHECK(l2.p_wilcoxon_holm == rel(0.5, 1e-12));
  CHECK(std::isnan(bn.p_wilcoxon));
  CHECK(std::isnan(bn.p_wilcoxon_holm));
}

TEST_CASE("report: --baseline, --metric and their errors") {
  TempDir dir;
  ReportOptions o;
  o.baseline = "regularizers=l2";
  CHECK(report_of(dir, o).baseline == 2);
  o.baseline = "dropout";  // the label without factor names
  CHECK(report_of(dir, o).baseline == 0);
  o.baseline = "batch";  // a unique substring
  const Report bn = report_of(dir, o);
  CHECK(bn.baseline == 3);
  // Against a baseline with 2 cells: dropout shares seeds 3 and 4, l2 only seed 3.
  CHECK(bn.comparisons[0].method == "paired");
  CHECK(bn.comparisons[0].pairs == 2);
  o.baseline = "regularizers";  // in every label
  CHECK_THROWS_AS(report_of(dir, o), UsageError);
  o.baseline = "adam";
  CHECK_THROWS_AS(report_of(dir, o), UsageError);

  o = {};
  o.metric = "final_test_loss";
  const Report loss = report_of(dir, o);
  CHECK(loss.metric == "final_test_loss");
  CHECK(loss.arms[0].metrics.size() == 6);
  // loss = 1 - accuracy, so the differences change sign.
  CHECK(loss.comparisons[0].difference == rel(0.015533333333333324, 1e-9));
  o.metric = "seconds";  // any float column: summarised as a seventh metric
  CHECK(report_of(dir, o).arms[0].metrics.size() == 7);
  o.metric = "accuracy";
  try {
    report_of(dir, o);
    FAIL("an unknown metric was accepted");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("final_test_accuracy, ") != std::string::npos);
  }
  o.metric = "regularizers";  // a factor, not a metric
  CHECK_THROWS_AS(report_of(dir, o), UsageError);
}

TEST_CASE("report: --by pools factors and pairs on the others") {
  TempDir dir;
  // np.mean of dropout - none matched on (seed, learning rate):
  // x = [0.835, 0.815, 0.80, 0.82], y = [0.84, 0.83, 0.85, 0.86] (keys sorted) ->
  // -0.027499999999999997; st.ttest_rel(x, y).pvalue -> 0.07920094891904497
  const std::vector<Cell> cells = {
      {"none", 0.05, 1, "complete", 0.85},     {"none", 0.05, 2, "complete", 0.86},
      {"none", 0.02, 1, "complete", 0.84},     {"none", 0.02, 2, "complete", 0.83},
      {"dropout", 0.05, 1, "complete", 0.80},  {"dropout", 0.05, 2, "complete", 0.82},
      {"dropout", 0.02, 1, "complete", 0.835}, {"dropout", 0.02, 2, "complete", 0.815},
  };
  const std::string path = dir.file("two.h5");
  reglab::storage::write_results(path, sweep_file(cells, true), false);
  const auto file = reglab::storage::read_results(path);

  ReportOptions o;
  o.results_path = path;
  const Report all = build_report(file, o);
  REQUIRE(all.arms.size() == 4);
  CHECK(all.arms[0].label == "regularizers=none, optimizer.learning_rate=0.05");
  CHECK(all.arms[1].label == "regularizers=none, optimizer.learning_rate=0.02");
  CHECK(all.baseline == 0);  // the first arm whose regularizers is none
  CHECK(all.comparisons[0].pairs == 2);

  o.by = {"regularizers"};
  const Report pooled = build_report(file, o);
  REQUIRE(pooled.arms.size() == 2);
  CHECK(pooled.matched_on == std::vector<std::string>{"seed", "optimizer.learning_rate"});
  CHECK(pooled.arms[0].rows.size() == 4);
  CHECK(pooled.baseline == 0);
  REQUIRE(pooled.comparisons.size() == 1);
  CHECK(pooled.comparisons[0].pairs == 4);
  CHECK(pooled.comparisons[0].difference == rel(-0.027499999999999997, 1e-9));
  CHECK(pooled.comparisons[0].p_t == rel(0.07920094891904497, 1e-6));

  o.by = {"optimizer.learning_rate"};
  const Report by_lr = build_report(file, o);
  CHECK(by_lr.arms[0].label == "optimizer.learning_rate=0.05");
  CHECK(by_lr.baseline == 0);  // no regularizers factor: the first arm

  o.by = {"seed"};
  CHECK_THROWS_AS(build_report(file, o), UsageError);
}

TEST_CASE("report: command line, formats and bad files") {
  TempDir dir;
  const std::string path = dir.file("sweep.h5");
  reglab::storage::write_results(path, sweep_file(kCells, false), false);

  std::ostringstream csv;
  CHECK(report_command({path, "--format", "csv"}, csv) == 0);
  const std::vector<std::string> lines = split(csv.str(), '\n');
  REQUIRE(lines.size() == 6);  // header, 4 arms, trailing empty
  // core/csv.hpp: text quoted, numbers %.17g, NaN as NaN (no field here holds a comma).
  const std::vector<std::string> header = split(lines[0], ',');
  CHECK(header[0] == "\"arm\"");
  CHECK(header[1] == "\"regularizers\"");
  auto column = [&header](const std::string& name) {
    for (std::size_t k = 0; k < header.size(); ++k) {
      if (header[k] == "\"" + name + "\"") return k;
    }
    FAIL("no column " << name);
    return std::size_t{0};
  };
  const std::vector<std::string> dropout = split(lines[1], ',');
  const std::vector<std::string> none = split(lines[2], ',');
  const std::vector<std::string> bn = split(lines[4], ',');
  REQUIRE(dropout.size() == header.size());
  REQUIRE(none.size() == header.size());
  CHECK(dropout[0] == "\"regularizers=dropout\"");
  CHECK(dropout[1] == "\"dropout\"");
  CHECK(none[column("is_baseline")] == "true");
  CHECK(none[column("method")] == "");
  CHECK(none[column("n")] == "3");
  CHECK(none[column("excluded")] == "1");
  CHECK(none[column("final_test_accuracy_mean")] == "0.8579333333333333");
  CHECK(std::stod(none[column("final_test_accuracy_mean")]) == rel(0.8579333333333333, 1e-12));
  CHECK(dropout[column("method")] == "\"paired\"");
  CHECK(dropout[column("pairs")] == "3");
  CHECK(dropout[column("wilcoxon_exact")] == "true");
  CHECK(std::stod(dropout[column("difference")]) == rel(-0.015533333333333324, 1e-9));
  CHECK(std::stod(dropout[column("p_t_holm")]) == rel(0.022632658214588337, 1e-6));
  CHECK(bn[column("method")] == "\"welch\"");
  CHECK(bn[column("p_wilcoxon")] == "NaN");
  CHECK(bn[column("wilcoxon_exact")] == "");

  std::ostringstream table;
  CHECK(report_command({path, "--baseline", "none", "--wide"}, table) == 0);
  CHECK(table.str().find("4 excluded (2 failed, 1 diverged, 1 missing)") != std::string::npos);
  CHECK(table.str().find("dropout vs none: -1.55 points [95% CI ") != std::string::npos);
  CHECK(table.str().find("batch_norm vs none: -0.99 points") != std::string::npos);
  CHECK(table.str().find("Welch t p=0.148") != std::string::npos);

  std::ostringstream markdown;
  CHECK(report_command({path, "--format=markdown"}, markdown) == 0);
  CHECK(markdown.str().find("| regularizers=none ") != std::string::npos);
  CHECK(markdown.str().find("- dropout vs none: ") != std::string::npos);

  std::ostringstream help;
  CHECK(report_command({"--help"}, help) == 0);
  CHECK(help.str().find("--baseline") != std::string::npos);

  std::ostringstream ignored;
  CHECK_THROWS_AS(report_command({}, ignored), UsageError);
  CHECK_THROWS_AS(report_command({path, path}, ignored), UsageError);
  CHECK_THROWS_AS(report_command({path, "--format", "json"}, ignored), UsageError);
  CHECK_THROWS_AS(report_command({path, "--bogus"}, ignored), UsageError);
  CHECK_THROWS_AS(report_command({path, "--by", "depth"}, ignored), UsageError);
  CHECK_THROWS_AS(report_command({dir.file("absent.h5")}, ignored), StorageError);

  // A file without /summary (a single run) is refused.
  reglab::storage::ResultsFile run;
  run.reglab_version = "0.1.0";
  run.created_utc = "2026-11-27T17:30:00Z";
  run.config_yaml = "name: single\n";
  const std::string run_path = dir.file("run.h5");
  reglab::storage::write_results(run_path, run, false);
  CHECK_THROWS_AS(report_command({run_path}, ignored), StorageError);

  const ReportOptions o = parse_report_args(
      {path, "--by", "regularizers, optimizer.lr", "--by", "depth", "--format", "markdown"});
  CHECK(o.results_path == path);
  CHECK(o.by == std::vector<std::string>{"regularizers", "optimizer.lr", "depth"});
  CHECK(o.format == ReportFormat::kMarkdown);
}

TEST_CASE("report: the table fits the width it is given; --wide and --columns") {
  TempDir dir;
  const std::string path = dir.file("sweep.h5");
  reglab::storage::write_results(path, sweep_file(kCells, false), false);
  for (const char* width : {"80", "120"}) {
    CAPTURE(width);
    std::ostringstream out;
    CHECK(report_command({path, "--baseline", "none", "--width", width}, out) == 0);
    for (const auto& line : split(out.str(), '\n')) {
      CAPTURE(line);
      CHECK(line.size() <= std::stoul(width));
    }
    CHECK(out.str().find("final test acc") != std::string::npos);
    CHECK(out.str().find("gap final") != std::string::npos);
    CHECK(out.str().find("dropout vs none: -1.55 points") != std::string::npos);
    CHECK(out.str().find("best-val test acc") == std::string::npos);  // only with --wide
  }
  std::ostringstream wide;
  CHECK(report_command({path, "--baseline", "none", "--wide"}, wide) == 0);
  CHECK(wide.str().find("best-val test acc") != std::string::npos);
  std::ostringstream loss;
  CHECK(report_command({path, "--baseline", "none", "--columns", "final_test_loss"}, loss) == 0);
  CHECK(loss.str().find("final test loss") != std::string::npos);
  CHECK(loss.str().find("gap final") == std::string::npos);
  std::ostringstream ignored;
  CHECK_THROWS_WITH_AS(report_command({path, "--columns", "final_test_los"}, ignored),
                       doctest::Contains("did you mean 'final_test_loss'?"), UsageError);
}
