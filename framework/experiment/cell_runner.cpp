/// Running cells from their cell files in one process (experiment/cell_runner.hpp).
#include "framework/experiment/cell_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "framework/core/atomic_file.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/cell_file.hpp"
#include "framework/experiment/plugins.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/runner.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// `<cell_dir>/<id>.EXT` beside the cell file `<cell_dir>/<id>.yaml`.
std::string beside(const CellFile& cell, const std::string& ext) {
  return (fs::path(cell.path).parent_path() / (cell.id + ext)).string();
}

/// Points stdout and stderr at the cell's log (created or truncated).
void redirect_output(const std::string& log) {
  std::fflush(stdout);
  std::fflush(stderr);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StorageError(log + ": cannot create the cell log: " + std::strerror(errno));
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
}

/// Keeps the process's stdout and stderr and puts them back when it goes out of scope, so that
/// a caller of run_cell_files (a test, a future in-process launcher) gets its own output back.
class SavedOutput {
 public:
  SavedOutput() : out_(dup(STDOUT_FILENO)), err_(dup(STDERR_FILENO)) {}
  ~SavedOutput() {
    std::fflush(stdout);
    std::fflush(stderr);
    if (out_ >= 0) dup2(out_, STDOUT_FILENO);
    if (err_ >= 0) dup2(err_, STDERR_FILENO);
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }
  SavedOutput(const SavedOutput&) = delete;
  SavedOutput& operator=(const SavedOutput&) = delete;

 private:
  int out_;
  int err_;
};

/// The registries for a cell: loaded once and reused while cells name the same plugins.
class RegistryCache {
 public:
  const plugin::Registries& get(const std::vector<std::string>& plugins) {
    if (!loaded_ || plugins != paths_) {
      registries_ = load_registries(ConfigNode(), plugins);
      paths_ = plugins;
      loaded_ = true;
    }
    return registries_;
  }

 private:
  bool loaded_ = false;
  std::vector<std::string> paths_;
  plugin::Registries registries_;
};

/// Runs one cell; exceptions propagate.
int run_cell(const CellFile& cell, RegistryCache& registries, DataCache& data, bool quiet) {
  const ConfigNode root = ConfigNode::parse(cell.config_yaml, cell.path);
  const plugin::Registries& regs = registries.get(cell.plugins);
  const RunPlan plan = plan_run(root, regs);
  if (plan.run_id != cell.id) {
    throw ConfigError(cell.path + ": the configuration plans to run id " + plan.run_id +
                      ", not the cell's id " + cell.id +
                      "; the sweep's plugins or reglab changed since the sweep was planned: "
                      "rerun the sweep command to plan it again");
  }
  if (fs::exists(plan.output)) {
    std::printf("cell %s is already complete: %s\n", cell.id.c_str(), plan.output.c_str());
    return 0;
  }
  const int code = run_one(root, regs, false, quiet, &data);
  fs::remove(beside(cell, ".failed"));
  return code;
}

/// The exit code main() gives an exception (core/error.hpp).
int exit_code_of(const std::exception& e) {
  const bool input = dynamic_cast<const Error*>(&e) != nullptr ||
                     dynamic_cast<const fs::filesystem_error*>(&e) != nullptr;
  std::fprintf(stderr, "reglab: %s: %s\n", input ? "error" : "internal error", e.what());
  return code(input ? Exit::kBadInput : Exit::kInternal);
}

}  // namespace

int run_cell_files(const std::vector<std::string>& files, bool quiet) {
  const SavedOutput saved;
  // Each cell's file is fsync()ed before it appears; the folder is fsync()ed once per batch.
  DeferredDirectorySync folder_sync;
  RegistryCache registries;
  DataCache data;
  bool diverged = false;
  for (const auto& path : files) {
    const CellFile cell = read_cell_file(path);
    redirect_output(beside(cell, ".log"));
    int result = 0;
    try {
      result = run_cell(cell, registries, data, quiet);
    } catch (const std::exception& e) {
      result = exit_code_of(e);
      std::ofstream(beside(cell, ".failed")) << e.what() << "\n";
    }
    std::fflush(stdout);
    std::fflush(stderr);
    if (result == code(Exit::kDiverged)) {
      diverged = true;
    } else if (result != 0) {
      return result;
    }
  }
  folder_sync.sync();
  return diverged ? code(Exit::kDiverged) : 0;
}

}  // namespace reglab::experiment
