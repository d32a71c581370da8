// Planning and rendering a Slurm submission (experiment/slurm_plan.hpp,
// experiment/slurm_scripts.hpp): the cells chosen, the array range and its %K, the merge job's
// afterany dependency, options and plugins passed through, and paths with spaces and quotes,
// checked by running the rendered scripts with bash against a stub reglab; a submission of
// several arrays against a stub sbatch (experiment/slurm_jobs.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/slurm_jobs.hpp"
#include "framework/experiment/slurm_plan.hpp"
#include "framework/experiment/slurm_scripts.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// This file's temporary folders: /tmp/reglab_slurm_XXXXXX.
class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_slurm") {}
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

/// The exit code of `command` run by /bin/sh.
int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  REQUIRE(status != -1);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Cell make_cell(const std::string& id, const std::string& yaml = "name: c\n") {
  Cell c;
  c.id = id;
  c.name = "cell " + id;
  c.config_yaml = yaml;
  c.output = "out.cells/" + id + ".h5";
  return c;
}

/// A three-cell sweep whose cell folder is relative ("out.cells").
Sweep make_sweep(const std::vector<std::string>& plugins = {}) {
  Sweep s;
  s.name = "my sweep/v2";
  s.sweep_id = "0123456789ab";
  s.cell_dir = "out.cells";
  s.is_grid = true;
  for (const char* id : {"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"}) {
    s.cells.push_back(make_cell(id));
  }
  s.extra_plugins = plugins;
  return s;
}

/// A sweep of `n` cells, "cell0" .. "cell<n-1>".
Sweep make_sweep_of(std::size_t n) {
  Sweep s = make_sweep();
  s.cells.clear();
  for (std::size_t i = 0; i < n; ++i) s.cells.push_back(make_cell("cell" + std::to_string(i)));
  return s;
}

SubmitContext make_context(const fs::path& cwd) {
  SubmitContext c;
  c.cwd = cwd;
  c.self = "/opt/reglab/bin/reglab";
  c.stamp = "20261203T120000Z";
  c.now_utc = "2026-12-03T12:00:00Z";
  return c;
}

std::vector<const Cell*> all_cells(const Sweep& s) {
  std::vector<const Cell*> cells;
  for (const auto& c : s.cells) cells.push_back(&c);
  return cells;
}

SubmissionPlan make_plan(const Sweep& s, const SubmitOptions& o, const fs::path& cwd = "/work") {
  return plan_submission(s, o, all_cells(s), 1, make_context(cwd));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("slurm plan: the files of a submission lie in <cell_dir>/slurm, named by the stamp") {
  SubmitOptions o;
  o.config = "configs/sweep.yaml";
  const SubmissionPlan p = make_plan(make_sweep(), o, "/home/u/proj");
  CHECK(p.config == fs::path("/home/u/proj/configs/sweep.yaml"));
  CHECK(p.cell_dir == fs::path("/home/u/proj/out.cells"));
  CHECK(p.slurm_dir == fs::path("/home/u/proj/out.cells/slurm"));
  CHECK(p.cell_list == fs::path("/home/u/proj/out.cells/slurm/cells-20261203T120000Z.txt"));
  CHECK(p.array_script == fs::path("/home/u/proj/out.cells/slurm/array-20261203T120000Z.sh"));
  CHECK(p.merge_script == fs::path("/home/u/proj/out.cells/slurm/merge-20261203T120000Z.sh"));
  CHECK(p.job_name == "reglab-my_sweep_v2");
  CHECK(p.cell_ids == std::vector<std::string>{"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"});
  CHECK(cell_list_text(p) == "aaaaaaaaaaaa\nbbbbbbbbbbbb\ncccccccccccc\n");
  o.config = "/abs/../abs/s.yaml";
  CHECK(make_plan(make_sweep(), o).config == fs::path("/abs/s.yaml"));
}

TEST_CASE("slurm plan: missing cells are submitted unless an earlier task still has them") {
  const Sweep s = make_sweep();
  const std::vector<CellState> files = {CellState::kComplete, CellState::kFailed, CellState::kNone};
  // The complete cell's history names a job that must not be asked about.
  const TaskHistory history = {
      {"aaaaaaaaaaaa", {"5_0"}}, {"bbbbbbbbbbbb", {"7_1", "9_0"}}, {"cccccccccccc", {"9_1"}}};
  CHECK(earlier_array_jobs(s.cells, files, history) == std::set<std::string>{"7", "9"});

  SUBCASE("nothing queued: both missing cells run, the failed one counted") {
    const CellSelection sel = select_cells(s.cells, files, history, {});
    CHECK(sel.complete == 1);
    CHECK(sel.missing == 2);
    CHECK(sel.failed == 1);
    REQUIRE(sel.to_run.size() == 2);
    CHECK(sel.to_run[0]->id == "bbbbbbbbbbbb");
    CHECK(sel.to_run[1]->id == "cccccccccccc");
    CHECK(sel.still_queued.empty());
  }
  SUBCASE("a queued task keeps its cell out; the latest queued task is named") {
    const CellSelection sel = select_cells(s.cells, files, history, {"7_1", "9_0", "4_4"});
    REQUIRE(sel.to_run.size() == 1);
    CHECK(sel.to_run[0]->id == "cccccccccccc");
    CHECK(sel.still_queued == std::vector<std::string>{"9_0"});
  }
  SUBCASE("a queued task of a complete cell changes nothing") {
    const CellSelection sel = select_cells(s.cells, files, history, {"5_0"});
    CHECK(sel.complete == 1);
    CHECK(sel.to_run.size() == 2);
    CHECK(sel.still_queued.empty());
  }
}

TEST_CASE("slurm plan: MaxArraySize is read from scontrol show config") {
  CHECK(parse_max_array_size("Configuration data as of 2026-12-03T12:00:00\n"
                             "MaxArraySize            = 4\nMaxJobCount             = 10000\n") ==
        4);
  CHECK(parse_max_array_size("MaxArraySize = 1001\n") == 1001);
  CHECK(parse_max_array_size("MaxJobCount = 10000\n") == 0);
  CHECK(parse_max_array_size("MaxArraySize = many\n") == 0);
  CHECK(parse_max_array_size("MaxArraySize = 0\n") == 0);
  CHECK(parse_max_array_size("") == 0);
}

TEST_CASE("slurm plan: cells are grouped K to a task, in order") {
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e"};
  using Tasks = std::vector<std::vector<std::string>>;
  CHECK(group_cells(ids, 1) == Tasks{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}});
  CHECK(group_cells(ids, 2) == Tasks{{"a", "b"}, {"c", "d"}, {"e"}});
  CHECK(group_cells(ids, 5) == Tasks{{"a", "b", "c", "d", "e"}});
  CHECK(group_cells(ids, 9) == Tasks{{"a", "b", "c", "d", "e"}});
}

TEST_CASE("slurm plan: tasks are split into arrays of at most MaxArraySize") {
  const auto ranges = [](std::size_t tasks, long most) {
    std::vector<std::pair<std::size_t, std::size_t>> r;
    for (const ArrayPart& a : split_arrays(tasks, most)) r.emplace_back(a.offset, a.count);
    return r;
  };
  using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(ranges(7, 3) == Ranges{{0, 3}, {3, 3}, {6, 1}});
  CHECK(ranges(6, 3) == Ranges{{0, 3}, {3, 3}});
  CHECK(ranges(3, 1001) == Ranges{{0, 3}});
  CHECK(ranges(2, 1) == Ranges{{0, 1}, {1, 1}});
}

TEST_CASE("slurm plan: cpus per task are the largest `threads` unless asked for") {
  const Cell a = make_cell("aaaaaaaaaaaa", "threads: 2\n");
  const Cell b = make_cell("bbbbbbbbbbbb", "threads: 4\n");
  const Cell c = make_cell("cccccccccccc", "name: none\n");
  const Cell bad = make_cell("dddddddddddd", "threads: many\n");
  CHECK(cpus_per_task(0, {&a, &b, &c}) == 4);
  CHECK(cpus_per_task(0, {&c}) == 1);
  CHECK(cpus_per_task(0, {&bad, &a}) == 2);
  CHECK(cpus_per_task(3, {&a, &b}) == 3);
}

TEST_CASE("slurm plan: job names keep [A-Za-z0-9._-] only") {
  CHECK(job_name("quick-start_1.0") == "reglab-quick-start_1.0");
  CHECK(job_name("a b/c'd\"e$f") == "reglab-a_b_c_d_e_f");
}

TEST_CASE("slurm scripts: the array range covers every cell, with %K only if asked") {
  SubmitOptions o;
  o.config = "s.yaml";
  Sweep s = make_sweep();
  std::string array = array_script_text(make_plan(s, o));
  CHECK(contains(array, "\n#SBATCH --array=0-2\n"));
  o.max_parallel = 2;
  array = array_script_text(make_plan(s, o));
  CHECK(contains(array, "\n#SBATCH --array=0-2%2\n"));
  s.cells.resize(1);
  CHECK(contains(array_script_text(make_plan(s, o)), "\n#SBATCH --array=0-0%2\n"));
  CHECK(contains(array, "#SBATCH --output=/work/out.cells/slurm/%A_%a.out\n"));
  CHECK(contains(array, "#SBATCH --job-name=reglab-my_sweep_v2\n"));
  CHECK(contains(array, "3 of its 3 cells, one per array task"));
  CHECK(array.rfind("#!/bin/bash\n", 0) == 0);
}

TEST_CASE("slurm scripts: the merge job depends on the array with afterany") {
  SubmitOptions o;
  o.config = "s.yaml";
  o.partition = "cpu";
  o.account = "proj";
  o.time = "0:30:00";
  o.mem = "2G";
  const SubmissionPlan p = make_plan(make_sweep(), o);
  const std::vector<std::string> head = {"sbatch",         "--parsable",     "--partition=cpu",
                                         "--account=proj", "--time=0:30:00", "--mem=2G"};
  std::vector<std::string> array = head;
  array.push_back(p.array_script.string());
  CHECK(array_sbatch_argv(p) == array);
  std::vector<std::string> merge = head;
  merge.push_back("--dependency=afterany:4711");
  merge.push_back(p.merge_script.string());
  CHECK(merge_sbatch_argv(p, {"4711"}) == merge);

  const std::string merge_script = merge_script_text(p);
  CHECK(contains(merge_script, "#SBATCH --job-name=reglab-my_sweep_v2-merge\n"));
  CHECK(contains(merge_script, "#SBATCH --cpus-per-task=1\n"));
  CHECK(contains(merge_script, "#SBATCH --output=/work/out.cells/slurm/merge-%j.out\n"));
  CHECK_FALSE(contains(merge_script, "--array"));
  for (const std::string& script : {merge_script, array_script_text(p)}) {
    CHECK(contains(script,
                   "#SBATCH --partition=cpu\n#SBATCH --account=proj\n"
                   "#SBATCH --time=0:30:00\n#SBATCH --mem=2G\n"));
  }
  const std::string dry = dry_run_text(p);
  CHECK(contains(dry,
                 "\nwould run: sbatch --parsable --partition=cpu --account=proj "
                 "--time=0:30:00 --mem=2G " +
                     p.array_script.string() + "\n"));
  CHECK(contains(dry, "--mem=2G --dependency=afterany:<array job> " + p.merge_script.string()));
  CHECK(contains(dry, "(3 lines)\naaaaaaaaaaaa\nbbbbbbbbbbbb\ncccccccccccc\n"));
}

TEST_CASE("slurm scripts: no sbatch option that was not given") {
  SubmitOptions o;
  o.config = "s.yaml";
  const SubmissionPlan p = make_plan(make_sweep(), o);
  CHECK(array_sbatch_argv(p) ==
        std::vector<std::string>{"sbatch", "--parsable", p.array_script.string()});
  for (const char* option : {"--partition", "--account", "--time", "--mem"}) {
    CHECK_FALSE(contains(array_script_text(p), option));
  }
}

TEST_CASE("slurm scripts: sh_quote survives bash") {
  for (const std::string text : {"plain", "with space", "it's", "'", "a\"b", "$HOME `id` \\n",
                                 "semi;colon && | > <", "*?[a]", ""}) {
    CAPTURE(text);
    TempDir dir;
    const std::string out = dir.file("out");
    REQUIRE(run_shell("bash -c " +
                      sh_quote("printf %s " + sh_quote(text) + " > " + sh_quote(out))) == 0);
    CHECK(file_bytes(out) == text);
  }
}

TEST_CASE("slurm scripts: the scripts pass odd paths, overrides and plugins to reglab intact") {
  TempDir tmp;
  const fs::path cwd = tmp.path() / "it's a \"dir\" $HOME";
  fs::create_directories(cwd / "out.cells" / "slurm");
  const fs::path plugin = cwd / "lib plug's.so";
  const Sweep s = make_sweep({plugin.string()});
  SubmitOptions o;
  o.config = "my sweep's.yaml";
  o.overrides = {"train.epochs=3", "grid.seed=[1, 2]", "name=it's"};
  SubmitContext context = make_context(cwd);
  // A stub reglab that prints its arguments, one a line, and exits with $STUB_RC.
  context.self = cwd / "re glab's stub";
  write_text(context.self, "#!/bin/bash\nprintf '%s\\n' \"$@\"\nexit \"${STUB_RC:-0}\"\n");
  fs::permissions(context.self, fs::perms::owner_all);
  const SubmissionPlan p = plan_submission(s, o, all_cells(s), 1, context);
  write_text(p.cell_list, cell_list_text(p));
  write_text(p.array_script, array_script_text(p));
  write_text(p.merge_script, merge_script_text(p));
  const std::vector<std::string> passed = {(cwd / "my sweep's.yaml").string(),
                                           "train.epochs=3",
                                           "grid.seed=[1, 2]",
                                           "name=it's",
                                           "--plugin",
                                           plugin.string()};
  const std::string env = "cd / && SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=1 ";

  SUBCASE("array task 1 runs the cell file of the cell on line 2") {
    const std::string out = tmp.file("array.out");
    CHECK(run_shell(env + "bash " + sh_quote(p.array_script.string()) + " > " + sh_quote(out)) ==
          0);
    const std::vector<std::string> job_out = lines_of(file_bytes(out));
    REQUIRE(job_out.size() == 4);
    CHECK(contains(job_out[0], "reglab: cell bbbbbbbbbbbb, Slurm job 7_1 on "));
    const std::vector<std::string> ran(job_out.begin() + 1, job_out.end());
    CHECK(ran == std::vector<std::string>{"cells", "--keep-going",
                                          (cwd / "out.cells/bbbbbbbbbbbb.yaml").string()});
    CHECK_FALSE(fs::exists(cwd / "out.cells/bbbbbbbbbbbb.failed"));
  }
  SUBCASE("a task whose cell crashes records it in <id>.failed and exits with its code") {
    CHECK(run_shell(env + "STUB_RC=9 bash " + sh_quote(p.array_script.string()) +
                    " > /dev/null 2>&1") == 9);
    CHECK(
        contains(file_bytes(cwd / "out.cells/bbbbbbbbbbbb.failed"), "exit code 9 (Slurm job 7_1"));
  }
  SUBCASE("a task without a line fails before running anything") {
    CHECK(run_shell("cd / && SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=3 bash " +
                    sh_quote(p.array_script.string()) + " > /dev/null 2>&1") == 2);
  }
  SUBCASE("the merge job merges with the same arguments") {
    const std::string out = tmp.file("merge.out");
    CHECK(run_shell("cd / && bash " + sh_quote(p.merge_script.string()) + " > " + sh_quote(out)) ==
          0);
    std::vector<std::string> expected = {"merge"};
    expected.insert(expected.end(), passed.begin(), passed.end());
    CHECK(lines_of(file_bytes(out)) == expected);
  }
  CHECK(status_arguments(p) ==
        "my sweep's.yaml 'train.epochs=3' 'grid.seed=[1, 2]' 'name=it'\\''s' "
        "--plugin " +
            sh_quote(plugin.string()));
}

}  // namespace reglab::experiment

namespace reglab::experiment {

TEST_CASE("slurm scripts: 7 tasks at MaxArraySize 3 are three arrays of one script") {
  SubmitOptions o;
  o.config = "s.yaml";
  o.max_parallel = 2;
  const Sweep s = make_sweep_of(7);
  SubmitContext context = make_context("/work");
  context.max_array_size = 3;
  const SubmissionPlan p = plan_submission(s, o, all_cells(s), 1, context);
  REQUIRE(p.arrays.size() == 3);
  const std::string script = p.array_script.string();
  CHECK(array_sbatch_argv(p, 0) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=0-2%2", script, "0"});
  CHECK(array_sbatch_argv(p, 1) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=0-2%2", script, "3"});
  CHECK(array_sbatch_argv(p, 2) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=0-0%2", script, "6"});
  CHECK(merge_sbatch_argv(p, {"11", "12", "13"}) ==
        std::vector<std::string>{"sbatch", "--parsable", "--dependency=afterany:11:12:13",
                                 p.merge_script.string()});
  const std::string array = array_script_text(p);
  CHECK_FALSE(contains(array, "#SBATCH --array"));
  CHECK(
      contains(array, "7 of its 7 cells, one per array task;\n# 7 tasks in 3 arrays of at most 3"));
  const std::string dry = dry_run_text(p);
  CHECK(contains(dry, "\nwould run: sbatch --parsable --array=0-2%2 " + script +
                          " 0\n"
                          "           sbatch --parsable --array=0-2%2 " +
                          script +
                          " 3\n"
                          "           sbatch --parsable --array=0-0%2 " +
                          script +
                          " 6\n"
                          "           sbatch --parsable "
                          "--dependency=afterany:<array job 1>:<array job 2>:<array job 3> " +
                          p.merge_script.string() + "\n"));
}

TEST_CASE("slurm scripts: with --cells-per-task a line holds several cells") {
  SubmitOptions o;
  o.config = "s.yaml";
  o.cells_per_task = 3;
  const Sweep s = make_sweep_of(7);
  const SubmissionPlan p = make_plan(s, o);
  CHECK(cell_list_text(p) == "cell0 cell1 cell2\ncell3 cell4 cell5\ncell6\n");
  CHECK(p.cell_ids.size() == 7);
  REQUIRE(p.arrays.size() == 1);
  CHECK(p.arrays[0].count == 3);
  const std::string array = array_script_text(p);
  CHECK(contains(array, "\n#SBATCH --array=0-2\n"));
  CHECK(contains(array, "7 of its 7 cells, up to 3 per task;\n# task k runs the cells on line"));
  CHECK(array_sbatch_argv(p) ==
        std::vector<std::string>{"sbatch", "--parsable", p.array_script.string()});
  CHECK(contains(dry_run_text(p), "(3 lines)\ncell0 cell1 cell2\n"));
}

TEST_CASE("slurm scripts: a task runs its line's cells and marks a crash only where no result is") {
  TempDir tmp;
  const fs::path cwd = tmp.path();
  fs::create_directories(cwd / "out.cells" / "slurm");
  const Sweep s = make_sweep_of(5);
  SubmitOptions o;
  o.config = "s.yaml";
  o.cells_per_task = 2;
  SubmitContext context = make_context(cwd);
  context.max_array_size = 2;
  // A stub reglab: prints its arguments, writes <id>.h5 for the cells in $STUB_DONE and
  // <id>.failed for those in $STUB_FAIL, exits with $STUB_RC.
  context.self = cwd / "reglab-stub";
  write_text(
      context.self,
      "#!/bin/bash\nprintf '%s\\n' \"$@\"\n"
      "for f in \"${@:3}\"; do id=$(basename -- \"$f\" .yaml); d=$(dirname -- \"$f\")\n"
      "  [[ \" ${STUB_DONE:-} \" == *\" $id \"* ]] && touch \"$d/$id.h5\"\n"
      "  [[ \" ${STUB_FAIL:-} \" == *\" $id \"* ]] && echo 'error: boom' > \"$d/$id.failed\"\n"
      "done\nexit \"${STUB_RC:-0}\"\n");
  fs::permissions(context.self, fs::perms::owner_all);
  const SubmissionPlan p = plan_submission(s, o, all_cells(s), 1, context);
  REQUIRE(p.arrays.size() == 2);
  CHECK(p.arrays[1].offset == 2);
  write_text(p.cell_list, cell_list_text(p));
  write_text(p.array_script, array_script_text(p));
  const fs::path dir = cwd / "out.cells";
  const std::string out = tmp.file("task.out");
  const auto task = [&](int id, const std::string& offset, const std::string& env) {
    return run_shell("cd / && SLURM_ARRAY_JOB_ID=8 SLURM_ARRAY_TASK_ID=" + std::to_string(id) +
                     " " + env + " bash " + sh_quote(p.array_script.string()) + " " + offset +
                     " > " + sh_quote(out) + " 2>&1");
  };

  SUBCASE("task 1 of the first array runs line 2: both cells, one process") {
    CHECK(task(1, "0", "STUB_DONE='cell2 cell3'") == 0);
    const std::vector<std::string> lines = lines_of(file_bytes(out));
    REQUIRE(lines.size() == 6);
    CHECK(contains(lines[0], "reglab: cell cell2, Slurm job 8_1 on "));
    CHECK(contains(lines[1], "reglab: cell cell3, Slurm job 8_1 on "));
    CHECK(std::vector<std::string>(lines.begin() + 2, lines.end()) ==
          std::vector<std::string>{"cells", "--keep-going", (dir / "cell2.yaml").string(),
                                   (dir / "cell3.yaml").string()});
  }
  SUBCASE("task 0 of the second array runs line offset + 1") {
    CHECK(task(0, "2", "STUB_DONE=cell4") == 0);
    CHECK(contains(file_bytes(out), "reglab: cell cell4, Slurm job 8_0 on "));
    CHECK(contains(file_bytes(out), (dir / "cell4.yaml").string()));
    CHECK(task(1, "2", "") == 2);  // line 4 of a 3-line list
  }
  SUBCASE("a crash marks only the task's cells without results or .failed") {
    CHECK(task(0, "", "STUB_DONE=cell0 STUB_RC=137") == 137);
    CHECK_FALSE(fs::exists(dir / "cell0.failed"));
    CHECK(contains(file_bytes(dir / "cell1.failed"), "exit code 137 (Slurm job 8_0 on "));
    CHECK_FALSE(fs::exists(dir / "cell2.failed"));
    CHECK(contains(file_bytes(out), "reglab: cell cell1 failed: exit code 137"));
  }
  SUBCASE("a cell's own .failed is kept; the task exits with the cells' code") {
    CHECK(task(1, "0", "STUB_FAIL=cell2 STUB_DONE=cell3 STUB_RC=2") == 2);
    CHECK(file_bytes(dir / "cell2.failed") == "error: boom\n");
    CHECK_FALSE(fs::exists(dir / "cell3.failed"));
    CHECK(contains(file_bytes(out), "reglab: cell cell2 failed: error: boom"));
  }
}

}  // namespace reglab::experiment

namespace reglab::experiment {
namespace {

/// PATH with `dir` first while alive.
class PathFirst {
 public:
  explicit PathFirst(const fs::path& dir) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    REQUIRE(setenv("PATH", (dir.string() + ":" + old_).c_str(), 1) == 0);
  }
  PathFirst(const PathFirst&) = delete;
  PathFirst& operator=(const PathFirst&) = delete;
  ~PathFirst() { setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

/// A stub sbatch in `dir` that logs its arguments to `dir`/calls, one call a line, prints job id
/// 100 + the call's number, and fails its call number `failing`.
void write_stub_sbatch(const fs::path& dir, int failing) {
  write_text(dir / "sbatch", "#!/bin/bash\necho \"$*\" >> " + sh_quote((dir / "calls").string()) +
                                 "\nn=$(wc -l < " + sh_quote((dir / "calls").string()) +
                                 ")\nif [ \"$n\" = " + std::to_string(failing) +
                                 " ]; then echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; "
                                 "exit 1; fi\necho $((100 + n))\n");
  fs::permissions(dir / "sbatch", fs::perms::owner_all);
}

/// The tasks ("<job>_<k>") submissions.tsv records, in order.
std::vector<std::string> recorded_tasks(const SubmissionPlan& p) {
  std::vector<std::string> tasks;
  for (const auto& line : lines_of(file_bytes(p.slurm_dir / "submissions.tsv"))) {
    std::vector<std::string> f;
    std::istringstream parts(line);
    for (std::string x; std::getline(parts, x, '\t');) f.push_back(x);
    if (f.size() == 6 && f[0] != "submitted_utc") tasks.push_back(f[4]);
  }
  return tasks;
}

}  // namespace

TEST_CASE("slurm jobs: arrays go out in order and the merge job depends on every one") {
  TempDir tmp;
  const fs::path bin = tmp.path() / "bin";
  fs::create_directories(bin);
  SubmitOptions o;
  o.config = "s.yaml";
  o.cells_per_task = 2;
  const Sweep s = make_sweep_of(5);
  SubmitContext context = make_context(tmp.path());
  context.max_array_size = 2;
  const SubmissionPlan p = plan_submission(s, o, all_cells(s), 1, context);
  REQUIRE(p.arrays.size() == 2);  // tasks {0, 1} and {2}
  const PathFirst path(bin);

  SUBCASE("all submitted: one line per cell, tasks numbered within their array") {
    write_stub_sbatch(bin, 0);
    const SubmittedJobs jobs = submit_and_record(p);
    CHECK(jobs.array_jobs == std::vector<std::string>{"101", "102"});
    CHECK(jobs.array_error.empty());
    CHECK(jobs.merge_job == "103");
    const std::vector<std::string> calls = lines_of(file_bytes(bin / "calls"));
    REQUIRE(calls.size() == 3);
    CHECK(calls[0] == "--parsable --array=0-1 " + p.array_script.string() + " 0");
    CHECK(calls[1] == "--parsable --array=0-0 " + p.array_script.string() + " 2");
    CHECK(calls[2] == "--parsable --dependency=afterany:101:102 " + p.merge_script.string());
    CHECK(recorded_tasks(p) ==
          std::vector<std::string>{"101_0", "101_0", "101_1", "101_1", "102_0"});
  }
  SUBCASE("a later array refused: the earlier ones are kept, recorded and merged after") {
    write_stub_sbatch(bin, 2);
    const SubmittedJobs jobs = submit_and_record(p);
    CHECK(jobs.array_jobs == std::vector<std::string>{"101"});
    CHECK(contains(jobs.array_error, "QOSMaxSubmitJobPerUserLimit"));
    CHECK(jobs.merge_job == "103");
    CHECK(lines_of(file_bytes(bin / "calls")).back() ==
          "--parsable --dependency=afterany:101 " + p.merge_script.string());
    CHECK(recorded_tasks(p) == std::vector<std::string>{"101_0", "101_0", "101_1", "101_1"});
    CHECK(fs::exists(p.array_script));
  }
  SUBCASE("the first array refused: nothing submitted, the files removed") {
    write_stub_sbatch(bin, 1);
    CHECK_THROWS_AS(submit_and_record(p), Error);
    CHECK(lines_of(file_bytes(bin / "calls")).size() == 1);
    CHECK_FALSE(fs::exists(p.array_script));
    CHECK_FALSE(fs::exists(p.cell_list));
    CHECK_FALSE(fs::exists(p.slurm_dir / "submissions.tsv"));
  }
}

}  // namespace reglab::experiment
