#include "framework/models/models.hpp"

#include "framework/config/options.hpp"

namespace reglab::models {
namespace {

using config::OptionReader;
using config::Range;

void read_init(OptionReader& opts, NetworkSpec& spec) {
  const std::string init = opts.get_string("init", "glorot_uniform",
                                           {"glorot_uniform", "he_uniform", "he_normal", "normal"});
  parse_init(init, spec.init);
  spec.init_scale = opts.get_double("init_scale", 0.01, Range::positive());
}

NetworkSpec mlp(OptionReader& opts, const LayerRegistry& /*layers*/) {
  NetworkSpec spec;
  if (!opts.has("hidden")) opts.fail("hidden", "missing required key 'hidden' (a list of widths)");
  for (auto w : opts.get_int_list("hidden", {}, 1, 1 << 20)) {
    spec.hidden.push_back(static_cast<std::size_t>(w));
  }
  if (spec.hidden.empty())
    opts.fail("hidden", "needs at least one hidden layer (or use softmax_regression)");
  const std::string act = opts.get_string("activation", "relu", {"relu", "tanh", "sigmoid"});
  parse_activation(act, spec.activation);
  read_init(opts, spec);
  return spec;
}

NetworkSpec softmax_regression(OptionReader& opts, const LayerRegistry& /*layers*/) {
  NetworkSpec spec;
  read_init(opts, spec);
  return spec;
}

/// One `layers:` entry, {TYPE: {options}}, through the layer registry.
LayerRecipe read_layer(const config::ConfigNode& entry, const LayerRegistry& layers) {
  if (!entry.is_map() || entry.size() != 1) {
    entry.fail("a layer is a map with one key, its type, e.g. {conv2d: {filters: 32, kernel: 5}}");
  }
  const std::string kind = entry.keys().front();
  const auto* type = layers.find(kind);
  if (type == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : layers.entries()) names.push_back(e.name);
    entry.child(kind).fail("unknown layer type '" + kind + "'" + config::did_you_mean(kind, names) +
                           " (known: " + layers.known() + ")");
  }
  const config::ConfigNode options = entry.child(kind);
  OptionReader reader(options);
  LayerRecipe recipe = type->factory(reader);
  reader.finish();
  recipe.kind = kind;
  recipe.where = entry.location();
  return recipe;
}

NetworkSpec sequential(OptionReader& opts, const LayerRegistry& layers) {
  NetworkSpec spec;
  if (!opts.has("layers")) opts.fail("layers", "missing required key 'layers' (a list of layers)");
  const config::ConfigNode list = opts.child("layers");
  if (!list.is_sequence() || list.size() == 0) list.fail("layers must be a non-empty list");
  for (std::size_t i = 0; i < list.size(); ++i)
    spec.layers.push_back(read_layer(list.at(i), layers));
  std::size_t weighted = 0;
  for (const auto& r : spec.layers) weighted += r.weighted ? 1 : 0;
  if (weighted == 0 || !spec.layers.back().weighted || spec.layers.back().kind != "dense") {
    list.fail("the last layer must be {dense: {units: classes}}");
  }
  read_init(opts, spec);
  return spec;
}

}  // namespace

std::size_t hidden_layer_count(const NetworkSpec& spec) {
  if (spec.layers.empty()) return spec.hidden.size();
  std::size_t weighted = 0;
  for (const auto& r : spec.layers) weighted += r.weighted ? 1 : 0;
  return weighted == 0 ? 0 : weighted - 1;
}

void register_builtin(ModelRegistry& r) {
  r.add("sequential", "a stack of layers: layers: [{TYPE: {options}}, ...]", sequential);
  r.add("mlp", "multi-layer perceptron: dense layers with relu/tanh/sigmoid between them", mlp);
  r.add("softmax_regression", "multinomial logistic regression (one dense layer)",
        softmax_regression);
  r.add("linear",
        "one dense layer with a linear output: linear regression on a regression set (whose "
        "loss is the squared error)",
        softmax_regression);
}

}  // namespace reglab::models
