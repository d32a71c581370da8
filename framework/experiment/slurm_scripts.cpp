/// The cell list, job scripts and sbatch command lines of a Slurm submission
/// (experiment/slurm_scripts.hpp).
#include "framework/experiment/slurm_scripts.hpp"

namespace reglab::experiment {
namespace {

/// CONFIG [overrides] [--plugin P ...], each quoted: what every job passes to reglab.
std::string reglab_arguments(const SubmissionPlan& p) {
  std::string args = sh_quote(p.config.string());
  for (const auto& ov : p.overrides) args += " " + sh_quote(ov);
  for (const auto& plugin : p.plugins) args += " --plugin " + sh_quote(plugin);
  return args;
}

std::string sbatch_header(const SubmissionPlan& p, const std::string& name, long cpus) {
  std::string h;
  if (!p.partition.empty()) h += "#SBATCH --partition=" + p.partition + "\n";
  if (!p.account.empty()) h += "#SBATCH --account=" + p.account + "\n";
  if (!p.time.empty()) h += "#SBATCH --time=" + p.time + "\n";
  if (!p.mem.empty()) h += "#SBATCH --mem=" + p.mem + "\n";
  h += "#SBATCH --job-name=" + name + "\n";
  h += "#SBATCH --ntasks=1\n";
  h += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  return h;
}

/// The lines both scripts run first.
std::string common_preamble(const SubmissionPlan& p) {
  return "set -u\n"
         "cd " +
         sh_quote(p.cwd.string()) +
         " || exit 1\n"
         "# Every task writes only its own cell's files, each cell file through a temporary file "
         "and\n"
         "# rename; published files never change, so no HDF5 file locking is needed (and file "
         "systems\n"
         "# without flock work).\n"
         "export HDF5_USE_FILE_LOCKING=FALSE\n";
}

/// "0-(n-1)[%K]": the task range of an array of `count` tasks.
std::string array_range(const SubmissionPlan& p, std::size_t count) {
  return "0-" + std::to_string(count - 1) +
         (p.max_parallel > 0 ? "%" + std::to_string(p.max_parallel) : "");
}

/// The array script's comment lines on which task runs which cells.
std::string task_comment(const SubmissionPlan& p) {
  const bool one_each = p.tasks.size() == p.cell_ids.size();
  const std::string per = one_each
                              ? "one per array task"
                              : "up to " + std::to_string(p.tasks.front().size()) + " per task";
  const std::string c = "# reglab sweep '" + p.sweep_name + "' (sweep id " + p.sweep_id +
                        "): " + std::to_string(p.cell_ids.size()) + " of its " +
                        std::to_string(p.sweep_cells) + " cells, " + per + ";\n";
  if (p.arrays.size() == 1) {
    return c + "# task k runs " + (one_each ? "the cell" : "the cells") + " on line k + 1 of " +
           p.cell_list.string() + ".\n";
  }
  return c + "# " + std::to_string(p.tasks.size()) + " tasks in " +
         std::to_string(p.arrays.size()) + " arrays of at most " +
         std::to_string(p.arrays.front().count) +
         " tasks (MaxArraySize), each submitted as\n"
         "# 'sbatch --array=0-(n-1) THIS_SCRIPT OFFSET': task k runs the cells on line\n"
         "# OFFSET + k + 1 of " +
         p.cell_list.string() + ".\n";
}

/// The array script's comment and #SBATCH lines.
std::string array_header(const SubmissionPlan& p) {
  std::string h = "#!/bin/bash\n" + task_comment(p);
  h += "# Written by 'reglab slurm submit' at " + p.written_utc + ".\n";
  h += sbatch_header(p, p.job_name, p.cpus);
  if (p.arrays.size() == 1) h += "#SBATCH --array=" + array_range(p, p.arrays.front().count) + "\n";
  h += "#SBATCH --output=" + (p.slurm_dir / "%A_%a.out").string() + "\n";
  return h;
}

/// The array script's lines that find the task's cells and name them in the job's output.
std::string task_cells() {
  return "line=$((${1:-0} + SLURM_ARRAY_TASK_ID + 1))\n"
         "ids=$(sed -n \"${line}p\" \"$cells\")\n"
         "if [ -z \"$ids\" ]; then echo \"reglab: no line $line in $cells\" >&2; exit 2; fi\n"
         "task=\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
         "host=$(hostname)\n"
         "files=()\n"
         "for cell in $ids; do\n"
         "  echo \"reglab: cell $cell, Slurm job $task on $host\"\n"
         "  files+=(\"$dir/$cell.yaml\")\n"
         "done\n";
}

/// The array script's lines after the run: record a crash, name the failed cells.
std::string task_failures() {
  return "# A cell that fails with an error writes <id>.failed itself; a crash (signal, out of "
         "memory)\n"
         "# cannot, so the merge step would only see its cells missing: record it for each cell "
         "of\n"
         "# the task with neither results nor <id>.failed.\n"
         "for cell in $ids; do\n"
         "  if [ \"$rc\" -ne 0 ] && [ ! -e \"$dir/$cell.h5\" ] && [ ! -e \"$dir/$cell.failed\" ]; "
         "then\n"
         "    echo \"exit code $rc (Slurm job $task on $host)\" > \"$dir/$cell.failed.tmp.$$\" &&\n"
         "      mv \"$dir/$cell.failed.tmp.$$\" \"$dir/$cell.failed\"\n"
         "  fi\n"
         "  if [ -e \"$dir/$cell.failed\" ]; then\n"
         "    echo \"reglab: cell $cell failed: $(cat \"$dir/$cell.failed\")\" >&2\n"
         "  fi\n"
         "done\n";
}

/// The array script's commands: look up the task's cells, run them, record a crash.
std::string array_body(const SubmissionPlan& p) {
  std::string b = "cells=" + sh_quote(p.cell_list.string()) + "\n";
  b += "dir=" + sh_quote(p.cell_dir.string()) + "\n";
  b += task_cells();
  b += "# Each cell's output goes to <cell folder>/<id>.log; a cell that fails does not stop the "
       "others.\n";
  b += sh_quote(p.self.string()) + " cells --keep-going \"${files[@]}\"\n";
  b += "rc=$?\n";
  b += task_failures();
  b += "exit \"$rc\"\n";
  return b;
}

/// `sbatch --parsable` and the user's options.
std::vector<std::string> sbatch_head(const SubmissionPlan& p) {
  std::vector<std::string> a = {"sbatch", "--parsable"};
  if (!p.partition.empty()) a.push_back("--partition=" + p.partition);
  if (!p.account.empty()) a.push_back("--account=" + p.account);
  if (!p.time.empty()) a.push_back("--time=" + p.time);
  if (!p.mem.empty()) a.push_back("--mem=" + p.mem);
  return a;
}

/// The words of a command line, space-separated (as the dry run shows them).
std::string joined(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  return line;
}

}  // namespace

std::string sh_quote(const std::string& text) {
  std::string q = "'";
  for (char c : text) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

std::string cell_list_text(const SubmissionPlan& plan) {
  std::string text;
  for (const auto& task : plan.tasks) {
    for (std::size_t i = 0; i < task.size(); ++i) text += (i == 0 ? "" : " ") + task[i];
    text += "\n";
  }
  return text;
}

std::string array_script_text(const SubmissionPlan& plan) {
  return array_header(plan) + common_preamble(plan) + array_body(plan);
}

std::string merge_script_text(const SubmissionPlan& plan) {
  std::string m = "#!/bin/bash\n";
  m += "# reglab sweep '" + plan.sweep_name + "' (sweep id " + plan.sweep_id +
       "): merges the cell files after the array\n# (submitted with "
       "--dependency=afterany:<array job>) and lists failed and missing cells.\n";
  m += sbatch_header(plan, plan.job_name + "-merge", 1);
  m += "#SBATCH --output=" + (plan.slurm_dir / "merge-%j.out").string() + "\n";
  m += common_preamble(plan);
  m += "exec " + sh_quote(plan.self.string()) + " merge " + reglab_arguments(plan) + "\n";
  return m;
}

std::vector<std::string> array_sbatch_argv(const SubmissionPlan& plan, std::size_t index) {
  std::vector<std::string> argv = sbatch_head(plan);
  if (plan.arrays.size() == 1) {
    argv.push_back(plan.array_script.string());
    return argv;
  }
  const ArrayPart& a = plan.arrays.at(index);
  argv.push_back("--array=" + array_range(plan, a.count));
  argv.push_back(plan.array_script.string());
  argv.push_back(std::to_string(a.offset));
  return argv;
}

std::vector<std::string> merge_sbatch_argv(const SubmissionPlan& plan,
                                           const std::vector<std::string>& array_jobs) {
  std::vector<std::string> argv = sbatch_head(plan);
  std::string after = "--dependency=afterany";
  for (const auto& j : array_jobs) after += ":" + j;
  argv.push_back(after);
  argv.push_back(plan.merge_script.string());
  return argv;
}

std::string dry_run_text(const SubmissionPlan& plan) {
  std::string t = "dry run: nothing written or submitted\n";
  t += "\n== " + plan.cell_list.string() + " (" + std::to_string(plan.tasks.size()) + " lines)\n" +
       cell_list_text(plan);
  t += "\n== " + plan.array_script.string() + "\n" + array_script_text(plan);
  t += "\n== " + plan.merge_script.string() + "\n" + merge_script_text(plan);
  std::vector<std::string> jobs;
  for (std::size_t i = 0; i < plan.arrays.size(); ++i) {
    t += (i == 0 ? "\nwould run: " : "           ") + joined(array_sbatch_argv(plan, i)) + "\n";
    jobs.push_back(plan.arrays.size() == 1 ? "<array job>"
                                           : "<array job " + std::to_string(i + 1) + ">");
  }
  return t + "           " + joined(merge_sbatch_argv(plan, jobs)) + "\n";
}

std::string status_arguments(const SubmissionPlan& plan) {
  std::string args = plan.config_as_given;
  for (const auto& ov : plan.overrides) args += " " + sh_quote(ov);
  for (const auto& p : plan.plugins) args += " --plugin " + sh_quote(p);
  return args;
}

}  // namespace reglab::experiment
