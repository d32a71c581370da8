#include "framework/models/layers.hpp"

#include <memory>
#include <stdexcept>

#include "framework/config/options.hpp"
#include "framework/models/activation.hpp"
#include "framework/models/conv2d.hpp"
#include "framework/models/dense.hpp"
#include "framework/models/flatten.hpp"
#include "framework/models/maxout.hpp"
#include "framework/models/pooling.hpp"

namespace reglab::models {

LayerRecipe dense_recipe(std::size_t units) {
  LayerRecipe r;
  r.kind = "dense";
  r.options = {{"units", units == 0 ? "\"classes\"" : std::to_string(units)}};
  r.weighted = true;
  r.build = [units](const LayerBuild& b) -> LayerPtr {
    const std::size_t out = units == 0 ? b.classes : units;
    auto dense = std::make_unique<Dense>(b.name, b.input.size(), out);
    Rng rng = Rng::stream(b.seed, "init", b.weight_index);
    init_kernel(dense->kernel(), b.init, b.init_scale, static_cast<double>(b.input.size()),
                static_cast<double>(out), rng);
    return dense;
  };
  return r;
}

LayerRecipe activation_recipe(Activation activation) {
  LayerRecipe r;
  r.kind = activation_name(activation);
  r.build = [activation](const LayerBuild& b) -> LayerPtr {
    return std::make_unique<ActivationLayer>(b.name, activation);
  };
  return r;
}

namespace {

/// dense: units (a positive width, or `classes` for the dataset's number of classes).
LayerRecipe dense_from_config(config::OptionReader& opts) {
  if (!opts.has("units")) opts.fail("units", "missing required key 'units' (a width or 'classes')");
  const config::ConfigNode node = opts.child("units");
  if (node.is_scalar() && node.scalar() == "classes") return dense_recipe(0);
  return dense_recipe(static_cast<std::size_t>(opts.get_int("units", 0, 1, 1 << 24)));
}

std::function<LayerRecipe(config::OptionReader&)> activation_factory(Activation a) {
  return [a](config::OptionReader& /*opts*/) { return activation_recipe(a); };
}

}  // namespace

void register_builtin(LayerRegistry& r) {
  r.add("dense", "fully connected layer: units (a width or 'classes')", dense_from_config);
  r.add("conv2d", "2-D convolution: filters, kernel, stride (1), padding (valid|same|N)",
        conv2d_recipe);
  r.add("max_pool", "max pooling: size, stride (= size)", max_pool_recipe);
  r.add("avg_pool", "average pooling: size, stride (= size)", avg_pool_recipe);
  r.add("global_avg_pool", "mean of each channel over its positions", global_avg_pool_recipe);
  r.add("flatten", "feature maps to a vector (channel-major, as PyTorch)", flatten_recipe);
  r.add("relu", "y = max(0, x)", activation_factory(Activation::kRelu));
  r.add("tanh", "y = tanh(x)", activation_factory(Activation::kTanh));
  r.add("sigmoid", "y = 1 / (1 + exp(-x))", activation_factory(Activation::kSigmoid));
  r.add("maxout", "max over groups of pieces consecutive units or channels: pieces", maxout_recipe);
}

}  // namespace reglab::models
