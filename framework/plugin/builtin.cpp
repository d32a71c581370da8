/// The registration list of everything built in: each folder's own list, in the order
/// `reglab list` shows them.
#include "framework/plugin/registries.hpp"

namespace reglab::plugin {

Registries builtin_registries() {
  Registries r;
  regularizers::register_builtin(r.regularizers);
  models::register_builtin(r.models);
  models::register_builtin(r.layers);
  optim::register_builtin(r.optimizers);
  optim::register_builtin(r.schedules);
  data::register_builtin(r.datasets);
  return r;
}

void Registries::set_origin(const std::string& origin) {
  regularizers.set_origin(origin);
  models.set_origin(origin);
  layers.set_origin(origin);
  optimizers.set_origin(origin);
  schedules.set_origin(origin);
  datasets.set_origin(origin);
}

std::string Registries::identity() const {
  std::string out;
  for (const auto& p : plugins) out += "plugin " + p.name + " " + p.version + " " + p.sha256 + "\n";
  return out;
}

std::string Registries::provenance() const {
  std::string out;
  for (const auto& p : plugins) {
    out += p.sha256 + " " + p.name + " " + p.version + " " + p.path + "\n";
  }
  return out;
}

}  // namespace reglab::plugin
