/// A plugin that adds a layer type, `scale` (y = factor * x, options: factor), so that a
/// `sequential` model can use a layer reglab does not have (tests/plugin/test_loader.cpp).
#include <memory>
#include <string>

#include "framework/config/options.hpp"
#include "framework/plugin/api.hpp"

namespace {

using reglab::Matrix;
using reglab::Mode;
using reglab::models::Layer;
using reglab::models::LayerBuild;
using reglab::models::LayerRecipe;

class Scale : public Layer {
 public:
  Scale(std::string name, float factor) : name_(std::move(name)), factor_(factor) {}
  std::string name() const override { return name_; }
  std::string describe() const override { return name_ + ": scale " + std::to_string(factor_); }
  void forward(const Matrix& x, std::size_t n, Mode /*mode*/) override {
    const std::size_t count = n * in_shape_.size();
    for (std::size_t i = 0; i < count; ++i) out_.data()[i] = factor_ * x.data()[i];
  }
  void backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                bool need_input_grad) override {
    if (!need_input_grad) return;
    const std::size_t count = n * in_shape_.size();
    for (std::size_t i = 0; i < count; ++i) grad_in_.data()[i] = factor_ * grad_out.data()[i];
  }

 private:
  std::string name_;
  float factor_;
};

LayerRecipe scale_recipe(reglab::config::OptionReader& opts) {
  const double factor = opts.get_double("factor", 2.0, reglab::config::Range::positive());
  LayerRecipe r;
  r.kind = "scale";
  r.options = {{"factor", std::to_string(factor)}};
  r.build = [factor](const LayerBuild& b) {
    return std::make_unique<Scale>(b.name, static_cast<float>(factor));
  };
  return r;
}

void register_scale(reglab::plugin::Registries& r) {
  r.layers.add("scale", "y = factor * x (a test plugin's layer type)", scale_recipe);
}

}  // namespace

REGLAB_PLUGIN("scale_layer", "1", register_scale)
