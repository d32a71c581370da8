#include "dropconnect.hpp"

#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/core/random.hpp"
#include "framework/models/dense.hpp"

namespace dropconnect {

namespace reg = reglab::regularizers;
using reglab::models::Dense;
using reglab::models::Network;

Options Options::read(reglab::config::OptionReader& reader) {
  Options o;
  o.rate = reader.get_double("rate", o.rate, reglab::config::Range::closed_open(0.0, 1.0));
  o.layers = reader.get_string("layers", o.layers, {"hidden", "all"});
  return o;
}

DropConnect::DropConnect(const Options& options) : options_(options) {
  if (!(options.rate >= 0.0 && options.rate < 1.0)) {
    throw std::invalid_argument("dropconnect: rate must be in [0, 1)");
  }
}

reg::RegularizerPtr DropConnect::from_config(reglab::config::OptionReader& reader) {
  return std::make_unique<DropConnect>(Options::read(reader));
}

std::string DropConnect::describe() const {
  std::ostringstream os;
  os << "dropconnect(rate=" << options_.rate << ", layers=" << options_.layers << ")";
  return os.str();
}

void DropConnect::attach(Network& /*net*/, const reg::AttachContext& ctx) {
  arm_seed_ = reglab::derive_seed(ctx.seed, "dropconnect_arm", ctx.arm);
  position_ = ctx.position;
}

std::size_t DropConnect::kernel_count(const Network& net) const {
  const std::size_t dense = net.dense_layers().size();
  return options_.layers == "all" ? dense : dense - 1;
}

void DropConnect::before_forward(Network& net, const reg::StepContext& ctx) {
  if (options_.rate == 0.0) return;
  const std::size_t count = kernel_count(net);
  saved_.resize(count);
  masks_.resize(count);
  const auto keep = static_cast<float>(1.0 - options_.rate);
  const float scale = 1.0f / keep;
  const std::uint64_t step_seed = reglab::derive_seed(arm_seed_, "dropconnect_step", ctx.step);
  for (std::size_t l = 0; l < count; ++l) {
    reglab::models::Param& kernel = net.dense_layers()[l]->kernel();
    const std::size_t size = kernel.value.size();
    float* w = kernel.value.data();
    saved_[l].assign(w, w + size);
    masks_[l].resize(size);
    reglab::Rng rng = reglab::Rng::stream(step_seed, "dropconnect", (position_ << 32) + l);
    for (std::size_t i = 0; i < size; ++i) {
      const bool kept = rng.uniform() < keep;
      masks_[l][i] = kept ? 1 : 0;
      w[i] = kept ? w[i] * scale : 0.0f;
    }
  }
  applied_ = true;
}

void DropConnect::after_backward(Network& net) {
  if (!applied_) return;
  const float scale = 1.0f / static_cast<float>(1.0 - options_.rate);
  for (std::size_t l = 0; l < saved_.size(); ++l) {
    reglab::models::Param& kernel = net.dense_layers()[l]->kernel();
    float* w = kernel.value.data();
    float* g = kernel.grad.data();
    for (std::size_t i = 0; i < saved_[l].size(); ++i) {
      g[i] = masks_[l][i] != 0 ? g[i] * scale : 0.0f;
      w[i] = saved_[l][i];
    }
  }
  applied_ = false;
}

}  // namespace dropconnect
