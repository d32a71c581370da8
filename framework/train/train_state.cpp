#include "framework/train/train_state.hpp"

#include <string>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab::train {
namespace {

std::string layer_key(const models::Layer& layer) { return "net/" + layer.name() + "/"; }

void save_network(models::Network& net, StateBlob& blob) {
  for (models::Layer* layer : net.layers()) {
    const std::string base = layer_key(*layer);
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
    const std::string base = layer_key(*layer);
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

}  // namespace

TrainState::TrainState(std::uint64_t seed, std::vector<std::uint32_t> train_indices, bool augments_,
                       bool has_validation)
    : order(std::move(train_indices)),
      data_order(Rng::stream(seed, "data_order")),
      augment(Rng::stream(seed, "augment")),
      augments(augments_),
      curves(CurveSet::epoch_curves(has_validation)) {}

void TrainState::save(StateBlob& blob, models::Network& net, const optim::Optimizer& optimizer,
                      const EarlyStopper* stopper) const {
  blob.put_u64(state_keys::kEpochsDone, epochs_done);
  blob.put_u64("trainer/step", step);
  blob.put_u32s("trainer/order", order);
  blob.put_rng("trainer/data_order", data_order);
  if (augments) blob.put_rng("trainer/augment", augment);
  curves.save(blob, "trainer/curves");
  step_curves.save(blob, "trainer/step_curves");
  save_network(net, blob);
  optimizer.save_state(blob);
  if (stopper != nullptr) stopper->save(blob);
}

void TrainState::restore(const StateBlob& blob, models::Network& net, optim::Optimizer& optimizer,
                         EarlyStopper* stopper) {
  epochs_done = static_cast<std::size_t>(blob.get_u64(state_keys::kEpochsDone));
  step = static_cast<std::size_t>(blob.get_u64("trainer/step"));
  std::vector<std::uint32_t> saved = blob.get_u32s("trainer/order");
  if (saved.size() != order.size()) {
    throw StorageError("checkpoint does not match the run's training split");
  }
  order = std::move(saved);
  blob.get_rng("trainer/data_order", data_order);
  if (augments) blob.get_rng("trainer/augment", augment);
  curves.load(blob, "trainer/curves");
  step_curves.load(blob, "trainer/step_curves");
  load_network(net, blob);
  optimizer.load_state(blob, net.params());
  if (stopper != nullptr) stopper->load(blob);
}

}  // namespace reglab::train
