/// A sweep's cell folder: cell file paths, the manifest, the lock and stale temporaries
/// (experiment/cell_folder.hpp).
#include "framework/experiment/cell_folder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "framework/core/atomic_file.hpp"
#include "framework/core/error.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

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

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The sweep configuration as the manifest pins it: the YAML, then one comment line per loaded
/// plugin (its code is part of every cell), so a rebuilt plugin shows up in "What differs".
std::string pinned_config(const Sweep& s) {
  std::string text = s.config_yaml;
  for (const auto& line : lines_of(s.registries.identity())) text += "# " + line + "\n";
  return text;
}

std::string manifest_text(const Sweep& s) {
  std::string text =
      "# reglab sweep manifest: the configuration the cells in this folder belong to\n";
  text += "sweep_id: " + s.sweep_id + "\n";
  text += "cells:\n";
  for (const auto& c : s.cells) text += "  - " + c.id + "  # " + c.name + "\n";
  text += "config: |\n";
  for (const auto& line : lines_of(pinned_config(s))) text += "  " + line + "\n";
  return text;
}

/// What a manifest holds: its sweep id, its cell ids and the lines of its `config: |` block.
struct Manifest {
  std::string sweep_id;
  std::set<std::string> cells;
  std::vector<std::string> config_lines;
};

Manifest parse_manifest(const std::string& text) {
  Manifest m;
  bool in_config = false;
  for (const auto& line : lines_of(text)) {
    if (in_config) {
      m.config_lines.push_back(line.size() >= 2 ? line.substr(2) : "");
    } else if (line.rfind("sweep_id: ", 0) == 0) {
      m.sweep_id = line.substr(10);
    } else if (line.rfind("  - ", 0) == 0) {
      m.cells.insert(line.substr(4, 12));
    } else if (line == "config: |") {
      in_config = true;
    }
  }
  return m;
}

/// The number of elements of `a` that are not in `b`.
std::size_t count_not_in(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::size_t n = 0;
  for (const auto& x : a) n += b.count(x) == 0 ? 1 : 0;
  return n;
}

/// "\n  - line" for lines only in the old configuration, then "\n  + line" for lines only in the
/// new one: at most 8 removed lines, and at most 16 lines counting every removed one.
std::string config_diff(const std::vector<std::string>& old_lines,
                        const std::vector<std::string>& new_lines) {
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
  return diff;
}

/// Why the existing file at the sweep's `output` is not this sweep's merged file; empty if it is.
std::string foreign_output(const Sweep& s) {
  try {
    storage::ReadOptions root_only;  // the root attributes and /summary say whose file it is
    root_only.runs = false;
    const storage::ResultsFile f = storage::read_results(s.output, root_only);
    std::string id;
    for (const auto& [k, v] : f.attributes) {
      if (k == "sweep_id") id = v;
    }
    if (f.kind() == "sweep" && id == s.sweep_id) return "";
    return f.kind() != "sweep" ? "it is a single-run file" : "it belongs to sweep " + id;
  } catch (const Error& e) {
    return e.what();
  }
}

/// The number (at most 9 digits) after the last ".tmp." of a file name, or -1.
pid_t temporary_owner(const std::string& name) {
  const std::size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at + 5 >= name.size()) return -1;
  const std::string pid_text = name.substr(at + 5);
  if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) {
    return -1;
  }
  return static_cast<pid_t>(std::stol(pid_text));
}

}  // namespace

std::string failed_path(const Sweep& sweep, const Cell& cell) {
  return sweep.cell_dir + "/" + cell.id + ".failed";
}

std::string log_path(const Sweep& sweep, const Cell& cell) {
  return sweep.cell_dir + "/" + cell.id + ".log";
}

std::string read_failure(const Sweep& sweep, const Cell& cell) {
  return read_text(failed_path(sweep, cell));
}

void write_failure(const Sweep& sweep, const Cell& cell, const std::string& message) {
  write_text_atomic(failed_path(sweep, cell), message);
}

void create_manifest(const Sweep& sweep) {
  std::error_code ec;
  fs::create_directories(sweep.cell_dir, ec);
  if (ec) throw StorageError(sweep.cell_dir + ": cannot create the cell folder: " + ec.message());
  if (!fs::exists(manifest_path(sweep))) {
    write_text_atomic(manifest_path(sweep), manifest_text(sweep));
  }
}

void check_manifest(const Sweep& sweep) {
  const std::string path = manifest_path(sweep);
  if (!fs::exists(path)) return;
  const Manifest old = parse_manifest(read_text(path));
  if (old.sweep_id == sweep.sweep_id) return;
  std::set<std::string> new_cells;
  for (const auto& c : sweep.cells) new_cells.insert(c.id);
  const std::size_t gone = count_not_in(old.cells, new_cells);
  const std::size_t added = count_not_in(new_cells, old.cells);
  const std::string diff = config_diff(old.config_lines, lines_of(pinned_config(sweep)));
  throw ConfigError(sweep.output + ": the cell folder " + sweep.cell_dir +
                    " belongs to a different configuration of this sweep (" + std::to_string(gone) +
                    " of its cells are not in the new one, " + std::to_string(added) +
                    " new cells). What differs:" + diff +
                    "\nGive the changed sweep another output path (output=...), or delete " +
                    sweep.cell_dir + " and " + sweep.output + " to start over.");
}

void check_output_file(const Sweep& sweep, bool overwrite) {
  if (!fs::exists(sweep.output) || overwrite) return;
  const std::string why = foreign_output(sweep);
  if (why.empty()) return;
  throw StorageError(sweep.output + " exists and is not this sweep's merged file (" + why +
                     "); refusing to replace it (pass --overwrite, or change 'output')");
}

SweepLock::SweepLock(const std::string& cell_dir) : path_(cell_dir + "/.lock") {
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

SweepLock::~SweepLock() { ::close(fd_); }

void remove_stale_temporaries(const std::string& folder, const std::string& prefix) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const pid_t pid = temporary_owner(name);
    if (pid < 0) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code age_ec;
    const auto mtime = fs::last_write_time(entry.path(), age_ec);
    if (age_ec || now - mtime < std::chrono::minutes(1)) continue;
    fs::remove(entry.path(), age_ec);
  }
}

}  // namespace reglab::experiment
