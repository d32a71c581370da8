/// The layer-type registry: the entries a `sequential` model's `layers:` list names.
///
/// A factory reads the layer's options (its OptionReader rejects unknown keys) when the run is
/// planned and returns a LayerRecipe that builds the layer once the input shape is known. Each
/// type's options are documented with its class; docs/models.md lists them all. A plugin adds a
/// type with Registrar::layers().add(...).
#pragma once

#include "framework/core/registry.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

using LayerRegistry = Registry<LayerRecipe(config::OptionReader&)>;
/// Adds the built-in layer types to `r` (the registration list).
void register_builtin(LayerRegistry& r);

}  // namespace reglab::models
