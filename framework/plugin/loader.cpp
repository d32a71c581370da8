#include "framework/plugin/loader.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>

#include "framework/core/error.hpp"
#include "framework/core/registry.hpp"
#include "framework/core/sha256.hpp"
#include "framework/plugin/api.hpp"

namespace reglab::plugin {
namespace {

namespace fs = std::filesystem;

using AbiFunction = int (*)();
using RegisterFunction = void (*)(Registrar*);

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw PluginError("plugin " + path + ": " + why);
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? path : abs.string();
}

/// dlopen()s `path`; the handle is never closed, since the registries keep its factories.
void* open_shared_object(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    refuse(path, std::string("cannot load it as a shared object: ") + (why ? why : "unknown"));
  }
  return handle;
}

void* symbol(void* handle, const std::string& path, const char* name) {
  dlerror();
  void* sym = dlsym(handle, name);
  if (sym == nullptr) {
    refuse(path, std::string("missing symbol '") + name +
                     "' (a plugin defines it with REGLAB_PLUGIN, framework/plugin/api.hpp)");
  }
  return sym;
}

}  // namespace

std::string plugin_sha256(const std::string& path) {
  try {
    return sha256_file(path);
  } catch (const std::exception& e) {
    refuse(path, std::string("cannot read it: ") + e.what());
  }
}

void load_plugin(Registries& registries, const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) refuse(path, "no such file");
  if (!fs::is_regular_file(path, ec)) refuse(path, "not a regular file");
  const std::string abs = absolute_path(path);
  const std::string sha = plugin_sha256(abs);
  for (const auto& p : registries.plugins) {
    if (p.sha256 == sha) return;  // the same file, named twice
  }
  void* handle = open_shared_object(abs);
  const auto abi = reinterpret_cast<AbiFunction>(symbol(handle, abs, REGLAB_PLUGIN_ABI_SYMBOL));
  const auto reg =
      reinterpret_cast<RegisterFunction>(symbol(handle, abs, REGLAB_PLUGIN_REGISTER_SYMBOL));
  const int version = abi();
  if (version != kAbiVersion) {
    refuse(abs, "built against plugin ABI version " + std::to_string(version) +
                    ", this reglab has ABI version " + std::to_string(kAbiVersion) +
                    " (rebuild the plugin against this reglab)");
  }
  // Register into a copy, so a plugin that fails half-way adds nothing.
  Registries staged = registries;
  staged.set_origin("plugin " + abs);
  Registrar registrar(staged);
  try {
    reg(&registrar);
  } catch (const DuplicateName& e) {
    refuse(abs, std::string("its registration clashes: ") + e.what());
  } catch (const std::exception& e) {
    refuse(abs, std::string("its registration failed: ") + e.what());
  } catch (...) {
    refuse(abs, "its registration threw a non-standard exception");
  }
  const auto word = [](const std::string& s) {
    return !s.empty() && s.find_first_of(" \t\n\r") == std::string::npos;
  };
  if (!word(registrar.name()) || !word(registrar.version())) {
    refuse(abs, "declares name '" + registrar.name() + "' and version '" + registrar.version() +
                    "'; both must be non-empty words (REGLAB_PLUGIN's first two arguments)");
  }
  staged.set_origin("built-in");
  staged.plugins.push_back({abs, sha, registrar.name(), registrar.version()});
  registries = std::move(staged);
}

}  // namespace reglab::plugin
