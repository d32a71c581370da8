#include "framework/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "framework/core/blas.hpp"
#include "framework/core/error.hpp"
#include "framework/core/gemm.hpp"
#include "framework/core/random.hpp"
#include "framework/models/loss.hpp"
#include "framework/train/diagnostics.hpp"
#include "framework/train/early_stopper.hpp"
#include "framework/train/train_state.hpp"

namespace reglab::train {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

Evaluation evaluate(models::Network& net, const data::Split& split, Matrix& x,
                    std::vector<std::uint8_t>& labels, const InputPipeline& input) {
  Evaluation e;
  if (split.size() == 0) return e;
  const std::size_t cap = net.capacity();
  const bool regression = split.dataset->regression();
  Matrix targets;
  if (regression) targets = xt::zeros<float>({cap, split.dataset->classes});
  double loss_sum = 0.0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < split.size(); start += cap) {
    const std::size_t n = std::min(cap, split.size() - start);
    const std::uint32_t* indices = split.indices.data() + start;
    data::gather_batch(*split.dataset, indices, n, x, labels.data());
    if (input.standardize) {
      data::standardize(x.data(), n, x.shape()[1], input.shape, *input.standardize);
    }
    const Matrix& logits = net.forward(x, n, Mode::kEval);
    if (regression) data::gather_targets(*split.dataset, indices, n, targets);
    const auto r = regression ? models::squared_error(logits, targets, n, nullptr)
                              : models::softmax_cross_entropy(logits, labels.data(), n, nullptr);
    loss_sum += r.loss * static_cast<double>(n);
    correct += r.correct;
  }
  e.loss = loss_sum / static_cast<double>(split.size());
  e.accuracy = regression ? kNaN : static_cast<double>(correct) / static_cast<double>(split.size());
  return e;
}

namespace {

/// Adds the softmax of each of the n rows of `logits` to the rows of `sums` (double).
void add_probabilities(const Matrix& logits, std::size_t n, std::vector<double>& sums) {
  const std::size_t classes = logits.shape()[1];
  for (std::size_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * classes;
    double* p = sums.data() + i * classes;
    const double top = *std::max_element(z, z + classes);
    double total = 0.0;
    for (std::size_t c = 0; c < classes; ++c) total += std::exp(static_cast<double>(z[c]) - top);
    for (std::size_t c = 0; c < classes; ++c) p[c] += std::exp(z[c] - top) / total;
  }
}

/// Adds the loss -log(pbar_y) and the correct predictions of the averaged probabilities
/// sums / k of n rows to `sum`.
void score_average(const std::vector<double>& sums, std::size_t classes, std::size_t k,
                   const std::uint8_t* labels, std::size_t n, Evaluation& sum) {
  for (std::size_t i = 0; i < n; ++i) {
    const double* p = sums.data() + i * classes;
    const double mean = p[labels[i]] / static_cast<double>(k);
    sum.loss -= std::log(std::max(mean, std::numeric_limits<double>::min()));
    if (std::max_element(p, p + classes) - p == labels[i]) sum.accuracy += 1.0;
  }
}

}  // namespace

std::vector<Evaluation> evaluate_mc(models::Network& net, const data::Split& split, Matrix& x,
                                    std::vector<std::uint8_t>& labels,
                                    const std::vector<std::size_t>& ks,
                                    const InputPipeline& input) {
  std::vector<Evaluation> out(ks.size());
  if (split.size() == 0 || ks.empty()) return out;
  if (split.dataset->regression()) {
    throw DataError(
        "train.mc_samples: Monte-Carlo evaluation averages class probabilities and "
        "needs a classification dataset");
  }
  const std::size_t cap = net.capacity();
  std::vector<double> sums;
  for (std::size_t start = 0; start < split.size(); start += cap) {
    const std::size_t n = std::min(cap, split.size() - start);
    data::gather_batch(*split.dataset, split.indices.data() + start, n, x, labels.data());
    if (input.standardize) {
      data::standardize(x.data(), n, x.shape()[1], input.shape, *input.standardize);
    }
    std::size_t next = 0;
    for (std::size_t s = 1; s <= ks.back(); ++s) {
      const Matrix& logits = net.forward(x, n, Mode::kSample);
      sums.resize(n * logits.shape()[1]);
      if (s == 1) std::fill(sums.begin(), sums.end(), 0.0);
      add_probabilities(logits, n, sums);
      if (s == ks[next]) score_average(sums, logits.shape()[1], s, labels.data(), n, out[next++]);
    }
  }
  for (Evaluation& e : out) {
    e.loss /= static_cast<double>(split.size());
    e.accuracy /= static_cast<double>(split.size());
  }
  return out;
}

namespace {

/// Mini-batches of an epoch. A final mini-batch of a single sample is skipped: batch statistics
/// need two samples.
std::size_t batch_count(std::size_t samples, std::size_t batch_size) {
  std::size_t batches = (samples + batch_size - 1) / batch_size;
  if (batches > 1 && samples % batch_size == 1) --batches;
  return batches;
}

/// The training samples the epoch's train_loss and train_accuracy are measured on: the whole
/// split, or `size` of them drawn from the stream "train_eval" of `seed` (sorted, as splits are).
data::Split train_eval_split(const data::Split& train, std::size_t size, std::uint64_t seed) {
  if (size == 0) return train;
  if (size > train.size()) {
    throw DataError("train.train_eval_size is " + std::to_string(size) +
                    ", more than the training split's " + std::to_string(train.size()) +
                    " samples");
  }
  data::Split subset{train.dataset, train.indices};
  Rng rng = Rng::stream(seed, "train_eval");
  rng.shuffle(subset.indices);
  subset.indices.resize(size);
  std::sort(subset.indices.begin(), subset.indices.end());
  return subset;
}

/// One call of train(): the buffers, the state and the pieces of the epoch loop.
class Training {
 public:
  Training(models::Network& net, optim::Optimizer& optimizer, const optim::Schedule& schedule,
           const std::vector<regularizers::RegularizerPtr>& regs, const data::Splits& splits,
           const TrainSettings& settings, std::uint64_t seed, ProgressSink* progress,
           Checkpointer* checkpointer);
  TrainResult run();

 private:
  /// Trains one epoch; false when the objective became non-finite (result_ says where).
  bool train_epoch(std::size_t epoch, double lr, double& objective_sum);
  /// Gathers, augments and standardizes the training samples order[start, start + n) into x_.
  void load_batch(std::size_t start, std::size_t n);
  void record_step();
  /// Appends the epoch's curves and diagnostics; returns the validation evaluation.
  Evaluation record_epoch(std::size_t epoch, double lr, double objective_sum,
                          std::chrono::steady_clock::time_point t0);
  void checkpoint_after(std::size_t epoch);
  TrainResult finish();

  models::Network& net_;
  optim::Optimizer& optimizer_;
  const optim::Schedule& schedule_;
  const std::vector<regularizers::RegularizerPtr>& regs_;
  const data::Splits& splits_;
  const TrainSettings& settings_;
  const InputPipeline& input_;
  ProgressSink* progress_;
  Checkpointer* checkpointer_;
  std::uint64_t epoch_flops0_ = 0;  ///< product_flops() when the epoch began

  Matrix x_;
  Matrix grad_;
  std::vector<std::uint8_t> labels_;
  Matrix targets_;  ///< the batch's targets (regression sets only)
  std::vector<float> augment_scratch_;
  std::vector<models::Param*> params_;
  data::Split train_eval_;  ///< train_eval_split()
  TrainState state_;
  std::unique_ptr<Diagnostics> diagnostics_;
  std::vector<std::pair<std::string, double>> measured_;
  std::unique_ptr<EarlyStopper> stopper_;
  std::size_t batches_;
  std::size_t samples_per_epoch_;
  bool step_records_;
  TrainResult result_;
};

Training::Training(models::Network& net, optim::Optimizer& optimizer,
                   const optim::Schedule& schedule,
                   const std::vector<regularizers::RegularizerPtr>& regs,
                   const data::Splits& splits, const TrainSettings& settings, std::uint64_t seed,
                   ProgressSink* progress, Checkpointer* checkpointer)
    : net_(net),
      optimizer_(optimizer),
      schedule_(schedule),
      regs_(regs),
      splits_(splits),
      settings_(settings),
      input_(settings.input),
      progress_(progress),
      checkpointer_(checkpointer),
      x_(xt::zeros<float>({net.capacity(), splits.train.dataset->features()})),
      grad_(xt::zeros<float>({net.capacity(), net.spec().classes})),
      labels_(net.capacity()),
      targets_(splits.train.dataset->regression()
                   ? Matrix(xt::zeros<float>({net.capacity(), net.spec().classes}))
                   : Matrix()),
      augment_scratch_(settings.input.augments() ? settings.input.shape.size() : 0),
      params_(net.params()),
      train_eval_(train_eval_split(splits.train, settings.train_eval_size, seed)),
      state_(seed, splits.train.indices, settings.input.augments(), splits.validation.size() > 0),
      batches_(batch_count(splits.train.size(), settings.batch_size)),
      samples_per_epoch_(std::min(splits.train.size(), batches_ * settings.batch_size)) {
  const DiagnosticsOptions& diag = settings.diagnostics;
  if (diag.enabled()) {
    diagnostics_ = std::make_unique<Diagnostics>(
        diag, net, splits.validation.size() > 0 ? splits.validation : splits.test);
    if (input_.standardize) diagnostics_->standardize_probe(input_.shape, *input_.standardize);
  }
  step_records_ = diag.every_steps > 0 && (diagnostics_ || diag.step_test_accuracy);
  if (settings.early_stopping.enabled) {
    stopper_ = std::make_unique<EarlyStopper>(settings.early_stopping, network_values(net));
  }
  result_.status = "complete";
}

TrainResult Training::run() {
  if (checkpointer_ != nullptr && checkpointer_->resume_state() != nullptr) {
    state_.restore(*checkpointer_->resume_state(), net_, optimizer_, stopper_.get());
    result_.resumed_from_epoch = state_.epochs_done;
  }
  for (std::size_t epoch = state_.epochs_done; epoch < settings_.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    epoch_flops0_ = product_flops();
    const double lr = schedule_.learning_rate(epoch);
    double objective_sum = 0.0;
    if (!train_epoch(epoch, lr, objective_sum)) return finish();
    const Evaluation va = record_epoch(epoch, lr, objective_sum, t0);
    if (progress_ != nullptr) progress_->epoch_done(epoch, state_.curves.all());
    if (stopper_ && stopper_->update(epoch + 1, va.loss, va.accuracy)) {
      result_.stopped_epoch = epoch + 1;
      break;
    }
    checkpoint_after(epoch);
  }
  if (stopper_) {
    result_.best_epoch = stopper_->best_epoch();
    if (stopper_->options().restore_best) stopper_->restore_best();
    if (result_.stopped_epoch > 0) result_.message = stopper_->message(result_.stopped_epoch);
  }
  return finish();
}

void Training::load_batch(std::size_t start, std::size_t n) {
  data::gather_batch(*splits_.train.dataset, state_.order.data() + start, n, x_, labels_.data());
  if (splits_.train.dataset->regression()) {
    data::gather_targets(*splits_.train.dataset, state_.order.data() + start, n, targets_);
  }
  if (input_.augments()) {
    data::augment_batch(x_.data(), n, x_.shape()[1], input_.shape, input_.augment, state_.augment,
                        augment_scratch_.data());
  }
  if (input_.standardize) {
    data::standardize(x_.data(), n, x_.shape()[1], input_.shape, *input_.standardize);
  }
}

bool Training::train_epoch(std::size_t epoch, double lr, double& objective_sum) {
  optimizer_.begin_epoch(epoch);
  for (const auto& r : regs_) r->begin_epoch(epoch);
  state_.data_order.shuffle(state_.order);
  for (std::size_t b = 0; b < batches_; ++b) {
    const std::size_t start = b * settings_.batch_size;
    const std::size_t n = std::min(settings_.batch_size, state_.order.size() - start);
    load_batch(start, n);
    const regularizers::StepContext next{lr, epoch, state_.step + 1};
    for (const auto& r : regs_) r->before_forward(net_, next);
    const Matrix& logits = net_.forward(x_, n, Mode::kTrain);
    const auto loss = splits_.train.dataset->regression()
                          ? models::squared_error(logits, targets_, n, &grad_)
                          : models::softmax_cross_entropy(logits, labels_.data(), n, &grad_);
    double penalty = 0.0;
    for (const auto& r : regs_) penalty += r->penalty(net_);
    const double objective = loss.loss + penalty;
    if (!std::isfinite(objective)) {
      // Give before_forward's changes back, so the stored weights are the trained ones.
      for (const auto& r : regs_) r->after_backward(net_);
      result_.status = "diverged";
      result_.message = "non-finite training loss at epoch " + std::to_string(epoch + 1) +
                        ", batch " + std::to_string(b + 1) + " (step " +
                        std::to_string(state_.step + 1) + ")";
      return false;
    }
    objective_sum += objective * static_cast<double>(n);
    net_.backward(x_, grad_, n);
    for (const auto& r : regs_) r->after_backward(net_);
    for (const auto& r : regs_) r->add_penalty_gradient(net_);
    optimizer_.step(params_, lr);
    ++state_.step;
    const regularizers::StepContext ctx{lr, epoch, state_.step};
    for (const auto& r : regs_) r->after_update(net_, ctx);
    if (step_records_ && state_.step % settings_.diagnostics.every_steps == 0) record_step();
    if (progress_ != nullptr) progress_->batch_done(epoch, b + 1, batches_);
  }
  return true;
}

void Training::record_step() {
  CurveSet& curves = state_.step_curves;
  curves.add("step", static_cast<double>(state_.step));
  if (diagnostics_) {
    measured_.clear();
    diagnostics_->measure(net_, measured_);
    for (const auto& [name, value] : measured_) curves.add(name, value);
  }
  if (settings_.diagnostics.step_test_accuracy) {
    const Evaluation te = evaluate(net_, splits_.test, x_, labels_, input_);
    curves.add("test_loss", te.loss);
    curves.add("test_accuracy", te.accuracy);
  }
}

Evaluation Training::record_epoch(std::size_t epoch, double lr, double objective_sum,
                                  std::chrono::steady_clock::time_point t0) {
  CurveSet& curves = state_.curves;
  const bool evaluated = (epoch + 1) % settings_.eval_every == 0 || epoch + 1 == settings_.epochs;
  const auto measure = [&](const data::Split& split) {
    return evaluated ? evaluate(net_, split, x_, labels_, input_) : Evaluation{kNaN, kNaN};
  };
  const Evaluation tr = measure(train_eval_);
  curves.add("epoch", static_cast<double>(epoch + 1));
  curves.add("learning_rate", lr);
  curves.add("train_objective", objective_sum / static_cast<double>(samples_per_epoch_));
  curves.add("train_loss", tr.loss);
  curves.add("train_accuracy", tr.accuracy);
  Evaluation va;
  if (splits_.validation.size() > 0) {
    va = measure(splits_.validation);
    curves.add("validation_loss", va.loss);
    curves.add("validation_accuracy", va.accuracy);
  }
  const Evaluation te = measure(splits_.test);
  curves.add("test_loss", te.loss);
  curves.add("test_accuracy", te.accuracy);
  // Monte-Carlo evaluation after the last epoch only: its draws must not feed training.
  const auto& ks = settings_.mc_samples;
  std::vector<Evaluation> mc(ks.size(), Evaluation{kNaN, kNaN});
  if (!ks.empty() && epoch + 1 == settings_.epochs) {
    mc = evaluate_mc(net_, splits_.test, x_, labels_, ks, input_);
  }
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  curves.add("seconds", dt.count());
  curves.add("gflop", static_cast<double>(product_flops() - epoch_flops0_) * 1e-9);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const std::string prefix = "mc" + std::to_string(ks[i]) + "_";
    curves.add(prefix + "test_loss", mc[i].loss);
    curves.add(prefix + "test_accuracy", mc[i].accuracy);
  }
  if (diagnostics_) {
    measured_.clear();
    diagnostics_->measure(net_, measured_, epoch + 1, epoch + 1 == settings_.epochs);
    for (const auto& [name, value] : measured_) curves.add(name, value);
  }
  return va;
}

void Training::checkpoint_after(std::size_t epoch) {
  const std::size_t every = settings_.checkpoint_every;
  if (checkpointer_ == nullptr || every == 0 || (epoch + 1) % every != 0 ||
      epoch + 1 >= settings_.epochs) {
    return;
  }
  state_.epochs_done = epoch + 1;
  StateBlob blob;
  state_.save(blob, net_, optimizer_, stopper_.get());
  checkpointer_->save(blob);
}

TrainResult Training::finish() {
  result_.curves = std::move(state_.curves.all());
  result_.step_curves = std::move(state_.step_curves.all());
  return std::move(result_);
}

}  // namespace

TrainResult train(models::Network& net, optim::Optimizer& optimizer,
                  const optim::Schedule& schedule,
                  const std::vector<regularizers::RegularizerPtr>& regs, const data::Splits& splits,
                  const TrainSettings& settings, std::uint64_t seed, ProgressSink* progress,
                  Checkpointer* checkpointer) {
  set_flush_denormals(true);
  Training training(net, optimizer, schedule, regs, splits, settings, seed, progress, checkpointer);
  return training.run();
}

}  // namespace reglab::train
