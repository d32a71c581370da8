/// Descriptive statistics and the tests `reglab report` uses to compare arms of a sweep.
///
/// Only the standard library. Every function is deterministic and thread-safe except that
/// std::lgamma may write the global `signgam` in glibc (harmless: it is never read here).
/// Conventions follow SciPy 1.10 (Debian's python3-scipy), against which tests/core/test_stats.cpp
/// pins the values:
///   - sample standard deviation with n - 1 in the denominator (numpy `ddof=1`);
///   - p-values are two-sided;
///   - undefined results are NaN (too few values, zero variance with zero mean difference), as in
///     SciPy, never an exception.
///
/// References:
///   [NR]  W. H. Press, S. A. Teukolsky, W. T. Vetterling, B. P. Flannery, Numerical Recipes,
///         3rd ed., Cambridge University Press 2007, section 6.4 (incomplete beta function,
///         Student's distribution) and 5.2 (modified Lentz method for continued fractions).
///   [AS]  M. Abramowitz, I. A. Stegun, Handbook of Mathematical Functions, 1964, 26.5.8 and
///         26.7.1 (incomplete beta function and Student's t).
///   [W45] F. Wilcoxon, Individual comparisons by ranking methods, Biometrics Bulletin 1(6), 1945.
///   [W47] B. L. Welch, The generalization of "Student's" problem when several different
///         population variances are involved, Biometrika 34, 1947; F. E. Satterthwaite, An
///         approximate distribution of estimates of variance components, Biometrics Bulletin 2,
///         1946.
///   [H79] S. Holm, A simple sequentially rejective multiple test procedure, Scandinavian
///         Journal of Statistics 6(2), 1979.
///   [L75] E. L. Lehmann, Nonparametrics: Statistical Methods Based on Ranks, 1975 (tie-corrected
///         variance of the signed-rank statistic).
#pragma once

#include <cstddef>
#include <vector>

namespace reglab::stats {

/// Arithmetic mean (1/n) sum x_i. NaN for an empty vector.
double mean(const std::vector<double>& x);

/// Sample standard deviation s = sqrt(sum (x_i - mean)^2 / (n - 1)) (numpy `std(ddof=1)`).
/// Two passes (mean first), so no cancellation for data far from zero. NaN when n < 2.
double sample_sd(const std::vector<double>& x);

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and
/// 0 <= x <= 1 ([AS] 26.5.1). Evaluated as in [NR] 6.4: the prefactor
/// x^a (1 - x)^b / (a B(a, b)) (through lgamma) times the continued fraction
///   1 / (1 + d_1 / (1 + d_2 / (1 + ...))),
///   d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
///   d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m)),
/// summed by the modified Lentz method to relative change below 1e-16, using the symmetry
/// I_x(a, b) = 1 - I_{1-x}(b, a) when x > (a + 1) / (a + b + 2) so the fraction converges fast.
/// NaN for arguments outside the domain.
double regularized_incomplete_beta(double a, double b, double x);

/// Cumulative distribution function of Student's t with `df` > 0 degrees of freedom (not
/// necessarily an integer): with x = df / (df + t^2) ([AS] 26.7.1),
///   P(T <= t) = 1 - I_x(df/2, 1/2) / 2 for t >= 0, and I_x(df/2, 1/2) / 2 for t < 0.
/// 1 - x is computed as t^2 / (df + t^2), so small |t| keeps full precision. (scipy.stats.t.cdf)
double student_t_cdf(double t, double df);

/// Upper tail P(T > t) = student_t_cdf(-t, df), accurate for large t (scipy.stats.t.sf).
double student_t_sf(double t, double df);

/// Quantile (inverse CDF) of Student's t: the t with student_t_cdf(t, df) = p, 0 < p < 1
/// (scipy.stats.t.ppf). By symmetry only the upper half is solved: the root of
/// student_t_sf(t) = 1 - p is bracketed by doubling from [0, 1], then refined by Newton steps on
/// sf (derivative minus the density
/// f(t) = Gamma((df+1)/2) / (sqrt(df pi) Gamma(df/2)) (1 + t^2/df)^(-(df+1)/2)), falling back to
/// bisection whenever a step leaves the bracket, until the step is below 1e-15 relative.
/// -inf / +inf at p = 0 / 1; NaN outside [0, 1] or for df <= 0.
double student_t_quantile(double p, double df);

/// A two-sided confidence interval.
struct Interval {
  double low;
  double high;
};

/// Confidence interval of a mean from a sample: mean +- t_{(1+level)/2, n-1} s / sqrt(n), with s
/// the sample standard deviation (scipy.stats.t.interval(level, n-1, loc=mean, scale=sem)).
/// {NaN, NaN} when n < 2.
Interval mean_ci(const std::vector<double>& x, double level = 0.95);

/// The result of a t-test.
struct TTest {
  double statistic;        ///< t
  double df;               ///< degrees of freedom
  double pvalue;           ///< two-sided
  double mean_difference;  ///< mean(x - y) (paired) or mean(x) - mean(y) (Welch)
  Interval ci;             ///< 95% confidence interval of mean_difference
};

/// Paired t-test of x against y (scipy.stats.ttest_rel(x, y)): with d_i = x_i - y_i,
///   t = mean(d) / (s_d / sqrt(n)), df = n - 1, p = 2 P(T_df > |t|) = I_{df/(df+t^2)}(df/2, 1/2).
/// As in SciPy: s_d = 0 gives t = +-inf and p = 0 if mean(d) != 0, and NaN if mean(d) = 0.
/// The interval is mean(d) +- t_{0.975, n-1} s_d / sqrt(n). Requires x.size() == y.size()
/// (else std::invalid_argument); NaN results when n < 2.
TTest paired_t_test(const std::vector<double>& x, const std::vector<double>& y);

/// Welch's unequal-variance t-test ([W47]; scipy.stats.ttest_ind(x, y, equal_var=False)):
///   t = (mean(x) - mean(y)) / sqrt(s_x^2/n_x + s_y^2/n_y),
///   df = (s_x^2/n_x + s_y^2/n_y)^2 / ((s_x^2/n_x)^2/(n_x - 1) + (s_y^2/n_y)^2/(n_y - 1))
/// (Welch-Satterthwaite), p = 2 P(T_df > |t|). As in SciPy, df = 1 when both variances are zero
/// (then t = +-inf, p = 0, or NaN for equal means). The interval is the difference of means
/// +- t_{0.975, df} sqrt(s_x^2/n_x + s_y^2/n_y). NaN results unless n_x, n_y >= 2.
TTest welch_t_test(const std::vector<double>& x, const std::vector<double>& y);

/// The result of a Wilcoxon signed-rank test.
struct Wilcoxon {
  double statistic;  ///< T = min(R+, R-), the smaller signed-rank sum (as SciPy, two-sided)
  double pvalue;     ///< two-sided
  double z;          ///< normal deviate (normal approximation only; NaN when exact)
  std::size_t n;     ///< number of differences ranked (after dropping zeros)
  bool exact;        ///< true: exact null distribution; false: normal approximation
};

/// Largest number of differences for which the exact null distribution is used.
constexpr std::size_t kWilcoxonExactMaxN = 25;

/// Two-sided Wilcoxon signed-rank test of the paired differences d_i = x_i - y_i ([W45]).
///
/// Ranks 1..n are given to |d_i| (average ranks for ties); R+ and R- are the rank sums of the
/// positive and negative differences, T = min(R+, R-).
///
/// Exact (n <= kWilcoxonExactMaxN, no zero and no tied |d_i|): under H0 each sign is + or - with
/// probability 1/2, so R+ is distributed as the sum of a random subset of {1..n}. The counts
/// c_n(s) of subsets with sum s follow c_k(s) = c_{k-1}(s) + c_{k-1}(s - k) (dynamic programming
/// over k, integers exact up to 2^25 subsets), P(R+ = s) = c_n(s) / 2^n, and
///   p = min(1, 2 min(P(R+ <= r+), P(R+ >= r+))), and p = 1 when r+ = n(n+1)/4 exactly
/// (SciPy 1.10 method="exact").
///
/// Normal approximation otherwise (SciPy 1.10 method="approx", correction=False):
///   z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) - (1/2) sum_j (t_j^3 - t_j)) / 24),
///   p = 2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2),
/// with t_j the sizes of the groups of tied |d_i| (tie correction, [L75]), no continuity
/// correction.
///
/// Zero differences: dropped before ranking (Wilcoxon's original method, SciPy's default
/// zero_method="wilcox"), so n counts the non-zero differences; a zero forces the normal
/// approximation, as in SciPy 1.10, which switches to it with a warning when there are zeros.
/// When every difference is zero the test is undefined (SciPy raises ValueError): p = NaN, n = 0.
///
/// Differences from SciPy 1.10's default method="auto": SciPy uses the exact distribution for
/// n <= 50 and also when |d_i| are tied (it then truncates the non-integer R+, which is not a
/// valid exact test); here the exact test needs n <= 25 and no ties, so for 26..50 differences
/// or tied differences the result equals SciPy's wilcoxon(x, y, method="approx").
/// Ties and zeros are exact floating-point equality of x_i - y_i, as in SciPy.
/// Requires x.size() == y.size() (else std::invalid_argument).
Wilcoxon wilcoxon_signed_rank(const std::vector<double>& x, const std::vector<double>& y);

/// Holm-Bonferroni step-down adjustment ([H79]) of m p-values: with p_(1) <= ... <= p_(m),
///   p~_(i) = min(1, max_{j <= i} (m - j + 1) p_(j)),
/// returned in the input order (statsmodels multipletests(method="holm")[1]). Rejecting where
/// p~ <= alpha controls the family-wise error rate at alpha. NaN entries are left NaN and not
/// counted in m. Ties keep their input order (the result does not depend on it).
std::vector<double> holm(const std::vector<double>& p);

}  // namespace reglab::stats
