/// `reglab slurm submit` (experiment/slurm.hpp): parses the options, then plans
/// (experiment/slurm_plan.hpp), renders (experiment/slurm_scripts.hpp) and submits
/// (experiment/slurm_jobs.hpp) the sweep's missing cells.
#include "framework/experiment/slurm.hpp"

#include <boost/program_options.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <utility>

#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/cell_file.hpp"
#include "framework/experiment/cell_folder.hpp"
#include "framework/experiment/slurm_jobs.hpp"
#include "framework/experiment/slurm_plan.hpp"
#include "framework/experiment/slurm_scripts.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr const char* kHelpTail =
    "\nRuns the sweep's missing cells (no cell file; failed cells are retried) as a Slurm job\n"
    "array ('reglab cells' on --cells-per-task cells per task; more tasks than MaxArraySize are\n"
    "several arrays), then 'reglab merge' in a job that starts after the arrays\n"
    "(--dependency=afterany). Scripts, the cell list and the job logs go to\n"
    "<cell folder>/slurm/; each submission is recorded in <cell folder>/slurm/submissions.tsv,\n"
    "which 'reglab status' shows. Submitting again runs only what is still missing (cells still\n"
    "pending or running in an earlier submission are left to it). See docs/cluster.md.\n";

/// A Slurm option value written into an #SBATCH line: no spaces, quotes or shell syntax.
void check_value(const std::string& option, const std::string& value) {
  if (value.empty()) throw UsageError("slurm submit: --" + option + " needs a value");
  for (char c : value) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                    std::strchr("._:,+=@%/-[]", c) != nullptr;
    if (!ok) {
      throw UsageError("slurm submit: --" + option + " '" + value +
                       "': only letters, digits and ._:,+=@%/-[] are allowed");
    }
  }
}

po::options_description visible_options(SubmitOptions& o) {
  po::options_description desc(
      "reglab slurm submit SWEEP.yaml [key.path=value ...] [options]\n\nSlurm options");
  desc.add_options()("help,h", "show this help")(
      "partition,p", po::value<std::string>(&o.partition), "partition (sbatch --partition)")(
      "account,A", po::value<std::string>(&o.account), "account to charge (sbatch --account)")(
      "max-parallel", po::value<long>(&o.max_parallel),
      "at most K tasks of each array running at once (its %K; default: no limit)")(
      "time,t", po::value<std::string>(&o.time),
      "time limit of each array task, e.g. 30 or 2:00:00")(
      "mem", po::value<std::string>(&o.mem), "memory of each array task, e.g. 2G (sbatch --mem)")(
      "cpus-per-task,c", po::value<long>(&o.cpus_per_task),
      "cores per task (default: the largest 'threads' of the cells, 1 if unset)")(
      "cells-per-task", po::value<long>(&o.cells_per_task),
      "cells each array task runs one after another in one process (default 1)")(
      "max-array-size", po::value<long>(&o.max_array_size),
      "tasks per array at most (default: MaxArraySize of 'scontrol show config', else 1001); "
      "more tasks are submitted as several arrays")(
      "plugin", po::value<std::vector<std::string>>(&o.plugins),
      "load a plugin (shared object) for every cell; repeatable (docs/plugins.md)")(
      "dry-run,n", po::bool_switch(&o.dry_run),
      "print the cell list and both job scripts; write and submit nothing");
  return desc;
}

/// Throws UsageError for a missing or unknown action, a missing sweep or a bad option value.
void check_options(const SubmitOptions& o, const std::string& action, const po::variables_map& vm) {
  if (action.empty())
    throw UsageError("slurm: missing action (usage: reglab slurm submit SWEEP.yaml)");
  if (action != "submit") {
    throw UsageError("slurm: unknown action '" + action + "' (the one action is 'submit')");
  }
  if (o.config.empty()) throw UsageError("slurm submit: missing SWEEP.yaml");
  if (o.max_parallel < 0) throw UsageError("slurm submit: --max-parallel must be >= 1");
  if (vm.count("max-parallel") != 0U && o.max_parallel == 0) {
    throw UsageError("slurm submit: --max-parallel must be >= 1");
  }
  if (o.cells_per_task < 1) throw UsageError("slurm submit: --cells-per-task must be >= 1");
  if (vm.count("max-array-size") != 0U && o.max_array_size < 1) {
    throw UsageError("slurm submit: --max-array-size must be >= 1");
  }
  if (vm.count("cpus-per-task") != 0U && (o.cpus_per_task < 1 || o.cpus_per_task > 4096)) {
    throw UsageError("slurm submit: --cpus-per-task must be between 1 and 4096");
  }
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"partition", &o.partition},
        {"account", &o.account},
        {"time", &o.time},
        {"mem", &o.mem}}) {
    if (vm.count(name) != 0U) check_value(name, *value);
  }
}

/// The options; with --help, prints the help and sets `help`.
SubmitOptions parse(const std::vector<std::string>& args, bool& help) {
  SubmitOptions o;
  const po::options_description desc = visible_options(o);
  std::string action;
  po::options_description hidden;
  hidden.add_options()("action", po::value<std::string>(&action))(
      "config", po::value<std::string>(&o.config))(
      "override", po::value<std::vector<std::string>>(&o.overrides));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("action", 1).add("config", 1).add("override", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string("slurm: ") + e.what());
  }
  help = vm.count("help") != 0U;
  if (help) {
    std::cout << desc << kHelpTail;
    return o;
  }
  check_options(o, action, vm);
  return o;
}

/// The sweep, its cell folder checked and (unless a dry run) created with its manifest.
Sweep prepared_sweep(const SubmitOptions& o) {
  Sweep sweep = expand_sweep(o.config, o.overrides, o.plugins);
  if (!sweep.is_grid) {
    throw UsageError("slurm submit: " + o.config +
                     " is a single run, not a sweep (no grid, zip or seeds); submit it with "
                     "sbatch --wrap 'reglab run " +
                     o.config + "'");
  }
  prepare_cell_folder(sweep, !o.dry_run);
  return sweep;
}

/// The missing cells, less those an earlier submission still has pending or running (squeue).
CellSelection select_missing(const Sweep& sweep) {
  std::vector<CellState> files;
  for (const Cell& c : sweep.cells) {
    files.push_back(fs::exists(c.output)                ? CellState::kComplete
                    : fs::exists(failed_path(sweep, c)) ? CellState::kFailed
                                                        : CellState::kNone);
  }
  const TaskHistory history = read_submissions(submissions_path(sweep.cell_dir));
  const std::set<std::string> queued =
      queued_tasks(earlier_array_jobs(sweep.cells, files, history));
  return select_cells(sweep.cells, files, history, queued);
}

void print_selection(const Sweep& sweep, const CellSelection& s) {
  std::printf(
      "%s: %zu cells: %zu complete, %zu missing (%zu of them failed before), %zu still "
      "queued in Slurm; %zu to submit\n",
      sweep.name.c_str(), sweep.cells.size(), s.complete, s.missing, s.failed,
      s.still_queued.size(), s.to_run.size());
  if (s.still_queued.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < s.still_queued.size() && i < 8; ++i) {
    list += " " + s.still_queued[i];
  }
  std::printf("left to their earlier jobs (pending or running):%s%s\n", list.c_str(),
              s.still_queued.size() > 8 ? " ..." : "");
}

/// With nothing to submit: leaves queued cells to their jobs, or merges here (not in a dry run).
int nothing_to_submit(const Sweep& sweep, const CellSelection& s, bool dry_run) {
  if (!s.still_queued.empty()) {
    std::printf("nothing submitted: the earlier jobs' merge step will merge them\n");
    return 0;
  }
  if (dry_run) {
    std::printf("nothing to submit: every cell is complete (dry run: not merged)\n");
    return 0;
  }
  std::printf("nothing to submit: every cell is complete; merging here\n");
  return merge_and_report(sweep);
}

/// The cluster's MaxArraySize: --max-array-size, else scontrol's, else Slurm's default (said).
long max_array_size(const SubmitOptions& o) {
  if (o.max_array_size > 0) return o.max_array_size;
  const long n = cluster_max_array_size();
  if (n > 0) return n;
  std::printf(
      "MaxArraySize: 'scontrol show config' did not say; using Slurm's default %ld "
      "(--max-array-size N sets it)\n",
      kDefaultMaxArraySize);
  return kDefaultMaxArraySize;
}

/// The working folder, this binary, a fresh name for this submission's files and MaxArraySize.
SubmitContext submit_context(const Sweep& sweep, const SubmitOptions& o) {
  SubmitContext c;
  c.cwd = fs::current_path();
  std::error_code ec;
  c.self = fs::read_symlink("/proc/self/exe", ec);
  if (ec || c.self.empty()) {
    throw Error("slurm submit: cannot read /proc/self/exe: " + ec.message());
  }
  c.stamp = free_stamp(slurm_folder(c.cwd, sweep).string());
  c.now_utc = utc_now();
  c.max_array_size = max_array_size(o);
  return c;
}

/// "N cells" and, with several cells per task, " in T tasks".
std::string cells_in_tasks(std::size_t cells, std::size_t tasks) {
  return std::to_string(cells) + " cells" +
         (tasks == cells ? "" : " in " + std::to_string(tasks) + " tasks");
}

/// The line of submitted array `j`.
void print_array(const SubmissionPlan& p, const SubmittedJobs& jobs, std::size_t j) {
  const ArrayPart& a = p.arrays[j];
  std::size_t cells = 0;
  for (std::size_t k = 0; k < a.count; ++k) cells += p.tasks[a.offset + k].size();
  const std::string at_most =
      p.max_parallel > 0 ? ", at most " + std::to_string(p.max_parallel) + " at a time" : "";
  const std::string lines = p.arrays.size() == 1
                                ? ""
                                : " (cell list lines " + std::to_string(a.offset + 1) + "-" +
                                      std::to_string(a.offset + a.count) + ")";
  std::printf("submitted array job %s: %s%s%s, %ld cpus each; logs %s/%s_<task>.out\n",
              jobs.array_jobs[j].c_str(), cells_in_tasks(cells, a.count).c_str(), lines.c_str(),
              at_most.c_str(), p.cpus, p.slurm_dir.c_str(), jobs.array_jobs[j].c_str());
}

/// Prints what was submitted; throws if an array or the merge job could not be submitted.
void print_submitted(const SubmissionPlan& p, const SubmittedJobs& jobs) {
  std::string ids;
  for (std::size_t j = 0; j < jobs.array_jobs.size(); ++j) {
    print_array(p, jobs, j);
    ids += (j == 0 ? "" : ",") + jobs.array_jobs[j];
  }
  const std::string arrays = (jobs.array_jobs.size() == 1 ? "array job " : "array jobs ") + ids;
  if (!jobs.merge_error.empty() || !jobs.array_error.empty()) {
    throw Error(jobs.array_error + (jobs.array_error.empty() ? "" : "\n") + jobs.merge_error +
                "\nsubmitted: " + arrays + " (" + std::to_string(jobs.array_jobs.size()) + " of " +
                std::to_string(p.arrays.size()) + " arrays), merge job " + jobs.merge_job +
                "; submit again to run the cells left out, or merge by hand when the jobs are "
                "done: reglab merge " +
                p.config_as_given);
  }
  std::printf("submitted merge job %s (after %s); log %s/merge-%s.out\n", jobs.merge_job.c_str(),
              arrays.c_str(), p.slurm_dir.c_str(), jobs.merge_job.c_str());
  std::printf("cell list %s\nfollow with: squeue -j %s,%s   or   reglab status %s\n",
              p.cell_list.c_str(), ids.c_str(), jobs.merge_job.c_str(),
              status_arguments(p).c_str());
}

}  // namespace

int slurm_command(const std::vector<std::string>& args) {
  bool help = false;
  const SubmitOptions o = parse(args, help);
  if (help) return 0;
  const Sweep sweep = prepared_sweep(o);
  const CellSelection selection = select_missing(sweep);
  print_selection(sweep, selection);
  if (selection.to_run.empty()) return nothing_to_submit(sweep, selection, o.dry_run);
  const SubmitContext context = submit_context(sweep, o);
  const long cpus = cpus_per_task(o.cpus_per_task, selection.to_run);
  const SubmissionPlan plan = plan_submission(sweep, o, selection.to_run, cpus, context);
  if (o.dry_run) {
    std::printf("%s", dry_run_text(plan).c_str());
    return 0;
  }
  write_cell_files(sweep, selection.to_run);
  print_submitted(plan, submit_and_record(plan));
  return 0;
}

}  // namespace reglab::experiment
