#include "framework/optim/sgd.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/state_blob.hpp"

namespace reglab::optim {

namespace {

/// One parameter's momentum update over entries [b, e) (sgd.hpp): v <- mu v + damp g, then
/// w <- w - rate v, or w <- w - rate (g + mu v) with nesterov (damp is then 1). Element-wise
/// products and sums only, never contracted into FMA (-ffp-contract=off, CMakeLists.txt): the
/// AVX-512 and AVX2 clones (chosen at load time) give the same bits as the default one.
__attribute__((target_clones("avx512f", "avx2", "default"))) void momentum_range(
    float* w, const float* g, float* v, std::size_t b, std::size_t e, float rate, float mu,
    float damp, bool nesterov) {
  if (damp != 1.0f) {
    for (std::size_t i = b; i < e; ++i) {
      const float vi = mu * v[i] + damp * g[i];
      v[i] = vi;
      w[i] -= rate * vi;
    }
  } else if (nesterov) {
    for (std::size_t i = b; i < e; ++i) {
      const float vi = mu * v[i] + g[i];
      v[i] = vi;
      w[i] -= rate * (g[i] + mu * vi);
    }
  } else {
    for (std::size_t i = b; i < e; ++i) {
      const float vi = mu * v[i] + g[i];
      v[i] = vi;
      w[i] -= rate * vi;
    }
  }
}

/// momentum_range over all n entries of one parameter, in the pool's ranges.
void update_with_momentum(float* w, const float* g, float* v, std::size_t n, float rate, float mu,
                          float damp, bool nesterov) {
  parallel::for_range(n, [&](std::size_t b, std::size_t e) {
    momentum_range(w, g, v, b, e, rate, mu, damp, nesterov);
  });
}

}  // namespace

Sgd::Sgd(const SgdOptions& options)
    : momentum_(options.momentum),
      nesterov_(options.nesterov),
      dampening_(options.dampening),
      initial_momentum_(options.initial_momentum.value_or(options.momentum)),
      ramp_epochs_(options.momentum_ramp_epochs),
      current_(ramp_epochs_ > 0.0 ? initial_momentum_ : momentum_) {
  if (!(momentum_ >= 0.0 && momentum_ < 1.0) ||
      !(initial_momentum_ >= 0.0 && initial_momentum_ < 1.0)) {
    throw std::invalid_argument("sgd: momentum must be in [0, 1)");
  }
  if (!(ramp_epochs_ >= 0.0)) throw std::invalid_argument("sgd: momentum_ramp_epochs must be >= 0");
  if (nesterov_ && momentum_ == 0.0) {
    throw std::invalid_argument("sgd: nesterov requires momentum > 0");
  }
  if (nesterov_ && dampening_) {
    throw std::invalid_argument("sgd: nesterov momentum cannot be combined with dampening");
  }
}

std::string Sgd::describe() const {
  std::ostringstream os;
  os << "sgd(momentum=" << momentum_ << ", nesterov=" << (nesterov_ ? "true" : "false");
  if (dampening_) os << ", dampening=true";
  if (ramp_epochs_ > 0.0) {
    os << ", initial_momentum=" << initial_momentum_ << ", momentum_ramp_epochs=" << ramp_epochs_;
  }
  os << ")";
  return os.str();
}

void Sgd::step(const std::vector<models::Param*>& params, double lr) {
  const float rate = static_cast<float>(lr);
  if (momentum_ == 0.0 && initial_momentum_ == 0.0) {
    for (models::Param* p : params) {
      float* w = p->value.data();
      const float* g = p->grad.data();
      parallel::for_range(p->value.size(), [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) w[i] -= rate * g[i];
      });
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

  const float mu = static_cast<float>(current_);
  // (1 - mu) rounded once; 1 without dampening (and with mu = 0), the undamped loops below.
  const float damp = dampening_ ? static_cast<float>(1.0 - current_) : 1.0f;
  for (std::size_t k = 0; k < params.size(); ++k) {
    models::Param* p = params[k];
    const std::size_t n = p->value.size();
    if (velocity_[k].size() != n || p->grad.size() != n) {
      throw std::logic_error("sgd: param '" + p->name + "' changed size between steps");
    }
    update_with_momentum(p->value.data(), p->grad.data(), velocity_[k].data(), n, rate, mu, damp,
                         nesterov_);
  }
}

void Sgd::begin_epoch(std::size_t epoch) {
  if (ramp_epochs_ <= 0.0) return;
  const double f = std::min(1.0, static_cast<double>(epoch) / ramp_epochs_);
  current_ = initial_momentum_ + (momentum_ - initial_momentum_) * f;
}

void Sgd::save_state(StateBlob& blob) const {
  blob.put_u64("optimizer/sgd/initialised", initialised_ ? 1 : 0);
  for (std::size_t k = 0; k < velocity_.size(); ++k) {
    blob.put_floats("optimizer/sgd/velocity/" + std::to_string(k), velocity_[k].data(),
                    velocity_[k].size());
  }
}

void Sgd::load_state(const StateBlob& blob, const std::vector<models::Param*>& params) {
  velocity_.clear();
  initialised_ = blob.get_u64("optimizer/sgd/initialised") != 0;
  if (!initialised_) return;
  velocity_.reserve(params.size());
  for (std::size_t k = 0; k < params.size(); ++k) {
    velocity_.emplace_back(std::array<std::size_t, 1>{params[k]->value.size()}, 0.0f);
    blob.get_floats("optimizer/sgd/velocity/" + std::to_string(k), velocity_.back().data(),
                    velocity_.back().size());
  }
}

SgdOptions SgdOptions::read(config::OptionReader& reader) {
  SgdOptions o;
  o.momentum = reader.get_double("momentum", 0.0, config::Range::closed_open(0.0, 1.0));
  o.nesterov = reader.get_bool("nesterov", false);
  if (reader.has("initial_momentum")) {
    o.initial_momentum =
        reader.get_double("initial_momentum", 0.0, config::Range::closed_open(0.0, 1.0));
  }
  o.momentum_ramp_epochs =
      reader.get_double("momentum_ramp_epochs", 0.0, config::Range::at_least(0.0));
  if (o.initial_momentum && o.momentum_ramp_epochs == 0.0) {
    reader.fail("initial_momentum", "initial_momentum needs momentum_ramp_epochs > 0");
  }
  if (o.nesterov && o.momentum == 0.0) {
    reader.fail("nesterov", "nesterov momentum requires momentum > 0");
  }
  o.dampening = reader.get_bool("dampening", false);
  if (o.dampening && o.nesterov) {
    reader.fail("dampening",
                "dampening cannot be combined with nesterov momentum (the look-ahead would mix a "
                "damped and an undamped gradient); set one of them to false");
  }
  return o;
}

OptimizerPtr Sgd::from_config(config::OptionReader& reader) {
  return std::make_unique<Sgd>(SgdOptions::read(reader));
}

}  // namespace reglab::optim
