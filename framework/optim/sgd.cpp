#include "framework/optim/sgd.hpp"

#include <array>
#include <cstddef>
#include <sstream>
#include <stdexcept>

#include "framework/experiment/options.hpp"

namespace reglab::optim {

Sgd::Sgd(double momentum, bool nesterov) : momentum_(momentum), nesterov_(nesterov) {
  if (!(momentum >= 0.0 && momentum < 1.0)) {
    throw std::invalid_argument("sgd: momentum must be in [0, 1)");
  }
  if (nesterov && momentum == 0.0) {
    throw std::invalid_argument("sgd: nesterov requires momentum > 0");
  }
}

std::string Sgd::describe() const {
  std::ostringstream os;
  os << "sgd(momentum=" << momentum_ << ", nesterov=" << (nesterov_ ? "true" : "false") << ")";
  return os.str();
}

void Sgd::step(const std::vector<models::Param*>& params, double lr) {
  const float rate = static_cast<float>(lr);
  if (momentum_ == 0.0) {
    for (models::Param* p : params) {
      float* w = p->value.data();
      const float* g = p->grad.data();
      const std::size_t n = p->value.size();
      for (std::size_t i = 0; i < n; ++i) w[i] -= rate * g[i];
    }
    return;
  }

  if (!initialised_) {
    velocity_.reserve(params.size());
    for (const models::Param* p : params) {
      velocity_.emplace_back(std::array<std::size_t, 1>{p->value.size()}, 0.0f);
    }
    initialised_ = true;
  }
  if (params.size() != velocity_.size()) {
    throw std::logic_error("sgd: step() called with a different number of params");
  }

  const float mu = static_cast<float>(momentum_);
  for (std::size_t k = 0; k < params.size(); ++k) {
    models::Param* p = params[k];
    const std::size_t n = p->value.size();
    if (velocity_[k].size() != n || p->grad.size() != n) {
      throw std::logic_error("sgd: param '" + p->name + "' changed size between steps");
    }
    float* w = p->value.data();
    const float* g = p->grad.data();
    float* v = velocity_[k].data();
    if (nesterov_) {
      for (std::size_t i = 0; i < n; ++i) {
        const float vi = mu * v[i] + g[i];
        v[i] = vi;
        w[i] -= rate * (g[i] + mu * vi);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const float vi = mu * v[i] + g[i];
        v[i] = vi;
        w[i] -= rate * vi;
      }
    }
  }
}

OptimizerPtr make_sgd(experiment::OptionReader& options) {
  const double momentum =
      options.get_double("momentum", 0.0, experiment::Range::closed_open(0.0, 1.0));
  const bool nesterov = options.get_bool("nesterov", false);
  if (nesterov && momentum == 0.0) {
    options.fail("nesterov", "nesterov momentum requires momentum > 0");
  }
  return std::make_unique<Sgd>(momentum, nesterov);
}

}  // namespace reglab::optim
