/// A run's training settings as typed values: the `train:` map and the top-level `diagnostics:`
/// map of a run configuration, read by experiment/run_config.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "framework/data/augment.hpp"
#include "framework/train/diagnostics.hpp"

namespace reglab::train {

/// `train.early_stopping`: stop when the validation metric has not improved by more than
/// `min_delta` for `patience` epochs (Prechelt 1998, "Early stopping - but when?"); with
/// `restore_best` the saved weights are those of the best epoch. Needs a validation split.
struct EarlyStopping {
  bool enabled = false;
  std::string metric = "validation_loss";  ///< validation_loss (lower) or validation_accuracy
  std::size_t patience = 10;
  double min_delta = 0.0;
  bool restore_best = true;
};

/// What happens to a batch of images between the dataset and the network: `data.augment`
/// (training batches only, drawn from the run's stream "augment", the same in every arm of a
/// seed) and `data.standardize: per_channel` (every batch, with statistics of the training
/// split). Augmentation comes first, on the [0, 1] scale, so its zero padding is black.
struct InputPipeline {
  data::ImageShape shape;      ///< set when either step is on
  data::Augmentation augment;  ///< inactive by default
  std::optional<data::ChannelStats> standardize;

  bool augments() const { return augment.active(); }
};

struct TrainSettings {
  std::size_t epochs = 0;
  std::size_t batch_size = 64;
  std::size_t eval_batch_size = 1000;
  /// `train.eval_every`: evaluate the splits after every N-th epoch and after the last (1 =
  /// every epoch). The loss and accuracy curves hold NaN at the other epochs; the epoch's
  /// objective, learning rate, seconds and diagnostics are recorded at every epoch.
  std::size_t eval_every = 1;
  /// `train.train_eval_size`: evaluate the training split's loss and accuracy on this many of
  /// its samples, a fixed random subset drawn from the run's stream "train_eval" (the same in
  /// every arm of a seed); 0 = the whole training split.
  std::size_t train_eval_size = 0;
  /// `train.mc_samples`: Monte-Carlo evaluation of the test split after the last epoch
  /// (Srivastava et al. 2014, "Dropout", JMLR, Section 7.5 and Figure 11): for each k listed
  /// (ascending, distinct), the test loss and error of the predicted probabilities averaged over
  /// k networks with sampled noise (Mode::kSample), next to weight scaling's deterministic pass.
  /// Empty: none.
  std::vector<std::size_t> mc_samples;
  EarlyStopping early_stopping;
  /// Write a checkpoint every N epochs (0 = never); see train/train_state.hpp.
  std::size_t checkpoint_every = 1;
  train::DiagnosticsOptions diagnostics;  ///< the top-level `diagnostics:` map
  InputPipeline input;                    ///< set by the runner once the data is loaded
};

}  // namespace reglab::train
