#include "framework/regularizers/batch_norm.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"

namespace reglab::regularizers {

namespace {

using parallel::kMinParallel;

void check_options(double momentum, double eps) {
  if (!(momentum > 0.0 && momentum <= 1.0)) {
    throw std::invalid_argument("batch_norm: momentum must be in (0, 1]");
  }
  if (!(eps > 0.0)) throw std::invalid_argument("batch_norm: eps must be > 0");
}

Vector filled(std::size_t size, float value) {
  return Vector(std::array<std::size_t, 1>{size}, value);
}

}  // namespace

BatchNormOptions BatchNormOptions::read(config::OptionReader& reader) {
  BatchNormOptions o;
  o.momentum = reader.get_double("momentum", o.momentum, config::Range::open_closed(0.0, 1.0));
  o.eps = reader.get_double("eps", o.eps, config::Range::positive());
  return o;
}

BatchNormLayer::BatchNormLayer(std::string name, std::size_t units, double momentum, double eps)
    : name_(std::move(name)),
      units_(units),
      momentum_(momentum),
      eps_(eps),
      gamma_("gamma", {units}, false),
      beta_("beta", {units}, false),
      running_mean_(filled(units, 0.0f)),
      running_var_(filled(units, 1.0f)),
      mean_(units, 0.0),
      inv_std_(units, 1.0),
      acc_(units, 0.0),
      sum_dy_(units, 0.0) {
  if (units == 0) throw std::invalid_argument("batch_norm: a layer needs at least one unit");
  check_options(momentum, eps);
  gamma_.value = filled(units, 1.0f);
  gamma_.grad = filled(units, 0.0f);
  beta_.value = filled(units, 0.0f);
  beta_.grad = filled(units, 0.0f);
}

std::string BatchNormLayer::describe() const {
  std::ostringstream os;
  os << name_ << ": " << units_ << " units, momentum " << momentum_ << ", eps " << eps_;
  return os.str();
}

void BatchNormLayer::allocate(std::size_t capacity, const models::Shape& input) {
  if (input.channels != units_) {
    throw std::logic_error(name_ + ": input " + input.str() + " does not have " +
                           std::to_string(units_) + " units or channels");
  }
  Layer::allocate(capacity, input);
  spatial_ = input.spatial();
  size_ = input.size();
  x_hat_ = Matrix(std::array<std::size_t, 2>{capacity, size_}, 0.0f);
}

std::vector<models::StateTensor> BatchNormLayer::state() {
  return {{"running_mean", {units_}, &running_mean_}, {"running_var", {units_}, &running_var_}};
}

void BatchNormLayer::forward(const Matrix& x, std::size_t n, Mode mode) {
  if (n > x_hat_.shape()[0] || n > x.shape()[0] || x.shape()[1] != size_) {
    throw std::logic_error(name_ + ": input does not match the allocated buffers");
  }
  last_train_ = mode == Mode::kTrain;
  if (last_train_ && n < 2) {
    throw Error(name_ + ": a training batch needs at least 2 rows (got " + std::to_string(n) +
                "); check batch_size and the size of the last batch");
  }
  // Column ranges on the run's threads: every statistic is a per-column sum over the rows (and
  // positions), in row order, so the numbers do not depend on the split.
  parallel::for_range(
      units_,
      [&](std::size_t j0, std::size_t j1) {
        if (last_train_) {
          batch_statistics(x, n, j0, j1);
        } else {
          for (std::size_t j = j0; j < j1; ++j) {
            mean_[j] = running_mean_(j);
            inv_std_[j] = 1.0 / std::sqrt(static_cast<double>(running_var_(j)) + eps_);
          }
        }
        normalise(x, n, j0, j1);
      },
      kMinParallel / (n * spatial_) + 1);
}

void BatchNormLayer::batch_statistics(const Matrix& x, std::size_t n, std::size_t j0,
                                      std::size_t j1) {
  const float* in = x.data();
  const double count = static_cast<double>(n * spatial_);
  std::fill(mean_.begin() + j0, mean_.begin() + j1, 0.0);
  std::fill(acc_.begin() + j0, acc_.begin() + j1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      const float* at = in + i * size_ + j * spatial_;
      for (std::size_t p = 0; p < spatial_; ++p) mean_[j] += at[p];
    }
  }
  for (std::size_t j = j0; j < j1; ++j) mean_[j] /= count;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      const float* at = in + i * size_ + j * spatial_;
      for (std::size_t p = 0; p < spatial_; ++p) {
        const double d = at[p] - mean_[j];
        acc_[j] += d * d;
      }
    }
  }
  const double m = momentum_;
  for (std::size_t j = j0; j < j1; ++j) {
    inv_std_[j] = 1.0 / std::sqrt(acc_[j] / count + eps_);
    running_mean_(j) = static_cast<float>((1.0 - m) * running_mean_(j) + m * mean_[j]);
    running_var_(j) = static_cast<float>((1.0 - m) * running_var_(j) + m * acc_[j] / (count - 1.0));
  }
}

void BatchNormLayer::normalise(const Matrix& x, std::size_t n, std::size_t j0, std::size_t j1) {
  const float* in = x.data();
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  const double* mean = mean_.data();
  float* xh = x_hat_.data();
  float* out = out_.data();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      for (std::size_t p = 0; p < spatial_; ++p) {
        const std::size_t k = i * size_ + j * spatial_ + p;
        xh[k] = static_cast<float>((in[k] - mean[j]) * inv_std_[j]);
        out[k] = g[j] * xh[k] + b[j];
      }
    }
  }
}

void BatchNormLayer::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                              bool need_input_grad) {
  parallel::for_range(
      units_,
      [&](std::size_t j0, std::size_t j1) {
        backward_columns(grad_out, n, need_input_grad, j0, j1);
      },
      kMinParallel / (n * spatial_) + 1);
}

void BatchNormLayer::backward_columns(const Matrix& grad_out, std::size_t n, bool need_input_grad,
                                      std::size_t j0, std::size_t j1) {
  const float* dy = grad_out.data();
  const float* xh = x_hat_.data();
  std::fill(acc_.begin() + j0, acc_.begin() + j1, 0.0);  // sum(dy * x_hat) per column
  float* dgamma = gamma_.grad.data();
  float* dbeta = beta_.grad.data();
  std::fill(sum_dy_.begin() + j0, sum_dy_.begin() + j1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      for (std::size_t p = 0; p < spatial_; ++p) {
        const std::size_t k = i * size_ + j * spatial_ + p;
        sum_dy_[j] += dy[k];
        acc_[j] += static_cast<double>(dy[k]) * xh[k];
      }
    }
  }
  for (std::size_t j = j0; j < j1; ++j) {
    dgamma[j] = static_cast<float>(acc_[j]);
    dbeta[j] = static_cast<float>(sum_dy_[j]);
  }
  if (!need_input_grad) return;
  const float* g = gamma_.value.data();
  float* dx = grad_in_.data();
  const double count = static_cast<double>(n * spatial_);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      const double scale = g[j] * inv_std_[j];
      for (std::size_t p = 0; p < spatial_; ++p) {
        const std::size_t k = i * size_ + j * spatial_ + p;
        dx[k] = static_cast<float>(last_train_ ? scale / count *
                                                     (count * dy[k] - sum_dy_[j] - xh[k] * acc_[j])
                                               : scale * dy[k]);
      }
    }
  }
}

BatchNorm::BatchNorm(const BatchNormOptions& options) : options_(options) {
  check_options(options.momentum, options.eps);
}

RegularizerPtr BatchNorm::from_config(config::OptionReader& reader) {
  return std::make_unique<BatchNorm>(BatchNormOptions::read(reader));
}

std::string BatchNorm::describe() const {
  std::ostringstream os;
  os << "batch_norm(momentum=" << options_.momentum << ", eps=" << options_.eps << ")";
  return os.str();
}

void BatchNorm::attach(models::Network& net, const AttachContext& /*ctx*/) {
  for (std::size_t i = 0; i < net.hidden_count(); ++i) {
    net.add_pre_activation(
        i, std::make_unique<BatchNormLayer>(net.unique_name("batch_norm_" + std::to_string(i)),
                                            net.pre_activation_shape(i).channels, options_.momentum,
                                            options_.eps));
  }
}

}  // namespace reglab::regularizers
