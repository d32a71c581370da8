#include "framework/experiment/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/experiment/plugins.hpp"
#include "framework/experiment/run_config.hpp"

namespace reglab::experiment {

namespace {

/// One axis: the key paths it sets and, for each choice, one value per path.
struct Axis {
  std::vector<std::string> paths;
  std::vector<std::vector<ConfigNode>> choices;
};

ConfigNode load_base(const std::string& config_path, const std::vector<std::string>& overrides) {
  return apply_overrides(ConfigNode::load_composed(config_path), overrides);
}

/// Splits "grid.optimizer.learning_rate"-style keys: a grid map's keys are whole key paths.
void read_grid(const ConfigNode& grid, std::vector<Axis>& axes) {
  if (grid.is_null()) return;
  if (!grid.is_map()) grid.fail("expected a map from key paths to lists of values");
  for (const auto& key : grid.keys()) {
    const ConfigNode values = grid.child(key);
    if (!values.is_sequence()) values.fail("expected a list of values for '" + key + "'");
    if (values.size() == 0) values.fail("an empty list gives zero cells");
    Axis axis;
    axis.paths.push_back(key);
    for (std::size_t i = 0; i < values.size(); ++i) axis.choices.push_back({values.at(i)});
    axes.push_back(std::move(axis));
  }
}

void read_zip_group(const ConfigNode& group, std::vector<Axis>& axes) {
  if (!group.is_map() || group.size() == 0) {
    group.fail("expected a map from key paths to lists of equal length");
  }
  Axis axis;
  std::size_t length = 0;
  for (const auto& key : group.keys()) {
    const ConfigNode values = group.child(key);
    if (!values.is_sequence()) values.fail("expected a list of values for '" + key + "'");
    if (values.size() == 0) values.fail("an empty list gives zero cells");
    if (axis.paths.empty()) {
      length = values.size();
      axis.choices.resize(length);
    } else if (values.size() != length) {
      values.fail("zip lists must have equal lengths: '" + key + "' has " +
                  std::to_string(values.size()) + " values, '" + axis.paths.front() + "' has " +
                  std::to_string(length));
    }
    axis.paths.push_back(key);
    for (std::size_t i = 0; i < length; ++i) axis.choices[i].push_back(values.at(i));
  }
  axes.push_back(std::move(axis));
}

void read_zip(const ConfigNode& zip, std::vector<Axis>& axes) {
  if (zip.is_null()) return;
  if (zip.is_sequence()) {
    for (std::size_t i = 0; i < zip.size(); ++i) read_zip_group(zip.at(i), axes);
  } else {
    read_zip_group(zip, axes);
  }
}

void read_seeds(const ConfigNode& seeds, std::vector<Axis>& axes) {
  if (seeds.is_null()) return;
  Axis axis;
  axis.paths.push_back("seed");
  if (seeds.is_scalar()) {
    char* end = nullptr;
    const std::string text = seeds.scalar();
    const long long count = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || count < 1 || count > 100000) {
      seeds.fail("expected a count >= 1 or a list of seeds, got '" + text + "'");
    }
    // A count N means seeds 1..N. Values are built as YAML text so they print like written ones.
    for (long long s = 1; s <= count; ++s) {
      axis.choices.push_back({ConfigNode::parse(std::to_string(s), seeds.location())});
    }
  } else if (seeds.is_sequence()) {
    if (seeds.size() == 0) seeds.fail("an empty list gives zero cells");
    std::set<unsigned long long> seen;
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      const ConfigNode s = seeds.at(i);
      if (!s.is_scalar() || s.scalar().find_first_not_of("0123456789") != std::string::npos ||
          s.scalar().empty() || s.scalar().size() > 19) {
        s.fail("expected a non-negative integer seed");
      }
      if (!seen.insert(std::stoull(s.scalar())).second) {
        s.fail("seed " + s.scalar() + " appears twice");
      }
      axis.choices.push_back({s});
    }
  } else {
    seeds.fail("expected a count or a list of seeds");
  }
  axes.push_back(std::move(axis));
}

std::vector<Axis> read_axes(const ConfigNode& root) {
  std::vector<Axis> axes;
  read_grid(root.child("grid"), axes);
  read_zip(root.child("zip"), axes);
  read_seeds(root.child("seeds"), axes);
  std::set<std::string> paths;
  for (const auto& a : axes) {
    for (const auto& p : a.paths) {
      if (p == "plugins" || p.rfind("plugins[", 0) == 0 || p.rfind("plugins.", 0) == 0) {
        root.fail("key path '" + p +
                  "': plugins are loaded once for the whole sweep and cannot vary along an axis "
                  "(list every plugin in the top-level 'plugins:')");
      }
      if (!paths.insert(p).second) {
        root.fail("key path '" + p + "' is varied by two axes (grid, zip or seeds)");
      }
    }
  }
  return axes;
}

/// Limits on `output`, checked before anything runs so that a bad path is a configuration error
/// and not a file-system error half-way through a sweep. File systems refuse names longer than
/// 255 bytes and reglab derives longer names from the output's own (`<name>.cells`,
/// `<name>.ckpt.tmp.<pid>`); the system limits whole paths to 4096 bytes.
constexpr std::size_t kMaxOutputName = 200;
constexpr std::size_t kMaxOutputPath = 3000;

void check_output(const ConfigNode& node) {
  const std::string output = node.scalar();
  const std::filesystem::path path(output);
  const std::string file = path.filename().string();
  if (file.empty() || file == "." || file == "..") {
    node.fail("must name a file (the .h5 path), got '" + output + "'");
  }
  if (output.size() > kMaxOutputPath) {
    node.fail("the path is longer than " + std::to_string(kMaxOutputPath) + " bytes");
  }
  for (const auto& part : path) {
    if (part.string().size() > kMaxOutputName) {
      node.fail("'" + part.string().substr(0, 40) + "...' is longer than " +
                std::to_string(kMaxOutputName) + " bytes (file systems allow 255, and reglab " +
                "adds suffixes)");
    }
  }
}

std::string cell_dir_of(const std::string& output) {
  std::string base = output;
  if (base.size() > 3 && base.compare(base.size() - 3, 3, ".h5") == 0) {
    base.resize(base.size() - 3);
  }
  return base + ".cells";
}

/// Builds the configuration of the cell with the given choices from a fresh base tree.
ConfigNode build_cell(ConfigNode root, const std::vector<Axis>& axes,
                      const std::vector<std::size_t>& choice, const std::string& cell_output) {
  for (const char* key : {"grid", "zip", "seeds"}) root.remove_key(key);
  for (std::size_t a = 0; a < axes.size(); ++a) {
    for (std::size_t k = 0; k < axes[a].paths.size(); ++k) {
      // The value is copied as text into this cell's own tree: sharing nodes between trees
      // would tie every cell's memory to the base document.
      const ConfigNode& value = axes[a].choices[choice[a]][k];
      root.set_value(axes[a].paths[k], ConfigNode::parse(value.to_flow_yaml(), "<grid>"),
                     value.location() + " (grid value of '" + axes[a].paths[k] + "')");
    }
  }
  std::string quoted;
  for (char c : cell_output) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  root.set_value("output", ConfigNode::parse("'" + quoted + "'", "<sweep>"),
                 "the cell's output path");
  return root;
}

}  // namespace

std::string factor_text(const std::string& path, const ConfigNode& value) {
  if (value.is_scalar()) return value.scalar();
  if (path == "regularizers" && value.is_sequence()) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const ConfigNode name = value.at(i).child("name");
      out += (out.empty() ? "" : "+") + (name.is_scalar() ? name.scalar() : std::string("?"));
    }
    return out.empty() ? "none" : out;
  }
  if (value.is_null()) return "none";
  return value.to_flow_yaml();
}

Sweep expand_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                   const std::vector<std::string>& extra_plugins) {
  const ConfigNode base = load_base(config_path, overrides);
  if (!base.is_map()) base.fail("the configuration must be a YAML map");
  const std::vector<Axis> axes = read_axes(base);
  Sweep sweep;
  sweep.extra_plugins = absolute_paths(extra_plugins);
  sweep.registries = load_registries(base, sweep.extra_plugins);
  sweep.is_grid = !axes.empty();
  sweep.config_yaml = base.to_yaml();
  {
    OptionReader top(base);
    sweep.name = top.get_string("name", "");
    if (!top.has("output")) top.fail("output", "missing required key 'output' (the .h5 path)");
    sweep.output = top.get_string("output", "");
    check_output(base.child("output"));
  }
  sweep.cell_dir = cell_dir_of(sweep.output);
  for (const auto& a : axes) {
    for (const auto& p : a.paths) sweep.factor_paths.push_back(p);
  }

  std::size_t total = 1;
  long double exact = 1.0L;  // the true count, for the message (it may overflow size_t)
  for (const auto& a : axes) {
    exact *= static_cast<long double>(a.choices.size());
    if (total > kMaxCells / a.choices.size())
      total = kMaxCells + 1;
    else
      total *= a.choices.size();
  }
  if (total > kMaxCells) {
    char count[64];
    std::snprintf(count, sizeof count, "%.0Lf", exact);
    base.fail(std::string("the grid expands to ") + count + " cells, more than the limit of " +
              std::to_string(kMaxCells) + "; split it into several sweeps");
  }

  std::map<std::string, std::size_t> ids;
  std::vector<std::size_t> choice(axes.size(), 0);
  for (std::size_t index = 0; index < total; ++index) {
    // Mixed-radix counter: the last axis varies fastest.
    std::size_t rest = index;
    for (std::size_t a = axes.size(); a-- > 0;) {
      choice[a] = rest % axes[a].choices.size();
      rest /= axes[a].choices.size();
    }
    Cell cell;
    cell.index = index;
    cell.choice = choice;
    const ConfigNode root = build_cell(load_base(config_path, overrides), axes, choice, "");
    const RunPlan plan = plan_run(root, sweep.registries);
    cell.id = plan.run_id;
    cell.seed = plan.seed;
    cell.output = sweep.is_grid ? sweep.cell_dir + "/" + cell.id + ".h5" : sweep.output;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      for (std::size_t k = 0; k < axes[a].paths.size(); ++k) {
        const ConfigNode& v = axes[a].choices[choice[a]][k];
        Factor f;
        f.path = axes[a].paths[k];
        f.text = factor_text(f.path, v);
        // Short labels ("dropout+max_norm") must still tell the axis's choices apart: if another
        // choice shares this label but differs in its options, use the full value instead.
        for (const auto& other : axes[a].choices) {
          if (factor_text(f.path, other[k]) == f.text &&
              other[k].to_flow_yaml() != v.to_flow_yaml()) {
            f.text = v.to_flow_yaml();
            break;
          }
        }
        char* end = nullptr;
        f.number = std::strtod(f.text.c_str(), &end);
        f.numeric = v.is_scalar() && end != f.text.c_str() && *end == '\0';
        cell.name += (cell.name.empty() ? "" : ", ") + f.path + "=" + f.text;
        cell.factors.push_back(std::move(f));
      }
    }
    if (cell.name.empty()) cell.name = sweep.name;
    const auto [it, fresh] = ids.emplace(cell.id, index);
    if (!fresh) {
      base.fail("cells " + std::to_string(it->second + 1) + " (" + sweep.cells[it->second].name +
                ") and " + std::to_string(index + 1) + " (" + cell.name +
                ") are the same run; remove the duplicate value");
    }
    sweep.cells.push_back(std::move(cell));
  }
  for (auto& cell : sweep.cells) {
    cell.config_yaml = cell_config(config_path, overrides, cell).to_yaml();
  }
  std::vector<std::string> sorted;
  for (const auto& c : sweep.cells) sorted.push_back(c.id);
  std::sort(sorted.begin(), sorted.end());
  std::string joined;
  for (const auto& id : sorted) joined += id + "\n";
  sweep.sweep_id = sha256_hex(joined.data(), joined.size()).substr(0, 12);
  return sweep;
}

ConfigNode cell_config(const std::string& config_path, const std::vector<std::string>& overrides,
                       const Cell& cell) {
  ConfigNode base = load_base(config_path, overrides);
  const std::vector<Axis> axes = read_axes(base);
  return build_cell(base, axes, cell.choice, cell.output);
}

}  // namespace reglab::experiment
