#include "framework/regularizers/l1.hpp"

#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

L1Options L1Options::read(config::OptionReader& reader) {
  L1Options o;
  o.lambda = reader.get_double("lambda", o.lambda, config::Range::at_least(0.0));
  o.start_epoch = static_cast<std::size_t>(reader.get_int("start_epoch", 1, 1, 1000000));
  return o;
}

L1::L1(const L1Options& options) : options_(options), active_(options.start_epoch <= 1) {
  if (!(options.lambda >= 0.0)) throw std::invalid_argument("l1: lambda must be >= 0");
}

RegularizerPtr L1::from_config(config::OptionReader& reader) {
  return std::make_unique<L1>(L1Options::read(reader));
}

std::string L1::describe() const {
  std::ostringstream os;
  os << "l1(lambda=" << options_.lambda;
  if (options_.start_epoch > 1) os << ", start_epoch=" << options_.start_epoch;
  os << ")";
  return os.str();
}

void L1::begin_epoch(std::size_t epoch) { active_ = epoch + 1 >= options_.start_epoch; }

double L1::penalty(const models::Network& net) const {
  if (!active_) return 0.0;
  double sum = 0.0;
  for (const models::Param* p : net.params()) {
    if (!p->is_kernel) continue;
    const float* w = p->value.data();
    const std::size_t n = p->value.size();
    for (std::size_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(w[i]));
  }
  return options_.lambda * sum;
}

void L1::add_penalty_gradient(models::Network& net) const {
  if (!active_) return;
  const float lambda = static_cast<float>(options_.lambda);
  for (models::Param* p : net.params()) {
    if (!p->is_kernel) continue;
    const float* w = p->value.data();
    float* g = p->grad.data();
    const std::size_t n = p->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (w[i] > 0.0f) {
        g[i] += lambda;
      } else if (w[i] < 0.0f) {
        g[i] -= lambda;
      }
    }
  }
}

}  // namespace reglab::regularizers
