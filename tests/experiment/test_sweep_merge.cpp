// Tests of framework/experiment/sweep_merge.hpp: an incremental merge equals a merge written
// anew, runs already merged are not read again unless their cell file is newer, and a merge
// killed (SIGKILL) at any point leaves the previous merged file intact.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"
#include "framework/storage/results.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_merge") {}
};

/// A sweep of `lrs` x `seeds` cells on the synthetic dataset (nothing is trained here).
Sweep make_sweep(const TempDir& dir, int lrs, int seeds) {
  std::string grid = "[";
  for (int i = 1; i <= lrs; ++i) grid += (i == 1 ? "0." : ", 0.") + std::to_string(i);
  const std::string path = dir.write(
      "sweep.yaml",
      "name: sw\n"
      "data: {dataset: synthetic, train_samples: 200, test_samples: 50, features: 8, classes: 3}\n"
      "model: {name: mlp, hidden: [8]}\n"
      "optimizer: {name: sgd, learning_rate: 0.05}\n"
      "train: {epochs: 1}\n"
      "output: " +
          dir.file("sweep.h5") + "\ngrid:\n  optimizer.learning_rate: " + grid +
          "]\nseeds: " + std::to_string(seeds) + "\n");
  Sweep s = expand_sweep(path, {});
  fs::create_directories(s.cell_dir);
  return s;
}

/// Writes the cell file of `cell` as a finished run whose values depend on `variant`.
void write_cell(const Cell& cell, double variant, std::size_t width = 8) {
  storage::RunRecord r;
  r.run_id = cell.id;
  r.name = cell.name;
  r.config_yaml = cell.config_yaml;
  r.seed = cell.seed;
  r.status = cell.index % 5 == 3 ? "diverged" : "complete";
  r.attributes = {{"git_commit", "abc"}, {"status_message", ""}, {"start_utc", "t0"}};
  const double x = variant + static_cast<double>(cell.index);
  r.curves = {{"epoch", {1, 2}},
              {"train_accuracy", {0.5, x}},
              {"validation_accuracy", {0.25, x / 2}},
              {"test_accuracy", {0.125, x / 4}},
              {"seconds", {0.5, 0.25}}};
  std::vector<float> kernel(width * width, static_cast<float>(x));
  r.weights = {{"dense_0", "kernel", {width, width}, kernel}};
  storage::ResultsFile f;
  f.reglab_version = "0.1.0";
  f.created_utc = "2026-12-04T00:00:00Z";
  f.config_yaml = cell.config_yaml;
  f.runs = {r};
  storage::write_results(cell.output, f, true);
}

/// Sets the modification time of `path` one hour back (a cell file older than any merge).
void age(const std::string& path) {
  struct timespec times[2] = {};
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 3600;
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

/// Everything but created_utc.
void check_same(const storage::ResultsFile& got, const storage::ResultsFile& want) {
  CHECK(got.config_yaml == want.config_yaml);
  CHECK(got.attributes == want.attributes);
  REQUIRE(got.summary.columns.size() == want.summary.columns.size());
  for (std::size_t c = 0; c < want.summary.columns.size(); ++c) {
    const auto& g = got.summary.columns[c];
    const auto& w = want.summary.columns[c];
    INFO("column " << w.name);
    CHECK(g.name == w.name);
    CHECK(g.str == w.str);
    CHECK(g.i64 == w.i64);
    REQUIRE(g.f64.size() == w.f64.size());
    for (std::size_t i = 0; i < w.f64.size(); ++i) {
      CHECK((g.f64[i] == w.f64[i] || (g.f64[i] != g.f64[i] && w.f64[i] != w.f64[i])));
    }
  }
  REQUIRE(got.runs.size() == want.runs.size());
  for (std::size_t r = 0; r < want.runs.size(); ++r) {
    CHECK(got.runs[r].run_id == want.runs[r].run_id);
    CHECK(got.runs[r].attributes == want.runs[r].attributes);
    CHECK(got.runs[r].curves == want.runs[r].curves);
    REQUIRE(got.runs[r].weights.size() == want.runs[r].weights.size());
    CHECK(got.runs[r].weights[0].data == want.runs[r].weights[0].data);
  }
}

/// The merged file written anew from the cell files present.
storage::ResultsFile full_merge(const Sweep& s) {
  fs::remove(s.output);
  merge_sweep(s, true);
  return storage::read_results(s.output);
}

}  // namespace

TEST_CASE("merge_sweep: an incremental merge equals a merge written anew") {
  TempDir dir;
  const Sweep s = make_sweep(dir, 4, 3);
  for (std::size_t i : {7, 2, 9, 4}) write_cell(s.cells[i], 0.0);
  CHECK(merge_sweep(s, true) == 8);
  for (std::size_t i : {0, 11, 3, 5}) write_cell(s.cells[i], 0.0);
  CHECK(merge_sweep(s, true) == 5);  // 4 missing, one diverged (index 3)
  const storage::ResultsFile incremental = storage::read_results(s.output);
  std::vector<std::string> ids;
  for (const auto& run : incremental.runs) ids.push_back(run.run_id);
  CHECK(ids == std::vector<std::string>{s.cells[0].id, s.cells[2].id, s.cells[3].id, s.cells[4].id,
                                        s.cells[5].id, s.cells[7].id, s.cells[9].id,
                                        s.cells[11].id});
  check_same(incremental, full_merge(s));

  // A merge with nothing new, and one after a cell file disappeared (its run is dropped).
  merge_sweep(s, true);
  check_same(storage::read_results(s.output), full_merge(s));
  fs::remove(s.cells[4].output);
  CHECK(merge_sweep(s, true) == 6);
  check_same(storage::read_results(s.output), full_merge(s));
}

TEST_CASE("merge_sweep: runs already merged are kept unless their cell file is newer") {
  TempDir dir;
  const Sweep s = make_sweep(dir, 2, 2);
  for (const Cell& c : s.cells) write_cell(c, 0.0);
  merge_sweep(s, true);
  // Rewritten behind the merge's back: one with an old mtime (kept as merged, proving it is not
  // read again), one newer than the merged file (read and copied again).
  write_cell(s.cells[0], 100.0);
  age(s.cells[0].output);
  ::sleep(1);
  write_cell(s.cells[1], 200.0);
  merge_sweep(s, true);
  const storage::ResultsFile f = storage::read_results(s.output);
  REQUIRE(f.runs.size() == 4);
  CHECK(f.runs[0].curves[1].second[1] == 0.0);    // kept
  CHECK(f.runs[1].curves[1].second[1] == 201.0);  // copied again
  CHECK(f.summary.columns[0].str[1] == s.cells[1].id);
}

// The child merges 60 cells with larger weights; the parent SIGKILLs it after a range of delays.
// Each time the previous merged file must be byte for byte the same; a final merge completes.
TEST_CASE("merge_sweep: a merge killed at any point leaves the previous merged file intact") {
  TempDir dir;
  const Sweep s = make_sweep(dir, 6, 10);
  for (std::size_t i = 0; i < 30; ++i) write_cell(s.cells[i], 0.0, 96);
  merge_sweep(s, true);
  const std::string before = file_bytes(s.output);
  for (std::size_t i = 30; i < s.cells.size(); ++i) write_cell(s.cells[i], 0.0, 96);
  std::fflush(nullptr);
  int killed = 0;
  for (int delay_us : {0, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000}) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      merge_sweep(s, true);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(delay_us));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("killed after " << delay_us << " us");
    killed += WIFSIGNALED(status) ? 1 : 0;
    if (WIFSIGNALED(status)) CHECK(file_bytes(s.output) == before);
    if (WIFEXITED(status)) CHECK(storage::read_results(s.output).runs.size() == 60);
    if (WIFEXITED(status)) break;  // the merge was faster than the delay
    fs::remove(s.output + ".tmp." + std::to_string(child));
  }
  CHECK(killed >= 5);  // the merge takes longer than most delays
  merge_sweep(s, true);
  CHECK(storage::read_results(s.output).runs.size() == 60);
}

}  // namespace reglab::experiment

namespace reglab::experiment {
namespace {

/// The pid of a child that has exited and been reaped: a process that no longer exists.
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST_CASE("merge_sweep: a killed merge's temporary copy is removed by the next merge") {
  TempDir dir;
  const Sweep sweep = make_sweep(dir, 1, 2);
  for (const Cell& cell : sweep.cells) write_cell(cell, 1.0);
  const std::string pid = std::to_string(dead_pid());
  const std::string stale = sweep.output + ".tmp." + pid;
  const std::string other = dir.file("other.h5.tmp." + pid);  // not this sweep's: kept
  const std::string young = sweep.output + ".tmp." + std::to_string(dead_pid());
  for (const auto& path : {stale, other, young}) std::ofstream(path) << "partial copy";
  age(stale);
  age(other);
  merge_sweep(sweep, true);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(other));
  CHECK(fs::exists(young));  // less than a minute old: it may be a merge on another node
  CHECK(storage::read_results(sweep.output).runs.size() == 2);
}

}  // namespace
}  // namespace reglab::experiment
