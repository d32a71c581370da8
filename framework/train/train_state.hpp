/// A run's complete training state: what a checkpoint holds, so that training continued from
/// it gives the same numbers, bitwise, as a run that was never interrupted.
///
/// Keys in the StateBlob (core/state_blob.hpp):
///   trainer/epochs_done, trainer/step     u64: completed epochs and optimizer steps
///   trainer/order                         u32s: the training indices in their current shuffle
///   trainer/data_order, trainer/augment   rng: the shuffle's and augmentation's streams
///   trainer/curves_names, trainer/curves/NAME, trainer/step_curves_names, trainer/step_curves/NAME
///   net/LAYER/param/NAME, net/LAYER/state/NAME, net/LAYER/stream/I   every layer's numbers
///   the optimizer's keys (optim/), early_stopping/... (early_stopper.hpp)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/state_blob.hpp"
#include "framework/models/network.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/train/curve_set.hpp"
#include "framework/train/early_stopper.hpp"

namespace reglab::train {

/// The keys the runner reads too.
namespace state_keys {
inline constexpr const char* kEpochsDone = "trainer/epochs_done";
}  // namespace state_keys

/// The epoch loop's own state; the network, optimizer and early stopper keep theirs, and
/// save()/restore() write and read all of them together.
struct TrainState {
  /// A fresh start: epoch 0, step 0, the training indices unshuffled, streams "data_order" and
  /// "augment" of `seed`.
  TrainState(std::uint64_t seed, std::vector<std::uint32_t> train_indices, bool augments,
             bool has_validation);

  std::size_t epochs_done = 0;
  std::size_t step = 0;
  std::vector<std::uint32_t> order;
  Rng data_order;
  Rng augment;
  bool augments = false;  ///< whether `augment` is in use (and in the checkpoint)
  CurveSet curves;
  CurveSet step_curves;

  /// Writes this state, then every layer's parameters, state tensors and streams, the
  /// optimizer's state and (if any) the early stopper's.
  void save(StateBlob& blob, models::Network& net, const optim::Optimizer& optimizer,
            const EarlyStopper* stopper) const;
  /// Reads what save() wrote. Throws StorageError when the checkpoint's training split does not
  /// have this run's size.
  void restore(const StateBlob& blob, models::Network& net, optim::Optimizer& optimizer,
               EarlyStopper* stopper);
};

}  // namespace reglab::train
