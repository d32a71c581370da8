#include "framework/optim/adam.hpp"

#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/state_blob.hpp"

namespace reglab::optim {

namespace {

/// One Adam update of n weights. `step_size` = lr / (1 - beta1^t), `inv_sqrt_bc2` =
/// 1 / sqrt(1 - beta2^t), so that step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps) equals
/// lr * mhat / (sqrt(vhat) + eps). Cloned for AVX-512 and AVX2 (chosen at load time on CPUs that
/// have them): vector sqrt and division round exactly like the scalar ones and the library is built
/// with -ffp-contract=off (CMakeLists.txt), so every clone gives bitwise-identical results.
__attribute__((target_clones("avx512f", "avx2", "default"))) void adam_kernel(
    float* w, const float* g, float* m, float* v, std::size_t n, float beta1, float beta2,
    float step_size, float inv_sqrt_bc2, float eps) {
  const float one_minus_beta1 = 1.0f - beta1;
  const float one_minus_beta2 = 1.0f - beta2;
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + one_minus_beta1 * gi;
    const float vi = beta2 * v[i] + one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace

Adam::Adam(const AdamOptions& options)
    : beta1_(options.beta1), beta2_(options.beta2), eps_(options.eps) {
  if (!(beta1_ >= 0.0 && beta1_ < 1.0))
    throw std::invalid_argument("adam: beta1 must be in [0, 1)");
  if (!(beta2_ >= 0.0 && beta2_ < 1.0))
    throw std::invalid_argument("adam: beta2 must be in [0, 1)");
  if (!(eps_ > 0.0 && std::isfinite(eps_))) throw std::invalid_argument("adam: eps must be > 0");
}

std::string Adam::describe() const {
  std::ostringstream os;
  os << "adam(beta1=" << beta1_ << ", beta2=" << beta2_ << ", eps=" << eps_ << ")";
  return os.str();
}

void Adam::step(const std::vector<models::Param*>& params, double lr) {
  if (t_ == 0) {
    m_.reserve(params.size());
    v_.reserve(params.size());
    for (const models::Param* p : params) {
      const std::array<std::size_t, 1> shape{p->value.size()};
      m_.emplace_back(shape, 0.0f);
      v_.emplace_back(shape, 0.0f);
    }
  }
  if (params.size() != m_.size()) {
    throw std::logic_error("adam: step() called with a different number of params");
  }

  ++t_;
  const double t = static_cast<double>(t_);
  const double bias_correction1 = 1.0 - std::pow(beta1_, t);
  const double bias_correction2 = 1.0 - std::pow(beta2_, t);
  const float step_size = static_cast<float>(lr / bias_correction1);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bias_correction2));
  const float beta1 = static_cast<float>(beta1_);
  const float beta2 = static_cast<float>(beta2_);
  const float eps = static_cast<float>(eps_);

  for (std::size_t k = 0; k < params.size(); ++k) {
    models::Param* p = params[k];
    const std::size_t n = p->value.size();
    if (m_[k].size() != n || p->grad.size() != n) {
      throw std::logic_error("adam: param '" + p->name + "' changed size between steps");
    }
    float* w = p->value.data();
    const float* g = p->grad.data();
    float* m = m_[k].data();
    float* v = v_[k].data();
    parallel::for_range(n, [&](std::size_t b, std::size_t e) {
      adam_kernel(w + b, g + b, m + b, v + b, e - b, beta1, beta2, step_size, inv_sqrt_bc2, eps);
    });
  }
}

AdamOptions AdamOptions::read(config::OptionReader& reader) {
  using config::Range;
  AdamOptions o;
  o.beta1 = reader.get_double("beta1", o.beta1, Range::closed_open(0.0, 1.0));
  o.beta2 = reader.get_double("beta2", o.beta2, Range::closed_open(0.0, 1.0));
  o.eps = reader.get_double("eps", o.eps, Range::positive());
  return o;
}

OptimizerPtr Adam::from_config(config::OptionReader& reader) {
  return std::make_unique<Adam>(AdamOptions::read(reader));
}

void Adam::save_state(StateBlob& blob) const {
  blob.put_u64("optimizer/adam/t", t_);
  for (std::size_t k = 0; k < m_.size(); ++k) {
    blob.put_floats("optimizer/adam/m/" + std::to_string(k), m_[k].data(), m_[k].size());
    blob.put_floats("optimizer/adam/v/" + std::to_string(k), v_[k].data(), v_[k].size());
  }
}

void Adam::load_state(const StateBlob& blob, const std::vector<models::Param*>& params) {
  m_.clear();
  v_.clear();
  t_ = static_cast<std::size_t>(blob.get_u64("optimizer/adam/t"));
  if (t_ == 0) return;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const std::array<std::size_t, 1> shape{params[k]->value.size()};
    m_.emplace_back(shape, 0.0f);
    v_.emplace_back(shape, 0.0f);
    blob.get_floats("optimizer/adam/m/" + std::to_string(k), m_.back().data(), m_.back().size());
    blob.get_floats("optimizer/adam/v/" + std::to_string(k), v_.back().data(), v_.back().size());
  }
}

}  // namespace reglab::optim
