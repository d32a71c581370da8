/// The registries of a run or sweep: the built-in entries plus the plugins it names.
///
/// Plugins come from two places, loaded in this order: the configuration's top-level `plugins:`
/// list (each path relative to the folder of the file that names it, like `include:`), then
/// `--plugin PATH` on the command line (relative to the working folder). Both are loaded for the
/// whole sweep, and every cell's id covers their SHA-256 (experiment/run_config.hpp).
#pragma once

#include <string>
#include <vector>

#include "framework/experiment/config_names.hpp"
#include "framework/plugin/registries.hpp"

namespace reglab::experiment {

/// Built-ins, then `root`'s `plugins:` list, then `extra` (command-line paths). Throws
/// ConfigError for a malformed `plugins:` key and PluginError for a plugin that cannot be loaded.
plugin::Registries load_registries(const ConfigNode& root, const std::vector<std::string>& extra);

/// `paths` as absolute paths, for a child process that runs in another folder or on another node.
std::vector<std::string> absolute_paths(const std::vector<std::string>& paths);

}  // namespace reglab::experiment
