#include "framework/regularizers/weight_decay.hpp"

#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

WeightDecayOptions WeightDecayOptions::read(config::OptionReader& reader) {
  WeightDecayOptions o;
  o.rate = reader.get_double("rate", o.rate, config::Range::at_least(0.0));
  return o;
}

WeightDecay::WeightDecay(const WeightDecayOptions& options) : options_(options) {
  if (!(options.rate >= 0.0)) throw std::invalid_argument("weight_decay: rate must be >= 0");
}

RegularizerPtr WeightDecay::from_config(config::OptionReader& reader) {
  return std::make_unique<WeightDecay>(WeightDecayOptions::read(reader));
}

std::string WeightDecay::describe() const {
  std::ostringstream os;
  os << "weight_decay(rate=" << options_.rate << ")";
  return os.str();
}

void WeightDecay::after_update(models::Network& net, const StepContext& ctx) {
  const float factor = static_cast<float>(1.0 - ctx.learning_rate * options_.rate);
  for (models::Param* p : net.params()) {
    if (!p->is_kernel) continue;
    float* w = p->value.data();
    const std::size_t n = p->value.size();
    for (std::size_t i = 0; i < n; ++i) w[i] *= factor;
  }
}

}  // namespace reglab::regularizers
