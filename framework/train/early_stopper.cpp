#include "framework/train/early_stopper.hpp"

#include <algorithm>
#include <utility>

namespace reglab::train {

std::vector<Vector*> network_values(models::Network& net) {
  std::vector<Vector*> values;
  for (models::Layer* layer : net.layers()) {
    for (models::Param* p : layer->params()) values.push_back(&p->value);
    for (const models::StateTensor& t : layer->state()) values.push_back(t.value);
  }
  return values;
}

EarlyStopper::EarlyStopper(const EarlyStopping& options, std::vector<Vector*> values)
    : options_(options), values_(std::move(values)) {
  if (options_.restore_best) {
    for (const Vector* v : values_) snapshot_.push_back(*v);
  }
}

bool EarlyStopper::update(std::size_t epoch, double validation_loss, double validation_accuracy) {
  const bool lower = options_.metric == "validation_loss";
  const double value = lower ? validation_loss : validation_accuracy;
  const bool improved = best_epoch_ == 0 || (lower ? value < best_ - options_.min_delta
                                                   : value > best_ + options_.min_delta);
  if (!improved) return ++bad_epochs_ >= options_.patience;
  best_ = value;
  best_epoch_ = epoch;
  bad_epochs_ = 0;
  for (std::size_t k = 0; k < snapshot_.size(); ++k) {
    std::copy(values_[k]->begin(), values_[k]->end(), snapshot_[k].begin());
  }
  return false;
}

void EarlyStopper::restore_best() const {
  if (best_epoch_ == 0) return;
  for (std::size_t k = 0; k < snapshot_.size(); ++k) {
    std::copy(snapshot_[k].begin(), snapshot_[k].end(), values_[k]->begin());
  }
}

std::string EarlyStopper::message(std::size_t stopped_epoch) const {
  return "early stopping after epoch " + std::to_string(stopped_epoch) + ": best " +
         options_.metric + " at epoch " + std::to_string(best_epoch_);
}

void EarlyStopper::save(StateBlob& blob) const {
  blob.put_f64("early_stopping/best", best_);
  blob.put_u64("early_stopping/best_epoch", best_epoch_);
  blob.put_u64("early_stopping/bad_epochs", bad_epochs_);
  for (std::size_t k = 0; k < snapshot_.size(); ++k) {
    blob.put_floats("early_stopping/snapshot/" + std::to_string(k), snapshot_[k].data(),
                    snapshot_[k].size());
  }
}

void EarlyStopper::load(const StateBlob& blob) {
  best_ = blob.get_f64("early_stopping/best");
  best_epoch_ = static_cast<std::size_t>(blob.get_u64("early_stopping/best_epoch"));
  bad_epochs_ = static_cast<std::size_t>(blob.get_u64("early_stopping/bad_epochs"));
  for (std::size_t k = 0; k < snapshot_.size(); ++k) {
    blob.get_floats("early_stopping/snapshot/" + std::to_string(k), snapshot_[k].data(),
                    snapshot_[k].size());
  }
}

}  // namespace reglab::train
