/// The regularizer interface. Every hook defaults to a no-op; a plugin overrides what it needs:
///   attach()              insert layers into the network's slots (dropout, batch_norm)
///   before_forward()      change the parameters the next training pass uses (DropConnect's
///                         masked weights, an out-of-tree plugin in experiments/)
///   after_backward()      undo that and map the gradients back, right after backward()
///   penalty()             a term added to the training loss (l1, l2)
///   add_penalty_gradient() its gradient, added to Param::grad after backward()
///   after_update()        a step after each optimizer update (max_norm, weight_decay)
///   begin_epoch()         switches that depend on the epoch (l1's start_epoch)
/// Order within one training step: before_forward, forward, penalty (it sees the parameters the
/// pass used), backward, after_backward, add_penalty_gradient, optimizer update, after_update.
/// Named state that must be saved (batch-norm running statistics) lives in the layers a plugin
/// attaches, exposed through Layer::state(), so storage/ saves it with the weights.
///
/// Several regularizers combine in one run; hooks run in the order of the `regularizers:` list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "framework/core/random.hpp"
#include "framework/core/registry.hpp"
#include "framework/models/network.hpp"

namespace reglab::config {
class OptionReader;
}

namespace reglab::regularizers {

/// What attach() may use: the run seed, for streams derived from it.
struct AttachContext {
  std::uint64_t seed = 0;
  /// Index of this regularizer in the run's list (distinguishes two instances of one plugin).
  std::size_t position = 0;
  /// The run's arm (experiment::RunPlan::arm_key): stochastic regularizers mix it into their
  /// streams so that arms sharing a replicate seed draw different noise.
  std::uint64_t arm = 0;
};

/// Where training is when after_update() runs.
struct StepContext {
  double learning_rate = 0.0;
  std::size_t epoch = 0;  ///< 0-based
  std::size_t step = 0;   ///< optimizer updates so far, including this one
};

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  /// Registry name, e.g. "dropout".
  virtual std::string name() const = 0;
  /// One line with the options, e.g. "dropout(rate=0.5, input_rate=0.2)".
  virtual std::string describe() const = 0;

  virtual void attach(models::Network& /*net*/, const AttachContext& /*ctx*/) {}
  /// Runs before the forward pass of every training mini-batch; `ctx.step` is the number of the
  /// update this batch leads to (1 for the first), `ctx.epoch` the epoch. Evaluation passes do
  /// not call it. Whatever it changes must be restored by after_backward().
  virtual void before_forward(models::Network& /*net*/, const StepContext& /*ctx*/) {}
  /// Runs right after backward() of every training mini-batch, before penalty gradients.
  virtual void after_backward(models::Network& /*net*/) {}
  /// Penalty added to the loss, given the current parameters.
  virtual double penalty(const models::Network& /*net*/) const { return 0.0; }
  /// Adds d(penalty)/d(param) to every affected Param::grad.
  virtual void add_penalty_gradient(models::Network& /*net*/) const {}
  /// Runs after every optimizer update.
  virtual void after_update(models::Network& /*net*/, const StepContext& /*ctx*/) {}
  /// Runs before the first mini-batch of every epoch (0-based), also when a run resumes from a
  /// checkpoint: state that depends only on the epoch (l1's start_epoch) is set here.
  virtual void begin_epoch(std::size_t /*epoch*/) {}
};

using RegularizerPtr = std::unique_ptr<Regularizer>;
/// A factory reads its options (every key but `name`) from the reader; the caller calls finish().
using RegularizerRegistry = Registry<RegularizerPtr(config::OptionReader&)>;

/// Adds the built-in regularizers to `r` (builtin.cpp, the registration list).
void register_builtin(RegularizerRegistry& r);

}  // namespace reglab::regularizers
