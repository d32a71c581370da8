#include "framework/optim/schedules.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"

namespace reglab::optim {

ConstantSchedule::ConstantSchedule(double base_lr) : base_lr_(base_lr) {}

double ConstantSchedule::learning_rate(std::size_t /*epoch*/) const { return base_lr_; }

std::string ConstantSchedule::describe() const { return "constant"; }

ExponentialSchedule::ExponentialSchedule(double base_lr, double decay_rate, double decay_epochs)
    : base_lr_(base_lr), decay_rate_(decay_rate), decay_epochs_(decay_epochs) {
  if (!(decay_rate > 0.0 && decay_rate <= 1.0)) {
    throw std::invalid_argument("exponential schedule: decay_rate must be in (0, 1]");
  }
  if (!(decay_epochs > 0.0 && std::isfinite(decay_epochs))) {
    throw std::invalid_argument("exponential schedule: decay_epochs must be > 0");
  }
}

double ExponentialSchedule::learning_rate(std::size_t epoch) const {
  return base_lr_ * std::pow(decay_rate_, static_cast<double>(epoch) / decay_epochs_);
}

std::string ExponentialSchedule::describe() const {
  std::ostringstream os;
  os << "exponential(decay_rate=" << decay_rate_ << ", decay_epochs=" << decay_epochs_ << ")";
  return os.str();
}

StepSchedule::StepSchedule(double base_lr, double gamma, std::size_t step_epochs)
    : base_lr_(base_lr), gamma_(gamma), step_epochs_(step_epochs) {
  if (!(gamma > 0.0 && gamma <= 1.0)) {
    throw std::invalid_argument("step schedule: gamma must be in (0, 1]");
  }
  if (step_epochs < 1) throw std::invalid_argument("step schedule: step_epochs must be >= 1");
}

double StepSchedule::learning_rate(std::size_t epoch) const {
  const std::size_t steps = epoch / step_epochs_;  // whole steps: floor(epoch / step_epochs)
  return base_lr_ * std::pow(gamma_, static_cast<double>(steps));
}

std::string StepSchedule::describe() const {
  std::ostringstream os;
  os << "step(gamma=" << gamma_ << ", step_epochs=" << step_epochs_ << ")";
  return os.str();
}

InverseTimeSchedule::InverseTimeSchedule(double base_lr, double decay_rate, double decay_epochs)
    : base_lr_(base_lr), decay_rate_(decay_rate), decay_epochs_(decay_epochs) {
  if (!(decay_rate >= 0.0 && std::isfinite(decay_rate))) {
    throw std::invalid_argument("inverse_time schedule: decay_rate must be >= 0");
  }
  if (!(decay_epochs > 0.0 && std::isfinite(decay_epochs))) {
    throw std::invalid_argument("inverse_time schedule: decay_epochs must be > 0");
  }
}

double InverseTimeSchedule::learning_rate(std::size_t epoch) const {
  return base_lr_ / (1.0 + decay_rate_ * static_cast<double>(epoch) / decay_epochs_);
}

std::string InverseTimeSchedule::describe() const {
  std::ostringstream os;
  os << "inverse_time(decay_rate=" << decay_rate_ << ", decay_epochs=" << decay_epochs_ << ")";
  return os.str();
}

SchedulePtr make_constant_schedule(config::OptionReader& /*options*/, double base_lr) {
  return std::make_unique<ConstantSchedule>(base_lr);
}

SchedulePtr make_exponential_schedule(config::OptionReader& options, double base_lr) {
  using config::Range;
  const double decay_rate = options.get_double("decay_rate", 0.96, Range::open_closed(0.0, 1.0));
  const double decay_epochs = options.get_double("decay_epochs", 1.0, Range::positive());
  return std::make_unique<ExponentialSchedule>(base_lr, decay_rate, decay_epochs);
}

SchedulePtr make_step_schedule(config::OptionReader& options, double base_lr) {
  using config::Range;
  const double gamma = options.get_double("gamma", 0.1, Range::open_closed(0.0, 1.0));
  const std::int64_t step_epochs =
      options.require_int("step_epochs", 1, std::numeric_limits<std::int64_t>::max());
  return std::make_unique<StepSchedule>(base_lr, gamma, static_cast<std::size_t>(step_epochs));
}

SchedulePtr make_inverse_time_schedule(config::OptionReader& options, double base_lr) {
  using config::Range;
  const double decay_rate = options.get_double("decay_rate", 1.0, Range::at_least(0.0));
  const double decay_epochs = options.get_double("decay_epochs", 1.0, Range::positive());
  return std::make_unique<InverseTimeSchedule>(base_lr, decay_rate, decay_epochs);
}

}  // namespace reglab::optim
