#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/cell_file.hpp"
#include "framework/experiment/cell_runner.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/storage/results.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// This file's temporary folders: /tmp/reglab_cell_file_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_cell_file") {}
};

/// A 4-cell sweep of one-epoch synthetic runs in `dir`, with its cell folder created.
Sweep small_sweep(const TempDir& dir) {
  const std::string path = dir.write(
      "sweep.yaml",
      "name: cf\n"
      "data: {dataset: synthetic, train_samples: 120, test_samples: 40, features: 6, classes: 3}\n"
      "model: {name: mlp, hidden: [5]}\n"
      "optimizer: {name: sgd, learning_rate: 0.05}\n"
      "train: {epochs: 1}\n"
      "grid: {optimizer.learning_rate: [0.05, 0.1]}\n"
      "seeds: 2\n"
      "output: " +
          dir.file("cf.h5") + "\n");
  Sweep sweep = expand_sweep(path, {});
  fs::create_directories(sweep.cell_dir);
  return sweep;
}

std::vector<const Cell*> all_cells(const Sweep& sweep) {
  std::vector<const Cell*> cells;
  for (const auto& c : sweep.cells) cells.push_back(&c);
  return cells;
}

TEST_CASE("a cell file gives back the cell's configuration, id and plugins") {
  TempDir dir;
  const Sweep sweep = small_sweep(dir);
  write_cell_files(sweep, all_cells(sweep));
  for (const Cell& cell : sweep.cells) {
    const CellFile file = read_cell_file(cell_file_path(sweep, cell));
    CHECK(file.id == cell.id);
    CHECK(file.plugins.empty());
    CHECK(file.config_yaml == cell.config_yaml);
  }
  for (const auto& entry : fs::directory_iterator(sweep.cell_dir)) {
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  }
}

TEST_CASE("a malformed cell file is a ConfigError naming the file and line") {
  TempDir dir;
  const std::string bad = dir.write("x.yaml", "cell: abc\nwhat: is this\nconfig: |\n  a: 1\n");
  const std::string expected = bad + ":2: not a reglab cell file: unexpected line";
  CHECK_THROWS_WITH_AS(read_cell_file(bad), doctest::Contains(expected.c_str()), ConfigError);
  const std::string no_config = dir.write("y.yaml", "cell: abc\n");
  CHECK_THROWS_WITH_AS(read_cell_file(no_config), doctest::Contains("no 'config: |' block"),
                       ConfigError);
  CHECK_THROWS_AS(read_cell_file(dir.file("missing.yaml")), ConfigError);
}

TEST_CASE("reglab cells runs cells in one process, each into its own file and log") {
  TempDir dir;
  const Sweep sweep = small_sweep(dir);
  write_cell_files(sweep, all_cells(sweep));
  std::vector<std::string> files;
  for (const Cell& cell : sweep.cells) files.push_back(cell_file_path(sweep, cell));
  CHECK(run_cell_files(files, true) == 0);
  for (const Cell& cell : sweep.cells) {
    CAPTURE(cell.name);
    const storage::ResultsFile result = storage::read_results(cell.output);
    REQUIRE(result.runs.size() == 1);
    CHECK(result.runs.front().run_id == cell.id);
    CHECK(file_bytes(sweep.cell_dir + "/" + cell.id + ".log").find(cell.id) != std::string::npos);
  }
  // Run again: every cell is already complete and its file is left alone.
  const auto before = fs::last_write_time(sweep.cells.front().output);
  CHECK(run_cell_files(files, true) == 0);
  CHECK(fs::last_write_time(sweep.cells.front().output) == before);
  CHECK(
      file_bytes(sweep.cell_dir + "/" + sweep.cells.front().id + ".log").find("already complete") !=
      std::string::npos);
}

TEST_CASE("a cell whose configuration no longer plans to its id fails and stops the batch") {
  TempDir dir;
  const Sweep sweep = small_sweep(dir);
  write_cell_files(sweep, all_cells(sweep));
  const Cell& first = sweep.cells[0];
  const Cell& second = sweep.cells[1];
  std::string text = file_bytes(cell_file_path(sweep, first));
  const auto at = text.find("epochs: 1");
  REQUIRE(at != std::string::npos);
  text.replace(at, 9, "epochs: 2");
  {
    std::ofstream out(cell_file_path(sweep, first), std::ios::trunc);
    out << text;
  }
  const int code =
      run_cell_files({cell_file_path(sweep, first), cell_file_path(sweep, second)}, true);
  CHECK(code == 2);
  CHECK_FALSE(fs::exists(first.output));
  CHECK_FALSE(fs::exists(second.output));  // not run: the batch stopped at the failure
  const std::string failed = file_bytes(sweep.cell_dir + "/" + first.id + ".failed");
  CHECK(failed.find("not the cell's id " + first.id) != std::string::npos);
}

}  // namespace
}  // namespace reglab::experiment
