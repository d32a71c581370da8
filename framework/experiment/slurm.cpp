#include "framework/experiment/slurm.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "framework/core/atomic_file.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/runner.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

struct SubmitOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::vector<std::string> plugins;  ///< --plugin PATH
  std::string partition, account, time, mem;
  long max_parallel = 0;   ///< 0 = no limit
  long cpus_per_task = 0;  ///< 0 = the largest `threads` of the cells to run
  bool dry_run = false;
};

constexpr const char* kHelpTail =
    "\nRuns the sweep's missing cells (no cell file; failed cells are retried) as a Slurm job\n"
    "array, one cell per task, then 'reglab merge' in a job that starts after the array\n"
    "(--dependency=afterany). Scripts, the cell list and the job logs go to\n"
    "<cell folder>/slurm/; each submission is recorded in <cell folder>/slurm/submissions.tsv,\n"
    "which 'reglab status' shows. Submitting again runs only what is still missing (cells still\n"
    "pending or running in an earlier submission are left to it). See docs/cluster.md.\n";

/// The output of a command run without a shell: its exit code, stdout and stderr.
struct Captured {
  int code = -1;
  std::string out, err;
};

Captured capture(const std::vector<std::string>& argv) {
  Captured r;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw Error(std::string("pipe: ") + std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The text single-quoted for bash.
std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

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

/// A Slurm job name from the sweep name: characters other than [A-Za-z0-9._-] become '_'.
std::string job_name(const std::string& sweep_name) {
  std::string n = "reglab-";
  for (char c : sweep_name) {
    n += std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("._-", c) != nullptr ? c
                                                                                              : '_';
  }
  return n;
}

void write_atomic(const fs::path& path, const std::string& text, bool executable) {
  publish_file(path.string(), text, /*overwrite=*/true, "cannot write");
  if (executable) {
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
  }
}

SubmitOptions parse(const std::vector<std::string>& args, bool& help) {
  SubmitOptions o;
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
  return o;
}

/// Per cell id, every "<array job>_<task>" it was submitted as (submissions.tsv, oldest first).
std::map<std::string, std::vector<std::string>> earlier_tasks(const fs::path& tsv) {
  std::map<std::string, std::vector<std::string>> tasks;
  std::ifstream in(tsv);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream parts(line);
    for (std::string x; std::getline(parts, x, '\t');) f.push_back(x);
    if (f.size() < 5 || f[0] == "submitted_utc") continue;
    tasks[f[3]].push_back(f[4]);
  }
  return tasks;
}

/// The array tasks among `tasks` that Slurm still has pending or running ("<job>_<task>").
/// Empty if squeue is not there or fails (e.g. the jobs are long gone).
std::set<std::string> queued_tasks(const std::set<std::string>& array_jobs) {
  std::set<std::string> queued;
  if (array_jobs.empty()) return queued;
  std::string ids;
  for (const auto& j : array_jobs) ids += (ids.empty() ? "" : ",") + j;
  const Captured r = capture({"squeue", "--noheader", "--array", "--jobs=" + ids, "--format=%i"});
  if (r.code != 0) return queued;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (!line.empty()) queued.insert(line);
  }
  return queued;
}

/// The job id printed by `sbatch --parsable` ("1234" or "1234;cluster").
std::string submit(const std::vector<std::string>& argv, const std::string& what) {
  const Captured r = capture(argv);
  std::string id = trim(r.out);
  id = id.substr(0, id.find(';'));
  const bool numeric =
      !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (r.code != 0 || !numeric) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw Error("slurm submit: submitting the " + what + " failed (" + cmd + ", exit code " +
                std::to_string(r.code) + "): " + trim(r.err + r.out));
  }
  if (!trim(r.err).empty()) std::fprintf(stderr, "%s\n", trim(r.err).c_str());
  return id;
}

/// The user's options as sbatch arguments: given on the command line too, they win over sbatch's
/// input environment variables (SBATCH_PARTITION, ...), which win over #SBATCH lines.
std::vector<std::string> sbatch_options(const SubmitOptions& o) {
  std::vector<std::string> a;
  if (!o.partition.empty()) a.push_back("--partition=" + o.partition);
  if (!o.account.empty()) a.push_back("--account=" + o.account);
  if (!o.time.empty()) a.push_back("--time=" + o.time);
  if (!o.mem.empty()) a.push_back("--mem=" + o.mem);
  return a;
}

std::string sbatch_header(const SubmitOptions& o, const std::string& name, long cpus) {
  std::string h;
  if (!o.partition.empty()) h += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.account.empty()) h += "#SBATCH --account=" + o.account + "\n";
  if (!o.time.empty()) h += "#SBATCH --time=" + o.time + "\n";
  if (!o.mem.empty()) h += "#SBATCH --mem=" + o.mem + "\n";
  h += "#SBATCH --job-name=" + name + "\n";
  h += "#SBATCH --ntasks=1\n";
  h += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  return h;
}

}  // namespace

int slurm_command(const std::vector<std::string>& args) {
  bool help = false;
  const SubmitOptions o = parse(args, help);
  if (help) return 0;

  const Sweep sweep = expand_sweep(o.config, o.overrides, o.plugins);
  if (!sweep.is_grid) {
    throw UsageError("slurm submit: " + o.config +
                     " is a single run, not a sweep (no grid, zip or seeds); submit it with "
                     "sbatch --wrap 'reglab run " +
                     o.config + "'");
  }
  prepare_cell_folder(sweep, !o.dry_run);

  const fs::path cwd = fs::current_path();
  const fs::path config = fs::absolute(o.config).lexically_normal();
  const fs::path cell_dir = fs::absolute(sweep.cell_dir).lexically_normal();
  const fs::path slurm_dir = cell_dir / "slurm";
  const fs::path tsv = slurm_dir / "submissions.tsv";
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec || self.empty()) throw Error("slurm submit: cannot read /proc/self/exe: " + ec.message());

  // Missing cells, less those an earlier submission still has pending or running.
  const auto earlier = earlier_tasks(tsv);
  std::vector<const Cell*> missing;
  std::set<std::string> array_jobs;
  std::size_t complete = 0, failed = 0;
  for (const Cell& c : sweep.cells) {
    if (fs::exists(c.output)) {
      ++complete;
      continue;
    }
    if (fs::exists(cell_dir / (c.id + ".failed"))) ++failed;
    missing.push_back(&c);
    const auto it = earlier.find(c.id);
    if (it == earlier.end()) continue;
    for (const auto& t : it->second) array_jobs.insert(t.substr(0, t.find('_')));
  }
  const std::set<std::string> queued = queued_tasks(array_jobs);
  std::vector<const Cell*> to_run;
  std::vector<std::string> still_queued;
  for (const Cell* c : missing) {
    std::string in_queue;
    const auto it = earlier.find(c->id);
    if (it != earlier.end()) {
      for (const auto& t : it->second) {
        if (queued.count(t) != 0U) in_queue = t;
      }
    }
    if (in_queue.empty())
      to_run.push_back(c);
    else
      still_queued.push_back(in_queue);
  }

  std::printf(
      "%s: %zu cells: %zu complete, %zu missing (%zu of them failed before), %zu still "
      "queued in Slurm; %zu to submit\n",
      sweep.name.c_str(), sweep.cells.size(), complete, missing.size(), failed, still_queued.size(),
      to_run.size());
  if (!still_queued.empty()) {
    std::string list;
    for (std::size_t i = 0; i < still_queued.size() && i < 8; ++i) list += " " + still_queued[i];
    std::printf("left to their earlier jobs (pending or running):%s%s\n", list.c_str(),
                still_queued.size() > 8 ? " ..." : "");
  }
  if (to_run.empty()) {
    if (!still_queued.empty()) {
      std::printf("nothing submitted: the earlier jobs' merge step will merge them\n");
      return 0;
    }
    if (o.dry_run) {
      std::printf("nothing to submit: every cell is complete (dry run: not merged)\n");
      return 0;
    }
    std::printf("nothing to submit: every cell is complete; merging here\n");
    return merge_and_report(sweep);
  }

  long cpus = o.cpus_per_task;
  if (cpus == 0) {
    cpus = 1;
    for (const Cell* c : to_run) {
      const ConfigNode threads = ConfigNode::parse(c->config_yaml, c->output).child("threads");
      if (threads.defined() && threads.is_scalar()) {
        try {
          cpus = std::max(cpus, std::stol(threads.scalar()));
        } catch (const std::exception&) {
        }
      }
    }
  }

  // Files of this submission, named by the UTC time (with a suffix if that name is taken).
  std::string stamp = utc_now(kUtcCompact);
  for (int k = 2; fs::exists(slurm_dir / ("cells-" + stamp + ".txt")); ++k) {
    stamp = utc_now(kUtcCompact) + "-" + std::to_string(k);
  }
  const fs::path list = slurm_dir / ("cells-" + stamp + ".txt");
  const fs::path array_script = slurm_dir / ("array-" + stamp + ".sh");
  const fs::path merge_script = slurm_dir / ("merge-" + stamp + ".sh");
  const std::string name = job_name(sweep.name);
  const std::size_t n = to_run.size();

  std::string list_text;
  for (const Cell* c : to_run) list_text += c->id + "\n";

  std::string reglab_args = sh_quote(config.string());
  for (const auto& ov : o.overrides) reglab_args += " " + sh_quote(ov);
  for (const auto& p : sweep.extra_plugins) reglab_args += " --plugin " + sh_quote(p);
  const std::string common =
      "set -u\n"
      "cd " +
      sh_quote(cwd.string()) +
      " || exit 1\n"
      "# Every task writes only its own cell's files, each cell file through a temporary file and\n"
      "# rename; published files never change, so no HDF5 file locking is needed (and file "
      "systems\n"
      "# without flock work).\n"
      "export HDF5_USE_FILE_LOCKING=FALSE\n";

  std::string array = "#!/bin/bash\n";
  array += "# reglab sweep '" + sweep.name + "' (sweep id " + sweep.sweep_id +
           "): " + std::to_string(n) + " of its " + std::to_string(sweep.cells.size()) +
           " cells, one per array task;\n# task k runs the cell on line k + 1 of " + list.string() +
           ".\n# Written by 'reglab slurm submit' at " + utc_now() + ".\n";
  array += sbatch_header(o, name, cpus);
  array += "#SBATCH --array=0-" + std::to_string(n - 1) +
           (o.max_parallel > 0 ? "%" + std::to_string(o.max_parallel) : "") + "\n";
  array += "#SBATCH --output=" + (slurm_dir / "%A_%a.out").string() + "\n";
  array += common;
  array += "cells=" + sh_quote(list.string()) + "\n";
  array += "dir=" + sh_quote(cell_dir.string()) + "\n";
  array += "cell=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$cells\")\n";
  array +=
      "if [ -z \"$cell\" ]; then echo \"reglab: no line $((SLURM_ARRAY_TASK_ID + 1)) in $cells\" "
      ">&2; exit 2; fi\n";
  array +=
      "echo \"reglab: cell $cell, Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
      "$(hostname)\"\n";
  array += "# The cell's log is this job's output and <cell folder>/<id>.log.\n";
  array += sh_quote(self.string()) + " run " + reglab_args +
           " --cell \"$cell\" 2>&1 | tee \"$dir/$cell.log\"\n";
  array += "rc=${PIPESTATUS[0]}\n";
  array +=
      "# A cell that fails with an error writes <id>.failed itself; a crash (signal, out of "
      "memory)\n"
      "# cannot, so the merge step would only see it missing: record it.\n";
  array +=
      "if [ \"$rc\" -ne 0 ] && [ ! -e \"$dir/$cell.h5\" ] && [ ! -e \"$dir/$cell.failed\" ]; then\n"
      "  echo \"exit code $rc (Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
      "$(hostname))\" > \"$dir/$cell.failed.tmp.$$\" &&\n"
      "    mv \"$dir/$cell.failed.tmp.$$\" \"$dir/$cell.failed\"\n"
      "fi\n";
  array += "exit \"$rc\"\n";

  std::string merge = "#!/bin/bash\n";
  merge += "# reglab sweep '" + sweep.name + "' (sweep id " + sweep.sweep_id +
           "): merges the cell files after the array\n# (submitted with "
           "--dependency=afterany:<array job>) and lists failed and missing cells.\n";
  merge += sbatch_header(o, name + "-merge", 1);
  merge += "#SBATCH --output=" + (slurm_dir / "merge-%j.out").string() + "\n";
  merge += common;
  merge += "exec " + sh_quote(self.string()) + " merge " + reglab_args + "\n";

  std::vector<std::string> array_argv = {"sbatch", "--parsable"};
  for (const auto& a : sbatch_options(o)) array_argv.push_back(a);
  const std::vector<std::string> merge_argv_head = array_argv;
  array_argv.push_back(array_script.string());

  if (o.dry_run) {
    std::printf("dry run: nothing written or submitted\n");
    std::printf("\n== %s (%zu lines)\n%s", list.c_str(), n, list_text.c_str());
    std::printf("\n== %s\n%s", array_script.c_str(), array.c_str());
    std::printf("\n== %s\n%s", merge_script.c_str(), merge.c_str());
    std::string head;
    for (const auto& a : merge_argv_head) head += a + " ";
    std::printf("\nwould run: %s%s\n", head.c_str(), array_script.c_str());
    std::printf("           %s--dependency=afterany:<array job> %s\n", head.c_str(),
                merge_script.c_str());
    return 0;
  }

  fs::create_directories(slurm_dir, ec);
  if (ec) throw StorageError(slurm_dir.string() + ": cannot create: " + ec.message());
  write_atomic(list, list_text, false);
  write_atomic(array_script, array, true);
  write_atomic(merge_script, merge, true);

  std::string array_job;
  try {
    array_job = submit(array_argv, "array");
  } catch (const Error&) {
    for (const auto& p : {list, array_script, merge_script}) fs::remove(p, ec);
    throw;
  }
  std::string merge_job = "-";
  std::string merge_error;
  try {
    std::vector<std::string> merge_argv = merge_argv_head;
    merge_argv.push_back("--dependency=afterany:" + array_job);
    merge_argv.push_back(merge_script.string());
    merge_job = submit(merge_argv, "merge job");
  } catch (const Error& e) {
    merge_error = e.what();
  }

  // One line per cell; the file is appended to by this process only.
  const bool fresh = !fs::exists(tsv);
  std::ofstream out(tsv, std::ios::app);
  if (fresh) {
    out << "# reglab slurm submissions of sweep '" << sweep.name
        << "': one line per cell and submission; a cell's last line is its latest job\n"
        << "submitted_utc\tarray_job\tmerge_job\tcell_id\ttask\tcell_list\n";
  }
  const std::string when = utc_now();
  for (std::size_t k = 0; k < n; ++k) {
    out << when << '\t' << array_job << '\t' << merge_job << '\t' << to_run[k]->id << '\t'
        << array_job << '_' << k << '\t' << list.filename().string() << '\n';
  }
  out.flush();
  if (!out) throw StorageError(tsv.string() + ": cannot write");

  std::printf("submitted array job %s: %zu cells%s, %ld cpus each; logs %s/%s_<task>.out\n",
              array_job.c_str(), n,
              o.max_parallel > 0
                  ? (", at most " + std::to_string(o.max_parallel) + " at a time").c_str()
                  : "",
              cpus, slurm_dir.c_str(), array_job.c_str());
  if (!merge_error.empty()) {
    throw Error(merge_error + "\nthe array job " + array_job +
                " was submitted; merge by hand when it is done: reglab merge " + o.config);
  }
  std::printf("submitted merge job %s (after array job %s); log %s/merge-%s.out\n",
              merge_job.c_str(), array_job.c_str(), slurm_dir.c_str(), merge_job.c_str());
  std::string status = o.config;
  for (const auto& ov : o.overrides) status += " " + sh_quote(ov);
  for (const auto& p : sweep.extra_plugins) status += " --plugin " + sh_quote(p);
  std::printf("cell list %s\nfollow with: squeue -j %s,%s   or   reglab status %s\n", list.c_str(),
              array_job.c_str(), merge_job.c_str(), status.c_str());
  return 0;
}

}  // namespace reglab::experiment
