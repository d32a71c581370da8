/// Named curves of a run: one value per epoch (or per recorded step), in a fixed order.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/core/state_blob.hpp"

namespace reglab::train {

/// One curve: its name and its values in order.
using Curve = std::pair<std::string, std::vector<double>>;

/// Curves in the order they were first added; the epoch curves of a run start with the fixed
/// set of epoch_curves().
class CurveSet {
 public:
  CurveSet() = default;
  explicit CurveSet(std::vector<Curve> curves) : curves_(std::move(curves)) {}

  /// The epoch curves every run has, empty: epoch, learning_rate, train_objective, train_loss,
  /// train_accuracy, validation_loss and validation_accuracy (with a validation split),
  /// test_loss, test_accuracy, seconds, gflop.
  static CurveSet epoch_curves(bool has_validation);

  /// Appends `value` to curve `name`, creating it at the end (diagnostics are known only once
  /// measured).
  void add(const std::string& name, double value);
  std::vector<Curve>& all() { return curves_; }
  const std::vector<Curve>& all() const { return curves_; }

  /// Writes the names (newline-terminated, in order) to `prefix`_names and each curve to
  /// `prefix`/NAME.
  void save(StateBlob& blob, const std::string& prefix) const;
  /// Replaces the curves with what save() wrote under `prefix`.
  void load(const StateBlob& blob, const std::string& prefix);

 private:
  std::vector<Curve> curves_;
};

}  // namespace reglab::train
