#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/executor.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace reglab::experiment {
namespace {

/// This file's temporary folders: /tmp/reglab_executor_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_executor") {}
};

/// Captures the progress output in a temporary file.
struct Capture {
  std::FILE* file = std::tmpfile();
  Capture() { REQUIRE(file != nullptr); }
  ~Capture() { std::fclose(file); }
  std::string text() const {
    std::fflush(file);
    std::rewind(file);
    std::string result;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) result.append(buf, n);
    return result;
  }
};

/// Runs `/bin/sh -c SCRIPT cellsh --cell ID`: inside SCRIPT, $0 is "cellsh", $1 is "--cell" and
/// $2 is the cell id. (Without the "cellsh" operand, sh would make "--cell" $0 and the id $1.)
ExecutorOptions sh_options(const std::string& script, std::size_t jobs, std::FILE* out) {
  ExecutorOptions options;
  options.self = "/bin/sh";
  options.args = {"-c", script, "cellsh"};
  options.jobs = jobs;
  options.interactive = false;
  options.out = out;
  return options;
}

std::vector<CellTask> make_tasks(const TempDir& dir, const std::vector<std::string>& ids) {
  std::vector<CellTask> tasks;
  for (const auto& id : ids) {
    tasks.push_back(
        {id, "name-" + id, dir.file(id + ".log"), {"--cell", id}, dir.file(id + ".done")});
  }
  return tasks;
}

/// The largest "running=N" value printed to the logs of `tasks`.
int max_running(const std::vector<CellTask>& tasks) {
  int result = 0;
  for (const auto& task : tasks) {
    const std::string log = file_bytes(task.log);
    const auto pos = log.find("running=");
    REQUIRE(pos != std::string::npos);
    result = std::max(result, std::stoi(log.substr(pos + 8)));
  }
  return result;
}

TEST_CASE("run_cells passes self, args, --cell ID and captures output in the log") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"a", "b", "c", "d"});
  {
    std::ofstream old(tasks[0].log);
    old << "stale content from an earlier run\n";
  }
  const std::string script =
      "echo \"args: $0 $1 $2 $#\"; echo to-stderr >&2;"
      "if read x; then echo stdin-has-data; else echo stdin-eof; fi;"
      "case $2 in a) exit 0;; b) exit 3;; c) exit 0;; d) exit 1;; esac";
  const auto outcomes = run_cells(tasks, sh_options(script, 2, out.file));
  REQUIRE(outcomes.size() == 4);
  const int expected[] = {0, 3, 0, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(outcomes[i].id == tasks[i].id);
    CHECK(outcomes[i].exit_code == expected[i]);
    CHECK(outcomes[i].signal == 0);
    CHECK(outcomes[i].seconds > 0.0);
    CHECK(outcomes[i].seconds < 5.0);
    CHECK(outcomes[i].message.empty() == (expected[i] == 0));
  }
  CHECK_FALSE(interrupted());
  CHECK(file_bytes(tasks[0].log) == "args: cellsh --cell a 2\nto-stderr\nstdin-eof\n");
  CHECK(file_bytes(tasks[3].log) == "args: cellsh --cell d 2\nto-stderr\nstdin-eof\n");
  const mode_t mask = umask(0);
  umask(mask);
  struct stat info {};
  REQUIRE(stat(tasks[1].log.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == (0644 & ~mask));
}

TEST_CASE("a failing cell's message holds the last five non-empty log lines") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"x", "y"});
  const std::string script =
      "case $2 in x) printf 'line1\\nline2\\n  line3  \\n\\nline4\\nline5\\n\\tline6\\n\\n\\n';"
      "exit 2;; y) exit 4;; esac";
  const auto outcomes = run_cells(tasks, sh_options(script, 1, out.file));
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].exit_code == 2);
  CHECK(outcomes[0].message == "line2\nline3\nline4\nline5\nline6");
  CHECK(outcomes[1].exit_code == 4);
  CHECK(outcomes[1].message == "exit code 4, empty log");
}

TEST_CASE("jobs bounds the number of cells running at once") {
  TempDir dir;
  Capture out;
  // Each cell appends "start", sleeps, then counts the cells that started and did not end yet.
  const std::string shared = dir.file("shared");
  auto script = [&](const char* seconds) {
    return "F='" + shared + "'; echo start >> \"$F\"; sleep " + seconds +
           "; s=$(grep -c '^start$' \"$F\"); e=$(grep -c '^end$' \"$F\");"
           "echo \"running=$((s - e))\"; echo end >> \"$F\"";
  };
  SUBCASE("jobs = 2 runs two at once, never three") {
    auto tasks = make_tasks(dir, {"a", "b", "c", "d"});
    const auto outcomes = run_cells(tasks, sh_options(script("0.4"), 2, out.file));
    REQUIRE(outcomes.size() == 4);
    for (const auto& outcome : outcomes) CHECK(outcome.exit_code == 0);
    CHECK(max_running(tasks) == 2);
  }
  SUBCASE("jobs = 1 never overlaps") {
    auto tasks = make_tasks(dir, {"a", "b", "c"});
    const auto outcomes = run_cells(tasks, sh_options(script("0.1"), 1, out.file));
    REQUIRE(outcomes.size() == 3);
    for (const auto& outcome : outcomes) CHECK(outcome.exit_code == 0);
    CHECK(max_running(tasks) == 1);
  }
}

TEST_CASE("a cell killed by a signal reports the signal") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"k"});
  const auto outcomes = run_cells(tasks, sh_options("echo before; kill -9 $$", 1, out.file));
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].exit_code == -1);
  CHECK(outcomes[0].signal == 9);
  CHECK(outcomes[0].message == "killed by signal 9\nbefore");
  CHECK(out.text().find("cell 1/1 FAILED name-k (signal 9): killed by signal 9\n") !=
        std::string::npos);
}

TEST_CASE("a batch child runs several cells; the cells after a failed one run again") {
  TempDir dir;
  Capture out;
  std::vector<CellTask> tasks;
  for (const std::string id : {"a", "b", "c", "d", "e", "f"}) {
    tasks.push_back({id, "name-" + id, dir.file(id + ".log"), {id}, dir.file(id + ".done")});
  }
  // Like `reglab cells`: each cell writes its own log and result, in order; b fails (exit 7)
  // the first time, e kills its process; every child records its pid.
  const std::string script =
      "cd '" + dir.path().string() +
      "'; echo $$ >> pids; for id in \"$@\"; do exec > $id.log 2>&1;"
      "  case $id in b) [ -e b.retry ] || { touch b.retry; echo failing b; exit 7; };;"
      "  e) echo crashing e; kill -9 $$;; esac;"
      "  echo ran $id; touch $id.done; done";
  ExecutorOptions options = sh_options(script, 1, out.file);
  options.cells_per_child = 3;
  const auto outcomes = run_cells(tasks, options);
  REQUIRE(outcomes.size() == 6);
  for (std::size_t i : {0, 2, 3, 5}) {
    CAPTURE(i);
    CHECK(outcomes[i].id == tasks[i].id);
    CHECK(outcomes[i].exit_code == 0);
    CHECK(outcomes[i].message.empty());
    CHECK(file_bytes(tasks[i].log) == "ran " + tasks[i].id + "\n");
  }
  CHECK(outcomes[1].exit_code == 7);
  CHECK(outcomes[1].message == "failing b");
  CHECK(outcomes[4].signal == 9);
  CHECK(outcomes[4].message == "killed by signal 9\ncrashing e");
  // Children: [a b c] (b fails), [d e f] (e crashes), then [c] and [f] again.
  std::istringstream pids(file_bytes(dir.file("pids")));
  std::set<std::string> distinct;
  for (std::string pid; pids >> pid;) distinct.insert(pid);
  CHECK(distinct.size() == 4);
  const std::string text = out.text();
  CHECK(text.find("cell 2/6 FAILED name-b (exit 7): failing b\n") != std::string::npos);
  CHECK(text.find("cell 6/6 done name-f (") != std::string::npos);
}

TEST_CASE("run_cells throws Error if cells cannot be started at all") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"a"});
  SUBCASE("nonexistent executable: throws before any child runs") {
    auto options = sh_options("exit 0", 1, out.file);
    options.self = dir.file("no-such-reglab");
    CHECK_THROWS_AS(run_cells(tasks, options), Error);
    CHECK_FALSE(std::filesystem::exists(tasks[0].log));
  }
  SUBCASE("log directory missing") {
    tasks[0].log = dir.file("missing/a.log");
    CHECK_THROWS_AS(run_cells(tasks, sh_options("exit 0", 1, out.file)), Error);
  }
  SUBCASE("jobs = 0") { CHECK_THROWS_AS(run_cells(tasks, sh_options("", 0, out.file)), Error); }
}

TEST_CASE("non-interactive progress prints one line per start and end") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"A", "B"});
  const std::string script = "case $2 in A) exit 0;; B) echo first; echo boom >&2; exit 2;; esac";
  const auto outcomes = run_cells(tasks, sh_options(script, 1, out.file));
  REQUIRE(outcomes.size() == 2);
  const std::string text = out.text();
  const auto start_a = text.find("cell 1/2 start name-A\n");
  const auto done_a = text.find("cell 1/2 done name-A (");
  const auto start_b = text.find("cell 2/2 start name-B\n");
  const auto failed_b = text.find("cell 2/2 FAILED name-B (exit 2): first\n");
  REQUIRE(start_a != std::string::npos);
  REQUIRE(done_a != std::string::npos);
  REQUIRE(start_b != std::string::npos);
  REQUIRE(failed_b != std::string::npos);
  CHECK(start_a < done_a);
  CHECK(done_a < start_b);
  CHECK(start_b < failed_b);
  CHECK(text.find(" s)\n", done_a) < start_b);
  CHECK(text.find('\r') == std::string::npos);
}

TEST_CASE("interactive progress redraws one line with the epochs of running cells") {
  TempDir dir;
  Capture out;
  auto tasks = make_tasks(dir, {"X", "Y"});
  auto options = sh_options(
      "case $2 in X) echo 'X epoch 2/10  loss 1'; echo 'X epoch 3/10  loss 0.5';;"
      "Y) printf 'Y epoch 4/8 [####....] 40%% ETA 0:12 \\r';; esac; sleep 0.5",
      2, out.file);
  options.interactive = true;
  const auto outcomes = run_cells(tasks, options);
  REQUIRE(outcomes.size() == 2);
  const std::string text = out.text();
  CHECK(text.rfind("\r\033[Kcells 0/2 done (0 failed), running: name-X", 0) == 0);
  CHECK(text.find("running: name-X epoch 3/10, name-Y epoch 4/8, ETA ?") != std::string::npos);
  CHECK(text.find("\r\033[Kcells 2/2 done (0 failed), ETA 0:00\n") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(text.find("start") == std::string::npos);
}

TEST_CASE("SIGINT or SIGTERM terminates the running cells and restores the handlers") {
  for (const char* signal_name : {"INT", "TERM"}) {
    CAPTURE(signal_name);
    TempDir dir;
    Capture out;
    auto tasks = make_tasks(dir, {"a", "b", "c"});
    // Cell a signals the test process (its parent) and then waits to be terminated.
    const std::string script = std::string("case $2 in a) echo waiting; kill -") + signal_name +
                               " $PPID; exec sleep 5;; *) exit 0;; esac";
    struct sigaction before_int {};
    struct sigaction before_term {};
    sigaction(SIGINT, nullptr, &before_int);
    sigaction(SIGTERM, nullptr, &before_term);
    const auto start = std::chrono::steady_clock::now();
    const auto outcomes = run_cells(tasks, sh_options(script, 1, out.file));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(interrupted());
    CHECK(seconds < 4.0);
    REQUIRE(outcomes.size() == 1);  // b and c never started
    CHECK(outcomes[0].id == "a");
    CHECK(outcomes[0].exit_code == -1);
    CHECK(outcomes[0].signal == SIGTERM);
    CHECK_FALSE(std::filesystem::exists(tasks[1].log));
    struct sigaction after {};
    sigaction(SIGINT, nullptr, &after);
    CHECK((after.sa_handler == before_int.sa_handler));
    sigaction(SIGTERM, nullptr, &after);
    CHECK((after.sa_handler == before_term.sa_handler));
    CHECK(out.text().find("interrupted: terminating 1 running cell(s)\n") != std::string::npos);

    const auto again = run_cells(make_tasks(dir, {"z"}), sh_options("exit 0", 1, out.file));
    CHECK_FALSE(interrupted());
    REQUIRE(again.size() == 1);
    CHECK(again[0].exit_code == 0);
  }
}

}  // namespace
}  // namespace reglab::experiment
