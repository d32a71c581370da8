/// The plugin interface: what a shared object includes to add regularizers, models, layer
/// types, optimizers, schedules or datasets to reglab (docs/plugins.md).
///
/// A plugin is a shared library that exports two C functions, both written by one macro:
///
///   #include "framework/plugin/api.hpp"
///   void register_mine(reglab::plugin::Registries& r) {
///     r.regularizers.add("dropconnect", "one line for reglab list", &DropConnect::from_config);
///   }
///   REGLAB_PLUGIN("dropconnect", "1.0.0", register_mine)
///
///   int  reglab_plugin_abi_version(void)   the kAbiVersion the plugin was compiled against
///   void reglab_plugin_register(Registrar*) declares the plugin's name and version, then calls
///                                           the registration function
///
/// reglab refuses a plugin whose ABI version differs from its own (the error names the file and
/// both numbers), and a registration that adds a name that already exists or throws; in both
/// cases nothing the plugin added is kept. Registration runs once per process that loads it.
#pragma once

#include <string>

#include "framework/plugin/registries.hpp"

namespace reglab::plugin {

/// The plugin ABI version. It changes whenever a header a plugin compiles against changes the
/// layout or meaning of a type the plugin shares with reglab (the interfaces, Registry,
/// OptionReader, Network, Layer, ...), so a stale plugin is refused instead of crashing.
// 3: Mode::kSample (Monte-Carlo evaluation). 4: NoiseLayer::eval_scale, DropoutOptions::scaling,
// SgdOptions::dampening (the dropout paper's conventions).
constexpr int kAbiVersion = 4;

/// What reglab_plugin_register receives.
class Registrar {
 public:
  explicit Registrar(Registries& registries) : registries_(registries) {}
  /// The plugin's name and version, recorded in every run that loads it.
  void declare(std::string name, std::string version) {
    name_ = std::move(name);
    version_ = std::move(version);
  }
  Registries& registries() { return registries_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }

 private:
  Registries& registries_;
  std::string name_;
  std::string version_;
};

}  // namespace reglab::plugin

/// The symbol names reglab looks up in a plugin.
#define REGLAB_PLUGIN_ABI_SYMBOL "reglab_plugin_abi_version"
#define REGLAB_PLUGIN_REGISTER_SYMBOL "reglab_plugin_register"

/// Defines a plugin's two exported functions. NAME and VERSION are string literals; FUNCTION is a
/// `void(reglab::plugin::Registries&)` that adds the plugin's entries.
#define REGLAB_PLUGIN(NAME, VERSION, FUNCTION)                                            \
  extern "C" __attribute__((visibility("default"))) int reglab_plugin_abi_version(void) { \
    return ::reglab::plugin::kAbiVersion;                                                 \
  }                                                                                       \
  extern "C" __attribute__((visibility("default"))) void reglab_plugin_register(          \
      ::reglab::plugin::Registrar* registrar) {                                           \
    registrar->declare(NAME, VERSION);                                                    \
    FUNCTION(registrar->registries());                                                    \
  }
