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

NetworkSpec mlp(OptionReader& opts) {
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

NetworkSpec softmax_regression(OptionReader& opts) {
  NetworkSpec spec;
  read_init(opts, spec);
  return spec;
}

}  // namespace

void register_builtin(ModelRegistry& r) {
  r.add("mlp", "multi-layer perceptron: dense layers with relu/tanh/sigmoid between them", mlp);
  r.add("softmax_regression", "multinomial logistic regression (one dense layer)",
        softmax_regression);
}

}  // namespace reglab::models
