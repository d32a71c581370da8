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
    "array, one cell per task, then 'reglab merge' in a job that starts after the array\n"
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
      "at most K cells running at once (the array's %K; default: no limit)")(
      "time,t", po::value<std::string>(&o.time), "time limit of each cell, e.g. 30 or 2:00:00")(
      "mem", po::value<std::string>(&o.mem), "memory of each cell, e.g. 2G (sbatch --mem)")(
      "cpus-per-task,c", po::value<long>(&o.cpus_per_task),
      "cores per cell (default: the largest 'threads' of the cells, 1 if unset)")(
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
  std::vector<CellFile> files;
  for (const Cell& c : sweep.cells) {
    files.push_back(fs::exists(c.output)                ? CellFile::kComplete
                    : fs::exists(failed_path(sweep, c)) ? CellFile::kFailed
                                                        : CellFile::kNone);
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

/// The working folder, this binary, and a fresh name for this submission's files.
SubmitContext submit_context(const Sweep& sweep) {
  SubmitContext c;
  c.cwd = fs::current_path();
  std::error_code ec;
  c.self = fs::read_symlink("/proc/self/exe", ec);
  if (ec || c.self.empty()) {
    throw Error("slurm submit: cannot read /proc/self/exe: " + ec.message());
  }
  c.stamp = free_stamp(slurm_folder(c.cwd, sweep).string());
  c.now_utc = utc_now();
  return c;
}

/// Prints what was submitted; throws if the merge job could not be submitted.
void print_submitted(const SubmissionPlan& p, const SubmittedJobs& jobs) {
  const std::string at_most =
      p.max_parallel > 0 ? ", at most " + std::to_string(p.max_parallel) + " at a time" : "";
  std::printf("submitted array job %s: %zu cells%s, %ld cpus each; logs %s/%s_<task>.out\n",
              jobs.array_job.c_str(), p.cell_ids.size(), at_most.c_str(), p.cpus,
              p.slurm_dir.c_str(), jobs.array_job.c_str());
  if (!jobs.merge_error.empty()) {
    throw Error(jobs.merge_error + "\nthe array job " + jobs.array_job +
                " was submitted; merge by hand when it is done: reglab merge " + p.config_as_given);
  }
  std::printf("submitted merge job %s (after array job %s); log %s/merge-%s.out\n",
              jobs.merge_job.c_str(), jobs.array_job.c_str(), p.slurm_dir.c_str(),
              jobs.merge_job.c_str());
  std::printf("cell list %s\nfollow with: squeue -j %s,%s   or   reglab status %s\n",
              p.cell_list.c_str(), jobs.array_job.c_str(), jobs.merge_job.c_str(),
              status_arguments(p).c_str());
}

}  // namespace

int slurm_command(const std::vector<std::string>& args) {
  bool help = false;
  const SubmitOptions o = parse(args, help);
  if (help) return 0;
  const Sweep sweep = prepared_sweep(o);
  const SubmitContext context = submit_context(sweep);
  const CellSelection selection = select_missing(sweep);
  print_selection(sweep, selection);
  if (selection.to_run.empty()) return nothing_to_submit(sweep, selection, o.dry_run);
  const long cpus = cpus_per_task(o.cpus_per_task, selection.to_run);
  const SubmissionPlan plan = plan_submission(sweep, o, selection.to_run, cpus, context);
  if (o.dry_run) {
    std::printf("%s", dry_run_text(plan).c_str());
    return 0;
  }
  print_submitted(plan, submit_and_record(plan));
  return 0;
}

}  // namespace reglab::experiment
