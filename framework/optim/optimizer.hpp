/// Optimizers and learning-rate schedules.
///
/// Optimizers update every Param of a network from its gradient, in place, allocating their state
/// on the first step. Registered names: "sgd" (momentum, nesterov), "adam".
/// Schedules give the learning rate of an epoch: "constant", "exponential"
/// (lr * decay_rate^(epoch / decay_epochs)), "step" (lr * gamma^floor(epoch / step_epochs)),
/// "inverse_time" (lr / (1 + decay_rate * epoch / decay_epochs)).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/registry.hpp"
#include "framework/models/layer.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab {
class StateBlob;
}

namespace reglab::optim {

/// Learning rate as a function of the 0-based epoch.
class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double learning_rate(std::size_t epoch) const = 0;
  virtual std::string describe() const = 0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  virtual std::string describe() const = 0;
  /// Applies one update with learning rate `lr` to every param.
  virtual void step(const std::vector<models::Param*>& params, double lr) = 0;
  /// Called before the first step of every epoch (0-based): per-epoch schedules of the
  /// optimizer's own hyper-parameters (SGD's rising momentum).
  virtual void begin_epoch(std::size_t /*epoch*/) {}
  /// Saves the optimizer's state (moments, step count) under keys starting with "optimizer/".
  virtual void save_state(StateBlob& /*blob*/) const {}
  /// Restores what save_state wrote; `params` are the network's params in step() order.
  virtual void load_state(const StateBlob& /*blob*/,
                          const std::vector<models::Param*>& /*params*/) {}
};

using OptimizerPtr = std::unique_ptr<Optimizer>;
using SchedulePtr = std::unique_ptr<Schedule>;

/// An optimizer factory reads its own options from the `optimizer:` map (except `name`,
/// `learning_rate` and `schedule`). The caller accepts those keys and calls finish() afterwards.
using OptimizerRegistry = Registry<OptimizerPtr(config::OptionReader&)>;
/// Adds the built-in optimizers and schedules (builtin.cpp, the registration lists).
void register_builtin(OptimizerRegistry& r);

/// A schedule factory reads `schedule:` options (except `name`) given the base learning rate;
/// the caller calls finish() afterwards.
using ScheduleRegistry = Registry<SchedulePtr(config::OptionReader&, double base_lr)>;
void register_builtin(ScheduleRegistry& r);

}  // namespace reglab::optim
