/// A named-factory registry (after the Caffe, OpenCV and LLVM registries).
///
/// Entries are added explicitly, in one registration function per kind (see
/// regularizers/builtin.cpp) or by a plugin's registration function (plugin/api.hpp); there are
/// no self-registering static objects. A registry is a plain value: plugin/registries.hpp holds
/// one of each kind and is passed to planning and running. Each entry has a name, a one-line
/// description shown by `reglab list`, its origin ("built-in" or the plugin file it came from),
/// and a factory. Adding a name twice throws; looking up an unknown name returns nullptr and
/// `known()` lists the valid names for the caller's error message.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reglab {

/// Thrown by Registry::add for a name that is already registered.
class DuplicateName : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

template <class Signature>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    std::function<Signature> factory;
    std::string origin;  ///< "built-in", or the path of the plugin that added it
  };

  /// Adds an entry with the current origin. Throws DuplicateName on a duplicate name, naming
  /// where the first one came from.
  void add(std::string name, std::string description, std::function<Signature> factory) {
    if (const Entry* old = find(name)) {
      throw DuplicateName("name '" + name + "' is already registered (" + old->origin + ")");
    }
    entries_.push_back({std::move(name), std::move(description), std::move(factory), origin_});
  }

  /// The origin recorded with entries added from now on (default "built-in").
  void set_origin(std::string origin) { origin_ = std::move(origin); }

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
  std::string origin_ = "built-in";
};

}  // namespace reglab
