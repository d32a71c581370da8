#include "framework/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "framework/core/blas.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/models/loss.hpp"
#include "framework/train/diagnostics.hpp"

namespace reglab::train {

Evaluation evaluate(models::Network& net, const data::Split& split, Matrix& x,
                    std::vector<std::uint8_t>& labels, const InputPipeline& input) {
  Evaluation e;
  if (split.size() == 0) return e;
  const std::size_t cap = net.capacity();
  double loss_sum = 0.0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < split.size(); start += cap) {
    const std::size_t n = std::min(cap, split.size() - start);
    data::gather_batch(*split.dataset, split.indices.data() + start, n, x, labels.data());
    if (input.standardize) {
      data::standardize(x.data(), n, x.shape()[1], input.shape, *input.standardize);
    }
    const Matrix& logits = net.forward(x, n, Mode::kEval);
    const auto r = models::softmax_cross_entropy(logits, labels.data(), n, nullptr);
    loss_sum += r.loss * static_cast<double>(n);
    correct += r.correct;
  }
  e.loss = loss_sum / static_cast<double>(split.size());
  e.accuracy = static_cast<double>(correct) / static_cast<double>(split.size());
  return e;
}

namespace {

/// Curves in a fixed order, appended once per epoch.
class CurveSet {
 public:
  CurveSet() = default;
  explicit CurveSet(bool has_validation) {
    for (const char* name :
         {"epoch", "learning_rate", "train_objective", "train_loss", "train_accuracy"}) {
      curves_.push_back({name, {}});
    }
    if (has_validation) {
      curves_.push_back({"validation_loss", {}});
      curves_.push_back({"validation_accuracy", {}});
    }
    for (const char* name : {"test_loss", "test_accuracy", "seconds"})
      curves_.push_back({name, {}});
  }
  /// Appends to curve `name`, creating it (diagnostics are known only once measured).
  void add(const std::string& name, double v) {
    for (auto& c : curves_) {
      if (c.first == name) {
        c.second.push_back(v);
        return;
      }
    }
    curves_.push_back({name, {v}});
  }
  std::vector<std::pair<std::string, std::vector<double>>>& all() { return curves_; }
  void save(StateBlob& blob, const std::string& prefix) const {
    std::string names;
    for (const auto& c : curves_) {
      names += c.first + "\n";
      blob.put_doubles(prefix + "/" + c.first, c.second);
    }
    blob.put_string(prefix + "_names", names);
  }
  void load(const StateBlob& blob, const std::string& prefix) {
    curves_.clear();
    const std::string names = blob.get_string(prefix + "_names");
    std::size_t start = 0;
    for (std::size_t end = names.find('\n'); end != std::string::npos;
         start = end + 1, end = names.find('\n', start)) {
      const std::string name = names.substr(start, end - start);
      curves_.push_back({name, blob.get_doubles(prefix + "/" + name)});
    }
  }

 private:
  std::vector<std::pair<std::string, std::vector<double>>> curves_;
};

/// Every number of the network that training changes: parameter values and layer state
/// (batch-norm running statistics), in a fixed order. Used for early stopping's best-epoch
/// snapshot.
std::vector<Vector*> network_values(models::Network& net) {
  std::vector<Vector*> values;
  for (models::Layer* layer : net.layers()) {
    for (models::Param* p : layer->params()) values.push_back(&p->value);
    for (const models::StateTensor& t : layer->state()) values.push_back(t.value);
  }
  return values;
}

void save_network(models::Network& net, StateBlob& blob) {
  for (models::Layer* layer : net.layers()) {
    const std::string base = "net/" + layer->name() + "/";
    for (models::Param* p : layer->params()) {
      blob.put_floats(base + "param/" + p->name, p->value.data(), p->value.size());
    }
    for (const models::StateTensor& t : layer->state()) {
      blob.put_floats(base + "state/" + t.name, t.value->data(), t.value->size());
    }
    const std::vector<Rng*> streams = layer->streams();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      blob.put_rng(base + "stream/" + std::to_string(i), *streams[i]);
    }
  }
}

void load_network(models::Network& net, const StateBlob& blob) {
  for (models::Layer* layer : net.layers()) {
    const std::string base = "net/" + layer->name() + "/";
    for (models::Param* p : layer->params()) {
      blob.get_floats(base + "param/" + p->name, p->value.data(), p->value.size());
    }
    for (const models::StateTensor& t : layer->state()) {
      blob.get_floats(base + "state/" + t.name, t.value->data(), t.value->size());
    }
    const std::vector<Rng*> streams = layer->streams();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      blob.get_rng(base + "stream/" + std::to_string(i), *streams[i]);
    }
  }
}

/// Early-stopping bookkeeping (EarlyStopping).
struct EarlyStopper {
  const EarlyStopping* options = nullptr;
  double best = 0.0;
  std::size_t best_epoch = 0;  ///< 1-based; 0 = none yet
  std::size_t bad_epochs = 0;
  std::vector<Vector> snapshot;  ///< network_values() at the best epoch (restore_best)

  /// Records epoch `epoch` (1-based) with metric `value`; true when training should stop.
  bool update(std::size_t epoch, double value, const std::vector<Vector*>& values) {
    const bool lower = options->metric == "validation_loss";
    const bool improved = best_epoch == 0 || (lower ? value < best - options->min_delta
                                                    : value > best + options->min_delta);
    if (improved) {
      best = value;
      best_epoch = epoch;
      bad_epochs = 0;
      if (options->restore_best) {
        for (std::size_t k = 0; k < values.size(); ++k) {
          std::copy(values[k]->begin(), values[k]->end(), snapshot[k].begin());
        }
      }
      return false;
    }
    return ++bad_epochs >= options->patience;
  }
  void save(StateBlob& blob) const {
    blob.put_f64("early_stopping/best", best);
    blob.put_u64("early_stopping/best_epoch", best_epoch);
    blob.put_u64("early_stopping/bad_epochs", bad_epochs);
    for (std::size_t k = 0; k < snapshot.size(); ++k) {
      blob.put_floats("early_stopping/snapshot/" + std::to_string(k), snapshot[k].data(),
                      snapshot[k].size());
    }
  }
  void load(const StateBlob& blob) {
    best = blob.get_f64("early_stopping/best");
    best_epoch = static_cast<std::size_t>(blob.get_u64("early_stopping/best_epoch"));
    bad_epochs = static_cast<std::size_t>(blob.get_u64("early_stopping/bad_epochs"));
    for (std::size_t k = 0; k < snapshot.size(); ++k) {
      blob.get_floats("early_stopping/snapshot/" + std::to_string(k), snapshot[k].data(),
                      snapshot[k].size());
    }
  }
};

}  // namespace

TrainResult train(models::Network& net, optim::Optimizer& optimizer,
                  const optim::Schedule& schedule,
                  const std::vector<regularizers::RegularizerPtr>& regs, const data::Splits& splits,
                  const TrainSettings& settings, std::uint64_t seed, ProgressSink* progress,
                  Checkpointer* checkpointer) {
  set_flush_denormals(true);
  const data::Dataset& train_set = *splits.train.dataset;
  const std::size_t cap = net.capacity();
  Matrix x = xt::zeros<float>({cap, train_set.features()});
  Matrix grad = xt::zeros<float>({cap, net.spec().classes});
  std::vector<std::uint8_t> labels(cap);
  std::vector<std::uint32_t> order = splits.train.indices;
  const std::vector<models::Param*> params = net.params();
  Rng data_order = Rng::stream(seed, "data_order");
  const InputPipeline& input = settings.input;
  Rng augment_rng = Rng::stream(seed, "augment");
  std::vector<float> augment_scratch(input.augments() ? input.shape.size() : 0);
  const bool has_validation = splits.validation.size() > 0;
  CurveSet curves(has_validation);
  TrainResult result;
  result.status = "complete";
  std::size_t step = 0;
  const DiagnosticsOptions& diag_options = settings.diagnostics;
  std::unique_ptr<Diagnostics> diagnostics;
  std::vector<std::pair<std::string, double>> measured;
  if (diag_options.enabled()) {
    diagnostics = std::make_unique<Diagnostics>(
        diag_options, net, splits.validation.size() > 0 ? splits.validation : splits.test);
    if (input.standardize) diagnostics->standardize_probe(input.shape, *input.standardize);
  }
  CurveSet step_curves;
  // A final mini-batch of a single sample is skipped: batch statistics need two samples.
  std::size_t batches = (order.size() + settings.batch_size - 1) / settings.batch_size;
  if (batches > 1 && order.size() % settings.batch_size == 1) --batches;
  const std::size_t samples_per_epoch = std::min(order.size(), batches * settings.batch_size);
  const bool step_records =
      diag_options.every_steps > 0 && (diagnostics || diag_options.step_test_accuracy);

  EarlyStopper stopper;
  const std::vector<Vector*> values = network_values(net);
  if (settings.early_stopping.enabled) {
    stopper.options = &settings.early_stopping;
    if (settings.early_stopping.restore_best) {
      for (const Vector* v : values) stopper.snapshot.push_back(*v);
    }
  }

  std::size_t first_epoch = 0;
  if (checkpointer != nullptr && checkpointer->resume_state() != nullptr) {
    const StateBlob& blob = *checkpointer->resume_state();
    first_epoch = static_cast<std::size_t>(blob.get_u64("trainer/epochs_done"));
    step = static_cast<std::size_t>(blob.get_u64("trainer/step"));
    order = blob.get_u32s("trainer/order");
    if (order.size() != splits.train.indices.size()) {
      throw StorageError("checkpoint does not match the run's training split");
    }
    blob.get_rng("trainer/data_order", data_order);
    if (input.augments()) blob.get_rng("trainer/augment", augment_rng);
    curves.load(blob, "trainer/curves");
    step_curves.load(blob, "trainer/step_curves");
    load_network(net, blob);
    optimizer.load_state(blob, params);
    if (stopper.options != nullptr) stopper.load(blob);
    result.resumed_from_epoch = first_epoch;
  }

  for (std::size_t epoch = first_epoch; epoch < settings.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = schedule.learning_rate(epoch);
    optimizer.begin_epoch(epoch);
    for (const auto& r : regs) r->begin_epoch(epoch);
    data_order.shuffle(order);
    double objective_sum = 0.0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t start = b * settings.batch_size;
      const std::size_t n = std::min(settings.batch_size, order.size() - start);
      data::gather_batch(train_set, order.data() + start, n, x, labels.data());
      if (input.augments()) {
        data::augment_batch(x.data(), n, x.shape()[1], input.shape, input.augment, augment_rng,
                            augment_scratch.data());
      }
      if (input.standardize) {
        data::standardize(x.data(), n, x.shape()[1], input.shape, *input.standardize);
      }
      const regularizers::StepContext next{lr, epoch, step + 1};
      for (const auto& r : regs) r->before_forward(net, next);
      const Matrix& logits = net.forward(x, n, Mode::kTrain);
      const auto loss = models::softmax_cross_entropy(logits, labels.data(), n, &grad);
      double penalty = 0.0;
      for (const auto& r : regs) penalty += r->penalty(net);
      const double objective = loss.loss + penalty;
      if (!std::isfinite(objective)) {
        // Give before_forward's changes back, so the stored weights are the trained ones.
        for (const auto& r : regs) r->after_backward(net);
        result.status = "diverged";
        result.message = "non-finite training loss at epoch " + std::to_string(epoch + 1) +
                         ", batch " + std::to_string(b + 1) + " (step " + std::to_string(step + 1) +
                         ")";
        result.curves = std::move(curves.all());
        result.step_curves = std::move(step_curves.all());
        return result;
      }
      objective_sum += objective * static_cast<double>(n);
      net.backward(x, grad, n);
      for (const auto& r : regs) r->after_backward(net);
      for (const auto& r : regs) r->add_penalty_gradient(net);
      optimizer.step(params, lr);
      ++step;
      const regularizers::StepContext ctx{lr, epoch, step};
      for (const auto& r : regs) r->after_update(net, ctx);
      if (step_records && step % diag_options.every_steps == 0) {
        step_curves.add("step", static_cast<double>(step));
        if (diagnostics) {
          measured.clear();
          diagnostics->measure(net, measured);
          for (const auto& [name, value] : measured) step_curves.add(name, value);
        }
        if (diag_options.step_test_accuracy) {
          const Evaluation te = evaluate(net, splits.test, x, labels, input);
          step_curves.add("test_loss", te.loss);
          step_curves.add("test_accuracy", te.accuracy);
        }
      }
      if (progress != nullptr) progress->batch_done(epoch, b + 1, batches);
    }
    const Evaluation tr = evaluate(net, splits.train, x, labels, input);
    curves.add("epoch", static_cast<double>(epoch + 1));
    curves.add("learning_rate", lr);
    curves.add("train_objective", objective_sum / static_cast<double>(samples_per_epoch));
    curves.add("train_loss", tr.loss);
    curves.add("train_accuracy", tr.accuracy);
    Evaluation va;
    if (has_validation) {
      va = evaluate(net, splits.validation, x, labels, input);
      curves.add("validation_loss", va.loss);
      curves.add("validation_accuracy", va.accuracy);
    }
    const Evaluation te = evaluate(net, splits.test, x, labels, input);
    curves.add("test_loss", te.loss);
    curves.add("test_accuracy", te.accuracy);
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    curves.add("seconds", dt.count());
    if (diagnostics) {
      measured.clear();
      diagnostics->measure(net, measured, epoch + 1, epoch + 1 == settings.epochs);
      for (const auto& [name, value] : measured) curves.add(name, value);
    }
    if (progress != nullptr) progress->epoch_done(epoch, curves.all());
    if (stopper.options != nullptr &&
        stopper.update(epoch + 1,
                       stopper.options->metric == "validation_loss" ? va.loss : va.accuracy,
                       values)) {
      result.stopped_epoch = epoch + 1;
      break;
    }
    const std::size_t every = settings.checkpoint_every;
    if (checkpointer != nullptr && every > 0 && (epoch + 1) % every == 0 &&
        epoch + 1 < settings.epochs) {
      StateBlob blob;
      blob.put_u64("trainer/epochs_done", epoch + 1);
      blob.put_u64("trainer/step", step);
      blob.put_u32s("trainer/order", order);
      blob.put_rng("trainer/data_order", data_order);
      if (input.augments()) blob.put_rng("trainer/augment", augment_rng);
      curves.save(blob, "trainer/curves");
      step_curves.save(blob, "trainer/step_curves");
      save_network(net, blob);
      optimizer.save_state(blob);
      if (stopper.options != nullptr) stopper.save(blob);
      checkpointer->save(blob);
    }
  }
  if (stopper.options != nullptr) {
    result.best_epoch = stopper.best_epoch;
    if (stopper.options->restore_best && stopper.best_epoch > 0) {
      for (std::size_t k = 0; k < values.size(); ++k) {
        std::copy(stopper.snapshot[k].begin(), stopper.snapshot[k].end(), values[k]->begin());
      }
    }
    if (result.stopped_epoch > 0) {
      result.message = "early stopping after epoch " + std::to_string(result.stopped_epoch) +
                       ": best " + stopper.options->metric + " at epoch " +
                       std::to_string(stopper.best_epoch);
    }
  }
  result.curves = std::move(curves.all());
  result.step_curves = std::move(step_curves.all());
  return result;
}

}  // namespace reglab::train
