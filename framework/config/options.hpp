/// Typed, validating access to configuration values.
///
/// `ConfigNode` wraps one node of a parsed YAML document together with its key path
/// ("regularizers[1].rate") and its source (the file, or the command-line override that set it),
/// so every error names file, line, column and key path. `OptionReader` reads the options of one
/// mapping: each getter names a key, checks the type and range, and records the key as known;
/// `finish()` then rejects every key that was not read. Plugins read their options through an
/// OptionReader and never see YAML directly.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace reglab::config {

struct NodeImpl;

/// One node of a configuration tree, with its location. Cheap to copy.
class ConfigNode {
 public:
  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);

  /// Parses `text` (the content of `file`). Throws ConfigError on a YAML syntax error.
  static ConfigNode parse(const std::string& text, const std::string& file);
  /// Reads and parses a file. Throws ConfigError if it cannot be read or parsed.
  static ConfigNode load_file(const std::string& path);
  /// A deep copy: a tree of its own (copies of a ConfigNode share one tree), with the same
  /// values, paths, locations and overrides. Changes to the copy never reach the original, and
  /// the other way round.
  ConfigNode clone() const;

  bool defined() const;
  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool is_null() const;
  std::size_t size() const;
  /// Element `i` of a sequence.
  ConfigNode at(std::size_t i) const;
  /// Child `key` of a map (undefined node if absent).
  ConfigNode child(const std::string& key) const;
  /// The keys of a map, in document order.
  std::vector<std::string> keys() const;
  /// The scalar text.
  std::string scalar() const;

  /// Key path from the document root, e.g. "regularizers[1].rate" ("<root>" for the root).
  const std::string& path() const;
  /// "FILE:LINE:COLUMN" (1-based), or "command-line override 'k=v'" for overridden values.
  std::string location() const;
  /// The file this node's value was written in (for composed configurations, the included file
  /// it came from); relative paths in the value resolve against its folder.
  std::string source_file() const;
  /// Throws ConfigError "LOCATION: key PATH: MESSAGE".
  [[noreturn]] void fail(const std::string& message) const;

  /// Reads `path` and composes it with the files in its top-level `include:` key (a path or a
  /// list of paths, each relative to the including file's folder, else to the working folder;
  /// included files may include others). Maps merge key by key, later files overriding earlier
  /// ones and the including file overriding all; other values (lists too) are replaced whole.
  /// Errors name the file each key came from. Throws ConfigError on a missing file or a cycle.
  static ConfigNode load_composed(const std::string& path);

  /// Sets `dotted.path` to the YAML value `value_text`, creating maps on the way. Later errors
  /// on that path name the override. Throws ConfigError on a malformed override.
  void set_override(const std::string& dotted_path, const std::string& value_text);
  /// Sets entry `key` (taken literally, dots included) of the top-level map `map_key` to the YAML
  /// value `value_text`, creating the map if needed: `grid.optimizer.learning_rate=[...]`.
  void set_override_entry(const std::string& map_key, const std::string& key,
                          const std::string& value_text);
  /// Sets `dotted.path` to `value` (a node of this tree or another); later errors on that path
  /// report `where` as their location.
  void set_value(const std::string& dotted_path, const ConfigNode& value, const std::string& where);
  /// Removes a key of this map (no-op if absent or not a map).
  void remove_key(const std::string& key);
  /// The whole tree as YAML text (keys in document order, flow style kept), leaving out the
  /// keys in `skip`: top-level keys, or dotted paths into nested maps ("train.eval_every").
  std::string to_yaml(const std::vector<std::string>& skip = {}) const;
  /// The node as one line of flow-style YAML, e.g. "[256, 256]" or "{name: l2, lambda: 0.001}".
  std::string to_flow_yaml() const;

 private:
  void set_node(const std::string& dotted_path, const YAML::Node& value, const std::string& where);
  std::shared_ptr<NodeImpl> impl_;
};

/// A closed or half-open interval for numeric options. Non-finite values are always rejected.
struct Range {
  double lo;
  double hi;
  bool lo_inclusive = true;
  bool hi_inclusive = true;

  static Range closed(double lo, double hi) { return {lo, hi, true, true}; }
  /// [lo, hi)
  static Range closed_open(double lo, double hi) { return {lo, hi, true, false}; }
  /// (lo, hi]
  static Range open_closed(double lo, double hi) { return {lo, hi, false, true}; }
  static Range at_least(double lo) { return {lo, 1e308, true, true}; }
  /// (0, +inf)
  static Range positive() { return {0.0, 1e308, false, true}; }
  bool contains(double v) const;
  std::string describe() const;
};

/// Reads the options of one YAML mapping, rejecting unknown keys in `finish()`.
class OptionReader {
 public:
  /// Fails unless `node` is a map (an undefined or null node reads as an empty map).
  explicit OptionReader(const ConfigNode& node);

  bool has(const std::string& key) const;
  double get_double(const std::string& key, double fallback, Range range);
  double require_double(const std::string& key, Range range);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi);
  std::int64_t require_int(const std::string& key, std::int64_t lo, std::int64_t hi);
  bool get_bool(const std::string& key, bool fallback);
  /// A string option; if `allowed` is not empty the value must be one of them.
  std::string get_string(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& allowed = {});
  std::string require_string(const std::string& key, const std::vector<std::string>& allowed = {});
  /// A list of integers, each in [lo, hi].
  std::vector<std::int64_t> get_int_list(const std::string& key,
                                         const std::vector<std::int64_t>& fallback, std::int64_t lo,
                                         std::int64_t hi);
  /// A sub-node (marked as known); undefined if absent.
  ConfigNode child(const std::string& key);
  /// Marks `key` as known without reading it.
  void accept(const std::string& key);
  /// Throws ConfigError at `key` (or at the map itself if the key is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  /// Throws ConfigError for the first key that no getter read, listing the known keys.
  void finish() const;

  const ConfigNode& node() const { return node_; }

 private:
  ConfigNode value_node(const std::string& key);
  ConfigNode node_;
  std::set<std::string> known_;
};

/// " (did you mean 'X'?)" for the candidate X nearest to `word` when it is a plausible typo of it
/// (one edit for words under 6 characters, two from 6 on; swapping two neighbours is one edit),
/// else "". For messages about unknown keys and names.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// Applies command-line overrides KEY.PATH=VALUE to `root` in order: `grid.PATH=...` adds or
/// replaces one grid axis, anything else sets a key path. Throws ConfigError for an override
/// without `=` or with an empty key.
ConfigNode apply_overrides(ConfigNode root, const std::vector<std::string>& overrides);

}  // namespace reglab::config
