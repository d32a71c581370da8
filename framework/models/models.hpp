/// The model registry: a model turns its options into a NetworkSpec; the input shape and the
/// number of classes come from the dataset.
///
///   sequential          layers: a list of one-key maps, {TYPE: {options}} (the layer types of
///                       models/layers.hpp; see docs/models.md), e.g.
///                       [{conv2d: {filters: 32, kernel: 5, padding: same}}, {relu: {}},
///                        {max_pool: {size: 2}}, {flatten: {}}, {dense: {units: 128}},
///                        {relu: {}}, {dense: {units: classes}}]; init, init_scale as below
///   mlp                 hidden: [widths...] (required), activation: relu|tanh|sigmoid (relu),
///                       init: glorot_uniform|he_uniform|he_normal|normal (glorot_uniform),
///                       init_scale: standard deviation for init=normal (0.01); short for the
///                       sequential stack dense, activation, ..., dense(classes)
///   softmax_regression  multinomial logistic regression (one dense layer); init, init_scale
///   linear              the same single dense layer (with bias), named for regression: on a
///                       regression set the loss is the squared error of its linear output
///                       (data/dataset.hpp), so this is least squares; init, init_scale
#pragma once

#include "framework/core/registry.hpp"
#include "framework/models/layers.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::models {

/// A factory reads the model options (except `name`), with the layer types it may use, and
/// returns a spec with the stack (or the mlp short form) and the initialisation set.
using ModelRegistry = Registry<NetworkSpec(config::OptionReader&, const LayerRegistry&)>;
/// Adds the built-in models to `r`.
void register_builtin(ModelRegistry& r);

/// The hidden widths of a spec's short form, or, for a stack, the units (dense) or filters
/// (conv2d) of every weight layer but the last, as far as they are known before the data is:
/// used to check diagnostics options when a run is planned.
std::size_t hidden_layer_count(const NetworkSpec& spec);

}  // namespace reglab::models
