/// The model registry: a model turns its options into a NetworkSpec; the input width and the
/// number of classes come from the dataset.
///
///   mlp                 hidden: [widths...] (required), activation: relu|tanh|sigmoid (relu),
///                       init: glorot_uniform|he_uniform|he_normal|normal (glorot_uniform),
///                       init_scale: standard deviation for init=normal (0.01)
///   softmax_regression  multinomial logistic regression (no hidden layer); init, init_scale
#pragma once

#include "framework/core/registry.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// A factory reads the model options (except `name`) and returns a spec with `hidden`,
/// `activation` and `init` set.
using ModelRegistry = Registry<NetworkSpec(config::OptionReader&)>;
/// Adds the built-in models to `r`.
void register_builtin(ModelRegistry& r);

}  // namespace reglab::models
