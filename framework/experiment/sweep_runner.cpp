#include "framework/experiment/sweep_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "framework/core/atomic_file.hpp"
#include "framework/core/build_info.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/executor.hpp"
#include "framework/experiment/report.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string failed_path(const Sweep& s, const Cell& c) {
  return s.cell_dir + "/" + c.id + ".failed";
}
std::string log_path(const Sweep& s, const Cell& c) { return s.cell_dir + "/" + c.id + ".log"; }
std::string manifest_path(const Sweep& s) { return s.cell_dir + "/sweep.yaml"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Writes `text` to `path` atomically (core/atomic_file.hpp), replacing an older version.
void write_text_atomic(const std::string& path, const std::string& text) {
  publish_file(path, text, /*overwrite=*/true, "cannot write");
}

/// The sweep configuration as the manifest pins it: the YAML, then one comment line per loaded
/// plugin (its code is part of every cell), so a rebuilt plugin shows up in "What differs".
std::string pinned_config(const Sweep& s) {
  std::string text = s.config_yaml;
  std::istringstream lines(s.registries.identity());
  for (std::string line; std::getline(lines, line);) text += "# " + line + "\n";
  return text;
}

std::string manifest_text(const Sweep& s) {
  std::string text =
      "# reglab sweep manifest: the configuration the cells in this folder belong to\n";
  text += "sweep_id: " + s.sweep_id + "\n";
  text += "cells:\n";
  for (const auto& c : s.cells) text += "  - " + c.id + "  # " + c.name + "\n";
  text += "config: |\n";
  std::istringstream lines(pinned_config(s));
  for (std::string line; std::getline(lines, line);) text += "  " + line + "\n";
  return text;
}

/// Lines of the manifest's `config: |` block and its cell ids.
void parse_manifest(const std::string& text, std::string& sweep_id, std::set<std::string>& cells,
                    std::vector<std::string>& config_lines) {
  std::istringstream in(text);
  std::string line;
  bool in_config = false;
  while (std::getline(in, line)) {
    if (in_config) {
      config_lines.push_back(line.size() >= 2 ? line.substr(2) : "");
    } else if (line.rfind("sweep_id: ", 0) == 0) {
      sweep_id = line.substr(10);
    } else if (line.rfind("  - ", 0) == 0) {
      cells.insert(line.substr(4, 12));
    } else if (line == "config: |") {
      in_config = true;
    }
  }
}

void create_manifest(const Sweep& s) {
  std::error_code ec;
  fs::create_directories(s.cell_dir, ec);
  if (ec) throw StorageError(s.cell_dir + ": cannot create the cell folder: " + ec.message());
  if (!fs::exists(manifest_path(s))) write_text_atomic(manifest_path(s), manifest_text(s));
}

/// Refuses a cell folder made by a different configuration, saying what differs.
void check_manifest(const Sweep& s) {
  const std::string path = manifest_path(s);
  if (!fs::exists(path)) return;
  std::string old_id;
  std::set<std::string> old_cells;
  std::vector<std::string> old_lines;
  parse_manifest(read_text(path), old_id, old_cells, old_lines);
  if (old_id == s.sweep_id) return;
  std::set<std::string> new_cells;
  for (const auto& c : s.cells) new_cells.insert(c.id);
  std::size_t gone = 0, added = 0;
  for (const auto& id : old_cells) gone += new_cells.count(id) == 0 ? 1 : 0;
  for (const auto& id : new_cells) added += old_cells.count(id) == 0 ? 1 : 0;
  std::vector<std::string> new_lines;
  std::istringstream in(pinned_config(s));
  for (std::string line; std::getline(in, line);) new_lines.push_back(line);
  const std::multiset<std::string> old_set(old_lines.begin(), old_lines.end());
  const std::multiset<std::string> new_set(new_lines.begin(), new_lines.end());
  std::string diff;
  int shown = 0;
  for (const auto& l : old_lines) {
    if (new_set.count(l) == 0 && shown++ < 8) diff += "\n  - " + l;
  }
  for (const auto& l : new_lines) {
    if (old_set.count(l) == 0 && shown++ < 16) diff += "\n  + " + l;
  }
  throw ConfigError(s.output + ": the cell folder " + s.cell_dir +
                    " belongs to a different configuration of this sweep (" + std::to_string(gone) +
                    " of its cells are not in the new one, " + std::to_string(added) +
                    " new cells). What differs:" + diff +
                    "\nGive the changed sweep another output path (output=...), or delete " +
                    s.cell_dir + " and " + s.output + " to start over.");
}

void check_output_file(const Sweep& s, bool overwrite) {
  if (!fs::exists(s.output) || overwrite) return;
  std::string why;
  try {
    const storage::ResultsFile f = storage::read_results(s.output);
    std::string id;
    for (const auto& [k, v] : f.attributes) {
      if (k == "sweep_id") id = v;
    }
    if (f.kind() == "sweep" && id == s.sweep_id) return;
    why = f.kind() != "sweep" ? "it is a single-run file" : "it belongs to sweep " + id;
  } catch (const Error& e) {
    why = e.what();
  }
  throw StorageError(s.output + " exists and is not this sweep's merged file (" + why +
                     "); refusing to replace it (pass --overwrite, or change 'output')");
}

const std::vector<double>* curve(const storage::RunRecord& r, const std::string& name) {
  for (const auto& c : r.curves) {
    if (c.first == name) return &c.second;
  }
  return nullptr;
}

double at(const std::vector<double>* c, std::size_t i) {
  return c != nullptr && i < c->size() ? (*c)[i] : kNaN;
}

constexpr const char* kSplits[] = {"train", "validation", "test"};
/// Summary columns that are not factors (the metric columns all contain '_').
constexpr const char* kFixedColumns[] = {"cell_id", "name", "seed", "status", "message", "epochs"};

struct Row {
  std::string status, message;
  std::int64_t epochs = 0, best_epoch = 0;
  std::vector<double> final_values, best_values;  // split x {loss, accuracy}
  double gap_final = kNaN, gap_best = kNaN, seconds = kNaN;
};

Row summarize(const storage::RunRecord& r) {
  Row row;
  row.status = r.status;
  for (const auto& [k, v] : r.attributes) {
    if (k == "status_message") row.message = v;
  }
  const auto* epoch = curve(r, "epoch");
  const std::size_t n = epoch != nullptr ? epoch->size() : 0;
  row.epochs = static_cast<std::int64_t>(n);
  std::size_t best = n == 0 ? 0 : n - 1;
  if (const auto* val = curve(r, "validation_accuracy"); val != nullptr && n > 0) {
    best = 0;
    for (std::size_t i = 1; i < n; ++i) {
      if ((*val)[i] > (*val)[best]) best = i;
    }
  }
  row.best_epoch = n == 0 ? 0 : static_cast<std::int64_t>(best + 1);
  for (const char* split : kSplits) {
    for (const char* m : {"loss", "accuracy"}) {
      const auto* c = curve(r, std::string(split) + "_" + m);
      row.final_values.push_back(n == 0 ? kNaN : at(c, n - 1));
      row.best_values.push_back(n == 0 ? kNaN : at(c, best));
    }
  }
  row.gap_final = row.final_values[1] - row.final_values[5];
  row.gap_best = row.best_values[1] - row.best_values[5];
  if (const auto* sec = curve(r, "seconds")) {
    row.seconds = 0.0;
    for (double v : *sec) row.seconds += v;
  }
  return row;
}

storage::Column text_column(const std::string& name) {
  storage::Column c;
  c.name = name;
  c.type = storage::Column::Type::kString;
  return c;
}

storage::Column number_column(const std::string& name) {
  storage::Column c;
  c.name = name;
  c.type = storage::Column::Type::kFloat64;
  return c;
}

storage::Column int_column(const std::string& name) {
  storage::Column c;
  c.name = name;
  c.type = storage::Column::Type::kInt64;
  return c;
}

storage::Table summary_table(const Sweep& s, const std::vector<Row>& rows) {
  storage::Table t;
  t.columns.push_back(text_column("cell_id"));
  t.columns.push_back(text_column("name"));
  std::vector<std::size_t> factor_index;  // index into Cell::factors, by column
  for (std::size_t k = 0; k < s.factor_paths.size(); ++k) {
    if (s.factor_paths[k] == "seed") continue;
    bool numeric = true;
    for (const auto& c : s.cells) numeric = numeric && c.factors[k].numeric;
    // A factor named like a fixed column (a grid over `name`, say) is prefixed with "grid.".
    std::string column = s.factor_paths[k];
    for (const char* fixed : kFixedColumns) {
      if (column == fixed) column = "grid." + column;
    }
    t.columns.push_back(numeric ? number_column(column) : text_column(column));
    factor_index.push_back(k);
  }
  t.columns.push_back(int_column("seed"));
  for (const char* name : {"status", "message"}) t.columns.push_back(text_column(name));
  t.columns.push_back(int_column("epochs"));
  for (const char* split : kSplits) {
    for (const char* m : {"loss", "accuracy"}) {
      t.columns.push_back(number_column(std::string("final_") + split + "_" + m));
    }
  }
  t.columns.push_back(int_column("best_epoch"));
  for (const char* split : kSplits) {
    for (const char* m : {"loss", "accuracy"}) {
      t.columns.push_back(number_column(std::string("best_") + split + "_" + m));
    }
  }
  for (const char* name : {"gap_final", "gap_best", "seconds"}) {
    t.columns.push_back(number_column(name));
  }
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    const Cell& cell = s.cells[i];
    const Row& row = rows[i];
    std::size_t col = 0;
    t.columns[col++].str.push_back(cell.id);
    t.columns[col++].str.push_back(cell.name);
    for (std::size_t k : factor_index) {
      auto& c = t.columns[col++];
      if (c.type == storage::Column::Type::kFloat64)
        c.f64.push_back(cell.factors[k].number);
      else
        c.str.push_back(cell.factors[k].text);
    }
    t.columns[col++].i64.push_back(static_cast<std::int64_t>(cell.seed));
    t.columns[col++].str.push_back(row.status);
    t.columns[col++].str.push_back(row.message);
    t.columns[col++].i64.push_back(row.epochs);
    for (double v : row.final_values) t.columns[col++].f64.push_back(v);
    t.columns[col++].i64.push_back(row.best_epoch);
    for (double v : row.best_values) t.columns[col++].f64.push_back(v);
    for (double v : {row.gap_final, row.gap_best, row.seconds}) t.columns[col++].f64.push_back(v);
  }
  return t;
}

Row placeholder_row(const std::string& status, const std::string& message) {
  Row row;
  row.status = status;
  row.message = message;
  row.final_values.assign(6, kNaN);
  row.best_values.assign(6, kNaN);
  return row;
}

/// Cell id -> "<array job>_<task>" of its latest Slurm submission (experiment/slurm.hpp), from
/// `<cell_dir>/slurm/submissions.tsv`; empty if the sweep was never submitted.
std::map<std::string, std::string> slurm_tasks(const Sweep& s) {
  std::map<std::string, std::string> tasks;
  std::ifstream in(s.cell_dir + "/slurm/submissions.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string f; std::getline(parts, f, '\t');) fields.push_back(f);
    // submitted_utc, array_job, merge_job, cell_id, task, cell_list (the header names them)
    if (fields.size() < 5 || fields[0] == "submitted_utc") continue;
    tasks[fields[3]] = fields[4];
  }
  return tasks;
}

}  // namespace

void prepare_cell_folder(const Sweep& sweep, bool create) {
  check_manifest(sweep);
  check_output_file(sweep, false);
  if (create) create_manifest(sweep);
}

std::size_t merge_sweep(const Sweep& sweep, bool quiet) {
  storage::ResultsFile file;
  file.reglab_version = reglab_version();
  file.created_utc = utc_now();
  file.config_yaml = sweep.config_yaml;
  file.attributes = {
      {"sweep_id", sweep.sweep_id}, {"sweep_name", sweep.name}, {"cell_folder", sweep.cell_dir}};
  std::vector<Row> rows;
  std::size_t not_complete = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(cell.output)) {
      storage::ResultsFile cf = storage::read_results(cell.output);
      if (cf.runs.size() != 1 || cf.runs.front().run_id != cell.id) {
        throw StorageError(cell.output + ": does not hold cell " + cell.id);
      }
      cf.runs.front().attributes.emplace_back("cell_name", cell.name);
      rows.push_back(summarize(cf.runs.front()));
      if (rows.back().status != "complete") ++not_complete;
      file.runs.push_back(std::move(cf.runs.front()));
    } else if (fs::exists(failed_path(sweep, cell))) {
      rows.push_back(placeholder_row("failed", read_text(failed_path(sweep, cell))));
      ++not_complete;
    } else {
      rows.push_back(placeholder_row("missing", ""));
      ++not_complete;
    }
  }
  file.summary = summary_table(sweep, rows);
  storage::write_results(sweep.output, file, true);
  if (!quiet) {
    std::printf("%s: merged %zu of %zu cells into %s\n", sweep.name.c_str(), file.runs.size(),
                sweep.cells.size(), sweep.output.c_str());
  }
  return not_complete;
}

/// Holds an exclusive flock(2) on `<cell_dir>/.lock` for the life of the process, so that two
/// sweeps never write the same cells: the second refuses at once, naming the first's pid. The
/// lock dies with the process (even on SIGKILL), so a killed sweep never leaves a stale lock; the
/// descriptor is close-on-exec, so cell processes do not hold it.
class SweepLock {
 public:
  explicit SweepLock(const std::string& cell_dir) : path_(cell_dir + "/.lock") {
    std::error_code ec;
    fs::create_directories(cell_dir, ec);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw StorageError(path_ + ": cannot create the sweep's lock file: " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      const std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      ::close(fd_);
      throw StorageError(cell_dir + ": this sweep is in use by another reglab process (pid " +
                         pid.substr(0, pid.find('\n')) +
                         "); wait for it to finish, or stop it, then rerun");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // The pid is only for the message; the lock itself holds.
    }
  }
  ~SweepLock() { ::close(fd_); }
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

/// Removes temporary files ("<name>.tmp.<pid>") left in the cell folder by writers killed
/// mid-write: only those whose process no longer exists on this host and that are older than a
/// minute (a cell writing on another cluster node finishes its file in seconds). Run under the
/// sweep lock; result paths are never touched.
void remove_stale_temporaries(const std::string& cell_dir) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(cell_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 >= name.size()) continue;
    const std::string pid_text = name.substr(at + 5);
    if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code age_ec;
    const auto mtime = fs::last_write_time(entry.path(), age_ec);
    if (age_ec || now - mtime < std::chrono::minutes(1)) continue;
    fs::remove(entry.path(), age_ec);
  }
}

int run_sweep(const Sweep& sweep, const RunOptions& options) {
  check_manifest(sweep);
  check_output_file(sweep, options.overwrite);
  const SweepLock lock(sweep.cell_dir);
  remove_stale_temporaries(sweep.cell_dir);
  create_manifest(sweep);
  std::vector<CellTask> tasks;
  for (const Cell& cell : sweep.cells) {
    if (!fs::exists(cell.output)) tasks.push_back({cell.id, cell.name, log_path(sweep, cell)});
  }
  std::size_t jobs = options.jobs != 0 ? options.jobs : std::thread::hardware_concurrency();
  jobs = std::max<std::size_t>(1, std::min(jobs, std::max<std::size_t>(1, tasks.size())));
  std::fprintf(stderr, "%s: %zu cells (%zu complete, %zu to run, %zu at a time); cells in %s\n",
               sweep.name.c_str(), sweep.cells.size(), sweep.cells.size() - tasks.size(),
               tasks.size(), jobs, sweep.cell_dir.c_str());
  if (!tasks.empty()) {
    ExecutorOptions ex;
    ex.self = "/proc/self/exe";
    ex.args = {"run", options.config_path};
    ex.args.insert(ex.args.end(), options.overrides.begin(), options.overrides.end());
    for (const auto& p : sweep.extra_plugins) {
      ex.args.push_back("--plugin");
      ex.args.push_back(p);
    }
    ex.jobs = jobs;
    ex.interactive = isatty(fileno(stderr)) != 0;
    const std::vector<CellOutcome> outcomes = run_cells(tasks, ex);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const CellOutcome& o = outcomes[i];
      const Cell* cell = nullptr;
      for (const auto& c : sweep.cells) {
        if (c.id == o.id) cell = &c;
      }
      if (cell == nullptr) continue;
      if (fs::exists(cell->output)) {
        fs::remove(failed_path(sweep, *cell));
      } else if (!(interrupted() && o.signal != 0)) {
        write_text_atomic(
            failed_path(sweep, *cell),
            o.message.empty() ? "exit code " + std::to_string(o.exit_code) : o.message);
      }
    }
    if (interrupted()) {
      std::size_t done = 0;
      for (const auto& c : sweep.cells) done += fs::exists(c.output) ? 1 : 0;
      std::fprintf(stderr,
                   "%s: interrupted with %zu of %zu cells complete; rerun the same command to "
                   "resume\n",
                   sweep.name.c_str(), done, sweep.cells.size());
      return code(Exit::kInterrupted);
    }
  }
  merge_sweep(sweep, options.quiet);
  std::size_t failed = 0, diverged = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(failed_path(sweep, cell)) && !fs::exists(cell.output)) ++failed;
  }
  const storage::ResultsFile merged = storage::read_results(sweep.output);
  for (const auto& run : merged.runs) diverged += run.status == "diverged" ? 1 : 0;
  print_arm_table(sweep.output);
  if (failed > 0) {
    std::fprintf(stderr, "%s: %zu cells failed (see %s/<cell_id>.log); rerun to retry them\n",
                 sweep.name.c_str(), failed, sweep.cell_dir.c_str());
    return code(Exit::kCellsFailed);
  }
  return diverged > 0 ? 3 : 0;
}

int merge_and_report(const Sweep& sweep) {
  if (!fs::exists(sweep.cell_dir)) {
    throw StorageError(sweep.cell_dir + ": no cell folder; nothing of this sweep has run yet");
  }
  check_manifest(sweep);
  check_output_file(sweep, false);
  const SweepLock lock(sweep.cell_dir);
  merge_sweep(sweep, false);
  print_arm_table(sweep.output);
  std::size_t failed = 0, missing = 0, diverged = 0;
  for (const Cell& cell : sweep.cells) {
    if (fs::exists(cell.output)) {
      diverged += storage::read_results(cell.output).runs.front().status == "diverged" ? 1 : 0;
    } else if (fs::exists(failed_path(sweep, cell))) {
      ++failed;
      std::string message = read_text(failed_path(sweep, cell));
      while (!message.empty() && message.back() == '\n') message.pop_back();
      std::printf("FAILED  %s  %s: %s\n", cell.id.c_str(), cell.name.c_str(), message.c_str());
    } else {
      ++missing;
      std::printf("MISSING %s  %s\n", cell.id.c_str(), cell.name.c_str());
    }
  }
  std::printf("%s: %zu cells: %zu complete, %zu diverged, %zu failed, %zu missing\n",
              sweep.name.c_str(), sweep.cells.size(),
              sweep.cells.size() - failed - missing - diverged, diverged, failed, missing);
  if (failed + missing > 0) return code(Exit::kCellsFailed);
  return diverged > 0 ? 3 : 0;
}

int print_sweep_status(const Sweep& sweep) {
  std::size_t counts[4] = {0, 0, 0, 0};
  const char* names[4] = {"complete", "diverged", "failed", "missing"};
  const std::map<std::string, std::string> jobs = slurm_tasks(sweep);
  if (jobs.empty()) {
    std::printf("%-12s  %-9s  %s\n", "cell", "state", "name");
  } else {
    std::printf("%-12s  %-9s  %-12s  %s\n", "cell", "state", "slurm_job", "name");
  }
  for (const Cell& cell : sweep.cells) {
    int state = 3;
    if (fs::exists(cell.output)) {
      state = storage::read_results(cell.output).runs.front().status == "complete" ? 0 : 1;
    } else if (fs::exists(failed_path(sweep, cell))) {
      state = 2;
    }
    ++counts[state];
    if (jobs.empty()) {
      std::printf("%-12s  %-9s  %s\n", cell.id.c_str(), names[state], cell.name.c_str());
    } else {
      const auto job = jobs.find(cell.id);
      std::printf("%-12s  %-9s  %-12s  %s\n", cell.id.c_str(), names[state],
                  job == jobs.end() ? "-" : job->second.c_str(), cell.name.c_str());
    }
  }
  std::printf("%s: %zu cells: %zu complete, %zu diverged, %zu failed, %zu missing\n",
              sweep.name.c_str(), sweep.cells.size(), counts[0], counts[1], counts[2], counts[3]);
  return 0;
}

int print_file_status(const std::string& results_file) {
  const storage::ResultsFile f = storage::read_results(results_file);
  std::size_t complete = 0;
  std::printf("%-12s  %-9s  %s\n", "cell", "state", "name");
  if (f.kind() == "run") {
    for (const auto& run : f.runs) {
      std::printf("%-12s  %-9s  %s\n", run.run_id.c_str(), run.status.c_str(), run.name.c_str());
      complete += run.status == "complete" ? 1 : 0;
    }
    std::printf("%s: %zu runs, %zu complete\n", results_file.c_str(), f.runs.size(), complete);
    return 0;
  }
  const storage::Column* ids = nullptr;
  const storage::Column* names = nullptr;
  const storage::Column* states = nullptr;
  for (const auto& c : f.summary.columns) {
    if (c.name == "cell_id") ids = &c;
    if (c.name == "name") names = &c;
    if (c.name == "status") states = &c;
  }
  if (ids == nullptr || names == nullptr || states == nullptr) {
    throw StorageError(results_file + ": /summary lacks cell_id, name or status");
  }
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < f.summary.rows(); ++i) {
    std::printf("%-12s  %-9s  %s\n", ids->str[i].c_str(), states->str[i].c_str(),
                names->str[i].c_str());
    ++counts[states->str[i]];
  }
  std::string line;
  for (const auto& [state, n] : counts) line += ", " + std::to_string(n) + " " + state;
  std::printf("%s: %zu cells%s\n", results_file.c_str(), f.summary.rows(), line.c_str());
  return 0;
}

void print_arm_table(const std::string& sweep_file) {
  // The same per-arm statistics as `reglab report` (experiment/report.hpp), in its compact view.
  ReportOptions options;
  options.results_path = sweep_file;
  try {
    const Report report = build_report(storage::read_results(sweep_file), options);
    std::ostringstream out;
    write_compact(out, report, {"final_test_accuracy", "gap_final"}, report_width(0));
    std::printf("\n%s", out.str().c_str());
  } catch (const Error& e) {
    std::printf("\nno per-arm table: %s\n", e.what());
  }
}

}  // namespace reglab::experiment
