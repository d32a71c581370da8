/// Loading shared-object plugins (api.hpp) into a Registries value.
///
/// A plugin file is opened with dlopen only when a user names it: in a run configuration's
/// `plugins:` list or with `--plugin PATH`. A path stored in a results file is never loaded.
#pragma once

#include <string>

#include "framework/plugin/registries.hpp"

namespace reglab::plugin {

/// Loads the plugin at `path` into `registries`, with its entries' origin set to the plugin's
/// absolute path, and appends it to `registries.plugins`. Loading the same file (same SHA-256)
/// a second time does nothing. Throws PluginError (exit 2), naming the file, when the file is
/// missing or not a shared object, a symbol is missing, its ABI version differs from
/// kAbiVersion, a name clashes with an existing entry, or its registration throws; `registries`
/// is then unchanged.
void load_plugin(Registries& registries, const std::string& path);

/// The SHA-256 (hex) of the file at `path`; throws PluginError naming it if it cannot be read.
std::string plugin_sha256(const std::string& path);

}  // namespace reglab::plugin
