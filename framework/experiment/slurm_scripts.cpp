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

/// The array script's comment and #SBATCH lines.
std::string array_header(const SubmissionPlan& p) {
  const std::size_t n = p.cell_ids.size();
  std::string h = "#!/bin/bash\n";
  h += "# reglab sweep '" + p.sweep_name + "' (sweep id " + p.sweep_id + "): " + std::to_string(n) +
       " of its " + std::to_string(p.sweep_cells) +
       " cells, one per array task;\n# task k runs the cell on line k + 1 of " +
       p.cell_list.string() + ".\n# Written by 'reglab slurm submit' at " + p.written_utc + ".\n";
  h += sbatch_header(p, p.job_name, p.cpus);
  h += "#SBATCH --array=0-" + std::to_string(n - 1) +
       (p.max_parallel > 0 ? "%" + std::to_string(p.max_parallel) : "") + "\n";
  h += "#SBATCH --output=" + (p.slurm_dir / "%A_%a.out").string() + "\n";
  return h;
}

/// The array script's commands: look up the task's cell, run it, record a crash.
std::string array_body(const SubmissionPlan& p) {
  std::string b = "cells=" + sh_quote(p.cell_list.string()) + "\n";
  b += "dir=" + sh_quote(p.cell_dir.string()) + "\n";
  b += "cell=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$cells\")\n";
  b += "if [ -z \"$cell\" ]; then echo \"reglab: no line $((SLURM_ARRAY_TASK_ID + 1)) in $cells\" "
       ">&2; exit 2; fi\n";
  b += "echo \"reglab: cell $cell, Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
       "$(hostname)\"\n";
  b += "# The cell's log is this job's output and <cell folder>/<id>.log.\n";
  b += sh_quote(p.self.string()) + " run " + reglab_arguments(p) +
       " --cell \"$cell\" 2>&1 | tee \"$dir/$cell.log\"\n";
  b += "rc=${PIPESTATUS[0]}\n";
  b += "# A cell that fails with an error writes <id>.failed itself; a crash (signal, out of "
       "memory)\n"
       "# cannot, so the merge step would only see it missing: record it.\n";
  b += "if [ \"$rc\" -ne 0 ] && [ ! -e \"$dir/$cell.h5\" ] && [ ! -e \"$dir/$cell.failed\" ]; "
       "then\n"
       "  echo \"exit code $rc (Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
       "$(hostname))\" > \"$dir/$cell.failed.tmp.$$\" &&\n"
       "    mv \"$dir/$cell.failed.tmp.$$\" \"$dir/$cell.failed\"\n"
       "fi\n";
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
  for (const auto& id : plan.cell_ids) text += id + "\n";
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

std::vector<std::string> array_sbatch_argv(const SubmissionPlan& plan) {
  std::vector<std::string> argv = sbatch_head(plan);
  argv.push_back(plan.array_script.string());
  return argv;
}

std::vector<std::string> merge_sbatch_argv(const SubmissionPlan& plan,
                                           const std::string& array_job) {
  std::vector<std::string> argv = sbatch_head(plan);
  argv.push_back("--dependency=afterany:" + array_job);
  argv.push_back(plan.merge_script.string());
  return argv;
}

std::string dry_run_text(const SubmissionPlan& plan) {
  std::string head;
  for (const auto& a : sbatch_head(plan)) head += a + " ";
  std::string t = "dry run: nothing written or submitted\n";
  t += "\n== " + plan.cell_list.string() + " (" + std::to_string(plan.cell_ids.size()) +
       " lines)\n" + cell_list_text(plan);
  t += "\n== " + plan.array_script.string() + "\n" + array_script_text(plan);
  t += "\n== " + plan.merge_script.string() + "\n" + merge_script_text(plan);
  t += "\nwould run: " + head + plan.array_script.string() + "\n";
  t += "           " + head + "--dependency=afterany:<array job> " + plan.merge_script.string() +
       "\n";
  return t;
}

std::string status_arguments(const SubmissionPlan& plan) {
  std::string args = plan.config_as_given;
  for (const auto& ov : plan.overrides) args += " " + sh_quote(ov);
  for (const auto& p : plan.plugins) args += " --plugin " + sh_quote(p);
  return args;
}

}  // namespace reglab::experiment
