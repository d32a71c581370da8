/// The built-in registries for tests that look an entry up by name (one copy per test binary).
#pragma once

#include "framework/plugin/registries.hpp"

namespace reglab::testing {

inline const plugin::Registries& builtins() {
  static const plugin::Registries registries = plugin::builtin_registries();
  return registries;
}

}  // namespace reglab::testing
