#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"
#include "framework/storage/results.hpp"
#include "support/builtins.hpp"
#include "support/temp_dir.hpp"

namespace reglab::experiment {
namespace {

/// This file's temporary folders: /tmp/reglab_sweep_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_sweep") {}
};

/// Lines 1-6 of every sweep file below (a valid single run on the synthetic dataset); `output`
/// is line 7 and the sweep keys start at line 8.
const std::string kBody =
    "name: sw\n"  // 1
    "data: {dataset: synthetic, train_samples: 200, test_samples: 50, features: 8, classes: "
    "3}\n"                                           // 2
    "model: {name: mlp, hidden: [8]}\n"              // 3
    "optimizer: {name: sgd, learning_rate: 0.05}\n"  // 4
    "train: {epochs: 1}\n"                           // 5
    "regularizers: []\n";                            // 6

/// kBody, the output in `dir` (line 7), then `extra` (from line 8).
std::string sweep_text(const TempDir& dir, const std::string& extra) {
  return kBody + "output: " + dir.file("sweep.h5") + "\n" + extra;
}

/// Writes sweep_text to DIR/sweep.yaml and returns its path.
std::string write_sweep(const TempDir& dir, const std::string& extra) {
  return dir.write("sweep.yaml", sweep_text(dir, extra));
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

/// The ConfigError message of expand_sweep(path, overrides) ("" and a failed check if none).
std::string expand_error(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    expand_sweep(path, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const Error& e) {
    FAIL_CHECK("expected a ConfigError, got another reglab::Error: ", e.what());
    return e.what();
  }
  FAIL_CHECK("expected a ConfigError, nothing was thrown");
  return "";
}

/// Checks that expand_sweep throws a ConfigError whose message contains every part.
void check_error(const std::string& path, const std::vector<std::string>& overrides,
                 const std::vector<std::string>& parts) {
  const std::string msg = expand_error(path, overrides);
  INFO("message: ", msg);
  for (const auto& part : parts) CHECK_MESSAGE(contains(msg, part), "missing '", part, "'");
}

std::vector<std::string> names_of(const Sweep& s) {
  std::vector<std::string> out;
  for (const auto& c : s.cells) out.push_back(c.name);
  return out;
}

std::vector<std::string> ids_of(const Sweep& s) {
  std::vector<std::string> out;
  for (const auto& c : s.cells) out.push_back(c.id);
  return out;
}

bool is_id(const std::string& s) {
  return s.size() == 12 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// The validated plan of a cell, as the cell's child process builds it.
RunPlan plan_of(const std::string& path, const std::vector<std::string>& overrides,
                const Cell& cell) {
  return plan_run(cell_config(path, overrides, cell), reglab::testing::builtins());
}

/// "[1, 2, ..., n]"
std::string range_list(int n) {
  std::string out = "[";
  for (int i = 1; i <= n; ++i) out += (i == 1 ? "" : ", ") + std::to_string(i);
  return out + "]";
}

TEST_CASE("expand_sweep: a grid is the cartesian product, the last axis varying fastest") {
  TempDir dir;
  const std::string path = write_sweep(dir,
                                       "grid:\n"
                                       "  optimizer.learning_rate: [0.1, 0.01]\n"
                                       "seeds: 3\n");
  const Sweep s = expand_sweep(path, {});
  CHECK(s.is_grid);
  CHECK(s.name == "sw");
  CHECK(s.output == dir.file("sweep.h5"));
  CHECK(s.cell_dir == dir.file("sweep.cells"));
  CHECK(s.factor_paths == std::vector<std::string>{"optimizer.learning_rate", "seed"});
  REQUIRE(s.cells.size() == 6);
  CHECK(names_of(s) == std::vector<std::string>{
                           "optimizer.learning_rate=0.1, seed=1",
                           "optimizer.learning_rate=0.1, seed=2",
                           "optimizer.learning_rate=0.1, seed=3",
                           "optimizer.learning_rate=0.01, seed=1",
                           "optimizer.learning_rate=0.01, seed=2",
                           "optimizer.learning_rate=0.01, seed=3",
                       });
  const std::vector<std::vector<std::size_t>> choices = {{0, 0}, {0, 1}, {0, 2},
                                                         {1, 0}, {1, 1}, {1, 2}};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    const Cell& c = s.cells[i];
    CAPTURE(c.name);
    CHECK(c.index == i);
    CHECK(c.choice == choices[i]);
    CHECK(c.seed == i % 3 + 1);
    CHECK(is_id(c.id));
    ids.insert(c.id);
    CHECK(c.output == s.cell_dir + "/" + c.id + ".h5");
    REQUIRE(c.factors.size() == 2);
    CHECK(c.factors[0].path == "optimizer.learning_rate");
    CHECK(c.factors[0].numeric);
    CHECK(c.factors[0].number == doctest::Approx(i < 3 ? 0.1 : 0.01));
    CHECK(c.factors[1].path == "seed");
    CHECK(c.factors[1].text == std::to_string(i % 3 + 1));
    // The resolved cell configuration: the cell's values set, the sweep keys removed, its file as
    // output; the plan built from it agrees with the cell.
    CHECK_FALSE(contains(c.config_yaml, "grid"));
    CHECK_FALSE(contains(c.config_yaml, "seeds"));
    CHECK(contains(c.config_yaml, c.output));
    const RunPlan plan = plan_of(path, {}, c);
    CHECK(plan.run_id == c.id);
    CHECK(plan.seed == c.seed);
    CHECK(plan.output == c.output);
    CHECK(plan.learning_rate == doctest::Approx(i < 3 ? 0.1 : 0.01));
  }
  CHECK(ids.size() == 6);
}

TEST_CASE("expand_sweep: grid axes in the order written, three of them") {
  TempDir dir;
  const std::string path = write_sweep(dir,
                                       "grid:\n"
                                       "  train.epochs: [1, 2]\n"
                                       "  model.hidden: [[8], [4, 4]]\n"
                                       "  optimizer.learning_rate: [0.1, 0.2]\n");
  const Sweep s = expand_sweep(path, {});
  CHECK(s.factor_paths ==
        std::vector<std::string>{"train.epochs", "model.hidden", "optimizer.learning_rate"});
  REQUIRE(s.cells.size() == 8);
  CHECK(s.cells[0].name == "train.epochs=1, model.hidden=[8], optimizer.learning_rate=0.1");
  CHECK(s.cells[1].name == "train.epochs=1, model.hidden=[8], optimizer.learning_rate=0.2");
  CHECK(s.cells[2].name == "train.epochs=1, model.hidden=[4, 4], optimizer.learning_rate=0.1");
  CHECK(s.cells[7].name == "train.epochs=2, model.hidden=[4, 4], optimizer.learning_rate=0.2");
  // No seeds axis: every cell keeps the file's seed (default 0).
  for (const auto& c : s.cells) CHECK(c.seed == 0);
  const RunPlan p = plan_of(path, {}, s.cells[7]);
  CHECK(p.train.epochs == 2);
  CHECK(p.network.hidden == std::vector<std::size_t>{4, 4});
  CHECK(p.learning_rate == doctest::Approx(0.2));
}

TEST_CASE("expand_sweep: a file without grid, zip or seeds is one run") {
  TempDir dir;
  const std::string path = write_sweep(dir, "");
  const Sweep s = expand_sweep(path, {});
  CHECK_FALSE(s.is_grid);
  REQUIRE(s.cells.size() == 1);
  CHECK(s.cells[0].name == "sw");
  CHECK(s.cells[0].output == s.output);
  CHECK(s.factor_paths.empty());
  CHECK(s.cells[0].id == plan_run(ConfigNode::load_file(path), reglab::testing::builtins()).run_id);
}

TEST_CASE("expand_sweep: zip groups vary their keys together") {
  TempDir dir;
  SUBCASE("one group") {
    const std::string path = write_sweep(dir,
                                         "zip:\n"
                                         "  optimizer.learning_rate: [0.1, 0.2, 0.3]\n"
                                         "  train.epochs: [1, 2, 3]\n");
    const Sweep s = expand_sweep(path, {});
    CHECK(s.factor_paths == std::vector<std::string>{"optimizer.learning_rate", "train.epochs"});
    REQUIRE(s.cells.size() == 3);
    CHECK(names_of(s) == std::vector<std::string>{
                             "optimizer.learning_rate=0.1, train.epochs=1",
                             "optimizer.learning_rate=0.2, train.epochs=2",
                             "optimizer.learning_rate=0.3, train.epochs=3",
                         });
    for (std::size_t i = 0; i < 3; ++i) {
      const RunPlan p = plan_of(path, {}, s.cells[i]);
      CHECK(p.train.epochs == i + 1);
      CHECK(p.learning_rate == doctest::Approx(0.1 * static_cast<double>(i + 1)));
    }
  }
  SUBCASE("grid, then zip groups (a list of maps), then seeds; the last fastest") {
    const std::string path = write_sweep(dir,
                                         "grid:\n"
                                         "  model.hidden: [[8], [16]]\n"
                                         "zip:\n"
                                         "  - {optimizer.learning_rate: [0.1, 0.2], "
                                         "train.epochs: [1, 2]}\n"
                                         "  - {train.batch_size: [16, 32]}\n"
                                         "seeds: [4, 5]\n");
    const Sweep s = expand_sweep(path, {});
    CHECK(s.factor_paths == std::vector<std::string>{"model.hidden", "optimizer.learning_rate",
                                                     "train.epochs", "train.batch_size", "seed"});
    REQUIRE(s.cells.size() == 16);
    CHECK(s.cells[0].name ==
          "model.hidden=[8], optimizer.learning_rate=0.1, train.epochs=1, train.batch_size=16, "
          "seed=4");
    CHECK(s.cells[1].name ==
          "model.hidden=[8], optimizer.learning_rate=0.1, train.epochs=1, train.batch_size=16, "
          "seed=5");
    CHECK(s.cells[2].name ==
          "model.hidden=[8], optimizer.learning_rate=0.1, train.epochs=1, train.batch_size=32, "
          "seed=4");
    CHECK(s.cells[4].name ==
          "model.hidden=[8], optimizer.learning_rate=0.2, train.epochs=2, train.batch_size=16, "
          "seed=4");
    CHECK(s.cells[15].name ==
          "model.hidden=[16], optimizer.learning_rate=0.2, train.epochs=2, train.batch_size=32, "
          "seed=5");
    CHECK(s.cells[15].choice == std::vector<std::size_t>{1, 1, 1, 1});
  }
  SUBCASE("unequal lengths are an error naming the key") {
    const std::string path = write_sweep(dir,
                                         "zip:\n"
                                         "  optimizer.learning_rate: [0.1, 0.2, 0.3]\n"
                                         "  train.epochs: [1, 2]\n");  // line 10
    const std::string msg = expand_error(path);
    INFO("message: ", msg);
    CHECK(starts_with(msg, path + ":10:"));
    CHECK(contains(msg, "zip lists must have equal lengths"));
    CHECK(contains(msg, "'train.epochs' has 2 values"));
    CHECK(contains(msg, "'optimizer.learning_rate' has 3"));
  }
}

TEST_CASE("expand_sweep: seeds") {
  TempDir dir;
  SUBCASE("a count N means seeds 1..N") {
    const Sweep s = expand_sweep(write_sweep(dir, "seeds: 4\n"), {});
    REQUIRE(s.cells.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(s.cells[i].seed == i + 1);
      CHECK(s.cells[i].name == "seed=" + std::to_string(i + 1));
    }
  }
  SUBCASE("a list keeps its order and replaces the file's seed") {
    const Sweep s = expand_sweep(write_sweep(dir, "seed: 7\nseeds: [9, 2, 30]\n"), {});
    REQUIRE(s.cells.size() == 3);
    CHECK(s.cells[0].seed == 9);
    CHECK(s.cells[1].seed == 2);
    CHECK(s.cells[2].seed == 30);
    CHECK(s.cells[2].name == "seed=30");
  }
  SUBCASE("a seed listed twice is rejected") {
    const std::string path = write_sweep(dir, "seeds: [1, 2, 1]\n");  // line 8
    check_error(path, {}, {path + ":8:", "seed 1 appears twice"});
  }
  SUBCASE("invalid seeds") {
    check_error(write_sweep(dir, "seeds: 0\n"), {}, {"expected a count >= 1"});
    check_error(write_sweep(dir, "seeds: three\n"), {}, {"expected a count >= 1"});
    check_error(write_sweep(dir, "seeds: 100001\n"), {}, {"expected a count >= 1"});
    check_error(write_sweep(dir, "seeds: [1, -2]\n"), {}, {"non-negative integer seed"});
    check_error(write_sweep(dir, "seeds: []\n"), {}, {"zero cells"});
    check_error(write_sweep(dir, "seeds: {a: 1}\n"), {}, {"expected a count or a list"});
  }
}

// Seeds are compared as numbers: "1" and "01" are the same replicate.
TEST_CASE("expand_sweep: seeds 1 and 01 are the same seed") {
  TempDir dir;
  const std::string path = write_sweep(dir, "seeds: [1, 01]\n");
  std::string msg;
  try {
    const Sweep s = expand_sweep(path, {});
    REQUIRE(s.cells.size() == 2);
    CHECK(s.cells[0].seed == s.cells[1].seed);  // documents that the two cells are one run
  } catch (const ConfigError& e) {
    msg = e.what();
  }
  INFO("message: ", msg);
  CHECK(contains(msg, "appears twice"));
}

TEST_CASE("expand_sweep: include composes files, later files and the includer override") {
  TempDir dir;
  dir.write("common.yaml",
            "data: {dataset: synthetic, train_samples: 200, test_samples: 50, features: 8, "
            "classes: 3}\n"
            "optimizer: {name: sgd, learning_rate: 0.5, momentum: 0.9}\n"
            "train: {epochs: 3, batch_size: 32}\n");
  dir.write("model.yaml",
            "model: {name: mlp, hidden: [8, 8]}\n"
            "train: {epochs: 2}\n");
  const std::string main = dir.write("main.yaml",
                                     "include: [common.yaml, model.yaml]\n"
                                     "name: composed\n"
                                     "optimizer: {learning_rate: 0.05}\n"
                                     "output: " +
                                         dir.file("composed.h5") +
                                         "\n"
                                         "seeds: 2\n");
  const Sweep s = expand_sweep(main, {});
  REQUIRE(s.cells.size() == 2);
  CHECK(s.name == "composed");
  CHECK_FALSE(contains(s.config_yaml, "include"));
  const RunPlan p = plan_of(main, {}, s.cells[1]);
  CHECK(p.dataset == "synthetic");
  CHECK(p.network.hidden == std::vector<std::size_t>{8, 8});  // from model.yaml
  CHECK(p.train.epochs == 2);                                 // model.yaml over common.yaml
  CHECK(p.train.batch_size == 32);                            // maps merge key by key
  CHECK(p.optimizer_name == "sgd");                           // the includer's map merges too
  CHECK(p.learning_rate == doctest::Approx(0.05));            // the includer overrides all
  CHECK(contains(p.config_yaml, "momentum: 0.9"));
  CHECK(p.seed == 2);

  SUBCASE("command-line overrides apply after includes") {
    const std::vector<std::string> ov = {"optimizer.learning_rate=0.2", "train.epochs=4"};
    const Sweep o = expand_sweep(main, ov);
    REQUIRE(o.cells.size() == 2);
    const RunPlan q = plan_of(main, ov, o.cells[0]);
    CHECK(q.learning_rate == doctest::Approx(0.2));
    CHECK(q.train.epochs == 4);
    CHECK(q.train.batch_size == 32);
    CHECK(o.cells[0].id != s.cells[0].id);
  }
  SUBCASE("included files may include others") {
    dir.write("model.yaml",
              "include: deeper.yaml\n"
              "train: {epochs: 2}\n");
    dir.write("deeper.yaml", "model: {name: mlp, hidden: [5]}\n");
    const RunPlan q = plan_of(main, {}, expand_sweep(main, {}).cells[0]);
    CHECK(q.network.hidden == std::vector<std::size_t>{5});
    CHECK(q.train.epochs == 2);
  }
}

TEST_CASE("expand_sweep: include errors") {
  TempDir dir;
  const std::string tail = "name: x\noutput: " + dir.file("x.h5") + "\nseeds: 2\n";
  dir.write("common.yaml",
            "data: {dataset: synthetic, train_samples: 200, test_samples: 50, features: 8, "
            "classes: 3}\n"
            "optimizer: {name: sgd, learning_rate: 0.5}\n"
            "train: {epochs: 1}\n");
  SUBCASE("a key error inside an included file names that file, line and column") {
    dir.write("model.yaml",
              "# the model\n"
              "model:\n"
              "  name: mlp\n"
              "  hidden: [8]\n"
              "  activaton: relu\n");  // line 5; the value is at column 14
    const std::string main = dir.write("main.yaml", "include: [common.yaml, model.yaml]\n" + tail);
    const std::string msg = expand_error(main);
    INFO("message: ", msg);
    CHECK(starts_with(msg, dir.file("model.yaml") + ":5:14: "));
    CHECK(contains(msg, "model.activaton"));
    CHECK(contains(msg, "unknown key 'activaton'"));
    CHECK_FALSE(contains(msg, "main.yaml"));
  }
  SUBCASE("a bad value in an included file names that file") {
    dir.write("model.yaml", "model: {name: mlp, hidden: [8]}\ntrain: {epochs: 0}\n");
    const std::string main = dir.write("main.yaml", "include: [common.yaml, model.yaml]\n" + tail);
    check_error(main, {}, {dir.file("model.yaml") + ":2:", "train.epochs"});
  }
  SUBCASE("a cycle") {
    dir.write("a.yaml", "include: b.yaml\nmodel: {name: mlp, hidden: [8]}\n");
    dir.write("b.yaml", "include: [common.yaml, a.yaml]\n");
    const std::string main = dir.write("main.yaml", "include: a.yaml\n" + tail);
    check_error(main, {}, {"include cycle", "a.yaml"});
  }
  SUBCASE("a file including itself") {
    const std::string main = dir.write("main.yaml", "include: [common.yaml, main.yaml]\n" + tail);
    check_error(main, {}, {"include cycle"});
  }
  SUBCASE("a missing file") {
    const std::string main = dir.write("main.yaml", "include: [common.yaml, nope.yaml]\n" + tail);
    check_error(main, {}, {main + ":1:", "included file 'nope.yaml' not found"});
  }
}

TEST_CASE("expand_sweep: command-line axes") {
  TempDir dir;
  const std::string path = write_sweep(dir, "seeds: 2\n");
  SUBCASE("grid.PATH=[...] adds an axis (grid axes come before seeds)") {
    const Sweep s = expand_sweep(path, {"grid.optimizer.learning_rate=[0.1, 0.2]"});
    CHECK(s.factor_paths == std::vector<std::string>{"optimizer.learning_rate", "seed"});
    CHECK(names_of(s) == std::vector<std::string>{
                             "optimizer.learning_rate=0.1, seed=1",
                             "optimizer.learning_rate=0.1, seed=2",
                             "optimizer.learning_rate=0.2, seed=1",
                             "optimizer.learning_rate=0.2, seed=2",
                         });
    CHECK(plan_of(path, {"grid.optimizer.learning_rate=[0.1, 0.2]"}, s.cells[3]).learning_rate ==
          doctest::Approx(0.2));
  }
  SUBCASE("grid.PATH=[...] replaces the file's axis; seeds=N replaces the file's seeds") {
    const std::string p2 = write_sweep(dir,
                                       "grid:\n"
                                       "  optimizer.learning_rate: [0.1, 0.2, 0.3]\n"
                                       "seeds: 2\n");
    const Sweep s = expand_sweep(p2, {"grid.optimizer.learning_rate=[0.4]", "seeds=3"});
    CHECK(names_of(s) == std::vector<std::string>{
                             "optimizer.learning_rate=0.4, seed=1",
                             "optimizer.learning_rate=0.4, seed=2",
                             "optimizer.learning_rate=0.4, seed=3",
                         });
  }
  SUBCASE("zip={...} sets a zip group") {
    const Sweep s =
        expand_sweep(path, {"zip={optimizer.learning_rate: [0.1, 0.2], train.epochs: [1, 2]}"});
    REQUIRE(s.cells.size() == 4);
    CHECK(s.cells[3].name == "optimizer.learning_rate=0.2, train.epochs=2, seed=2");
  }
  SUBCASE("a bad value from the command line names the override and the grid entry") {
    check_error(path, {"grid.optimizer.learning_rate=[0.1, -1]"},
                {"command-line override 'grid.optimizer.learning_rate=[0.1, -1]'",
                 "grid value of 'optimizer.learning_rate'", "must be > 0"});
  }
}

TEST_CASE("expand_sweep: invalid axes") {
  TempDir dir;
  SUBCASE("an empty grid list gives zero cells") {
    const std::string path = write_sweep(dir, "grid:\n  optimizer.learning_rate: []\n");
    check_error(path, {}, {path + ":9:", "an empty list gives zero cells"});
  }
  SUBCASE("a grid value that is not a list") {
    const std::string path = write_sweep(dir, "grid:\n  optimizer.learning_rate: 0.1\n");
    check_error(path, {},
                {path + ":9:", "expected a list of values for 'optimizer.learning_rate'"});
  }
  SUBCASE("a grid that is not a map") {
    check_error(write_sweep(dir, "grid: [0.1, 0.2]\n"), {}, {"expected a map"});
  }
  SUBCASE("a grid path outside the configuration schema names the grid entry") {
    const std::string path = write_sweep(dir,
                                         "grid:\n"
                                         "  optimizer.momentun: [0.5, 0.9]\n");  // line 9
    check_error(path, {},
                {path + ":9:", "grid value of 'optimizer.momentun'", "unknown key 'momentun'"});
  }
  SUBCASE("a grid value out of range names the grid entry") {
    const std::string path = write_sweep(dir,
                                         "grid:\n"
                                         "  optimizer.learning_rate: [0.1, -1]\n");  // line 9
    check_error(path, {},
                {path + ":9:", "grid value of 'optimizer.learning_rate'", "must be > 0, got -1"});
  }
  SUBCASE("the same path in grid and zip") {
    const std::string path = write_sweep(dir,
                                         "grid:\n"
                                         "  optimizer.learning_rate: [0.1, 0.2]\n"
                                         "zip:\n"
                                         "  optimizer.learning_rate: [0.3, 0.4]\n"
                                         "  train.epochs: [1, 2]\n");
    check_error(path, {}, {"key path 'optimizer.learning_rate' is varied by two axes"});
  }
  SUBCASE("seed in grid and seeds") {
    check_error(write_sweep(dir, "grid:\n  seed: [1, 2]\nseeds: 2\n"), {},
                {"key path 'seed' is varied by two axes"});
  }
  SUBCASE("two identical cells") {
    check_error(write_sweep(dir, "grid:\n  optimizer.learning_rate: [0.1, 0.2, 0.1]\n"), {},
                {"cells 1 (optimizer.learning_rate=0.1) and 3 (optimizer.learning_rate=0.1) are "
                 "the same run"});
    // Duplicates are found across the whole product (here with a seeds axis).
    check_error(write_sweep(dir, "grid:\n  train.epochs: [1, 1]\nseeds: 1\n"), {},
                {"are the same run"});
  }
  SUBCASE("a missing output") {
    dir.write("noout.yaml", kBody + "seeds: 2\n");
    check_error(dir.file("noout.yaml"), {}, {"missing required key 'output'"});
  }
  SUBCASE("more than kMaxCells cells fails fast, before any cell is validated") {
    // 100^3 = 10^6 cells > kMaxCells = 10^5. Building and validating each cell would take minutes;
    // the count check must come first. (The values are valid, so only the count can fail.)
    const std::string list = range_list(100);
    const std::string path =
        write_sweep(dir, "grid:\n  train.epochs: " + list + "\n  train.batch_size: " + list +
                             "\n  train.eval_batch_size: " + list + "\n");
    const auto start = std::chrono::steady_clock::now();
    const std::string msg = expand_error(path);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("message: ", msg);
    CHECK(contains(msg, "expands to 1000000 cells, more than the limit of 100000"));
    CHECK(seconds < 2.0);
    // Just over the bound with a seeds axis: 2 x 50001.
    check_error(write_sweep(dir, "grid:\n  train.epochs: [1, 2]\nseeds: 50001\n"), {},
                {"expands to 100002 cells, more than the limit of 100000"});
  }
}

TEST_CASE("expand_sweep: cell ids are stable and depend only on what a cell computes") {
  TempDir dir;
  const std::string extra =
      "grid:\n"
      "  regularizers: [[], [{name: dropout, rate: 0.3}]]\n"
      "seeds: 2\n";
  const std::string path = write_sweep(dir, extra);
  const Sweep a = expand_sweep(path, {});
  REQUIRE(a.cells.size() == 4);

  SUBCASE("the same file twice") {
    const Sweep b = expand_sweep(path, {});
    CHECK(ids_of(a) == ids_of(b));
    CHECK(a.sweep_id == b.sweep_id);
    CHECK(is_id(a.sweep_id));
  }
  SUBCASE("sweep_id is the hash of the sorted cell ids") {
    std::vector<std::string> ids = ids_of(a);
    std::sort(ids.begin(), ids.end());
    std::string joined;
    for (const auto& id : ids) joined += id + "\n";
    CHECK(a.sweep_id == sha256_hex(joined.data(), joined.size()).substr(0, 12));
  }
  SUBCASE("output does not change ids (in the file or on the command line)") {
    const std::string moved =
        dir.write("moved.yaml", kBody + "output: " + dir.file("elsewhere/other.h5") + "\n" + extra);
    const Sweep b = expand_sweep(moved, {});
    CHECK(ids_of(a) == ids_of(b));
    CHECK(a.sweep_id == b.sweep_id);
    CHECK(b.cell_dir == dir.file("elsewhere/other.cells"));
    CHECK(b.cells[0].output != a.cells[0].output);
    const Sweep c = expand_sweep(path, {"output=" + dir.file("third.h5")});
    CHECK(ids_of(a) == ids_of(c));
    CHECK(a.sweep_id == c.sweep_id);
  }
  SUBCASE("the thread count does not change ids (a run gives the same bits at any)") {
    const Sweep b = expand_sweep(path, {"threads=3"});
    CHECK(ids_of(a) == ids_of(b));
    CHECK(a.sweep_id == b.sweep_id);
  }
  SUBCASE("any training value changes every id") {
    const std::vector<std::vector<std::string>> changes = {
        {"train.epochs=2"},       {"optimizer.learning_rate=0.06"}, {"model.hidden=[9]"},
        {"data.features=9"},      {"train.batch_size=32"},          {"optimizer.momentum=0.9"},
        {"model.activation=tanh"}};
    for (const auto& change : changes) {
      CAPTURE(change[0]);
      const Sweep b = expand_sweep(path, change);
      REQUIRE(b.cells.size() == a.cells.size());
      for (std::size_t i = 0; i < a.cells.size(); ++i) CHECK(a.cells[i].id != b.cells[i].id);
      CHECK(a.sweep_id != b.sweep_id);
    }
  }
  SUBCASE("a cell's id is the run id of the equivalent single-run file") {
    // Cell 4 is regularizers=[dropout 0.3], seed=2. `seed` is not in the sweep file, so the cell
    // appends it after `output`; the single-run file is written the same way.
    const std::string single =
        dir.write("single.yaml",
                  "name: sw\n"
                  "data: {dataset: synthetic, train_samples: 200, test_samples: "
                  "50, features: 8, classes: 3}\n"
                  "model: {name: mlp, hidden: [8]}\n"
                  "optimizer: {name: sgd, learning_rate: 0.05}\n"
                  "train: {epochs: 1}\n"
                  "regularizers: [{name: dropout, rate: 0.3}]\n"
                  "output: /somewhere/else.h5\n"
                  "seed: 2\n");
    CHECK(plan_run(ConfigNode::load_file(single), reglab::testing::builtins()).run_id ==
          a.cells[3].id);
  }
  SUBCASE("reordering the keys of the file changes the ids") {
    // The id is the SHA-256 of the emitted YAML text, which keeps document order, so the same
    // experiment written with its keys in another order is a different sweep (and would be
    // refused on the same output as "a different configuration"). This asserts the actual,
    // documented behaviour ("ids hash the configuration text"), not semantic equality.
    const std::string reordered =
        dir.write("reordered.yaml",
                  "name: sw\n"
                  "model: {name: mlp, hidden: [8]}\n"
                  "data: {dataset: synthetic, train_samples: 200, test_samples: "
                  "50, features: 8, classes: 3}\n"
                  "optimizer: {name: sgd, learning_rate: 0.05}\n"
                  "train: {epochs: 1}\n"
                  "regularizers: []\n"
                  "output: " +
                      dir.file("sweep.h5") + "\n" + extra);
    const Sweep b = expand_sweep(reordered, {});
    REQUIRE(b.cells.size() == a.cells.size());
    CHECK(names_of(a) == names_of(b));
    for (std::size_t i = 0; i < a.cells.size(); ++i) CHECK(a.cells[i].id != b.cells[i].id);
    CHECK(a.sweep_id != b.sweep_id);
    // Likewise the text of a value: 0.05 and 5e-2 are the same rate but different ids.
    const Sweep c = expand_sweep(path, {"optimizer.learning_rate=5e-2"});
    CHECK(a.cells[0].id != c.cells[0].id);
  }
  SUBCASE("where the sweep keys are written changes neither ids nor order") {
    // Axes are always grid, zip, seeds, and the sweep keys are removed from each cell.
    const std::string swapped = write_sweep(dir,
                                            "seeds: 2\n"
                                            "grid:\n"
                                            "  regularizers: [[], [{name: dropout, rate: 0.3}]]\n");
    const Sweep b = expand_sweep(swapped, {});
    std::set<std::string> ia, ib;
    for (const auto& c : a.cells) ia.insert(c.id);
    for (const auto& c : b.cells) ib.insert(c.id);
    CHECK(ia == ib);
    CHECK(ids_of(a) == ids_of(b));
    CHECK(names_of(a) == names_of(b));
    CHECK(a.sweep_id == b.sweep_id);
  }
}

TEST_CASE("expand_sweep: seed tree and common random numbers across arms") {
  TempDir dir;
  const std::string path = write_sweep(dir,
                                       "grid:\n"
                                       "  regularizers: [[], [{name: dropout, rate: 0.5}]]\n"
                                       "seeds: 2\n");
  const Sweep s = expand_sweep(path, {});
  REQUIRE(s.cells.size() == 4);
  std::vector<RunPlan> p;
  for (const auto& c : s.cells) p.push_back(plan_of(path, {}, c));
  // Cells: 0 none/seed 1, 1 none/seed 2, 2 dropout/seed 1, 3 dropout/seed 2.
  SUBCASE("two arms with the same replicate seed: same seed, different arm") {
    CHECK(p[0].seed == 1);
    CHECK(p[2].seed == 1);
    CHECK(p[0].arm_key != p[2].arm_key);
    CHECK(p[1].seed == p[3].seed);
    CHECK(p[1].arm_key != p[3].arm_key);
  }
  SUBCASE("one arm with different seeds: same arm, different runs") {
    CHECK(p[0].arm_key == p[1].arm_key);
    CHECK(p[2].arm_key == p[3].arm_key);
    CHECK(p[0].seed != p[1].seed);
    CHECK(p[0].run_id != p[1].run_id);
  }
  SUBCASE("the arm does not depend on where results are written") {
    const std::vector<std::string> ov = {"output=" + dir.file("other.h5")};
    const Sweep o = expand_sweep(path, ov);
    for (std::size_t i = 0; i < 4; ++i) {
      const RunPlan q = plan_of(path, ov, o.cells[i]);
      CHECK(q.arm_key == p[i].arm_key);
      CHECK(q.seed == p[i].seed);
      CHECK(q.output != p[i].output);
    }
  }
}

TEST_CASE("factor_text") {
  auto text = [](const std::string& path, const std::string& yaml) {
    return factor_text(path, ConfigNode::parse(yaml, "factor.yaml"));
  };
  CHECK(text("regularizers", "[{name: dropout, rate: 0.5}, {name: max_norm, c: 3}]") ==
        "dropout+max_norm");
  CHECK(text("regularizers", "[{name: l2}]") == "l2");
  CHECK(text("regularizers", "[]") == "none");
  CHECK(text("model.hidden", "[256, 256]") == "[256, 256]");
  CHECK(text("model.hidden", "[256,256]") == "[256, 256]");
  CHECK(text("optimizer.learning_rate", "1e-3") == "1e-3");  // scalars as written
  CHECK(text("optimizer.schedule", "{name: step, step_size: 2}") == "{name: step, step_size: 2}");

  SUBCASE("in cell names and factors") {
    TempDir dir;
    const std::string path =
        write_sweep(dir,
                    "grid:\n"
                    "  regularizers: [[], [{name: dropout, rate: 0.5}, {name: max_norm, c: 3.0}]]\n"
                    "  model.hidden: [[256, 256]]\n");
    const Sweep s = expand_sweep(path, {});
    REQUIRE(s.cells.size() == 2);
    CHECK(s.cells[0].name == "regularizers=none, model.hidden=[256, 256]");
    CHECK(s.cells[1].name == "regularizers=dropout+max_norm, model.hidden=[256, 256]");
    CHECK_FALSE(s.cells[1].factors[0].numeric);
    CHECK_FALSE(s.cells[1].factors[1].numeric);
  }

  SUBCASE("choices that differ only in options keep distinct labels") {
    TempDir dir;
    const std::string path = write_sweep(dir,
                                         "grid:\n"
                                         "  regularizers: [[{name: dropout, rate: 0.1}],\n"
                                         "                 [{name: dropout, rate: 0.5}], []]\n");
    const Sweep s = expand_sweep(path, {});
    REQUIRE(s.cells.size() == 3);
    CHECK(s.cells[0].name == "regularizers=[{name: dropout, rate: 0.1}]");
    CHECK(s.cells[1].name == "regularizers=[{name: dropout, rate: 0.5}]");
    CHECK(s.cells[2].name == "regularizers=none");
  }
}

TEST_CASE("merge_sweep: cells not run are rows with status missing") {
  TempDir dir;
  const std::string path = write_sweep(dir,
                                       "grid:\n"
                                       "  optimizer.learning_rate: [0.1, 0.2]\n"
                                       "  regularizers: [[], [{name: dropout}]]\n"
                                       "seeds: 1\n");
  const Sweep s = expand_sweep(path, {});
  CHECK(merge_sweep(s, true) == 4);
  const storage::ResultsFile f = storage::read_results(s.output);
  CHECK(f.kind() == "sweep");
  CHECK(f.runs.empty());
  REQUIRE(f.summary.rows() == 4);
  std::vector<std::string> names;
  for (const auto& c : f.summary.columns) names.push_back(c.name);
  REQUIRE(names.size() >= 6);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 6) ==
        std::vector<std::string>{"cell_id", "name", "optimizer.learning_rate", "regularizers",
                                 "seed", "status"});
  CHECK(f.summary.columns[2].type == storage::Column::Type::kFloat64);
  CHECK(f.summary.columns[3].type == storage::Column::Type::kString);
  CHECK(f.summary.columns[0].str == ids_of(s));
  CHECK(f.summary.columns[3].str == std::vector<std::string>{"none", "dropout", "none", "dropout"});
  CHECK(f.summary.columns[5].str == std::vector<std::string>(4, "missing"));
}

// A factor named like a fixed summary column gets the column "grid.<path>".
TEST_CASE("merge_sweep: a grid over `name`") {
  TempDir dir;
  const std::string path = write_sweep(dir, "grid:\n  name: [a, b]\n");
  bool ok = false;
  std::string msg;
  try {
    const Sweep s = expand_sweep(path, {});
    merge_sweep(s, true);
    ok = storage::read_results(s.output).summary.rows() == 2;
  } catch (const ConfigError& e) {
    msg = e.what();
    ok = contains(msg, "name");  // refused before any work: also a fix
  } catch (const Error& e) {
    msg = e.what();
  }
  INFO("message: ", msg);
  CHECK(ok);
}

TEST_CASE("expand_sweep: a misspelt dataset option on a grid axis refuses the whole sweep") {
  TempDir dir;
  const std::string msg =
      expand_error(write_sweep(dir, "grid:\n  data.train_samplez: [100, 200]\n"));
  CHECK(contains(msg, "sweep.yaml:9:"));
  CHECK(contains(msg, "data.train_samplez: unknown key 'train_samplez'"));
}

TEST_CASE("expand_sweep: plugins cannot vary along an axis, and plugins: [] changes no cell id") {
  TempDir dir;
  CHECK(contains(expand_error(write_sweep(dir, "grid:\n  plugins: [[], []]\n")),
                 "plugins are loaded once for the whole sweep"));
  const Sweep plain = expand_sweep(write_sweep(dir, "seeds: 2\n"), {});
  const Sweep empty = expand_sweep(write_sweep(dir, "plugins: []\nseeds: 2\n"), {});
  REQUIRE(plain.cells.size() == 2);
  REQUIRE(empty.cells.size() == 2);
  CHECK(plain.cells[0].id == empty.cells[0].id);
  CHECK(plain.cells[1].id == empty.cells[1].id);
  CHECK(empty.registries.plugins.empty());
}

}  // namespace
}  // namespace reglab::experiment
