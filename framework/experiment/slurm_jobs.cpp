/// sbatch and squeue calls, a submission's files and submissions.tsv
/// (experiment/slurm_jobs.hpp).
#include "framework/experiment/slurm_jobs.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "framework/core/atomic_file.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/slurm_scripts.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// The output of a command run without a shell: its exit code, stdout and stderr.
struct Captured {
  int code = -1;
  std::string out, err;
};

void open_pipes(int out_pipe[2], int err_pipe[2]) {
  if (pipe(out_pipe) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw Error(std::string("pipe: ") + std::strerror(errno));
  }
}

/// In the child: stdout and stderr to the pipes, then exec argv (exit 127 if that fails).
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const int out_pipe[2],
                             const int err_pipe[2]) {
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

/// Reads both descriptors until both are closed, then closes them.
void drain(int out_fd, int err_fd, Captured& r) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
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
}

/// The exit code of `pid`, 128 + the signal if a signal ended it.
int wait_exit_code(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Captured capture(const std::vector<std::string>& argv) {
  Captured r;
  int out_pipe[2], err_pipe[2];
  open_pipes(out_pipe, err_pipe);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(argv, out_pipe, err_pipe);
  close(out_pipe[1]);
  close(err_pipe[1]);
  drain(out_pipe[0], err_pipe[0], r);
  r.code = wait_exit_code(pid);
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The job id printed by `sbatch --parsable` ("1234" or "1234;cluster"); sbatch's messages on
/// stderr are passed on. Throws Error naming `what` if sbatch fails.
std::string sbatch(const std::vector<std::string>& argv, const std::string& what) {
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

void write_atomic(const fs::path& path, const std::string& text, bool executable) {
  publish_file(path.string(), text, /*overwrite=*/true, "cannot write");
  if (executable) {
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
  }
}

/// The cell list and both scripts, in a new slurm folder if needed.
void write_submission_files(const SubmissionPlan& p) {
  std::error_code ec;
  fs::create_directories(p.slurm_dir, ec);
  if (ec) throw StorageError(p.slurm_dir.string() + ": cannot create: " + ec.message());
  write_atomic(p.cell_list, cell_list_text(p), false);
  write_atomic(p.array_script, array_script_text(p), true);
  write_atomic(p.merge_script, merge_script_text(p), true);
}

/// Appends one line per cell of the plan's submitted arrays.
void record_submission(const SubmissionPlan& p, const SubmittedJobs& jobs) {
  const fs::path tsv = submissions_path(p.cell_dir.string());
  const bool fresh = !fs::exists(tsv);
  std::ofstream out(tsv, std::ios::app);
  if (fresh) {
    out << "# reglab slurm submissions of sweep '" << p.sweep_name
        << "': one line per cell and submission; a cell's last line is its latest job\n"
        << "submitted_utc\tarray_job\tmerge_job\tcell_id\ttask\tcell_list\n";
  }
  const std::string when = utc_now();
  for (std::size_t j = 0; j < jobs.array_jobs.size(); ++j) {
    const ArrayPart& a = p.arrays[j];
    for (std::size_t k = 0; k < a.count; ++k) {
      for (const auto& id : p.tasks[a.offset + k]) {
        out << when << '\t' << jobs.array_jobs[j] << '\t' << jobs.merge_job << '\t' << id << '\t'
            << jobs.array_jobs[j] << '_' << k << '\t' << p.cell_list.filename().string() << '\n';
      }
    }
  }
  out.flush();
  if (!out) throw StorageError(tsv.string() + ": cannot write");
}

/// Submits the plan's arrays in order into `jobs`, stopping at the first that fails (its error
/// in `jobs.array_error`; rethrown, after the files are removed, if it is the first).
void submit_arrays(const SubmissionPlan& p, SubmittedJobs& jobs) {
  for (std::size_t j = 0; j < p.arrays.size(); ++j) {
    try {
      jobs.array_jobs.push_back(sbatch(array_sbatch_argv(p, j), "array"));
    } catch (const Error& e) {
      if (j == 0) {
        std::error_code ec;
        for (const auto& path : {p.cell_list, p.array_script, p.merge_script}) fs::remove(path, ec);
        throw;
      }
      jobs.array_error = e.what();
      return;
    }
  }
}

}  // namespace

std::string submissions_path(const std::string& cell_dir) {
  return cell_dir + "/slurm/submissions.tsv";
}

TaskHistory read_submissions(const std::string& tsv) {
  TaskHistory tasks;
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

std::string free_stamp(const std::string& slurm_dir) {
  const fs::path dir(slurm_dir);
  std::string stamp = utc_now(kUtcCompact);
  for (int k = 2; fs::exists(dir / ("cells-" + stamp + ".txt")); ++k) {
    stamp = utc_now(kUtcCompact) + "-" + std::to_string(k);
  }
  return stamp;
}

long cluster_max_array_size() {
  try {
    const Captured r = capture({"scontrol", "show", "config"});
    return r.code == 0 ? parse_max_array_size(r.out) : 0;
  } catch (const Error&) {
    return 0;
  }
}

SubmittedJobs submit_and_record(const SubmissionPlan& plan) {
  write_submission_files(plan);
  SubmittedJobs jobs;
  submit_arrays(plan, jobs);
  try {
    jobs.merge_job = sbatch(merge_sbatch_argv(plan, jobs.array_jobs), "merge job");
  } catch (const Error& e) {
    jobs.merge_error = e.what();
  }
  record_submission(plan, jobs);
  return jobs;
}

}  // namespace reglab::experiment
