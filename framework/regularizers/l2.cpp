#include "framework/regularizers/l2.hpp"

#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

L2Options L2Options::read(config::OptionReader& reader) {
  L2Options o;
  o.lambda = reader.get_double("lambda", o.lambda, config::Range::at_least(0.0));
  return o;
}

L2::L2(const L2Options& options) : options_(options) {
  if (!(options.lambda >= 0.0)) throw std::invalid_argument("l2: lambda must be >= 0");
}

RegularizerPtr L2::from_config(config::OptionReader& reader) {
  return std::make_unique<L2>(L2Options::read(reader));
}

std::string L2::describe() const {
  std::ostringstream os;
  os << "l2(lambda=" << options_.lambda << ")";
  return os.str();
}

double L2::penalty(const models::Network& net) const {
  double sum = 0.0;
  for (const models::Param* p : net.params()) {
    if (!p->is_kernel) continue;
    const float* w = p->value.data();
    const std::size_t n = p->value.size();
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(w[i]) * w[i];
  }
  return 0.5 * options_.lambda * sum;
}

void L2::add_penalty_gradient(models::Network& net) const {
  const float lambda = static_cast<float>(options_.lambda);
  for (models::Param* p : net.params()) {
    if (!p->is_kernel) continue;
    const float* w = p->value.data();
    float* g = p->grad.data();
    const std::size_t n = p->value.size();
    for (std::size_t i = 0; i < n; ++i) g[i] += lambda * w[i];
  }
}

}  // namespace reglab::regularizers
