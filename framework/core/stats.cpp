#include "framework/core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace reglab::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

/// Continued fraction of the incomplete beta function ([NR] betacf), modified Lentz method.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 100000;
  constexpr double kEps = 1e-16;
  constexpr double kTiny = 1e-300;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double md = static_cast<double>(m);
    const double m2 = 2.0 * md;
    double aa = md * (b - md) * x / ((qam + m2) * (a + m2));  // even step d_{2m}
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2));  // odd step d_{2m+1}
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) <= kEps) break;
  }
  return h;
}

/// I_x(a, b) given both x and y = 1 - x (y passed separately so callers that know 1 - x
/// precisely, such as the t distribution near t = 0, keep full precision).
double incomplete_beta(double a, double b, double x, double y) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(y >= 0.0) || x > 1.0 || y > 1.0) return kNaN;
  if (x == 0.0) return 0.0;
  if (y == 0.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(y);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, y) / b;
}

/// I_x(df/2, 1/2) with x = df / (df + t^2): the two-sided tail P(|T| > |t|).
double t_two_sided_tail(double t, double df) {
  if (std::isinf(t)) return 0.0;
  const double t2 = t * t;
  // Huge t^2/df: x underflows gracefully through the logarithms in incomplete_beta.
  const double x = df / (df + t2);
  const double y = t2 / (df + t2);
  return incomplete_beta(0.5 * df, 0.5, x, y);
}

/// Student t density.
double student_t_pdf(double t, double df) {
  const double log_c =
      std::lgamma(0.5 * (df + 1.0)) - std::lgamma(0.5 * df) - 0.5 * std::log(df * kPi);
  return std::exp(log_c - 0.5 * (df + 1.0) * std::log1p(t * t / df));
}

/// Ranks of v (1-based, average ranks for ties), like scipy.stats.rankdata(method="average"),
/// and the sizes of the groups of tied values (only groups of 2 or more).
void average_ranks(const std::vector<double>& v, std::vector<double>& ranks,
                   std::vector<std::size_t>& tie_sizes) {
  const std::size_t n = v.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&v](std::size_t i, std::size_t j) { return v[i] < v[j]; });
  ranks.assign(n, 0.0);
  tie_sizes.clear();
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && v[order[j]] == v[order[i]]) ++j;
    // Positions i..j-1 (0-based) hold ranks i+1..j; their average is (i + 1 + j) / 2.
    const double rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    if (j - i > 1) tie_sizes.push_back(j - i);
    i = j;
  }
}

}  // namespace

double mean(const std::vector<double>& x) {
  if (x.empty()) return kNaN;
  double sum = 0.0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

double sample_sd(const std::vector<double>& x) {
  if (x.size() < 2) return kNaN;
  const double m = mean(x);
  double ss = 0.0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

double regularized_incomplete_beta(double a, double b, double x) {
  return incomplete_beta(a, b, x, 1.0 - x);
}

double student_t_cdf(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  const double half_tail = 0.5 * t_two_sided_tail(t, df);
  return t < 0.0 ? half_tail : 1.0 - half_tail;
}

double student_t_sf(double t, double df) { return student_t_cdf(-t, df); }

double student_t_quantile(double p, double df) {
  if (std::isnan(p) || !(df > 0.0) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -student_t_quantile(1.0 - p, df);
  // Solve sf(t) = q for t > 0, with q = 1 - p < 1/2. sf is decreasing.
  const double q = 1.0 - p;
  double lo = 0.0;
  double hi = 1.0;
  while (student_t_sf(hi, df) > q) {
    lo = hi;
    hi *= 2.0;
    if (std::isinf(hi)) return kInf;
  }
  double t = 0.5 * (lo + hi);
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double f = student_t_sf(t, df) - q;
    if (f == 0.0) break;
    if (f > 0.0)
      lo = t;  // sf too large: the root is to the right
    else
      hi = t;
    const double density = student_t_pdf(t, df);
    double next = density > 0.0 ? t + f / density : kNaN;  // Newton on sf: sf' = -pdf
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double step = std::fabs(next - t);
    t = next;
    if (step <= 1e-15 * std::fabs(t) || hi - lo <= 1e-15 * std::fabs(t)) break;
  }
  return t;
}

Interval mean_ci(const std::vector<double>& x, double level) {
  if (x.size() < 2) return {kNaN, kNaN};
  const double n = static_cast<double>(x.size());
  const double m = mean(x);
  const double half =
      student_t_quantile(0.5 * (1.0 + level), n - 1.0) * sample_sd(x) / std::sqrt(n);
  return {m - half, m + half};
}

TTest paired_t_test(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("paired_t_test: x and y differ in size");
  TTest r{kNaN, kNaN, kNaN, kNaN, {kNaN, kNaN}};
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  r.mean_difference = mean(d);
  if (d.size() < 2) return r;
  const double n = static_cast<double>(d.size());
  const double se = sample_sd(d) / std::sqrt(n);
  r.df = n - 1.0;
  r.statistic = r.mean_difference / se;  // +-inf or NaN when se = 0, as in SciPy
  r.pvalue = std::isnan(r.statistic) ? kNaN : t_two_sided_tail(r.statistic, r.df);
  r.ci = mean_ci(d, 0.95);
  return r;
}

TTest welch_t_test(const std::vector<double>& x, const std::vector<double>& y) {
  TTest r{kNaN, kNaN, kNaN, kNaN, {kNaN, kNaN}};
  if (!x.empty() && !y.empty()) r.mean_difference = mean(x) - mean(y);
  if (x.size() < 2 || y.size() < 2) return r;
  const double nx = static_cast<double>(x.size());
  const double ny = static_cast<double>(y.size());
  const double vx = sample_sd(x) * sample_sd(x) / nx;
  const double vy = sample_sd(y) * sample_sd(y) / ny;
  r.df = (vx + vy) * (vx + vy) / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));
  if (std::isnan(r.df)) r.df = 1.0;  // both variances zero: SciPy's convention
  const double se = std::sqrt(vx + vy);
  r.statistic = r.mean_difference / se;
  r.pvalue = std::isnan(r.statistic) ? kNaN : t_two_sided_tail(r.statistic, r.df);
  const double half = student_t_quantile(0.975, r.df) * se;
  r.ci = {r.mean_difference - half, r.mean_difference + half};
  return r;
}

Wilcoxon wilcoxon_signed_rank(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw std::invalid_argument("wilcoxon_signed_rank: x and y differ in size");
  }
  Wilcoxon r{kNaN, kNaN, kNaN, 0, false};
  std::vector<double> d;  // non-zero differences (zero_method "wilcox")
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i] - y[i];
    if (v != 0.0) d.push_back(v);
  }
  const bool zeros = d.size() != x.size();
  r.n = d.size();
  if (d.empty()) return r;
  std::vector<double> magnitude(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) magnitude[i] = std::fabs(d[i]);
  std::vector<double> ranks;
  std::vector<std::size_t> ties;
  average_ranks(magnitude, ranks, ties);
  double r_plus = 0.0;
  double r_minus = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) (d[i] > 0.0 ? r_plus : r_minus) += ranks[i];
  r.statistic = std::min(r_plus, r_minus);
  const std::size_t n = d.size();
  const double nd = static_cast<double>(n);
  r.exact = n <= kWilcoxonExactMaxN && !zeros && ties.empty();
  if (r.exact) {
    // counts[s] = number of subsets of {1..n} whose sum is s.
    const std::size_t max_sum = n * (n + 1) / 2;
    std::vector<std::uint64_t> counts(max_sum + 1, 0);
    counts[0] = 1;
    for (std::size_t k = 1; k <= n; ++k) {
      for (std::size_t s = k * (k + 1) / 2; s >= k; --s) counts[s] += counts[s - k];
    }
    const auto rp = static_cast<std::size_t>(r_plus);  // an integer: no ties
    if (2 * rp == max_sum) {
      r.pvalue = 1.0;  // the centre of the (symmetric) distribution
    } else {
      std::uint64_t less = 0;
      std::uint64_t greater = 0;
      for (std::size_t s = 0; s <= max_sum; ++s) (s <= rp ? less : greater) += counts[s];
      greater += counts[rp];  // P(R+ >= r+) includes r+ itself
      const double total = std::ldexp(1.0, static_cast<int>(n));
      r.pvalue = std::min(1.0, 2.0 * static_cast<double>(std::min(less, greater)) / total);
    }
    return r;
  }
  const double mn = nd * (nd + 1.0) * 0.25;
  double var = nd * (nd + 1.0) * (2.0 * nd + 1.0);
  for (std::size_t t : ties) {
    const double td = static_cast<double>(t);
    var -= 0.5 * td * (td * td - 1.0);
  }
  const double se = std::sqrt(var / 24.0);
  r.z = (r.statistic - mn) / se;
  r.pvalue = std::erfc(std::fabs(r.z) / std::sqrt(2.0));
  return r;
}

std::vector<double> holm(const std::vector<double>& p) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&p](std::size_t i, std::size_t j) { return p[i] < p[j]; });
  std::vector<double> adjusted(p.size(), kNaN);
  const std::size_t m = order.size();
  double running = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    running = std::max(running, static_cast<double>(m - k) * p[order[k]]);
    adjusted[order[k]] = std::min(1.0, running);
  }
  return adjusted;
}

}  // namespace reglab::stats
