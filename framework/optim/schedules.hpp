/// Learning-rate schedules: constant, exponential, step and inverse-time decay.
///
/// Each schedule maps the 0-based epoch to a learning rate from the base rate lr (the
/// `optimizer.learning_rate` option); epoch 0 always trains at lr. The rate is constant within an
/// epoch.
#pragma once

#include <cstddef>
#include <string>

#include "framework/optim/optimizer.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::optim {

/// lr at every epoch. describe(): "constant".
class ConstantSchedule : public Schedule {
 public:
  explicit ConstantSchedule(double base_lr);
  double learning_rate(std::size_t epoch) const override;
  std::string describe() const override;

 private:
  double base_lr_;
};

/// Smooth exponential decay: lr * decay_rate^(epoch / decay_epochs), with real division (the
/// rate shrinks a little every epoch, by decay_rate every decay_epochs epochs).
/// describe(): "exponential(decay_rate=0.96, decay_epochs=1)".
class ExponentialSchedule : public Schedule {
 public:
  /// Throws std::invalid_argument unless decay_rate is in (0, 1] and decay_epochs > 0.
  ExponentialSchedule(double base_lr, double decay_rate, double decay_epochs);
  double learning_rate(std::size_t epoch) const override;
  std::string describe() const override;

 private:
  double base_lr_;
  double decay_rate_;
  double decay_epochs_;
};

/// Piecewise-constant decay: lr * gamma^floor(epoch / step_epochs).
/// describe(): "step(gamma=0.1, step_epochs=10)".
class StepSchedule : public Schedule {
 public:
  /// Throws std::invalid_argument unless gamma is in (0, 1] and step_epochs >= 1.
  StepSchedule(double base_lr, double gamma, std::size_t step_epochs);
  double learning_rate(std::size_t epoch) const override;
  std::string describe() const override;

 private:
  double base_lr_;
  double gamma_;
  std::size_t step_epochs_;
};

/// Inverse-time decay: lr / (1 + decay_rate * epoch / decay_epochs), with real division.
/// describe(): "inverse_time(decay_rate=1, decay_epochs=1)".
class InverseTimeSchedule : public Schedule {
 public:
  /// Throws std::invalid_argument unless decay_rate >= 0 and decay_epochs > 0.
  InverseTimeSchedule(double base_lr, double decay_rate, double decay_epochs);
  double learning_rate(std::size_t epoch) const override;
  std::string describe() const override;

 private:
  double base_lr_;
  double decay_rate_;
  double decay_epochs_;
};

/// Registry factories. Each reads its own keys (none for "constant"); the caller calls finish().
/// exponential: decay_rate in (0, 1] (default 0.96), decay_epochs > 0 (default 1).
/// step: gamma in (0, 1] (default 0.1), step_epochs integer >= 1 (required).
/// inverse_time: decay_rate >= 0 (default 1), decay_epochs > 0 (default 1).
SchedulePtr make_constant_schedule(config::OptionReader& options, double base_lr);
SchedulePtr make_exponential_schedule(config::OptionReader& options, double base_lr);
SchedulePtr make_step_schedule(config::OptionReader& options, double base_lr);
SchedulePtr make_inverse_time_schedule(config::OptionReader& options, double base_lr);

}  // namespace reglab::optim
