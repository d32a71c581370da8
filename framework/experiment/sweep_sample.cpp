/// The `sample:` axis: reading its distributions and drawing its values (experiment/sweep.hpp
/// documents the format, sweep_internal.hpp why every operation here is exact IEEE arithmetic).
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "framework/core/number_text.hpp"
#include "framework/core/random.hpp"
#include "framework/experiment/sweep_internal.hpp"

namespace reglab::experiment {

namespace {

enum class Law { kUniform, kLogUniform, kIntUniform, kChoice };

/// One distribution of `sample.space`.
struct Distribution {
  Law law = Law::kUniform;
  std::string path;   ///< the key path it draws
  std::string where;  ///< the location errors in a drawn number report
  double lo = 0.0;    ///< uniform, log_uniform: [lo, hi)
  double hi = 0.0;
  std::int64_t first = 0;  ///< int_uniform: [first, last]
  std::int64_t last = 0;
  std::vector<ConfigNode> values;  ///< choice
};

/// int_uniform bounds: the number of values (last - first + 1) fits in 63 bits.
constexpr std::int64_t kIntBound = std::numeric_limits<std::int64_t>::max() / 2;

double read_number(const ConfigNode& n) {
  if (!n.is_scalar()) n.fail("expected a number");
  const std::string text = n.scalar();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    n.fail("expected a number, got '" + text + "'");
  }
  if (!std::isfinite(v)) n.fail("must be finite, got " + text);
  return v;
}

std::int64_t read_integer(const ConfigNode& n) {
  if (!n.is_scalar()) n.fail("expected an integer");
  const std::string text = n.scalar();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size()) {
    n.fail("expected an integer, got '" + text + "'");
  }
  if (errno == ERANGE || v < -kIntBound || v > kIntBound) {
    n.fail("must be in [" + std::to_string(-kIntBound) + ", " + std::to_string(kIntBound) +
           "], got " + text);
  }
  return v;
}

/// The list [lo, hi] of `args`.
std::pair<ConfigNode, ConfigNode> bounds(const ConfigNode& args) {
  if (!args.is_sequence() || args.size() != 2) args.fail("expected a list [lo, hi]");
  return {args.at(0), args.at(1)};
}

void read_range(const ConfigNode& args, Distribution& d) {
  const auto [lo, hi] = bounds(args);
  d.lo = read_number(lo);
  d.hi = read_number(hi);
  if (d.lo >= d.hi) args.fail("expected lo < hi, got [" + lo.scalar() + ", " + hi.scalar() + "]");
  if (!std::isfinite(d.hi - d.lo)) args.fail("the range is wider than the largest double");
  if (d.law == Law::kLogUniform && d.lo <= 0.0) {
    lo.fail("log_uniform needs lo > 0, got " + lo.scalar());
  }
}

void read_int_range(const ConfigNode& args, Distribution& d) {
  const auto [lo, hi] = bounds(args);
  d.first = read_integer(lo);
  d.last = read_integer(hi);
  if (d.first >= d.last) {
    args.fail("expected lo < hi, got [" + lo.scalar() + ", " + hi.scalar() + "]");
  }
}

Distribution read_distribution(const ConfigNode& node) {
  const std::vector<std::string> laws = {"uniform", "log_uniform", "int_uniform", "choice"};
  if (!node.is_map() || node.size() != 1) {
    node.fail(
        "expected one distribution: {uniform: [lo, hi]}, {log_uniform: [lo, hi]}, "
        "{int_uniform: [lo, hi]} or {choice: [v1, v2, ...]}");
  }
  const std::string law = node.keys().front();
  const ConfigNode args = node.child(law);
  Distribution d;
  if (law == "uniform" || law == "log_uniform") {
    d.law = law == "uniform" ? Law::kUniform : Law::kLogUniform;
    read_range(args, d);
  } else if (law == "int_uniform") {
    d.law = Law::kIntUniform;
    read_int_range(args, d);
  } else if (law == "choice") {
    d.law = Law::kChoice;
    if (!args.is_sequence() || args.size() == 0) args.fail("expected a non-empty list of values");
    for (std::size_t i = 0; i < args.size(); ++i) d.values.push_back(args.at(i));
  } else {
    args.fail("unknown distribution '" + law + "'" + config::did_you_mean(law, laws) +
              " (known: uniform, log_uniform, int_uniform, choice)");
  }
  return d;
}

/// `lo + (hi - lo) * u` for u in [0, 1), kept below hi where rounding reaches it.
double uniform_in(double lo, double hi, double u) {
  const double v = lo + (hi - lo) * u;
  return v < hi ? v : std::nextafter(hi, lo);
}

/// e^(log lo + (log hi - log lo) u): the logarithm is uniform on [log lo, log hi).
double log_uniform_in(double lo, double hi, double u) {
  const double v = portable_exp(uniform_in(portable_log(lo), portable_log(hi), u));
  if (v < lo) return lo;
  return v < hi ? v : std::nextafter(hi, lo);
}

/// A drawn value: a number as the shortest text that reads back as it, or a choice as written.
AxisValue drawn_value(const ConfigNode& written, const std::string& where) {
  AxisValue value;
  value.written = written;
  value.where = where;
  return value;
}

AxisValue number_value(const std::string& text, const std::string& where) {
  return drawn_value(ConfigNode::parse(text, "<sample>"), where);
}

/// One draw of distribution `d` from `rng`.
AxisValue draw(const Distribution& d, Rng& rng) {
  switch (d.law) {
    case Law::kUniform:
      return number_value(shortest_decimal(uniform_in(d.lo, d.hi, rng.uniform_double())), d.where);
    case Law::kLogUniform:
      return number_value(shortest_decimal(log_uniform_in(d.lo, d.hi, rng.uniform_double())),
                          d.where);
    case Law::kIntUniform: {
      const auto count = static_cast<std::uint64_t>(d.last - d.first) + 1;
      const auto offset = static_cast<std::int64_t>(rng.below(count));
      return number_value(std::to_string(d.first + offset), d.where);
    }
    case Law::kChoice:
      break;
  }
  const ConfigNode& chosen = d.values[rng.below(d.values.size())];
  return drawn_value(chosen, chosen.location() + " (sampled value of '" + d.path + "')");
}

}  // namespace

void read_sample(const ConfigNode& sample, std::vector<Axis>& axes) {
  if (sample.is_null()) return;
  OptionReader r(sample);
  if (!r.has("seed")) {
    r.fail("seed",
           "missing required key 'seed' (it seeds the draws; the runs' seed still comes "
           "from 'seed' or 'seeds')");
  }
  const auto n = static_cast<std::size_t>(r.require_int("n", 1, kMaxCells));
  const auto seed = static_cast<std::uint64_t>(
      r.require_int("seed", 0, std::numeric_limits<std::int64_t>::max()));
  if (!r.has("space")) r.fail("space", "missing required key 'space'");
  const ConfigNode space = r.child("space");
  r.finish();
  if (!space.is_map() || space.size() == 0) {
    space.fail("expected a map from key paths to distributions");
  }
  Axis axis;
  std::vector<Distribution> laws;
  for (const auto& key : space.keys()) {
    const ConfigNode node = space.child(key);
    axis.paths.push_back(key);
    laws.push_back(read_distribution(node));
    laws.back().path = key;
    laws.back().where = node.location() + " (sampled value of '" + key + "')";
  }
  std::set<std::string> seen;
  for (std::size_t j = 0; j < n; ++j) {
    std::vector<AxisValue> choice;
    std::string text;
    for (std::size_t k = 0; k < axis.paths.size(); ++k) {
      Rng rng = Rng::stream(seed, "sample/" + axis.paths[k], j);
      choice.push_back(draw(laws[k], rng));
      text += choice.back().written.to_flow_yaml() + '\n';
    }
    if (seen.insert(text).second) axis.choices.push_back(std::move(choice));
  }
  axes.push_back(std::move(axis));
}

double portable_log(double x) {
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...)
  // with s = (m - 1) / (m + 1), |s| < 0.172: terms to s^25 reach below 2^-53 of the sum.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 to 32 bits: e * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
  int e = 0;
  double m = std::frexp(x, &e);
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double sum = 0.0;
  for (int k = 25; k >= 1; k -= 2) sum = sum * s2 + 1.0 / k;
  const double log_m = 2.0 * s * sum;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (ed * kLn2Lo + log_m);
}

double portable_exp(double x) {
  // e^x = 2^k e^r with k = round(x / ln 2), |r| <= ln(2)/2; e^r by its Taylor series to r^16.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double coefficient = 1.0;
  double coefficients[17];
  for (int i = 0; i <= 16; ++i) {
    if (i > 0) coefficient /= i;
    coefficients[i] = coefficient;
  }
  double sum = 0.0;
  for (int i = 16; i >= 0; --i) sum = sum * r + coefficients[i];
  return std::ldexp(sum, static_cast<int>(k));
}

}  // namespace reglab::experiment
