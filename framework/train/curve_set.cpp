#include "framework/train/curve_set.hpp"

namespace reglab::train {

CurveSet CurveSet::epoch_curves(bool has_validation) {
  std::vector<Curve> curves;
  for (const char* name :
       {"epoch", "learning_rate", "train_objective", "train_loss", "train_accuracy"}) {
    curves.push_back({name, {}});
  }
  if (has_validation) {
    curves.push_back({"validation_loss", {}});
    curves.push_back({"validation_accuracy", {}});
  }
  for (const char* name : {"test_loss", "test_accuracy", "seconds", "gflop"})
    curves.push_back({name, {}});
  return CurveSet(std::move(curves));
}

void CurveSet::add(const std::string& name, double value) {
  for (auto& c : curves_) {
    if (c.first == name) {
      c.second.push_back(value);
      return;
    }
  }
  curves_.push_back({name, {value}});
}

void CurveSet::save(StateBlob& blob, const std::string& prefix) const {
  std::string names;
  for (const auto& c : curves_) {
    names += c.first + "\n";
    blob.put_doubles(prefix + "/" + c.first, c.second);
  }
  blob.put_string(prefix + "_names", names);
}

void CurveSet::load(const StateBlob& blob, const std::string& prefix) {
  curves_.clear();
  const std::string names = blob.get_string(prefix + "_names");
  std::size_t start = 0;
  for (std::size_t end = names.find('\n'); end != std::string::npos;
       start = end + 1, end = names.find('\n', start)) {
    const std::string name = names.substr(start, end - start);
    curves_.push_back({name, blob.get_doubles(prefix + "/" + name)});
  }
}

}  // namespace reglab::train
