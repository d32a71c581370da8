/// Early stopping's bookkeeping (train.early_stopping, settings.hpp): the best validation value
/// so far, the epochs since, and with restore_best a copy of the network's values at the best
/// epoch.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/state_blob.hpp"
#include "framework/core/tensor.hpp"
#include "framework/models/network.hpp"
#include "framework/train/settings.hpp"

namespace reglab::train {

/// Every number of the network that training changes: parameter values and layer state
/// (batch-norm running statistics), in a fixed order.
std::vector<Vector*> network_values(models::Network& net);

class EarlyStopper {
 public:
  /// Watches `values` (network_values()) for `options`, which must outlive the stopper.
  EarlyStopper(const EarlyStopping& options, std::vector<Vector*> values);

  const EarlyStopping& options() const { return options_; }
  std::size_t best_epoch() const { return best_epoch_; }  ///< 1-based; 0 = none yet

  /// Records epoch `epoch` (1-based) with its validation evaluation; true when training should
  /// stop.
  bool update(std::size_t epoch, double validation_loss, double validation_accuracy);
  /// With restore_best, puts the best epoch's values back into the network.
  void restore_best() const;
  /// "early stopping after epoch N: best METRIC at epoch M".
  std::string message(std::size_t stopped_epoch) const;

  /// Saved under early_stopping/ in a checkpoint.
  void save(StateBlob& blob) const;
  void load(const StateBlob& blob);

 private:
  const EarlyStopping& options_;
  std::vector<Vector*> values_;
  double best_ = 0.0;
  std::size_t best_epoch_ = 0;
  std::size_t bad_epochs_ = 0;
  std::vector<Vector> snapshot_;  ///< values_ at the best epoch (restore_best only)
};

}  // namespace reglab::train
