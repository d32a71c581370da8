#include "framework/train/train_state.hpp"

#include <string>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab::train {
namespace {

/// Calls floats(key, data, count) for every parameter and state tensor of every layer and
/// stream(key, rng) for every layer's random stream, under the keys net/LAYER/param/NAME,
/// net/LAYER/state/NAME and net/LAYER/stream/I: save and load walk the same list.
template <class Floats, class Stream>
void visit_network(models::Network& net, const Floats& floats, const Stream& stream) {
  for (models::Layer* layer : net.layers()) {
    const std::string base = "net/" + layer->name() + "/";
    for (models::Param* p : layer->params()) {
      floats(base + "param/" + p->name, p->value.data(), p->value.size());
    }
    for (const models::StateTensor& t : layer->state()) {
      floats(base + "state/" + t.name, t.value->data(), t.value->size());
    }
    const std::vector<Rng*> streams = layer->streams();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      stream(base + "stream/" + std::to_string(i), *streams[i]);
    }
  }
}

void save_network(models::Network& net, StateBlob& blob) {
  visit_network(
      net,
      [&](const std::string& key, const float* data, std::size_t n) {
        blob.put_floats(key, data, n);
      },
      [&](const std::string& key, const Rng& rng) { blob.put_rng(key, rng); });
}

void load_network(models::Network& net, const StateBlob& blob) {
  visit_network(
      net,
      [&](const std::string& key, float* data, std::size_t n) { blob.get_floats(key, data, n); },
      [&](const std::string& key, Rng& rng) { blob.get_rng(key, rng); });
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
