/// Tests of the `sample:` axis (random search): the draws (ranges, distributions, the stream
/// rule, the same values on every expansion), their cells crossed with seeds, and the errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/number_text.hpp"
#include "framework/core/random.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_internal.hpp"
#include "framework/testing/statistics.hpp"
#include "support/builtins.hpp"
#include "support/temp_dir.hpp"

namespace reglab::experiment {
namespace {

/// Lines 1-6: a valid single run on the synthetic dataset; `output` is line 7 and the sweep
/// keys start at line 8.
const std::string kBody =
    "name: sw\n"
    "data: {dataset: synthetic, train_samples: 200, test_samples: 50, features: 8, classes: 3}\n"
    "model: {name: mlp, hidden: [8]}\n"
    "optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.5}\n"
    "train: {epochs: 1}\n"
    "regularizers: [{name: dropout, rate: 0.5}]\n";

/// Writes kBody, the output (line 7) and `extra` (from line 8) to DIR/sweep.yaml.
std::string write_sweep(const reglab::testing::TempDir& dir, const std::string& extra) {
  return dir.write("sweep.yaml", kBody + "output: " + dir.file("sweep.h5") + "\n" + extra);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Checks that expand_sweep(path) throws a ConfigError whose message contains every part.
void check_error(const std::string& path, const std::vector<std::string>& parts) {
  std::string msg;
  try {
    expand_sweep(path, {});
    FAIL_CHECK("expected a ConfigError, nothing was thrown");
  } catch (const ConfigError& e) {
    msg = e.what();
  }
  INFO("message: ", msg);
  for (const auto& part : parts) CHECK_MESSAGE(contains(msg, part), "missing '", part, "'");
}

/// The sample axis of `sample_yaml` (the value of a `sample:` key), read on its own.
Axis sample_axis(const std::string& sample_yaml) {
  std::vector<Axis> axes;
  read_sample(ConfigNode::parse(sample_yaml, "sample.yaml"), axes);
  REQUIRE(axes.size() == 1);
  return axes.front();
}

/// The drawn numbers of path `k` of an axis; each text must read back as the same double.
std::vector<double> numbers(const Axis& axis, std::size_t k = 0) {
  std::vector<double> out;
  for (const auto& choice : axis.choices) {
    const std::string text = choice[k].written.scalar();
    out.push_back(std::strtod(text.c_str(), nullptr));
    CHECK(shortest_decimal(out.back()) == text);
  }
  return out;
}

/// Kolmogorov-Smirnov statistic of `values` against the uniform distribution on [lo, hi]:
/// the largest distance between their empirical distribution function and (x - lo)/(hi - lo).
double ks_uniform(std::vector<double> values, double lo, double hi) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  double d = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double f = (values[i] - lo) / (hi - lo);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

/// The KS critical value for n = 2000 at significance 0.001: sqrt(-ln(0.001 / 2) / 2) /
/// sqrt(2000) = 1.9495 / 44.72 = 0.0436 (asymptotic; a correct sampler exceeds it once in 1000
/// seeds, and the seed is fixed).
constexpr double kKsCritical2000 = 0.0436;

TEST_CASE("sample: uniform draws lie in their range and are uniform (Kolmogorov-Smirnov)") {
  const Axis axis = sample_axis("{n: 2000, seed: 3, space: {x: {uniform: [0.1, 0.7]}}}");
  REQUIRE(axis.choices.size() == 2000);
  const std::vector<double> v = numbers(axis);
  for (double x : v) CHECK((x >= 0.1 && x < 0.7));
  CHECK(ks_uniform(v, 0.1, 0.7) < kKsCritical2000);
  // The test has power: the same draws are far from uniform on a range a fifth wider.
  CHECK(ks_uniform(v, 0.1, 0.82) > kKsCritical2000);
}

TEST_CASE("sample: log_uniform draws are uniform in log (Kolmogorov-Smirnov)") {
  const Axis axis = sample_axis("{n: 2000, seed: 3, space: {x: {log_uniform: [1e-4, 1e-1]}}}");
  REQUIRE(axis.choices.size() == 2000);
  std::vector<double> logs;
  std::vector<double> v = numbers(axis);
  for (double x : v) {
    CHECK((x >= 1e-4 && x < 1e-1));
    logs.push_back(std::log(x));
  }
  CHECK(ks_uniform(logs, std::log(1e-4), std::log(1e-1)) < kKsCritical2000);
  // Not uniform in the value itself: most draws are below 0.01.
  CHECK(ks_uniform(v, 1e-4, 1e-1) > 10 * kKsCritical2000);
}

TEST_CASE("sample: int_uniform hits both ends, equally often") {
  const Axis axis =
      sample_axis("{n: 2100, seed: 5, space: {k: {int_uniform: [-3, 3]}, u: {uniform: [0, 1]}}}");
  REQUIRE(axis.choices.size() == 2100);
  std::map<std::string, std::size_t> counts;
  for (const auto& choice : axis.choices) ++counts[choice[0].written.scalar()];
  CHECK(counts.size() == 7);
  for (const char* k : {"-3", "-2", "-1", "0", "1", "2", "3"}) {
    CAPTURE(k);
    CHECK(reglab::testing::fraction_within(counts[k], 2100, 1.0 / 7.0));
  }
  // Alone, the draws repeat: the axis keeps each point once, in the order first drawn.
  const Axis alone = sample_axis("{n: 200, seed: 5, space: {k: {int_uniform: [2, 5]}}}");
  std::set<std::string> values;
  for (const auto& choice : alone.choices) values.insert(choice[0].written.scalar());
  CHECK(alone.choices.size() == 4);
  CHECK(values == std::set<std::string>{"2", "3", "4", "5"});
}

TEST_CASE("sample: choice covers its values, which may be any YAML") {
  const Axis axis = sample_axis(
      "{n: 400, seed: 7, space: {v: {choice: [relu, 2, [1, 2], {a: 1}]}, u: {uniform: [0, 1]}}}");
  std::map<std::string, std::size_t> counts;
  for (const auto& choice : axis.choices) ++counts[choice[0].written.to_flow_yaml()];
  CHECK(counts.size() == 4);
  for (const char* v : {"relu", "2", "[1, 2]", "{a: 1}"}) {
    CAPTURE(v);
    CHECK(reglab::testing::fraction_within(counts[v], 400, 0.25));
  }
}

TEST_CASE("sample: each key path draws from its own stream") {
  const Axis one = sample_axis("{n: 20, seed: 9, space: {a: {uniform: [0, 1]}}}");
  const Axis two =
      sample_axis("{n: 30, seed: 9, space: {b: {log_uniform: [1, 10]}, a: {uniform: [0, 1]}}}");
  const Axis other_seed = sample_axis("{n: 20, seed: 10, space: {a: {uniform: [0, 1]}}}");
  // Adding a key and raising n leave the draws of `a` as they were.
  for (std::size_t j = 0; j < 20; ++j) {
    CHECK(one.choices[j][0].written.scalar() == two.choices[j][1].written.scalar());
    CHECK(one.choices[j][0].written.scalar() != other_seed.choices[j][0].written.scalar());
  }
  // The rule itself: draw j of `a` is the first uniform of Rng::stream(seed, "sample/a", j).
  Rng rng = Rng::stream(9, "sample/a", 4);
  CHECK(one.choices[4][0].written.scalar() == shortest_decimal(rng.uniform_double()));
}

TEST_CASE("portable_log and portable_exp are within 2 units in the last place") {
  const auto ulps = [](double got, double want) {
    return std::abs(got - want) / (std::numeric_limits<double>::epsilon() * std::abs(want));
  };
  double worst_log = 0.0;
  double worst_exp = 0.0;
  for (double x = 1e-300; x < 1e300; x *= 1.37) {
    if (std::abs(x - 1.0) > 1e-3)
      worst_log = std::max(worst_log, ulps(portable_log(x), std::log(x)));
  }
  for (double x = -700.0; x < 700.0; x += 0.731) {
    worst_exp = std::max(worst_exp, ulps(portable_exp(x), std::exp(x)));
  }
  CHECK(worst_log <= 2.0);
  CHECK(worst_exp <= 2.0);
  CHECK(portable_log(1.0) == 0.0);
  CHECK(portable_exp(0.0) == 1.0);
}

TEST_CASE("sample: cells, names and ids are the same on every expansion") {
  reglab::testing::TempDir dir("reglab_sample");
  const std::string path = write_sweep(dir,
                                       "sample:\n"
                                       "  n: 6\n"
                                       "  seed: 3\n"
                                       "  space:\n"
                                       "    optimizer.learning_rate: {log_uniform: [1e-4, 1e-1]}\n"
                                       "    regularizers[0].rate: {uniform: [0.1, 0.7]}\n");
  const Sweep a = expand_sweep(path, {});
  const Sweep b = expand_sweep(path, {});
  REQUIRE(a.cells.size() == 6);
  REQUIRE(b.cells.size() == 6);
  CHECK(a.sweep_id == b.sweep_id);
  CHECK(a.factor_paths ==
        std::vector<std::string>{"optimizer.learning_rate", "regularizers[0].rate"});
  std::set<std::string> ids;
  for (std::size_t i = 0; i < a.cells.size(); ++i) {
    const Cell& c = a.cells[i];
    CHECK(c.id == b.cells[i].id);
    CHECK(c.name == b.cells[i].name);
    CHECK(c.config_yaml == b.cells[i].config_yaml);
    ids.insert(c.id);
    // What a cell's own process builds (`reglab run --cell`) is the same configuration.
    const ConfigNode config = cell_config(path, {}, c);
    CHECK(config.to_yaml() == c.config_yaml);
    CHECK(plan_run(config, reglab::testing::builtins()).run_id == c.id);
    // The drawn texts are in the configuration, and read back within range.
    REQUIRE(c.factors.size() == 2);
    CHECK(contains(c.config_yaml, "learning_rate: " + c.factors[0].text));
    CHECK(contains(c.config_yaml, "rate: " + c.factors[1].text));
    CHECK(c.factors[0].numeric);
    CHECK((c.factors[0].number >= 1e-4 && c.factors[0].number < 1e-1));
    CHECK((c.factors[1].number >= 0.1 && c.factors[1].number < 0.7));
  }
  CHECK(ids.size() == 6);
  // The values themselves are pinned: every machine and compiler must draw these.
  CHECK(a.cells[0].name ==
        "optimizer.learning_rate=0.00860995498308732, regularizers[0].rate=0.6010027672075664");
  CHECK(a.cells[5].name ==
        "optimizer.learning_rate=0.0018490907343814177, regularizers[0].rate=0.5713016916675194");
}

TEST_CASE("sample: crossed with seeds, each draw runs once per seed, seeds fastest") {
  reglab::testing::TempDir dir("reglab_sample");
  const std::string path = write_sweep(dir,
                                       "seeds: 2\n"
                                       "sample: {n: 3, seed: 1, space: {optimizer.learning_rate: "
                                       "{uniform: [0.01, 0.1]}}}\n"
                                       "grid:\n"
                                       "  train.epochs: [1, 2]\n");
  const Sweep s = expand_sweep(path, {});
  REQUIRE(s.cells.size() == 2 * 3 * 2);
  CHECK(s.factor_paths ==
        std::vector<std::string>{"train.epochs", "optimizer.learning_rate", "seed"});
  for (std::size_t i = 0; i < s.cells.size(); i += 2) {
    const Cell& first = s.cells[i];
    const Cell& second = s.cells[i + 1];
    CHECK(first.seed == 1);
    CHECK(second.seed == 2);
    CHECK(first.factors[1].text == second.factors[1].text);  // paired: the same draw
    CHECK(first.factors[0].text == second.factors[0].text);
  }
  // The grid varies slowest, and both of its values see the same three draws.
  CHECK(s.cells[0].factors[0].text == "1");
  CHECK(s.cells[6].factors[0].text == "2");
  for (std::size_t i = 0; i < 6; ++i)
    CHECK(s.cells[i].factors[1].text == s.cells[i + 6].factors[1].text);
  CHECK(s.cells[0].factors[1].text != s.cells[2].factors[1].text);
}

TEST_CASE("sample: invalid input names the key") {
  reglab::testing::TempDir dir("reglab_sample");
  const std::string space = "space: {optimizer.learning_rate: {uniform: [0.01, 0.1]}}";
  const auto with = [&](const std::string& sample) {
    return write_sweep(dir, "sample: " + sample + "\n");
  };
  SUBCASE("not a map") { check_error(with("[1, 2]"), {":8:", "sample", "expected a map"}); }
  SUBCASE("n below 1 or above kMaxCells") {
    check_error(with("{n: 0, seed: 1, " + space + "}"),
                {":8:", "sample.n", "must be in [1, 100000], got 0"});
    check_error(with("{n: 100001, seed: 1, " + space + "}"), {"sample.n", "got 100001"});
    check_error(with("{n: many, seed: 1, " + space + "}"), {"sample.n", "expected an integer"});
  }
  SUBCASE("a missing seed, n or space") {
    check_error(with("{n: 5, " + space + "}"), {"sample", "missing required key 'seed'"});
    check_error(with("{seed: 1, " + space + "}"), {"sample", "missing required key 'n'"});
    check_error(with("{n: 5, seed: 1}"), {"sample", "missing required key 'space'"});
    check_error(with("{n: 5, seed: -1, " + space + "}"), {"sample.seed", "must be in [0, "});
  }
  SUBCASE("an unknown key") {
    check_error(with("{n: 5, seed: 1, count: 3, " + space + "}"),
                {"sample.count", "unknown key 'count'"});
  }
  SUBCASE("an empty space, an unknown distribution, two distributions") {
    check_error(with("{n: 5, seed: 1, space: {}}"),
                {"sample.space", "expected a map from key paths"});
    check_error(with("{n: 5, seed: 1, space: {x: {normal: [0, 1]}}}"),
                {"sample.space.x.normal", "unknown distribution 'normal'", "known: uniform"});
    check_error(with("{n: 5, seed: 1, space: {x: {log_unifrom: [1, 2]}}}"),
                {"sample.space.x.log_unifrom", "did you mean 'log_uniform'?"});
    check_error(with("{n: 5, seed: 1, space: {x: {uniform: [0, 1], choice: [1]}}}"),
                {"sample.space.x", "expected one distribution"});
    check_error(with("{n: 5, seed: 1, space: {x: 0.5}}"),
                {"sample.space.x", "expected one distribution"});
  }
  SUBCASE("bounds: not two numbers, lo >= hi, log_uniform from 0, int_uniform not integers") {
    check_error(with("{n: 5, seed: 1, space: {x: {uniform: [0, 1, 2]}}}"),
                {"sample.space.x.uniform", "expected a list [lo, hi]"});
    check_error(with("{n: 5, seed: 1, space: {x: {uniform: [0, big]}}}"),
                {"sample.space.x.uniform[1]", "expected a number, got 'big'"});
    check_error(with("{n: 5, seed: 1, space: {x: {uniform: [0, .inf]}}}"),
                {"sample.space.x.uniform[1]", "expected a number"});
    check_error(with("{n: 5, seed: 1, space: {x: {uniform: [0.5, 0.5]}}}"),
                {"sample.space.x.uniform", "expected lo < hi, got [0.5, 0.5]"});
    check_error(with("{n: 5, seed: 1, space: {x: {log_uniform: [0, 1]}}}"),
                {"sample.space.x.log_uniform[0]", "log_uniform needs lo > 0, got 0"});
    check_error(with("{n: 5, seed: 1, space: {x: {int_uniform: [1, 2.5]}}}"),
                {"sample.space.x.int_uniform[1]", "expected an integer, got '2.5'"});
    check_error(with("{n: 5, seed: 1, space: {x: {int_uniform: [3, 1]}}}"),
                {"sample.space.x.int_uniform", "expected lo < hi, got [3, 1]"});
    check_error(with("{n: 5, seed: 1, space: {x: {choice: []}}}"),
                {"sample.space.x.choice", "expected a non-empty list"});
  }
  SUBCASE("plugins, and a path also on the grid") {
    check_error(with("{n: 5, seed: 1, space: {plugins: {choice: [[], []]}}}"),
                {"key path 'plugins'", "cannot vary along an axis"});
    check_error(write_sweep(dir,
                            "grid: {optimizer.learning_rate: [0.1, 0.2]}\n"
                            "sample: {n: 5, seed: 1, " +
                                space + "}\n"),
                {"key path 'optimizer.learning_rate' is varied by two axes"});
  }
  SUBCASE("a drawn value the run rejects names its distribution") {
    check_error(with("{n: 5, seed: 1, space: {optimizer.momentum: {uniform: [1.5, 2]}}}"),
                {":8:", "sampled value of 'optimizer.momentum'", "optimizer.momentum"});
    check_error(with("{n: 5, seed: 1, space: {optimizer.momentun: {uniform: [0, 1]}}}"),
                {"sampled value of 'optimizer.momentun'", "unknown key 'momentun'"});
  }
}

}  // namespace
}  // namespace reglab::experiment
