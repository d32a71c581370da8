#include "framework/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <memory>

#include "framework/core/blas.hpp"
#include "framework/core/random.hpp"
#include "framework/models/loss.hpp"
#include "framework/train/diagnostics.hpp"

namespace reglab::train {

Evaluation evaluate(models::Network& net, const data::Split& split, Matrix& x,
                    std::vector<std::uint8_t>& labels) {
  Evaluation e;
  if (split.size() == 0) return e;
  const std::size_t cap = net.capacity();
  double loss_sum = 0.0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < split.size(); start += cap) {
    const std::size_t n = std::min(cap, split.size() - start);
    data::gather_batch(*split.dataset, split.indices.data() + start, n, x, labels.data());
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

 private:
  std::vector<std::pair<std::string, std::vector<double>>> curves_;
};

}  // namespace

TrainResult train(models::Network& net, optim::Optimizer& optimizer,
                  const optim::Schedule& schedule,
                  const std::vector<regularizers::RegularizerPtr>& regs, const data::Splits& splits,
                  const experiment::TrainSettings& settings, std::uint64_t seed,
                  ProgressSink* progress) {
  set_flush_denormals(true);
  const data::Dataset& train_set = *splits.train.dataset;
  const std::size_t cap = net.capacity();
  Matrix x = xt::zeros<float>({cap, train_set.features()});
  Matrix grad = xt::zeros<float>({cap, net.spec().classes});
  std::vector<std::uint8_t> labels(cap);
  std::vector<std::uint32_t> order = splits.train.indices;
  const std::vector<models::Param*> params = net.params();
  Rng data_order = Rng::stream(seed, "data_order");
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
  }
  CurveSet step_curves;
  // A final mini-batch of a single sample is skipped: batch statistics need two samples.
  std::size_t batches = (order.size() + settings.batch_size - 1) / settings.batch_size;
  if (batches > 1 && order.size() % settings.batch_size == 1) --batches;
  const std::size_t samples_per_epoch = std::min(order.size(), batches * settings.batch_size);

  for (std::size_t epoch = 0; epoch < settings.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = schedule.learning_rate(epoch);
    data_order.shuffle(order);
    double objective_sum = 0.0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t start = b * settings.batch_size;
      const std::size_t n = std::min(settings.batch_size, order.size() - start);
      data::gather_batch(train_set, order.data() + start, n, x, labels.data());
      const Matrix& logits = net.forward(x, n, Mode::kTrain);
      const auto loss = models::softmax_cross_entropy(logits, labels.data(), n, &grad);
      double penalty = 0.0;
      for (const auto& r : regs) penalty += r->penalty(net);
      const double objective = loss.loss + penalty;
      if (!std::isfinite(objective)) {
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
      for (const auto& r : regs) r->add_penalty_gradient(net);
      optimizer.step(params, lr);
      ++step;
      const regularizers::StepContext ctx{lr, epoch, step};
      for (const auto& r : regs) r->after_update(net, ctx);
      if (diagnostics && diag_options.every_steps > 0 && step % diag_options.every_steps == 0) {
        measured.clear();
        diagnostics->measure(net, measured);
        step_curves.add("step", static_cast<double>(step));
        for (const auto& [name, value] : measured) step_curves.add(name, value);
      }
      if (progress != nullptr) progress->batch_done(epoch, b + 1, batches);
    }
    const Evaluation tr = evaluate(net, splits.train, x, labels);
    curves.add("epoch", static_cast<double>(epoch + 1));
    curves.add("learning_rate", lr);
    curves.add("train_objective", objective_sum / static_cast<double>(samples_per_epoch));
    curves.add("train_loss", tr.loss);
    curves.add("train_accuracy", tr.accuracy);
    if (has_validation) {
      const Evaluation va = evaluate(net, splits.validation, x, labels);
      curves.add("validation_loss", va.loss);
      curves.add("validation_accuracy", va.accuracy);
    }
    const Evaluation te = evaluate(net, splits.test, x, labels);
    curves.add("test_loss", te.loss);
    curves.add("test_accuracy", te.accuracy);
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    curves.add("seconds", dt.count());
    if (diagnostics) {
      measured.clear();
      diagnostics->measure(net, measured);
      for (const auto& [name, value] : measured) curves.add(name, value);
    }
    if (progress != nullptr) progress->epoch_done(epoch, curves.all());
  }
  result.curves = std::move(curves.all());
  result.step_curves = std::move(step_curves.all());
  return result;
}

}  // namespace reglab::train
