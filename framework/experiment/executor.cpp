#include "framework/experiment/executor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include "framework/core/error.hpp"
#include "framework/train/progress.hpp"

extern char** environ;

namespace reglab::experiment {
namespace {

using Clock = std::chrono::steady_clock;

/// Set by the signal handler: the number of SIGINT/SIGTERM received during run_cells.
volatile sig_atomic_t g_signals = 0;
/// Result of the last run_cells.
bool g_interrupted = false;

/// How often the main loop polls the children.
constexpr long kPollNanoseconds = 50'000'000;
/// Minimum time between two redraws of the interactive line.
constexpr auto kRedrawInterval = std::chrono::milliseconds(200);
/// After SIGTERM, how long children get before SIGKILL.
constexpr auto kTerminateGrace = std::chrono::seconds(10);
/// How much of a log's end is read for the epoch and the failure message.
constexpr long kEpochTailBytes = 4096;
constexpr long kMessageTailBytes = 16384;
/// Lines of the log kept in a failure message.
constexpr std::size_t kMessageLines = 5;

extern "C" void on_signal(int) { g_signals = g_signals + 1; }
/// SIGCHLD only interrupts the poll's sleep, so a finished cell is reaped (and the next one
/// started) at once rather than up to a poll interval later.
extern "C" void on_child(int) {}

void sleep_poll() {
  timespec ts{0, kPollNanoseconds};
  nanosleep(&ts, nullptr);  // EINTR (a signal) just ends the wait early
}

/// Installs the SIGINT/SIGTERM/SIGHUP handlers for its lifetime and restores the previous ones
/// after (SIGHUP: the terminal closed; the cells are stopped like on Ctrl-C, and a rerun resumes).
/// A signal the process ignores (e.g. SIGINT of a background job) stays ignored.
class SignalGuard {
 public:
  SignalGuard() {
    g_signals = 0;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the signal interrupts nanosleep
    for (std::size_t i = 0; i < kCount; ++i) {
      struct sigaction old {};
      if (sigaction(kSignals[i], nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
      if (sigaction(kSignals[i], &action, &previous_[i]) == 0) installed_[i] = true;
    }
    struct sigaction child {};
    child.sa_handler = on_child;
    sigemptyset(&child.sa_mask);
    // SA_RESTART keeps other system calls going; nanosleep is never restarted (signal(7)), so a
    // cell's exit still ends the poll's sleep early.
    child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    child_installed_ = sigaction(SIGCHLD, &child, &previous_child_) == 0;
  }
  ~SignalGuard() {
    for (std::size_t i = 0; i < kCount; ++i) {
      if (installed_[i]) sigaction(kSignals[i], &previous_[i], nullptr);
    }
    if (child_installed_) sigaction(SIGCHLD, &previous_child_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  static constexpr std::size_t kCount = 3;
  static constexpr int kSignals[kCount] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction previous_[kCount] {};
  bool installed_[kCount] = {false, false, false};
  struct sigaction previous_child_ {};
  bool child_installed_ = false;
};

/// The last `bytes` bytes of a file (all of it if shorter); empty if it cannot be read.
std::string read_tail(const std::string& path, long bytes) {
  std::string text;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return text;
  if (std::fseek(file, 0, SEEK_END) == 0) {
    const long size = std::ftell(file);
    const long start = size > bytes ? size - bytes : 0;
    if (size >= 0 && std::fseek(file, start, SEEK_SET) == 0) {
      text.resize(static_cast<std::size_t>(size - start));
      text.resize(std::fread(text.data(), 1, text.size(), file));
    }
  }
  std::fclose(file);
  return text;
}

/// Splits at '\n' and '\r' (a redrawn progress bar is one line per redraw), drops "\033[K",
/// trims and skips empty lines.
std::vector<std::string> nonempty_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string current;
  auto flush = [&] {
    std::string line;
    for (std::size_t i = 0; i < current.size(); ++i) {
      if (current.compare(i, 3, "\033[K") == 0) {
        i += 2;
        continue;
      }
      line += current[i];
    }
    const auto first = line.find_first_not_of(" \t\v\f");
    if (first != std::string::npos) {
      const auto last = line.find_last_not_of(" \t\v\f");
      lines.push_back(line.substr(first, last - first + 1));
    }
    current.clear();
  };
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return lines;
}

/// The last "epoch K/N" in the text, if any.
std::optional<std::pair<unsigned long, unsigned long>> last_epoch(const std::string& text) {
  static const std::string kWord = "epoch ";
  auto pos = text.rfind(kWord);
  while (pos != std::string::npos) {
    std::size_t i = pos + kWord.size();
    auto digits = [&](unsigned long& value) {
      const std::size_t begin = i;
      value = 0;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - begin < 12) {
        value = value * 10 + static_cast<unsigned long>(text[i] - '0');
        ++i;
      }
      return i > begin;
    };
    unsigned long k = 0;
    unsigned long n = 0;
    if (digits(k) && i < text.size() && text[i] == '/' && (++i, digits(n)) && n > 0) {
      return std::make_pair(std::min(k, n), n);
    }
    if (pos == 0) break;
    pos = text.rfind(kWord, pos - 1);
  }
  return std::nullopt;
}

/// The failure message of a finished cell; empty on success.
std::string failure_message(const CellOutcome& outcome, const std::string& log) {
  if (outcome.exit_code == 0 && outcome.signal == 0) return "";
  const auto lines = nonempty_lines(read_tail(log, kMessageTailBytes));
  std::string tail;
  const std::size_t first = lines.size() > kMessageLines ? lines.size() - kMessageLines : 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (!tail.empty()) tail += '\n';
    tail += lines[i];
  }
  if (outcome.signal != 0) {
    std::string message = "killed by signal " + std::to_string(outcome.signal);
    return tail.empty() ? message : message + '\n' + tail;
  }
  if (tail.empty()) return "exit code " + std::to_string(outcome.exit_code) + ", empty log";
  return tail;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// Width of the terminal behind `out`, or 0 if unknown.
std::size_t terminal_width(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

struct Running {
  std::vector<std::size_t> batch;  ///< indices into tasks, in the order the child runs them
  std::size_t current = 0;         ///< position in `batch` of the cell running now
  pid_t pid;
  Clock::time_point start;  ///< when the current cell started
};

bool file_exists(const std::string& path) {
  struct stat info {};
  return !path.empty() && stat(path.c_str(), &info) == 0;
}

/// The state of one run_cells call. The destructor terminates and reaps children still running
/// (only reached with children left if an exception escapes).
class Executor {
 public:
  Executor(const std::vector<CellTask>& tasks, const ExecutorOptions& options)
      : tasks_(tasks), options_(options), outcomes_(tasks.size()), ran_(tasks.size(), false) {
    const std::size_t k = std::max<std::size_t>(1, options.cells_per_child);
    for (std::size_t first = 0; first < tasks.size(); first += k) {
      std::vector<std::size_t> batch;
      for (std::size_t i = first; i < std::min(tasks.size(), first + k); ++i) batch.push_back(i);
      pending_.push_back(std::move(batch));
    }
  }

  ~Executor() { terminate_all(); }
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  std::vector<CellOutcome> run() {
    check_self();
    last_draw_ = Clock::now() - kRedrawInterval;
    while (!pending_.empty() || !running_.empty()) {
      if (g_signals != 0) break;
      while (running_.size() < options_.jobs && !pending_.empty() && g_signals == 0) {
        start(std::move(pending_.front()));
        pending_.pop_front();
      }
      reap();
      if (options_.interactive) draw(false);
      if (!running_.empty() && g_signals == 0) sleep_poll();
    }
    if (g_signals != 0 && (!pending_.empty() || !running_.empty())) {
      g_interrupted = true;
      if (options_.interactive) std::fprintf(options_.out, "\r\033[K");
      std::fprintf(options_.out, "interrupted: terminating %zu running cell(s)\n", running_.size());
      std::fflush(options_.out);
      terminate_all();
    } else if (options_.interactive) {
      draw(true);
    }
    std::vector<CellOutcome> outcomes;  // cells never started have no outcome
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      if (ran_[i]) outcomes.push_back(std::move(outcomes_[i]));
    }
    return outcomes;
  }

 private:
  /// Fails early, before any child runs, if `self` cannot be executed.
  void check_self() const {
    if (access(options_.self.c_str(), X_OK) != 0) {
      throw Error("cannot run cells: " + options_.self + ": " + std::strerror(errno));
    }
  }

  std::vector<std::string> command(const std::vector<std::size_t>& batch) const {
    std::vector<std::string> args;
    args.push_back(options_.self);
    args.insert(args.end(), options_.args.begin(), options_.args.end());
    for (std::size_t i : batch)
      args.insert(args.end(), tasks_[i].args.begin(), tasks_[i].args.end());
    return args;
  }

  void start(std::vector<std::size_t> batch) {
    const CellTask& first = tasks_[batch.front()];
    const int log = open(first.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
      throw Error("cannot create cell log " + first.log + ": " + std::strerror(errno));
    }
    std::vector<std::string> args = command(batch);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, log, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log, STDERR_FILENO);
    // The child starts with no blocked signals and the default action for SIGTERM, so the
    // SIGTERM sent on interruption always reaches it.
    sigset_t empty;
    sigset_t term;
    sigemptyset(&empty);
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &term);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = 0;
    const int error =
        posix_spawn(&pid, options_.self.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(log);
    if (error != 0) {
      throw Error("cannot start cell " + first.id + ": " + options_.self + ": " +
                  std::strerror(error));
    }
    running_.push_back({std::move(batch), 0, pid, Clock::now()});
    begin_cell(running_.back());
  }

  /// Marks the current cell of `child` as started.
  void begin_cell(Running& child) {
    const std::size_t index = child.batch[child.current];
    child.start = Clock::now();
    ran_[index] = true;
    outcomes_[index].id = tasks_[index].id;
    ++started_;
    if (!options_.interactive) {
      std::fprintf(options_.out, "cell %zu/%zu start %s\n", index + 1, tasks_.size(),
                   tasks_[index].name.c_str());
      std::fflush(options_.out);
    }
  }

  /// Finishes the cells of a batch whose result files appeared, in order; returns true if the
  /// batch has a cell left.
  bool advance(Running& child) {
    if (child.batch.size() == 1) return true;
    while (child.current < child.batch.size() &&
           file_exists(tasks_[child.batch[child.current]].result)) {
      CellOutcome done;
      done.exit_code = 0;
      finish_cell(child, std::move(done));
      if (++child.current < child.batch.size()) begin_cell(child);
    }
    return child.current < child.batch.size();
  }

  /// Reaps every finished child without blocking.
  void reap() {
    for (std::size_t i = 0; i < running_.size();) {
      int status = 0;
      const pid_t result = waitpid(running_[i].pid, &status, WNOHANG);
      if (result == 0 || (result < 0 && errno == EINTR)) {
        advance(running_[i]);
        ++i;
        continue;
      }
      finish_child(running_[i], result < 0 ? std::nullopt : std::optional<int>(status));
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  /// A child ended (`status` empty if it could not be obtained, ECHILD): its current cell ends
  /// with the child's status; in a batch, cells after a failed one go back to the queue.
  void finish_child(Running& child, std::optional<int> status) {
    if (!advance(child)) return;
    CellOutcome outcome;
    if (!status) {
      outcome.exit_code = -1;
      outcome.message = "exit status of the cell process is unavailable";
    } else if (WIFSIGNALED(*status)) {
      outcome.exit_code = -1;
      outcome.signal = WTERMSIG(*status);
    } else {
      outcome.exit_code = WEXITSTATUS(*status);
    }
    if (child.batch.size() > 1 && outcome.exit_code == 0 && outcome.signal == 0) {
      outcome.exit_code = -1;
      outcome.message =
          "the cell process ended without writing " + tasks_[child.batch[child.current]].result;
    }
    finish_cell(child, std::move(outcome));
    if (child.current + 1 < child.batch.size() && g_signals == 0) {
      pending_.emplace_front(child.batch.begin() + static_cast<std::ptrdiff_t>(child.current + 1),
                             child.batch.end());
    }
  }

  /// Records the end of `child`'s current cell.
  void finish_cell(const Running& child, CellOutcome outcome) {
    const std::size_t index = child.batch[child.current];
    const CellTask& task = tasks_[index];
    outcome.id = task.id;
    outcome.seconds = std::chrono::duration<double>(Clock::now() - child.start).count();
    if (outcome.message.empty()) {
      // A batch child that failed before its later cell began wrote only to its first log.
      const bool own = index == child.batch.front() || !read_tail(task.log, 1).empty();
      outcome.message = failure_message(outcome, own ? task.log : tasks_[child.batch.front()].log);
    }
    ++done_;
    seconds_done_ += outcome.seconds;
    const bool failed = !outcome.message.empty();
    if (failed) ++failed_;
    report(index, outcome);
    outcomes_[index] = std::move(outcome);
  }

  /// Prints a finished cell (every cell without a terminal; only failures with one).
  void report(std::size_t index, const CellOutcome& outcome) {
    const bool failed = !outcome.message.empty();
    if (!failed && options_.interactive) return;
    const CellTask& task = tasks_[index];
    if (options_.interactive) std::fprintf(options_.out, "\r\033[K");
    if (!failed) {
      std::fprintf(options_.out, "cell %zu/%zu done %s (%.1f s)\n", index + 1, tasks_.size(),
                   task.name.c_str(), outcome.seconds);
    } else {
      const std::string how = outcome.signal != 0 ? "signal " + std::to_string(outcome.signal)
                                                  : "exit " + std::to_string(outcome.exit_code);
      std::fprintf(options_.out, "cell %zu/%zu FAILED %s (%s): %s\n", index + 1, tasks_.size(),
                   task.name.c_str(), how.c_str(), first_line(outcome.message).c_str());
    }
    std::fflush(options_.out);
    if (options_.interactive) last_draw_ = Clock::now() - kRedrawInterval;  // redraw at once
  }

  /// Redraws the interactive line (at most every kRedrawInterval unless `final`).
  void draw(bool final) {
    const auto now = Clock::now();
    if (!final && now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    std::string line = "cells " + std::to_string(done_) + "/" + std::to_string(tasks_.size()) +
                       " done (" + std::to_string(failed_) + " failed)";
    double remaining_cells = static_cast<double>(tasks_.size() - started_);
    if (!running_.empty()) line += ", running:";
    for (std::size_t i = 0; i < running_.size(); ++i) {
      const Running& child = running_[i];
      const CellTask& task = tasks_[child.batch[std::min(child.current, child.batch.size() - 1)]];
      line += (i == 0 ? " " : ", ") + task.name;
      const auto epoch = last_epoch(read_tail(task.log, kEpochTailBytes));
      double fraction = 0.0;
      if (epoch) {
        line += " epoch " + std::to_string(epoch->first) + "/" + std::to_string(epoch->second);
        fraction = static_cast<double>(epoch->first) / static_cast<double>(epoch->second);
      }
      remaining_cells += 1.0 - fraction;
    }
    if (done_ == 0) {
      line += ", ETA ?";
    } else {
      const double mean = seconds_done_ / static_cast<double>(done_);
      const std::size_t left = tasks_.size() - done_;
      const double parallel =
          static_cast<double>(std::max<std::size_t>(1, std::min(options_.jobs, left)));
      line += ", ETA " + train::format_duration(remaining_cells * mean / parallel);
    }
    const std::size_t width = terminal_width(options_.out);
    if (width > 1 && line.size() > width - 1) line.resize(width - 1);
    std::fprintf(options_.out, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    std::fflush(options_.out);
  }

  /// Sends SIGTERM to every running child and reaps them; SIGKILL after kTerminateGrace or on
  /// a further SIGINT/SIGTERM.
  void terminate_all() {
    if (running_.empty()) return;
    for (const auto& child : running_) kill(child.pid, SIGTERM);
    const auto deadline = Clock::now() + kTerminateGrace;
    const sig_atomic_t signals = g_signals;
    bool killed = false;
    while (!running_.empty()) {
      reap();
      if (running_.empty()) break;
      if (!killed && (Clock::now() > deadline || g_signals != signals)) {
        for (const auto& child : running_) kill(child.pid, SIGKILL);
        killed = true;
      }
      sleep_poll();
    }
  }

  const std::vector<CellTask>& tasks_;
  const ExecutorOptions& options_;
  std::vector<CellOutcome> outcomes_;
  std::vector<bool> ran_;                         ///< the cell was started
  std::deque<std::vector<std::size_t>> pending_;  ///< batches not started, in order
  std::vector<Running> running_;
  std::size_t started_ = 0;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  double seconds_done_ = 0.0;
  Clock::time_point last_draw_;
};

}  // namespace

std::vector<CellOutcome> run_cells(const std::vector<CellTask>& tasks,
                                   const ExecutorOptions& options) {
  g_interrupted = false;
  if (options.jobs == 0) throw Error("run_cells: jobs must be at least 1");
  if (tasks.empty()) return {};
  SignalGuard signals;  // declared before the executor: restored after its children are gone
  Executor executor(tasks, options);
  return executor.run();
}

bool interrupted() { return g_interrupted; }

}  // namespace reglab::experiment
