#include "framework/experiment/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"
#include "framework/experiment/plugins.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/sweep_internal.hpp"

namespace reglab::experiment {

namespace {

ConfigNode load_base(const std::string& config_path, const std::vector<std::string>& overrides) {
  return apply_overrides(ConfigNode::load_composed(config_path), overrides);
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

/// The sweep's configuration without the axis keys: what every cell starts from.
ConfigNode cell_base(const ConfigNode& base) {
  ConfigNode root = base.clone();
  for (const char* key : kAxisKeys) root.remove_key(key);
  return root;
}

/// Sets `output` of a cell's configuration.
void set_output(ConfigNode& root, const std::string& cell_output) {
  std::string quoted;
  for (char c : cell_output) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  root.set_value("output", ConfigNode::parse("'" + quoted + "'", "<sweep>"),
                 "the cell's output path");
}

/// The configuration of the cell with the given choices, from a copy of `start` (cell_base).
ConfigNode build_cell(const ConfigNode& start, const std::vector<Axis>& axes,
                      const std::vector<std::size_t>& choice, const std::string& cell_output) {
  ConfigNode root = start.clone();
  set_axis_values(root, axes, choice);
  set_output(root, cell_output);
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

namespace {

/// The sweep's own keys: name, output and its cell folder, plugins, factor paths.
Sweep read_sweep(const ConfigNode& base, const std::vector<Axis>& axes,
                 const std::vector<std::string>& extra_plugins) {
  Sweep sweep;
  sweep.extra_plugins = absolute_paths(extra_plugins);
  sweep.registries = load_registries(base, sweep.extra_plugins);
  sweep.is_grid = !axes.empty();
  sweep.config_yaml = base.to_yaml();
  OptionReader top(base);
  sweep.name = top.get_string("name", "");
  if (!top.has("output")) top.fail("output", "missing required key 'output' (the .h5 path)");
  sweep.output = top.get_string("output", "");
  check_output(base.child("output"));
  sweep.cell_dir = cell_dir_of(sweep.output);
  for (const auto& a : axes) {
    for (const auto& p : a.paths) sweep.factor_paths.push_back(p);
  }
  return sweep;
}

/// The number of cells, the product of the axis lengths. Fails when it exceeds kMaxCells.
std::size_t count_cells(const ConfigNode& base, const std::vector<Axis>& axes) {
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
  return total;
}

/// The value index on each axis of cell `index`: a mixed-radix counter, the last axis fastest.
std::vector<std::size_t> choice_of(std::size_t index, const std::vector<Axis>& axes) {
  std::vector<std::size_t> choice(axes.size(), 0);
  for (std::size_t a = axes.size(); a-- > 0;) {
    choice[a] = index % axes[a].choices.size();
    index /= axes[a].choices.size();
  }
  return choice;
}

/// Cell `index` of `sweep`: validated (plan_run), with its id, file, factors, name and
/// configuration.
Cell make_cell(const ConfigNode& start, const std::vector<Axis>& axes, std::size_t index,
               const Sweep& sweep) {
  Cell cell;
  cell.index = index;
  cell.choice = choice_of(index, axes);
  ConfigNode root = build_cell(start, axes, cell.choice, "");
  const RunPlan plan = plan_run(root, sweep.registries);
  cell.id = plan.run_id;
  cell.seed = plan.seed;
  cell.output = sweep.is_grid ? sweep.cell_dir + "/" + cell.id + ".h5" : sweep.output;
  set_output(root, cell.output);
  cell.config_yaml = root.to_yaml();
  for (std::size_t a = 0; a < axes.size(); ++a) {
    for (const AxisValue& value : axes[a].choices[cell.choice[a]]) {
      cell.name += (cell.name.empty() ? "" : ", ") + value.factor.path + "=" + value.factor.text;
      cell.factors.push_back(value.factor);
    }
  }
  if (cell.name.empty()) cell.name = sweep.name;
  return cell;
}

/// SHA-256 (12 hex digits) of the sorted cell ids.
std::string sweep_id_of(const std::vector<Cell>& cells) {
  std::vector<std::string> sorted;
  for (const auto& c : cells) sorted.push_back(c.id);
  std::sort(sorted.begin(), sorted.end());
  std::string joined;
  for (const auto& id : sorted) joined += id + "\n";
  return sha256_hex(joined.data(), joined.size()).substr(0, 12);
}

}  // namespace

Sweep expand_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                   const std::vector<std::string>& extra_plugins) {
  const ConfigNode base = load_base(config_path, overrides);
  if (!base.is_map()) base.fail("the configuration must be a YAML map");
  const std::vector<Axis> axes = read_axes(base);
  Sweep sweep = read_sweep(base, axes, extra_plugins);
  const std::size_t total = count_cells(base, axes);
  // Every cell starts from a copy of one parsed tree: the file is read once per expansion.
  const ConfigNode start = cell_base(base);
  std::map<std::string, std::size_t> ids;
  for (std::size_t index = 0; index < total; ++index) {
    Cell cell = make_cell(start, axes, index, sweep);
    const auto [it, fresh] = ids.emplace(cell.id, index);
    if (!fresh) {
      base.fail("cells " + std::to_string(it->second + 1) + " (" + sweep.cells[it->second].name +
                ") and " + std::to_string(index + 1) + " (" + cell.name +
                ") are the same run; remove the duplicate value");
    }
    sweep.cells.push_back(std::move(cell));
  }
  sweep.sweep_id = sweep_id_of(sweep.cells);
  return sweep;
}

ConfigNode cell_config(const std::string& config_path, const std::vector<std::string>& overrides,
                       const Cell& cell) {
  const ConfigNode base = load_base(config_path, overrides);
  const std::vector<Axis> axes = read_axes(base);
  return build_cell(cell_base(base), axes, cell.choice, cell.output);
}

}  // namespace reglab::experiment
