/// Reading a sweep's axes (grid, zip and seeds; sample in sweep_sample.cpp) and preparing their
/// values: the tree each cell copies, the location errors report, and the factor label.
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "framework/experiment/sweep_internal.hpp"

namespace reglab::experiment {

namespace {

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
    for (std::size_t i = 0; i < values.size(); ++i) {
      axis.choices.push_back({grid_value(key, values.at(i))});
    }
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
    for (std::size_t i = 0; i < length; ++i) {
      axis.choices[i].push_back(grid_value(key, values.at(i)));
    }
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

/// `seeds: N`: seeds 1..N, built as YAML text so they print like written ones.
void read_seed_count(const ConfigNode& seeds, Axis& axis) {
  char* end = nullptr;
  const std::string text = seeds.scalar();
  const long long count = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || count < 1 || count > 100000) {
    seeds.fail("expected a count >= 1 or a list of seeds, got '" + text + "'");
  }
  for (long long s = 1; s <= count; ++s) {
    axis.choices.push_back(
        {grid_value("seed", ConfigNode::parse(std::to_string(s), seeds.location()))});
  }
}

void read_seed_list(const ConfigNode& seeds, Axis& axis) {
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
    axis.choices.push_back({grid_value("seed", s)});
  }
}

void read_seeds(const ConfigNode& seeds, std::vector<Axis>& axes) {
  if (seeds.is_null()) return;
  Axis axis;
  axis.paths.push_back("seed");
  if (seeds.is_scalar()) {
    read_seed_count(seeds, axis);
  } else if (seeds.is_sequence()) {
    read_seed_list(seeds, axis);
  } else {
    seeds.fail("expected a count or a list of seeds");
  }
  axes.push_back(std::move(axis));
}

/// Rejects `plugins` paths and a key path set by two axes.
void check_paths(const ConfigNode& root, const std::vector<Axis>& axes) {
  std::set<std::string> paths;
  for (const auto& a : axes) {
    for (const auto& p : a.paths) {
      if (p == "plugins" || p.rfind("plugins[", 0) == 0 || p.rfind("plugins.", 0) == 0) {
        root.fail("key path '" + p +
                  "': plugins are loaded once for the whole sweep and cannot vary along an axis "
                  "(list every plugin in the top-level 'plugins:')");
      }
      if (!paths.insert(p).second) {
        root.fail("key path '" + p + "' is varied by two axes (grid, zip, sample or seeds)");
      }
    }
  }
}

/// The factor of each value at position `k` of an axis's choices. Short labels
/// ("dropout+max_norm") must still tell the choices apart: a label that two different values
/// share shows the full value instead.
void label_path(Axis& axis, std::size_t k, const std::vector<std::string>& flows) {
  const std::string& path = axis.paths[k];
  std::vector<std::string> labels;
  std::map<std::string, std::set<std::string>> values_of_label;
  for (std::size_t c = 0; c < axis.choices.size(); ++c) {
    labels.push_back(factor_text(path, axis.choices[c][k].written));
    values_of_label[labels.back()].insert(flows[c]);
  }
  for (std::size_t c = 0; c < axis.choices.size(); ++c) {
    AxisValue& value = axis.choices[c][k];
    Factor& f = value.factor;
    f.path = path;
    f.text = values_of_label[labels[c]].size() > 1 ? flows[c] : labels[c];
    char* end = nullptr;
    f.number = std::strtod(f.text.c_str(), &end);
    f.numeric = value.written.is_scalar() && end != f.text.c_str() && *end == '\0';
  }
}

/// Gives every value of `axis` its own tree and its factor.
void prepare(Axis& axis) {
  for (std::size_t k = 0; k < axis.paths.size(); ++k) {
    std::vector<std::string> flows;
    for (auto& choice : axis.choices) {
      flows.push_back(choice[k].written.to_flow_yaml());
      // The value is copied as text into a tree of its own: sharing nodes with the sweep's
      // tree would tie every cell's memory to the base document.
      choice[k].node = ConfigNode::parse(flows.back(), "<grid>");
    }
    label_path(axis, k, flows);
  }
}

}  // namespace

AxisValue grid_value(const std::string& path, const ConfigNode& written) {
  AxisValue value;
  value.written = written;
  value.where = written.location() + " (grid value of '" + path + "')";
  return value;
}

std::vector<Axis> read_axes(const ConfigNode& root) {
  std::vector<Axis> axes;
  read_grid(root.child("grid"), axes);
  read_zip(root.child("zip"), axes);
  read_sample(root.child("sample"), axes);
  read_seeds(root.child("seeds"), axes);
  check_paths(root, axes);
  for (auto& axis : axes) prepare(axis);
  return axes;
}

void set_axis_values(ConfigNode& root, const std::vector<Axis>& axes,
                     const std::vector<std::size_t>& choice) {
  for (std::size_t a = 0; a < axes.size(); ++a) {
    for (std::size_t k = 0; k < axes[a].paths.size(); ++k) {
      const AxisValue& value = axes[a].choices[choice[a]][k];
      root.set_value(axes[a].paths[k], value.node.clone(), value.where);
    }
  }
}

}  // namespace reglab::experiment
