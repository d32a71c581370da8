#include "framework/config/options.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "framework/core/error.hpp"

namespace reglab::config {

namespace {

bool path_under(const std::string& path, const std::string& prefix);

/// Where a node and its key were written. YAML::Clone drops these marks, so a cloned tree
/// (ConfigNode::clone) looks them up by key path in the table of the tree it was cloned from.
struct SourceMarks {
  YAML::Mark node = YAML::Mark::null_mark();
  YAML::Mark key = YAML::Mark::null_mark();
  bool was_null = false;  ///< a null value since replaced by a map (set_node) has no mark
};
using MarkTable = std::map<std::string, SourceMarks>;

/// What every node of one document shares: its file and the command-line overrides applied.
struct Context {
  std::string file;
  /// Values set after parsing: key path and the location to report for it (a command-line
  /// override, or the grid entry that set it).
  std::vector<std::pair<std::string, std::string>> overrides;
  /// For composed configurations: the file each key path came from (longest prefix wins).
  std::vector<std::pair<std::string, std::string>> origins;
  /// In a clone: the marks of the original tree by key path (nodes of a clone have none).
  std::shared_ptr<const MarkTable> marks;

  const std::string& file_of(const std::string& path) const {
    const std::string* best = &file;
    std::size_t best_len = 0;
    for (const auto& [p, f] : origins) {
      if ((p.empty() || path_under(path, p)) && p.size() >= best_len) {
        best = &f;
        best_len = p.size();
      }
    }
    return *best;
  }
};

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool path_under(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

/// The message of a YAML parse error; yaml-cpp reports its nesting limit as "bad file".
std::string yaml_error(const YAML::ParserException& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) return "nested too deeply";
  return e.msg;
}

/// Limits on a parsed document, counted with YAML aliases expanded (an alias stands for its
/// anchor's whole node). reglab's schema nests about 6 levels, and a large real configuration (a
/// seeds list of 100,000 entries) has about 100,000 values. An alias inside its own anchor
/// (`a: &x [*x]`) is infinitely deep, and aliases of aliases ("billion laughs") expand
/// exponentially: both would otherwise recurse until the stack overflows or run for hours.
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 1000000;
constexpr std::size_t kMaxPathShown = 120;

/// Walks a parsed document: rejects duplicate keys, nesting deeper than kMaxDepth and more than
/// kMaxNodes values. `source` names the text ("FILE", or a command-line override); `marks` says
/// whether line and column refer to that file.
class DocumentCheck {
 public:
  /// `lines`: the document's text by line, to check that quoted strings end on their line.
  DocumentCheck(std::string source, bool marks, std::vector<std::string> lines = {})
      : source_(std::move(source)), marks_(marks), lines_(std::move(lines)) {}

  void walk(const YAML::Node& node, const std::string& path, std::size_t depth) {
    if (depth > kMaxDepth) {
      fail(node.Mark(), path,
           "nested more than " + std::to_string(kMaxDepth) +
               " levels deep (a YAML alias inside its own anchor?)");
    }
    if (++nodes_ > kMaxNodes) {
      fail(node.Mark(), path,
           "more than " + std::to_string(kMaxNodes) + " values once YAML aliases are expanded");
    }
    if (node.IsScalar()) check_text(node, path);
    if (node.IsMap()) {
      std::set<std::string> seen;
      for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        const std::string child = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) fail(kv.first.Mark(), child, "duplicate key '" + key + "'");
        check_text(kv.first, child);
        walk(kv.second, child, depth + 1);
      }
    } else if (node.IsSequence()) {
      std::size_t i = 0;
      for (const auto& item : node) walk(item, path + "[" + std::to_string(i++) + "]", depth + 1);
    }
  }

 private:
  /// Rejects control characters other than tab and newline in a key or value. They have no use
  /// in reglab's names, paths and numbers, and a carriage return (written as the escape "\r")
  /// would not survive the configuration text stored in results files: yaml-cpp emits it
  /// unquoted, where it reads back as a line break.
  void check_text(const YAML::Node& scalar, const std::string& path) const {
    check_quote(scalar, path);
    for (const char c : scalar.Scalar()) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(u));
        fail(scalar.Mark(), path, std::string("control character ") + code + " in a key or value");
      }
    }
  }

  /// Refuses a quoted string that does not end on the line it starts on. YAML lets it run on
  /// (folding the lines into one value), so a forgotten closing quote would swallow the rest of
  /// the file and surface as a missing key far away; reglab's names, paths and numbers never
  /// need more than one line.
  void check_quote(const YAML::Node& scalar, const std::string& path) const {
    const YAML::Mark m = scalar.Mark();
    if (lines_.empty() || m.is_null() || scalar.Tag() != "!") return;
    if (static_cast<std::size_t>(m.line) >= lines_.size()) return;
    const std::string& line = lines_[static_cast<std::size_t>(m.line)];
    std::size_t i = static_cast<std::size_t>(m.column);
    if (i >= line.size() || (line[i] != '"' && line[i] != '\'')) return;
    const char quote = line[i];
    for (++i; i < line.size(); ++i) {
      if (quote == '"' && line[i] == '\\') {
        ++i;
      } else if (line[i] == quote) {
        if (quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
        } else {
          return;
        }
      }
    }
    fail(m, path,
         std::string("unclosed quote: the string opened here with ") + quote +
             " does not end on its line (YAML would read the following lines into it)");
  }

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& path,
                         const std::string& message) const {
    std::string where = source_;
    if (marks_ && !m.is_null()) {
      where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    }
    // A path through a cyclic alias repeats itself: show its start.
    std::string shown = path.empty() ? "<root>" : path;
    if (shown.size() > kMaxPathShown) shown = shown.substr(0, kMaxPathShown) + "...";
    throw ConfigError(where + ": " + shown + ": " + message);
  }

  std::string source_;
  bool marks_;
  std::vector<std::string> lines_;
  std::size_t nodes_ = 0;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

struct NodeImpl {
  YAML::Node node;
  YAML::Mark key_mark = YAML::Mark::null_mark();  ///< where the node's key is, for map children
  std::string path;
  std::shared_ptr<Context> ctx;
};

ConfigNode::ConfigNode() : impl_(std::make_shared<NodeImpl>()) {
  impl_->ctx = std::make_shared<Context>();
}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode&) = default;
ConfigNode& ConfigNode::operator=(const ConfigNode&) = default;

ConfigNode ConfigNode::parse(const std::string& text, const std::string& file) {
  ConfigNode out;
  out.impl_->ctx->file = file;
  try {
    out.impl_->node = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + yaml_error(e));
  }
  DocumentCheck(file, true, split_lines(text)).walk(out.impl_->node, "", 0);
  return out;
}

ConfigNode ConfigNode::load_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path + ": is a directory, not a configuration file (name the .yaml file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open configuration file");
  std::ostringstream s;
  s << in.rdbuf();
  ConfigNode node = parse(s.str(), path);
  if (!node.defined() || node.is_null()) {
    throw ConfigError(path +
                      ": the file is empty (nothing but blank lines or comments); a configuration "
                      "is a YAML map with name, data, model, optimizer, train and output");
  }
  return node;
}

namespace {

using OriginFn = std::function<std::string(const std::string&)>;

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

/// Records the marks of `node` (whose key is marked `key`) and of everything under it.
void record_marks(const YAML::Node& node, const std::string& path, const YAML::Mark& key,
                  MarkTable& table) {
  table.emplace(path, SourceMarks{node.Mark(), key, node.IsNull()});
  if (node.IsMap()) {
    for (const auto& kv : node) {
      record_marks(kv.second, child_path(path, kv.first.Scalar()), kv.first.Mark(), table);
    }
  } else if (node.IsSequence()) {
    std::size_t i = 0;
    for (const auto& item : node) {
      record_marks(item, path + "[" + std::to_string(i++) + "]", YAML::Mark::null_mark(), table);
    }
  }
}

/// The original's marks of the node at `path` of a clone (null if the original had none there).
const SourceMarks* marks_of(const Context& ctx, const std::string& path) {
  const auto it = ctx.marks->find(path);
  return it == ctx.marks->end() ? nullptr : &it->second;
}

/// Where the node itself was written: its own mark, or in a clone the original's. A node the
/// original did not have at this path, or a null value replaced by a map, has no mark.
YAML::Mark node_mark(const NodeImpl& n) {
  if (!n.ctx->marks) return n.node.Mark();
  const SourceMarks* m = marks_of(*n.ctx, n.path);
  if (m == nullptr || (m->was_null && n.node.IsDefined() && !n.node.IsNull())) {
    return YAML::Mark::null_mark();
  }
  return m->node;
}

/// Records the origin file of `node` and of everything under it.
void record_origins(const YAML::Node& node, const std::string& path, const OriginFn& origin,
                    Context& ctx) {
  ctx.origins.emplace_back(path, origin(path));
  if (node.IsMap()) {
    for (const auto& kv : node) {
      record_origins(kv.second, child_path(path, kv.first.Scalar()), origin, ctx);
    }
  } else if (node.IsSequence()) {
    std::size_t i = 0;
    for (const auto& item : node) {
      record_origins(item, path + "[" + std::to_string(i++) + "]", origin, ctx);
    }
  }
}

/// Merges map `src` into map `acc`: maps recursively, everything else replaced.
void merge_maps(YAML::Node acc, const YAML::Node& src, const std::string& path,
                const OriginFn& origin, Context& ctx) {
  for (const auto& kv : src) {
    const std::string key = kv.first.Scalar();
    if (path.empty() && key == "include") continue;
    const std::string p = child_path(path, key);
    YAML::Node existing = acc[key];
    if (existing.IsDefined() && existing.IsMap() && kv.second.IsMap()) {
      ctx.origins.emplace_back(p, origin(p));
      merge_maps(existing, kv.second, p, origin, ctx);
    } else {
      acc[key] = kv.second;
      record_origins(kv.second, p, origin, ctx);
    }
  }
}

/// Whether `p` exists; a path the system refuses to look up (a name too long, a folder that
/// cannot be searched) counts as absent instead of throwing std::filesystem::filesystem_error.
bool path_exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

std::string resolve_include(const std::string& name, const std::string& from_file) {
  namespace fs = std::filesystem;
  const fs::path p(name);
  if (p.is_absolute()) return name;
  const fs::path beside = fs::path(from_file).parent_path() / p;
  if (path_exists(beside) || !path_exists(p)) return beside.lexically_normal().string();
  return name;
}

}  // namespace

ConfigNode ConfigNode::load_composed(const std::string& path) {
  static thread_local std::vector<std::string> stack;
  ConfigNode own = load_file(path);
  const ConfigNode inc = own.child("include");
  if (!own.is_map() || inc.is_null()) return own;
  std::vector<ConfigNode> names;
  if (inc.is_scalar()) {
    names.push_back(inc);
  } else if (inc.is_sequence()) {
    for (std::size_t i = 0; i < inc.size(); ++i) names.push_back(inc.at(i));
  } else {
    inc.fail("expected a file name or a list of file names");
  }
  ConfigNode out;
  out.impl_->ctx->file = path;
  out.impl_->node = YAML::Node(YAML::NodeType::Map);
  for (const ConfigNode& n : names) {
    if (!n.is_scalar()) n.fail("expected a file name");
    const std::string file = resolve_include(n.scalar(), path);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      n.fail("included file '" + n.scalar() + "' " +
             (ec ? "cannot be looked up: " + ec.message() : std::string("not found")));
    }
    if (std::find(stack.begin(), stack.end(), file) != stack.end() || file == path) {
      n.fail("include cycle: '" + file + "' includes itself");
    }
    stack.push_back(path);
    ConfigNode sub;
    try {
      sub = load_composed(file);
    } catch (...) {
      stack.pop_back();
      throw;
    }
    stack.pop_back();
    if (!sub.is_map()) n.fail("included file '" + file + "' is not a YAML map");
    const Context& sub_ctx = *sub.impl_->ctx;
    merge_maps(
        out.impl_->node, sub.impl_->node, "",
        [&sub_ctx](const std::string& p) { return sub_ctx.file_of(p); }, *out.impl_->ctx);
  }
  merge_maps(
      out.impl_->node, own.impl_->node, "", [&path](const std::string&) { return path; },
      *out.impl_->ctx);
  return out;
}

ConfigNode ConfigNode::clone() const {
  ConfigNode out;
  *out.impl_->ctx = *impl_->ctx;
  if (defined()) out.impl_->node = YAML::Clone(impl_->node);
  out.impl_->key_mark = impl_->key_mark;
  out.impl_->path = impl_->path;
  if (!out.impl_->ctx->marks) {
    auto table = std::make_shared<MarkTable>();
    record_marks(impl_->node, impl_->path, impl_->key_mark, *table);
    out.impl_->ctx->marks = std::move(table);
  }
  return out;
}

bool ConfigNode::defined() const { return impl_->node.IsDefined(); }
bool ConfigNode::is_map() const { return defined() && impl_->node.IsMap(); }
bool ConfigNode::is_sequence() const { return defined() && impl_->node.IsSequence(); }
bool ConfigNode::is_scalar() const { return defined() && impl_->node.IsScalar(); }
bool ConfigNode::is_null() const { return !impl_->node.IsDefined() || impl_->node.IsNull(); }
std::size_t ConfigNode::size() const { return defined() ? impl_->node.size() : 0; }

ConfigNode ConfigNode::at(std::size_t i) const {
  ConfigNode out;
  out.impl_->ctx = impl_->ctx;
  out.impl_->node.reset(impl_->node[i]);
  out.impl_->path = impl_->path + "[" + std::to_string(i) + "]";
  return out;
}

ConfigNode ConfigNode::child(const std::string& key) const {
  ConfigNode out;
  out.impl_->ctx = impl_->ctx;
  out.impl_->path = impl_->path.empty() ? key : impl_->path + "." + key;
  const YAML::Node& const_node = impl_->node;
  if (!is_map() || !const_node[key].IsDefined()) {
    out.impl_->node.reset(YAML::Node(YAML::NodeType::Undefined));
    return out;
  }
  out.impl_->node.reset(const_node[key]);
  if (impl_->ctx->marks) {
    const SourceMarks* m = marks_of(*impl_->ctx, out.impl_->path);
    if (m != nullptr) out.impl_->key_mark = m->key;
    return out;
  }
  for (const auto& kv : const_node) {
    if (kv.first.Scalar() == key) out.impl_->key_mark = kv.first.Mark();
  }
  return out;
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  if (!is_map()) return out;
  for (const auto& kv : impl_->node) out.push_back(kv.first.Scalar());
  return out;
}

std::string ConfigNode::scalar() const { return is_scalar() ? impl_->node.Scalar() : ""; }

const std::string& ConfigNode::path() const {
  static const std::string root = "<root>";
  return impl_->path.empty() ? root : impl_->path;
}

std::string ConfigNode::source_file() const { return impl_->ctx->file_of(impl_->path); }

std::string ConfigNode::location() const {
  for (auto it = impl_->ctx->overrides.rbegin(); it != impl_->ctx->overrides.rend(); ++it) {
    if (path_under(impl_->path, it->first)) return it->second;
  }
  // A null value's own mark points at the next token, so report its key instead.
  const YAML::Mark own = node_mark(*impl_);
  auto mark = is_null() || own.is_null() ? impl_->key_mark : own;
  if (mark.is_null() && defined()) mark = own;
  if (mark.is_null()) {
    // A map created by an override has no place in the file: name the override.
    for (const auto& [p, where] : impl_->ctx->overrides) {
      if (impl_->path.empty() || path_under(p, impl_->path)) return where;
    }
    return impl_->ctx->file_of(impl_->path);
  }
  return impl_->ctx->file_of(impl_->path) + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

void ConfigNode::fail(const std::string& message) const {
  throw ConfigError(location() + ": " + path() + ": " + message);
}

void ConfigNode::set_override(const std::string& dotted_path, const std::string& value_text) {
  const std::string where = "command-line override '" + dotted_path + "=" + value_text + "'";
  if (dotted_path.empty()) throw ConfigError(where + ": empty key path");
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where + ": YAML syntax error in the value: " + yaml_error(e));
  }
  DocumentCheck(where, false).walk(value, dotted_path, 0);
  set_node(dotted_path, value, where);
}

void ConfigNode::set_override_entry(const std::string& map_key, const std::string& key,
                                    const std::string& value_text) {
  const std::string where =
      "command-line override '" + map_key + "." + key + "=" + value_text + "'";
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where + ": YAML syntax error in the value: " + yaml_error(e));
  }
  DocumentCheck(where, false).walk(value, map_key + "." + key, 0);
  if (!impl_->node.IsDefined() || impl_->node.IsNull()) {
    impl_->node = YAML::Node(YAML::NodeType::Map);
  }
  if (!impl_->node.IsMap()) throw ConfigError(where + ": the configuration is not a map");
  YAML::Node map = impl_->node[map_key];
  if (!map.IsDefined() || map.IsNull()) {
    impl_->node[map_key] = YAML::Node(YAML::NodeType::Map);
    map = impl_->node[map_key];
  }
  if (!map.IsMap()) throw ConfigError(where + ": '" + map_key + "' is not a map");
  map[key] = value;
  impl_->ctx->overrides.emplace_back(map_key + "." + key, where);
}

void ConfigNode::set_value(const std::string& dotted_path, const ConfigNode& value,
                           const std::string& where) {
  if (dotted_path.empty()) throw ConfigError(where + ": empty key path");
  set_node(dotted_path, value.impl_->node, where);
}

void ConfigNode::remove_key(const std::string& key) {
  if (is_map()) impl_->node.remove(key);
}

void ConfigNode::set_node(const std::string& dotted_path, const YAML::Node& value,
                          const std::string& where) {
  if (!impl_->node.IsDefined() || impl_->node.IsNull())
    impl_->node = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur;
  cur.reset(impl_->node);
  std::string walked;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted_path.find('.', start);
    std::string part =
        dotted_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool last = dot == std::string::npos;
    // A segment is KEY or KEY[INDEX].
    long index = -1;
    const std::size_t bracket = part.find('[');
    if (bracket != std::string::npos) {
      if (part.back() != ']') throw ConfigError(where + ": malformed key path");
      const std::string digits = part.substr(bracket + 1, part.size() - bracket - 2);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        throw ConfigError(where + ": malformed list index '[" + digits + "]' in the key path");
      }
      index = std::stol(digits);
      part = part.substr(0, bracket);
    }
    if (part.empty()) throw ConfigError(where + ": malformed key path");
    walked += (walked.empty() ? "" : ".") + part;
    if (!cur.IsMap()) throw ConfigError(where + ": '" + walked + "' is inside a non-map value");
    if (index >= 0) {
      YAML::Node seq = cur[part];
      if (!seq.IsSequence() || static_cast<std::size_t>(index) >= seq.size()) {
        throw ConfigError(where + ": '" + walked + "' has no element " + std::to_string(index));
      }
      if (last) {
        seq[static_cast<std::size_t>(index)] = value;
        break;
      }
      YAML::Node next = seq[static_cast<std::size_t>(index)];
      cur.reset(next);
    } else {
      if (last) {
        cur[part] = value;
        break;
      }
      if (!cur[part].IsDefined() || cur[part].IsNull()) cur[part] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[part];
      cur.reset(next);
    }
    start = dot + 1;
  }
  impl_->ctx->overrides.emplace_back(dotted_path, where);
}

namespace {

/// Removes the key at dotted `path` ("train.eval_every") from a copy of a map, if present.
void remove_path(YAML::Node node, const std::string& path) {
  const std::size_t dot = path.find('.');
  if (!node.IsMap()) return;
  if (dot == std::string::npos) {
    node.remove(path);
    return;
  }
  const YAML::Node child = node[path.substr(0, dot)];
  if (child) remove_path(child, path.substr(dot + 1));
}

}  // namespace

std::string ConfigNode::to_yaml(const std::vector<std::string>& skip) const {
  YAML::Emitter out;
  if (skip.empty() || !is_map()) {
    out << impl_->node;
  } else {
    YAML::Node copy = YAML::Clone(impl_->node);
    for (const std::string& path : skip) {
      if (path.find('.') != std::string::npos) remove_path(copy, path);
    }
    out << YAML::BeginMap;
    for (const auto& kv : copy) {
      const std::string key = kv.first.Scalar();
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      out << YAML::Key << kv.first << YAML::Value << kv.second;
    }
    out << YAML::EndMap;
  }
  return std::string(out.c_str()) + "\n";
}

std::string ConfigNode::to_flow_yaml() const {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << impl_->node;
  return out.c_str();
}

bool Range::contains(double v) const {
  if (!std::isfinite(v)) return false;
  if (lo_inclusive ? v < lo : v <= lo) return false;
  if (hi_inclusive ? v > hi : v >= hi) return false;
  return true;
}

std::string Range::describe() const {
  if (hi >= 1e300) return std::string(lo_inclusive ? ">= " : "> ") + number_text(lo);
  return std::string(lo_inclusive ? "[" : "(") + number_text(lo) + ", " + number_text(hi) +
         (hi_inclusive ? "]" : ")");
}

OptionReader::OptionReader(const ConfigNode& node) : node_(node) {
  if (!node_.is_null() && !node_.is_map()) node_.fail("expected a map of options");
}

bool OptionReader::has(const std::string& key) const { return !node_.child(key).is_null(); }

ConfigNode OptionReader::value_node(const std::string& key) {
  known_.insert(key);
  return node_.child(key);
}

namespace {

double to_double(const ConfigNode& n) {
  if (!n.is_scalar()) n.fail("expected a number");
  const std::string text = n.scalar();
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == ".inf" || lower == "-.inf" || lower == "+.inf" || lower == ".nan") {
      n.fail("must be finite, got " + text);
    }
    n.fail("expected a number, got '" + text + "'");
  }
}

std::int64_t to_int(const ConfigNode& n, std::int64_t lo, std::int64_t hi) {
  if (!n.is_scalar()) n.fail("expected an integer");
  const std::string text = n.scalar();
  std::int64_t v = 0;
  try {
    std::size_t used = 0;
    v = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    n.fail("expected an integer, got '" + text + "'");
  }
  if (v < lo || v > hi) {
    n.fail("must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + text);
  }
  return v;
}

}  // namespace

double OptionReader::get_double(const std::string& key, double fallback, Range range) {
  const ConfigNode n = value_node(key);
  if (n.is_null()) return fallback;
  const double v = to_double(n);
  if (!range.contains(v)) n.fail("must be " + range.describe() + ", got " + n.scalar());
  return v;
}

double OptionReader::require_double(const std::string& key, Range range) {
  if (!has(key)) fail(key, "missing required key '" + key + "'");
  return get_double(key, 0.0, range);
}

std::int64_t OptionReader::get_int(const std::string& key, std::int64_t fallback, std::int64_t lo,
                                   std::int64_t hi) {
  const ConfigNode n = value_node(key);
  if (n.is_null()) return fallback;
  return to_int(n, lo, hi);
}

std::int64_t OptionReader::require_int(const std::string& key, std::int64_t lo, std::int64_t hi) {
  if (!has(key)) fail(key, "missing required key '" + key + "'");
  return get_int(key, 0, lo, hi);
}

bool OptionReader::get_bool(const std::string& key, bool fallback) {
  const ConfigNode n = value_node(key);
  if (n.is_null()) return fallback;
  const std::string t = n.scalar();
  if (n.is_scalar() && (t == "true" || t == "True" || t == "yes")) return true;
  if (n.is_scalar() && (t == "false" || t == "False" || t == "no")) return false;
  n.fail("expected true or false, got '" + t + "'");
}

std::string OptionReader::get_string(const std::string& key, const std::string& fallback,
                                     const std::vector<std::string>& allowed) {
  const ConfigNode n = value_node(key);
  if (n.is_null()) return fallback;
  if (!n.is_scalar()) n.fail("expected a string");
  std::string v = n.scalar();
  if (!allowed.empty()) {
    for (const auto& a : allowed) {
      if (a == v) return v;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    n.fail("unknown value '" + v + "' (allowed: " + list + ")");
  }
  return v;
}

std::string OptionReader::require_string(const std::string& key,
                                         const std::vector<std::string>& allowed) {
  if (!has(key)) fail(key, "missing required key '" + key + "'");
  return get_string(key, "", allowed);
}

std::vector<std::int64_t> OptionReader::get_int_list(const std::string& key,
                                                     const std::vector<std::int64_t>& fallback,
                                                     std::int64_t lo, std::int64_t hi) {
  const ConfigNode n = value_node(key);
  if (n.is_null()) return fallback;
  if (!n.is_sequence()) n.fail("expected a list of integers");
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < n.size(); ++i) out.push_back(to_int(n.at(i), lo, hi));
  return out;
}

ConfigNode OptionReader::child(const std::string& key) { return value_node(key); }

void OptionReader::accept(const std::string& key) { known_.insert(key); }

void OptionReader::fail(const std::string& key, const std::string& message) const {
  const ConfigNode n = node_.child(key);
  if (!n.is_null()) n.fail(message);
  // The key is absent: if a key nobody read is a near miss of it, the user misspelt it, and
  // that is the error to report (at the misspelt key), not the missing one.
  if (!node_.defined() || !node_.is_map() || node_.child(key).defined()) node_.fail(message);
  for (const auto& written : node_.keys()) {
    if (known_.count(written) == 0 && !did_you_mean(written, {key}).empty()) {
      node_.child(written).fail("unknown key '" + written + "'" + did_you_mean(written, {key}));
    }
  }
  node_.fail(message);
}

void OptionReader::finish() const {
  for (const auto& key : node_.keys()) {
    if (known_.count(key) == 0) {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      const std::vector<std::string> candidates(known_.begin(), known_.end());
      node_.child(key).fail("unknown key '" + key + "'" + did_you_mean(key, candidates) +
                            " (known keys: " + (list.empty() ? std::string("none") : list) + ")");
    }
  }
}

namespace {

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent characters each cost 1 ("dropuot" is 1 from "dropout").
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  // A near miss: at most 1 edit for short words, 2 from 6 characters on, and not the word itself.
  const std::size_t limit = word.size() >= 6 ? 2 : 1;
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    if (c == word || word.size() > 64 || c.size() > 64) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

ConfigNode apply_overrides(ConfigNode root, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError("command-line override '" + o + "': expected KEY.PATH=VALUE");
    }
    const std::string key = o.substr(0, eq);
    // Grid and zip keys are whole key paths: "grid.optimizer.learning_rate=[0.1, 0.01]" adds the
    // axis "optimizer.learning_rate".
    if (key.rfind("grid.", 0) == 0 && key.size() > 5) {
      root.set_override_entry("grid", key.substr(5), o.substr(eq + 1));
    } else {
      root.set_override(key, o.substr(eq + 1));
    }
  }
  return root;
}

}  // namespace reglab::config
