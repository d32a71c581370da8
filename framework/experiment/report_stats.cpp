/// The statistics of `reglab report` (core/stats.hpp): the metrics summarised per arm, each
/// arm's mean, sd and 95% CI, and every arm against the baseline (paired t and Wilcoxon on
/// matched cells, else Welch), Holm-adjusted across arms (see report.hpp for the rules).
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>

#include "framework/experiment/report_internal.hpp"

namespace reglab::experiment {
namespace {

constexpr const char* kStandardMetrics[] = {"final_test_accuracy", "best_test_accuracy",
                                            "final_test_loss",     "best_test_loss",
                                            "gap_final",           "gap_best"};

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

namespace report_detail {
namespace {

using storage::Column;

/// The non-NaN values of one arm on one metric, and those matched with the baseline.
struct ArmValues {
  std::vector<double> arm, baseline;  ///< every non-NaN value of each arm
  std::vector<double> x, y;           ///< matched pairs: arm, baseline
};

ArmValues arm_values(const ReportArm& arm, const ReportArm& base, const Column& metric,
                     const std::vector<std::string>& pair_keys) {
  ArmValues v;
  std::map<std::string, double> base_by_key;
  for (std::size_t r : base.rows) {
    if (std::isnan(metric.f64[r])) continue;
    base_by_key[pair_keys[r]] = metric.f64[r];
    v.baseline.push_back(metric.f64[r]);
  }
  for (std::size_t r : arm.rows) {
    if (std::isnan(metric.f64[r])) continue;
    v.arm.push_back(metric.f64[r]);
    const auto it = base_by_key.find(pair_keys[r]);
    if (it == base_by_key.end()) continue;
    v.x.push_back(metric.f64[r]);
    v.y.push_back(it->second);
  }
  return v;
}

/// Paired t-test and Wilcoxon signed-rank test on at least 2 matched pairs.
void paired(ReportComparison& c, const ArmValues& v) {
  const stats::TTest t = stats::paired_t_test(v.x, v.y);
  const stats::Wilcoxon w = stats::wilcoxon_signed_rank(v.x, v.y);
  c.method = "paired";
  c.pairs = c.n_arm = c.n_baseline = v.x.size();
  c.difference = t.mean_difference;
  c.ci = t.ci;
  c.p_t = t.pvalue;
  c.p_wilcoxon = w.pvalue;
  c.wilcoxon_exact = w.exact;
}

/// Welch's t-test on the two arms' unpaired values ("none" with fewer than 2 on a side).
void unpaired(ReportComparison& c, const ArmValues& v) {
  const stats::TTest t = stats::welch_t_test(v.arm, v.baseline);
  c.method = v.arm.size() >= 2 && v.baseline.size() >= 2 ? "welch" : "none";
  c.n_arm = v.arm.size();
  c.n_baseline = v.baseline.size();
  c.difference = t.mean_difference;
  c.ci = t.ci;
  c.p_t = t.pvalue;
}

/// Compares arm `a` with the baseline on `metric` (Holm adjustment is done by the caller).
ReportComparison compare(const Report& report, std::size_t a, const Column& metric,
                         const std::vector<std::string>& pair_keys) {
  const ArmValues v = arm_values(report.arms[a], report.arms[report.baseline], metric, pair_keys);
  ReportComparison c;
  c.arm = a;
  c.p_wilcoxon = std::numeric_limits<double>::quiet_NaN();
  if (v.x.size() >= 2) {
    paired(c, v);
  } else {
    unpaired(c, v);
  }
  return c;
}

}  // namespace

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

std::vector<ReportComparison> compare_with_baseline(const Report& report, const Column& metric,
                                                    const std::vector<std::string>& pair_keys) {
  std::vector<ReportComparison> comparisons;
  std::vector<double> p_t, p_w;
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    if (a == report.baseline) continue;
    comparisons.push_back(compare(report, a, metric, pair_keys));
    p_t.push_back(comparisons.back().p_t);
    p_w.push_back(comparisons.back().p_wilcoxon);
  }
  const std::vector<double> holm_t = stats::holm(p_t), holm_w = stats::holm(p_w);
  for (std::size_t c = 0; c < comparisons.size(); ++c) {
    comparisons[c].p_t_holm = holm_t[c];
    comparisons[c].p_wilcoxon_holm = holm_w[c];
  }
  return comparisons;
}

}  // namespace report_detail
}  // namespace reglab::experiment
