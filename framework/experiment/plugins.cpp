#include "framework/experiment/plugins.hpp"

#include <filesystem>

#include "framework/plugin/loader.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// `path` resolved against the folder of the file that named it.
std::string resolve(const std::string& path, const std::string& named_in) {
  const fs::path p(path);
  if (p.is_absolute()) return path;
  const fs::path dir = fs::path(named_in).parent_path();
  return (dir / p).lexically_normal().string();
}

}  // namespace

plugin::Registries load_registries(const ConfigNode& root, const std::vector<std::string>& extra) {
  plugin::Registries regs = plugin::builtin_registries();
  const ConfigNode list = root.is_map() ? root.child("plugins") : ConfigNode();
  if (list.defined() && !list.is_null()) {
    if (!list.is_sequence()) list.fail("expected a list of plugin files (shared objects)");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const ConfigNode item = list.at(i);
      if (!item.is_scalar() || item.scalar().empty()) item.fail("expected a plugin file path");
      plugin::load_plugin(regs, resolve(item.scalar(), item.source_file()));
    }
  }
  for (const auto& path : extra) plugin::load_plugin(regs, path);
  return regs;
}

std::vector<std::string> absolute_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(fs::absolute(p).lexically_normal().string());
  return out;
}

}  // namespace reglab::experiment
