/// The epoch loop.
///
/// Each epoch: the training indices are shuffled with the run's "data_order" stream; for every
/// mini-batch the network runs in train mode, the loss (softmax cross-entropy, or for a regression
/// set the squared error of models/loss.hpp) plus every regularizer's penalty is back-propagated,
/// the optimizer steps with the epoch's learning rate, and every regularizer's after_update hook
/// runs (in list order). After the epoch the network is evaluated in eval mode on the training,
/// validation and test splits: after every `eval_every`-th epoch and the last one, the training
/// split on `train_eval_size` of its samples if set (settings.hpp). When the training set size
/// leaves a final mini-batch of one sample, that batch is skipped (batch statistics need two
/// samples); the sample is still seen in other epochs, in another position of the shuffle.
///
/// Curves (one value per completed epoch): epoch (1-based), learning_rate, train_objective (mean
/// mini-batch loss plus penalty, train mode), train_loss, train_accuracy, validation_loss and
/// validation_accuracy (when a validation split exists), test_loss, test_accuracy (accuracies are
/// NaN on a regression set), seconds (wall time of the epoch, including evaluation), gflop (the
/// floating-point operations of the epoch's matrix products, training and evaluation, in units of
/// 1e9, core/gemm.hpp: a count, the same on every run; gflop / seconds is the epoch's achieved
/// GFLOP/s), then the enabled diagnostics (train/diagnostics.hpp).
///
/// Training runs with denormals flushed to zero on the calling thread (core/blas.hpp).
///
/// A non-finite mini-batch loss stops training with status "diverged"; the curves hold the epochs
/// completed before it.
///
/// Early stopping (EarlyStopping) ends training after the epoch at which the
/// validation metric has gone `patience` epochs without improving; the curves end there, and with
/// `restore_best` the network is left with the weights (and batch-norm statistics) of the best
/// epoch.
///
/// Checkpoints: with a Checkpointer, the complete training state (train/train_state.hpp) is saved
/// after every `checkpoint_every` epochs; given a saved state, training continues from it and
/// produces the same numbers, bitwise, as a run that was never interrupted. Before each epoch the
/// optimizer's and every regularizer's begin_epoch() hook runs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/state_blob.hpp"
#include "framework/data/dataset.hpp"
#include "framework/models/network.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/regularizers/regularizer.hpp"
#include "framework/train/settings.hpp"

namespace reglab::train {

/// Loss and accuracy of a split.
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

/// Receives progress events; the default implementation ignores them.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void batch_done(std::size_t /*epoch*/, std::size_t /*batch*/, std::size_t /*batches*/) {}
  /// `curves` holds every value so far; the last entry of each is this epoch.
  virtual void epoch_done(
      std::size_t /*epoch*/,
      const std::vector<std::pair<std::string, std::vector<double>>>& /*curves*/) {}
};

struct TrainResult {
  std::string status;   ///< "complete" or "diverged"
  std::string message;  ///< empty, or where and why training diverged or stopped early
  std::size_t resumed_from_epoch = 0;  ///< epochs restored from a checkpoint (0 = fresh start)
  std::size_t best_epoch = 0;          ///< early stopping: best epoch (1-based), else 0
  std::size_t stopped_epoch = 0;       ///< early stopping: the epoch it stopped after, else 0
  std::vector<std::pair<std::string, std::vector<double>>> curves;
  /// Diagnostics every `diagnostics.every_steps` steps ("step" first); empty if not asked for.
  std::vector<std::pair<std::string, std::vector<double>>> step_curves;
};

/// Keeps a run's checkpoint; the runner implements it over `<output>.ckpt`.
class Checkpointer {
 public:
  virtual ~Checkpointer() = default;
  /// The state to resume from, or nullptr for a fresh start.
  virtual const StateBlob* resume_state() const = 0;
  /// Stores `blob` (replacing the previous checkpoint).
  virtual void save(StateBlob& blob) = 0;
};

/// Evaluates `net` in eval mode on `split` with batches of up to net.capacity() rows,
/// standardized as `input` says (never augmented). On a regression set the loss is the squared
/// error and the accuracy NaN. `x` (capacity x features) and `labels`
/// (capacity) are scratch buffers.
Evaluation evaluate(models::Network& net, const data::Split& split, Matrix& x,
                    std::vector<std::uint8_t>& labels, const InputPipeline& input = {});

/// Monte-Carlo evaluation (Srivastava et al. 2014, "Dropout", JMLR, Section 7.5): for each k of
/// `ks` (ascending), the loss -log(pbar_y) and accuracy of argmax pbar, where pbar is the
/// softmax output averaged over k forward passes in Mode::kSample (noise layers draw, batch norm
/// uses its running statistics). One set of ks.back() passes per batch serves every k: the
/// estimate for k uses that batch's first k samples. Draws continue each noise layer's own
/// stream, so the results are reproducible; evaluate after training, as the stream then feeds
/// no further training. Batches, scratch buffers and input as evaluate(). Throws DataError on a
/// regression set.
std::vector<Evaluation> evaluate_mc(models::Network& net, const data::Split& split, Matrix& x,
                                    std::vector<std::uint8_t>& labels,
                                    const std::vector<std::size_t>& ks,
                                    const InputPipeline& input = {});

/// Trains `net` (already finalized with capacity >= max(batch_size, eval_batch_size), with the
/// regularizers attached) on `splits`.
TrainResult train(models::Network& net, optim::Optimizer& optimizer,
                  const optim::Schedule& schedule,
                  const std::vector<regularizers::RegularizerPtr>& regs, const data::Splits& splits,
                  const TrainSettings& settings, std::uint64_t seed, ProgressSink* progress,
                  Checkpointer* checkpointer = nullptr);

}  // namespace reglab::train
