/// Cell files: the resolved configuration of one sweep cell, written once by whoever plans the
/// sweep (`reglab run`, `reglab slurm submit`) and read by the process that runs the cell
/// (`reglab cells`, experiment/cell_runner.hpp). A cell's process therefore never re-reads or
/// re-expands the sweep, and its start-up cost does not grow with the sweep's size.
///
/// `<cell_dir>/<id>.yaml`:
///   # reglab cell: ...
///   cell: <id>
///   plugin: <absolute path>      one line per plugin the sweep loaded, in load order
///   config: |
///     <the cell's configuration (Cell::config_yaml), indented by two spaces>
/// The configuration block is the cell's YAML byte for byte; plugins are listed by absolute path
/// because the configuration's own `plugins:` entries are relative to the sweep file's folder.
#pragma once

#include <string>
#include <vector>

#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// What a cell file holds.
struct CellFile {
  std::string path;                  ///< where it was read from
  std::string id;                    ///< the cell id the configuration must plan to
  std::vector<std::string> plugins;  ///< absolute plugin paths, in load order
  std::string config_yaml;           ///< the resolved cell configuration
};

/// `<cell_dir>/<id>.yaml`.
std::string cell_file_path(const Sweep& sweep, const Cell& cell);

/// The text of `cell`'s file.
std::string cell_file_text(const Sweep& sweep, const Cell& cell);

/// Writes the cell files of `cells` (each by temporary file and rename, replacing an older one),
/// then makes them durable with one sync of the file system (not one fsync per file: a sweep may
/// write thousands). Throws StorageError.
void write_cell_files(const Sweep& sweep, const std::vector<const Cell*>& cells);

/// Reads a cell file. Throws ConfigError naming the file and line for anything malformed.
CellFile read_cell_file(const std::string& path);

}  // namespace reglab::experiment
