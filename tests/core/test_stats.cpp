// Tests of framework/core/stats.hpp against SciPy.
//
// Every expected number below was computed independently with Debian's /usr/bin/python3
// (numpy, scipy 1.10.1) by the call quoted in the comment above it, printed with repr().
// Preamble of that script: `import numpy as np, scipy.stats as st, scipy.special as sp`.
// Tolerances: 1e-9 relative for closed forms (mean, sd, t statistics, exact Wilcoxon, Holm),
// 1e-6 relative for values that go through an iterative evaluation (the incomplete beta
// continued fraction behind every t p-value, the t quantile behind every interval, the normal
// approximation of the Wilcoxon test); the round-trip test checks the inversion much tighter.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "framework/core/stats.hpp"

namespace stats = reglab::stats;

namespace {

constexpr double kClosedForm = 1e-9;
constexpr double kIterative = 1e-6;

/// Relative comparison (doctest's Approx is absolute near zero unless its scale is 0).
doctest::Approx rel(double expected, double tolerance) {
  return doctest::Approx(expected).epsilon(tolerance).scale(0.0);
}

// A fold of final test accuracies (quickstart.h5: none seeds 1-3, dropout seeds 1-2).
const std::vector<double> kAcc = {0.8577, 0.8558, 0.8603, 0.8445, 0.8379};

}  // namespace

TEST_CASE("mean and sample standard deviation") {
  // np.mean(x), np.std(x, ddof=1) with x = [0.8577, 0.8558, 0.8603, 0.8445, 0.8379]
  // -> 0.85124, 0.009591558788851784
  CHECK(stats::mean(kAcc) == rel(0.85124, kClosedForm));
  CHECK(stats::sample_sd(kAcc) == rel(0.009591558788851784, kClosedForm));
  // big = [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.4]; np.mean(big), np.std(big, ddof=1)
  // -> 1000000000.2333335, 0.15275249455030648 (two passes: no cancellation)
  const std::vector<double> big = {1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.4};
  CHECK(stats::mean(big) == rel(1000000000.2333335, kClosedForm));
  CHECK(stats::sample_sd(big) == rel(0.15275249455030648, 1e-6));
  CHECK(std::isnan(stats::mean({})));
  CHECK(std::isnan(stats::sample_sd({0.5})));
}

TEST_CASE("regularized incomplete beta function") {
  // sp.betainc(a, b, x) for each (a, b, x)
  CHECK(stats::regularized_incomplete_beta(2.0, 3.0, 0.4) == rel(0.5247999999999999, kIterative));
  CHECK(stats::regularized_incomplete_beta(0.5, 0.5, 0.01) == rel(0.06376856085851987, kIterative));
  CHECK(stats::regularized_incomplete_beta(5.5, 0.5, 0.97) == rel(0.5714748788745927, kIterative));
  CHECK(stats::regularized_incomplete_beta(30.0, 40.0, 0.45) ==
        rel(0.6447480085585666, kIterative));
  CHECK(stats::regularized_incomplete_beta(1.5, 0.5, 0.999999) ==
        rel(0.9987267606674531, kIterative));
  CHECK(stats::regularized_incomplete_beta(2.0, 3.0, 0.0) == 0.0);
  CHECK(stats::regularized_incomplete_beta(2.0, 3.0, 1.0) == 1.0);
  CHECK(std::isnan(stats::regularized_incomplete_beta(-1.0, 3.0, 0.5)));
  CHECK(std::isnan(stats::regularized_incomplete_beta(2.0, 3.0, 1.5)));
}

TEST_CASE("Student t CDF and survival function") {
  struct Case {
    double t, df, cdf, sf;
  };
  // st.t.cdf(t, df), st.t.sf(t, df) for each (t, df)
  const Case cases[] = {
      {-2.5, 3.0, 0.04385332350403277, 0.9561466764959673},
      {0.3, 7.0, 0.6135549747989328, 0.38644502520106716},
      {1.96, 1000.0, 0.9748634075221256, 0.025136592477874354},
      {4.0, 2.5, 0.9804935120793409, 0.019506487920659125},
      {-0.01, 12.0, 0.4960928074942518, 0.5039071925057482},
      {12.0, 4.0, 0.9998617857257486, 0.0001382142742514865},
      {0.7, 1.0, 0.6944001122142147, 0.3055998877857853},
  };
  for (const Case& c : cases) {
    CAPTURE(c.t);
    CAPTURE(c.df);
    CHECK(stats::student_t_cdf(c.t, c.df) == rel(c.cdf, kIterative));
    CHECK(stats::student_t_sf(c.t, c.df) == rel(c.sf, kIterative));
  }
  CHECK(stats::student_t_cdf(0.0, 5.0) == 0.5);
  CHECK(std::isnan(stats::student_t_cdf(1.0, 0.0)));
}

TEST_CASE("Student t quantile") {
  struct Case {
    double p, df, t;
  };
  // st.t.ppf(p, df) for each (p, df)
  const Case cases[] = {
      {0.975, 2.0, 4.302652729911275},     {0.975, 4.3, 2.7016948982822235},
      {0.995, 10.0, 3.169272667175838},    {0.025, 30.0, -2.042272456301238},
      {0.9, 1.0, 3.0776835372078066},      {0.6, 50.0, 0.2546993429490219},
      {0.999999, 3.0, 103.29946802091516},
  };
  for (const Case& c : cases) {
    CAPTURE(c.p);
    CAPTURE(c.df);
    CHECK(stats::student_t_quantile(c.p, c.df) == rel(c.t, kIterative));
  }
  // Closed forms (SciPy's ppf is itself off by up to ~2e-9 relative in the cases above, e.g.
  // 4.302652729911275 for df = 2, p = 0.975, where the exact value is 4.30265272974946...):
  // df = 1 is Cauchy, t = tan(pi (p - 1/2)); df = 2 gives t = (2p - 1) / sqrt(2 p (1 - p)).
  for (double p : {0.6, 0.9, 0.975, 0.999}) {
    CAPTURE(p);
    CHECK(stats::student_t_quantile(p, 1.0) ==
          rel(std::tan(3.14159265358979323846 * (p - 0.5)), 1e-12));
    CHECK(stats::student_t_quantile(p, 2.0) ==
          rel((2.0 * p - 1.0) / std::sqrt(2.0 * p * (1.0 - p)), 1e-12));
  }
  // Inversion is converged: cdf(quantile(p)) = p far below the SciPy tolerance.
  for (double df : {1.0, 2.0, 3.7, 9.0, 40.0, 1e4}) {
    for (double p : {0.001, 0.05, 0.3, 0.5, 0.8, 0.975, 0.9999}) {
      CAPTURE(df);
      CAPTURE(p);
      CHECK(stats::student_t_cdf(stats::student_t_quantile(p, df), df) == rel(p, 1e-12));
    }
  }
  CHECK(stats::student_t_quantile(0.5, 3.0) == 0.0);
  CHECK(std::isinf(stats::student_t_quantile(1.0, 3.0)));
  CHECK(stats::student_t_quantile(0.0, 3.0) < 0.0);
  CHECK(std::isnan(stats::student_t_quantile(1.5, 3.0)));
}

TEST_CASE("confidence interval of a mean") {
  // st.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=st.sem(x)) with x = kAcc
  // -> (0.8393305067652278, 0.8631494932347722)
  const stats::Interval ci = stats::mean_ci(kAcc);
  CHECK(ci.low == rel(0.8393305067652278, kIterative));
  CHECK(ci.high == rel(0.8631494932347722, kIterative));
  // the same with 0.90 -> (0.8420954954778813, 0.8603845045221187)
  const stats::Interval ci90 = stats::mean_ci(kAcc, 0.90);
  CHECK(ci90.low == rel(0.8420954954778813, kIterative));
  CHECK(ci90.high == rel(0.8603845045221187, kIterative));
  CHECK(std::isnan(stats::mean_ci({0.85}).low));
}

TEST_CASE("paired t-test") {
  const std::vector<double> a = {0.8464, 0.8382, 0.8467, 0.8501, 0.8433, 0.8490};
  const std::vector<double> b = {0.8577, 0.8558, 0.8603, 0.8570, 0.8561, 0.8598};
  // res = st.ttest_rel(a, b) -> statistic -8.44057554364755, pvalue 0.0003830467309496656;
  // d = np.subtract(a, b); np.mean(d) -> -0.012166666666666659;
  // st.t.interval(0.95, len(d) - 1, loc=np.mean(d), scale=st.sem(d))
  // -> (-0.015872031565511438, -0.00846130176782188)
  const stats::TTest t = stats::paired_t_test(a, b);
  CHECK(t.statistic == rel(-8.44057554364755, kClosedForm));
  CHECK(t.df == 5.0);
  CHECK(t.pvalue == rel(0.0003830467309496656, kIterative));
  CHECK(t.mean_difference == rel(-0.012166666666666659, kClosedForm));
  CHECK(t.ci.low == rel(-0.015872031565511438, kIterative));
  CHECK(t.ci.high == rel(-0.00846130176782188, kIterative));

  // st.ttest_rel([1.0, 2.0, 3.0], [0.5, 1.5, 2.5]) -> statistic inf, pvalue 0.0
  const stats::TTest constant = stats::paired_t_test({1.0, 2.0, 3.0}, {0.5, 1.5, 2.5});
  CHECK(std::isinf(constant.statistic));
  CHECK(constant.pvalue == 0.0);
  // st.ttest_rel([0.85, 0.84], [0.86, 0.84]) -> statistic -1.0, pvalue 0.49999999999999956
  const stats::TTest two = stats::paired_t_test({0.85, 0.84}, {0.86, 0.84});
  CHECK(two.statistic == rel(-1.0, kClosedForm));
  CHECK(two.pvalue == rel(0.49999999999999956, kIterative));
  // Identical samples: SciPy returns nan (0/0).
  CHECK(std::isnan(stats::paired_t_test({1.0, 2.0}, {1.0, 2.0}).pvalue));
  CHECK(std::isnan(stats::paired_t_test({1.0}, {2.0}).pvalue));
  CHECK_THROWS_AS(stats::paired_t_test({1.0, 2.0}, {1.0}), std::invalid_argument);
}

TEST_CASE("Welch's t-test") {
  const std::vector<double> a = {0.8445, 0.8379, 0.8448, 0.8401};
  const std::vector<double> b = {0.8577, 0.8558, 0.8603, 0.8521, 0.8590};
  // res = st.ttest_ind(a, b, equal_var=False)
  // -> statistic -6.841428703344187, pvalue 0.0003698931136363076.
  // SciPy 1.10 does not return df, so it and the interval were computed in the same script:
  // va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
  // df = (va + vb)**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) -> 6.371599350798809
  // diff = np.mean(a) - np.mean(b) -> -0.01515500000000014
  // half = st.t.ppf(0.975, df) * np.sqrt(va + vb); diff -+ half
  // -> -0.020499637329746745, -0.009810362670253536
  const stats::TTest t = stats::welch_t_test(a, b);
  CHECK(t.statistic == rel(-6.841428703344187, kClosedForm));
  CHECK(t.df == rel(6.371599350798809, kClosedForm));
  CHECK(t.pvalue == rel(0.0003698931136363076, kIterative));
  CHECK(t.mean_difference == rel(-0.01515500000000014, kClosedForm));
  CHECK(t.ci.low == rel(-0.020499637329746745, kIterative));
  CHECK(t.ci.high == rel(-0.009810362670253536, kIterative));
  // Welch is symmetric up to sign.
  const stats::TTest swapped = stats::welch_t_test(b, a);
  CHECK(swapped.statistic == rel(6.841428703344187, kClosedForm));
  CHECK(swapped.pvalue == rel(t.pvalue, 1e-14));
  // Both variances zero: SciPy sets df = 1 and gets t = -inf, p = 0.
  const stats::TTest flat = stats::welch_t_test({1.0, 1.0}, {2.0, 2.0, 2.0});
  CHECK(flat.df == 1.0);
  CHECK(flat.pvalue == 0.0);
  CHECK(std::isnan(stats::welch_t_test({1.0}, {2.0, 3.0}).pvalue));
}

TEST_CASE("Wilcoxon signed-rank test: exact distribution") {
  // st.wilcoxon(x, y) (method "auto" -> exact, no warning raised under
  // warnings.simplefilter("error")) -> statistic 3.0, pvalue 0.0390625
  const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06};
  const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14};
  stats::Wilcoxon w = stats::wilcoxon_signed_rank(x, y);
  CHECK(w.exact);
  CHECK(w.n == 8);
  CHECK(w.statistic == 3.0);
  CHECK(w.pvalue == rel(0.0390625, kClosedForm));
  CHECK(std::isnan(w.z));

  // st.wilcoxon([0.8464, 0.8382, 0.8467], [0.8577, 0.8558, 0.8603]) -> 0.0, 0.25
  // (three seeds: the smallest two-sided p there is)
  w = stats::wilcoxon_signed_rank({0.8464, 0.8382, 0.8467}, {0.8577, 0.8558, 0.8603});
  CHECK(w.exact);
  CHECK(w.statistic == 0.0);
  CHECK(w.pvalue == rel(0.25, kClosedForm));

  // The centre of the distribution: st.wilcoxon([0.0, 0.0, 0.75], [0.25, 0.5, 0.0]) -> 3.0, 1.0
  w = stats::wilcoxon_signed_rank({0.0, 0.0, 0.75}, {0.25, 0.5, 0.0});
  CHECK(w.statistic == 3.0);
  CHECK(w.pvalue == 1.0);

  // n = 25 (the exact limit): e25x = np.round(np.random.RandomState(3).normal(0.3, 1.0, 25), 6)
  // (25 distinct magnitudes); st.wilcoxon(e25x, np.zeros(25)) -> 130.0, 0.39571136236190796
  const std::vector<double> e25x = {2.088628,  0.73651,  0.396497,  -1.563493, 0.022612,
                                    -0.054759, 0.217259, -0.327001, 0.256182,  -0.177218,
                                    -1.013865, 1.184622, 1.181318,  2.009573,  0.350034,
                                    -0.104677, -0.24536, -1.246477, 1.282367,  -0.801068,
                                    -0.885047, 0.09435,  1.786148,  0.536716,  -0.723785};
  w = stats::wilcoxon_signed_rank(e25x, std::vector<double>(25, 0.0));
  CHECK(w.exact);
  CHECK(w.statistic == 130.0);
  CHECK(w.pvalue == rel(0.39571136236190796, kClosedForm));
}

TEST_CASE("Wilcoxon signed-rank test: normal approximation") {
  // Zeros (differences [1, 0, -1, 3, 0, 2, 4, -1, 1.5, 5, 2.25, -0.5]: two zeros, tied
  // magnitudes 1). SciPy drops them (zero_method "wilcox") and switches to the approximation with
  // a warning: st.wilcoxon(zx, zy) -> statistic 7.0, pvalue 0.03617080275646433
  const std::vector<double> zx = {2.0, 3.5, 1.0, 4.0, 2.5, 3.0, 5.0, 1.5, 2.0, 6.0, 3.25, 0.5};
  const std::vector<double> zy = {1.0, 3.5, 2.0, 1.0, 2.5, 1.0, 1.0, 2.5, 0.5, 1.0, 1.0, 1.0};
  stats::Wilcoxon w = stats::wilcoxon_signed_rank(zx, zy);
  CHECK_FALSE(w.exact);
  CHECK(w.n == 10);
  CHECK(w.statistic == 7.0);
  CHECK(w.pvalue == rel(0.03617080275646433, kIterative));

  // Ties without zeros (differences [0.5, 1, 1, -1, 2, 1, 2.5, -1, 1, 0.75]). SciPy 1.10's
  // default would take its exact path and truncate the non-integer R+; the tie-corrected normal
  // approximation used here is SciPy's method="approx":
  // st.wilcoxon(tx, ty, method="approx") -> statistic 11.0, pvalue 0.08517577053659998
  const std::vector<double> tx = {1.5, 2.0, 3.0, 1.0, 4.5, 2.5, 3.5, 0.25, 2.0, 1.75};
  const std::vector<double> ty = {1.0, 1.0, 2.0, 2.0, 2.5, 1.5, 1.0, 1.25, 1.0, 1.0};
  w = stats::wilcoxon_signed_rank(tx, ty);
  CHECK_FALSE(w.exact);
  CHECK(w.n == 10);
  CHECK(w.statistic == 11.0);
  CHECK(w.pvalue == rel(0.08517577053659998, kIterative));

  // Ties and zeros together: st.wilcoxon(zx + tx, zy + ty) (list concatenation, n = 22)
  // -> statistic 33.5, pvalue 0.006973372200912472
  std::vector<double> x = zx, y = zy;
  x.insert(x.end(), tx.begin(), tx.end());
  y.insert(y.end(), ty.begin(), ty.end());
  w = stats::wilcoxon_signed_rank(x, y);
  CHECK(w.n == 20);
  CHECK(w.statistic == 33.5);
  CHECK(w.pvalue == rel(0.006973372200912472, kIterative));

  // n = 30 > 25, no ties: a30 = np.round(rng.normal(0.2, 1.0, 30), 6), rng the RandomState(3)
  // after e25x above; st.wilcoxon(a30, np.zeros(30), method="approx")
  // -> statistic 229.0, pvalue 0.9426105124576512 (SciPy's "auto" would be exact up to n = 50)
  const std::vector<double> a30 = {-0.512993, 0.825245,  0.039487,  -0.568836, -0.030031, 0.945056,
                                   2.176111,  -1.044123, -0.426417, -0.603766, -2.219083, -0.723792,
                                   -0.823876, 1.323978,  0.068086,  -1.423285, 0.846675,  -0.156271,
                                   -1.543141, -0.39665,  -0.388594, -0.673882, 0.229714,  -2.048258,
                                   -0.067762, 1.213183,  1.052798,  1.308187,  1.319391,  1.687543};
  w = stats::wilcoxon_signed_rank(a30, std::vector<double>(30, 0.0));
  CHECK_FALSE(w.exact);
  CHECK(w.statistic == 229.0);
  CHECK(w.pvalue == rel(0.9426105124576512, kIterative));

  // All differences zero: SciPy raises ValueError; here the p-value is NaN.
  w = stats::wilcoxon_signed_rank({0.5, 0.7}, {0.5, 0.7});
  CHECK(w.n == 0);
  CHECK(std::isnan(w.pvalue));
  CHECK_THROWS_AS(stats::wilcoxon_signed_rank({1.0}, {}), std::invalid_argument);
}

TEST_CASE("Holm-Bonferroni adjustment") {
  // statsmodels is not installed on the machine, so the procedure was written out in the script:
  // def holm(p):
  //     p = np.asarray(p, float); m = len(p); o = np.argsort(p, kind="stable")
  //     adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[o]))
  //     out = np.empty(m); out[o] = adj; return out
  // holm([0.01, 0.04, 0.03, 0.005]) -> [0.03, 0.06, 0.06, 0.02]
  std::vector<double> h = stats::holm({0.01, 0.04, 0.03, 0.005});
  REQUIRE(h.size() == 4);
  CHECK(h[0] == rel(0.03, kClosedForm));
  CHECK(h[1] == rel(0.06, kClosedForm));
  CHECK(h[2] == rel(0.06, kClosedForm));
  CHECK(h[3] == rel(0.02, kClosedForm));
  // holm([0.2, 0.6, 0.01, 0.04, 0.04]) -> [0.4, 0.6, 0.05, 0.16, 0.16]
  h = stats::holm({0.2, 0.6, 0.01, 0.04, 0.04});
  REQUIRE(h.size() == 5);
  CHECK(h[0] == rel(0.4, kClosedForm));
  CHECK(h[1] == rel(0.6, kClosedForm));
  CHECK(h[2] == rel(0.05, kClosedForm));
  CHECK(h[3] == rel(0.16, kClosedForm));
  CHECK(h[4] == rel(0.16, kClosedForm));
  // Capped at 1; NaN entries stay NaN and do not count in m.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  h = stats::holm({0.6, nan, 0.02});
  CHECK(h[0] == 0.6);
  CHECK(std::isnan(h[1]));
  CHECK(h[2] == rel(0.04, kClosedForm));
  CHECK(stats::holm({0.7, 0.9})[0] == 1.0);
  CHECK(stats::holm({}).empty());
}
