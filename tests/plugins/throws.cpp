/// A plugin whose registration throws (tests/e2e/test_plugins.sh).
#include <stdexcept>

#include "framework/plugin/api.hpp"

namespace {

void register_throws(reglab::plugin::Registries& /*r*/) {
  throw std::runtime_error("this plugin refuses to register");
}

}  // namespace

REGLAB_PLUGIN("throws", "0", register_throws)
