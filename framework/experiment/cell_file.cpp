/// Writing and reading cell files (experiment/cell_file.hpp).
#include "framework/experiment/cell_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "framework/core/error.hpp"

namespace reglab::experiment {
namespace {

constexpr const char* kHeader =
    "# reglab cell: the resolved configuration of one sweep cell, run by `reglab cells`\n";
constexpr const char* kConfigLine = "config: |";

[[noreturn]] void storage_fail(const std::string& path, const std::string& action) {
  throw StorageError(path + ": " + action + ": " + std::strerror(errno));
}

/// Writes `text` to `path` through "<path>.tmp.<pid>" and rename(): a reader sees the old file
/// or the new one, never a part. Durability comes later, from sync_folder.
void write_replacing(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) storage_fail(temp, "cannot create");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      close(fd);
      unlink(temp.c_str());
      errno = saved;
      storage_fail(temp, "cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    unlink(temp.c_str());
    errno = saved;
    storage_fail(path, "cannot write");
  }
}

/// One syncfs(2) for the file system holding `folder`: every file written there is durable after.
void sync_folder(const std::string& folder) {
  const int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) storage_fail(folder, "cannot open to sync");
  const int result = syncfs(fd);
  const int saved = errno;
  close(fd);
  errno = saved;
  if (result != 0) storage_fail(folder, "cannot sync");
}

[[noreturn]] void malformed(const std::string& path, std::size_t line, const std::string& what) {
  throw ConfigError(path + ":" + std::to_string(line) + ": not a reglab cell file: " + what);
}

}  // namespace

std::string cell_file_path(const Sweep& sweep, const Cell& cell) {
  return sweep.cell_dir + "/" + cell.id + ".yaml";
}

std::string cell_file_text(const Sweep& sweep, const Cell& cell) {
  std::string text = kHeader;
  text += "cell: " + cell.id + "\n";
  for (const auto& plugin : sweep.registries.plugins) {
    if (plugin.path.find('\n') != std::string::npos) {
      throw StorageError(plugin.path + ": a plugin path with a line break cannot be passed on");
    }
    text += "plugin: " + plugin.path + "\n";
  }
  text += std::string(kConfigLine) + "\n";
  std::istringstream lines(cell.config_yaml);
  for (std::string line; std::getline(lines, line);) text += "  " + line + "\n";
  return text;
}

void write_cell_files(const Sweep& sweep, const std::vector<const Cell*>& cells) {
  if (cells.empty()) return;
  for (const Cell* cell : cells)
    write_replacing(cell_file_path(sweep, *cell), cell_file_text(sweep, *cell));
  sync_folder(sweep.cell_dir);
}

CellFile read_cell_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the cell file: " + std::strerror(errno));
  CellFile file;
  file.path = path;
  std::string line;
  std::size_t number = 0;
  bool in_config = false;
  while (std::getline(in, line)) {
    ++number;
    if (in_config) {
      if (!line.empty() && line.compare(0, 2, "  ") != 0)
        malformed(path, number, "bad indentation");
      file.config_yaml += (line.empty() ? line : line.substr(2)) + "\n";
    } else if (line.empty() || line[0] == '#') {
      continue;
    } else if (line.compare(0, 6, "cell: ") == 0) {
      file.id = line.substr(6);
    } else if (line.compare(0, 8, "plugin: ") == 0) {
      file.plugins.push_back(line.substr(8));
    } else if (line == kConfigLine) {
      in_config = true;
    } else {
      malformed(path, number, "unexpected line '" + line.substr(0, 60) + "'");
    }
  }
  if (file.id.empty()) malformed(path, number, "no 'cell:' line");
  if (!in_config) malformed(path, number, "no 'config: |' block");
  return file;
}

}  // namespace reglab::experiment
