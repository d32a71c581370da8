/// A named-factory registry (after the Caffe, OpenCV and LLVM registries).
///
/// Entries are added explicitly, in one registration function per kind (see
/// regularizers/builtin.cpp); there are no self-registering static objects. Each entry has a
/// name, a one-line description shown by `reglab list`, and a factory. Adding a name twice
/// throws; looking up an unknown name returns nullptr and `known()` lists the valid names for the
/// caller's error message.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reglab {

template <class Signature>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    std::function<Signature> factory;
  };

  /// Adds an entry. Throws std::logic_error on a duplicate name.
  void add(std::string name, std::string description, std::function<Signature> factory) {
    if (find(name) != nullptr) {
      throw std::logic_error("registry: duplicate name '" + name + "'");
    }
    entries_.push_back({std::move(name), std::move(description), std::move(factory)});
  }

  /// The entry called `name`, or nullptr.
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }

  /// "a, b, c": the registered names in registration order.
  std::string known() const {
    std::string out;
    for (const auto& e : entries_) {
      if (!out.empty()) out += ", ";
      out += e.name;
    }
    return out;
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace reglab
