/// Validation of a ResultsFile before write_results creates anything: names, uniqueness, reserved
/// attributes, curve lengths, weight shapes and summary columns (results.hpp lists the rules).
#include <cstddef>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/storage/results_internal.hpp"
#include "framework/storage/schema.hpp"

namespace reglab::storage::detail {
namespace {

using Curves = std::vector<std::pair<std::string, std::vector<double>>>;

/// HDF5 link names used here: non-empty, no '/', not "." (the group itself), no NUL.
void check_name(const Where& where, const std::string& kind, const std::string& name,
                const std::string& context) {
  std::string problem;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.find('/') != std::string::npos) {
    problem = "contains '/'";
  } else if (name == ".") {
    problem = "is '.'";
  } else if (name.find('\0') != std::string::npos) {
    problem = "contains a NUL character";
  }
  if (!problem.empty()) {
    fail(where, kind + " " + quoted(name) + context + " " + problem +
                    " (names must be non-empty and must not contain '/')");
  }
}

/// Strings are stored as NUL-terminated variable-length strings: an embedded NUL would silently
/// truncate them, so it is refused.
void check_text(const Where& where, const std::string& what, const std::string& text) {
  if (text.find('\0') != std::string::npos) fail(where, what + " contains a NUL character");
}

/// Checks further string attributes of a group (`owner`, e.g. " of the root group"): valid
/// names, not in `reserved` (the fixed attributes) and not repeated, no NUL in the values.
template <std::size_t N>
void check_attributes(const Where& where,
                      const std::vector<std::pair<std::string, std::string>>& attributes,
                      const char* const (&reserved)[N], const std::string& owner,
                      const std::string& reserved_hint) {
  std::set<std::string> names(std::begin(reserved), std::end(reserved));
  for (const auto& [key, value] : attributes) {
    check_name(where, "attribute", key, owner);
    if (!names.insert(key).second) {
      fail(where,
           "attribute " + quoted(key) + owner + " is duplicated or reserved" + reserved_hint);
    }
    check_text(where, "attribute " + quoted(key) + owner, value);
  }
}

const char* type_name(Column::Type type) {
  switch (type) {
    case Column::Type::kFloat64:
      return "float64";
    case Column::Type::kInt64:
      return "int64";
    case Column::Type::kString:
      return "string";
  }
  return "of an unknown type";
}

/// Checks one column's type, the vectors it fills, its length and its strings.
void validate_column(const Where& where, const Table& table, const Column& column) {
  const std::string what = "summary column " + quoted(column.name);
  const Column::Type type = column.type;
  if (type != Column::Type::kFloat64 && type != Column::Type::kInt64 &&
      type != Column::Type::kString) {
    fail(where, what + " has an unknown type");
  }
  if ((type != Column::Type::kFloat64 && !column.f64.empty()) ||
      (type != Column::Type::kInt64 && !column.i64.empty()) ||
      (type != Column::Type::kString && !column.str.empty())) {
    fail(where, what + " is " + type_name(type) +
                    " but has values in another vector (fill only the one selected by `type`)");
  }
  if (column.size() != table.rows()) {
    fail(where, what + " has " + std::to_string(column.size()) + " values but " +
                    quoted(table.columns.front().name) + " has " + std::to_string(table.rows()) +
                    " (all columns need one value per row)");
  }
  for (std::size_t row = 0; row < column.str.size(); ++row) {
    check_text(where, what + " row " + std::to_string(row), column.str[row]);
  }
}

}  // namespace

void validate_summary(const Where& where, const Table& table) {
  std::set<std::string> names;
  for (const Column& column : table.columns) {
    check_name(where, "summary column", column.name, "");
    if (!names.insert(column.name).second) {
      fail(where, "duplicate summary column " + quoted(column.name));
    }
    validate_column(where, table, column);
  }
}

void validate_root(const Where& where, const ResultsFile& results) {
  check_text(where, schema::kReglabVersionAttribute, results.reglab_version);
  check_text(where, schema::kCreatedUtcAttribute, results.created_utc);
  check_text(where, "the configuration", results.config_yaml);
  check_attributes(where, results.attributes, schema::kRootFixedAttributes, " of the root group",
                   " (format, format_version, reglab_version, created_utc, config and kind are "
                   "set by write_results)");
}

namespace {

/// Checks the names, uniqueness and equal lengths of a run's `curves` (`label`: "curve" or
/// "step curve"; `length_hint` ends the length message). Returns whether `required` is present.
bool check_curves(const Where& where, const Curves& curves, const std::string& label,
                  const std::string& in_run, const std::string& required,
                  const std::string& length_hint) {
  std::set<std::string> metrics;
  bool has_required = false;
  for (const auto& [metric, values] : curves) {
    check_name(where, label, metric, in_run);
    if (!metrics.insert(metric).second) {
      fail(where, "duplicate " + label + " " + quoted(metric) + in_run);
    }
    if (metric == required) has_required = true;
    if (values.size() != curves.front().second.size()) {
      fail(where, label + " " + quoted(metric) + in_run + " has " + std::to_string(values.size()) +
                      " values but " + quoted(curves.front().first) + " has " +
                      std::to_string(curves.front().second.size()) + length_hint);
    }
  }
  return has_required;
}

/// The number of values `w.shape` holds; fails if it overflows size_t.
std::size_t element_count(const Where& where, const WeightTensor& w, const std::string& in_run) {
  std::size_t count = 1;
  for (std::size_t d : w.shape) {
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d) {
      fail(where, "weight " + quoted(w.layer + "/" + w.param) + in_run + " is too large");
    }
    count *= d;
  }
  return count;
}

/// Checks weight names, that each layer's parameters are contiguous and unique, and that every
/// tensor's data fills its shape.
void validate_weights(const Where& where, const RunRecord& run, const std::string& in_run) {
  std::set<std::string> finished_layers;  // layers whose weights are complete
  std::set<std::string> params;
  std::string current_layer;
  for (const WeightTensor& w : run.weights) {
    check_name(where, "layer", w.layer, in_run);
    check_name(where, "parameter", w.param, " of layer " + quoted(w.layer) + in_run);
    if (w.layer != current_layer) {
      if (finished_layers.count(w.layer) != 0) {
        fail(where, "the weights of layer " + quoted(w.layer) + in_run +
                        " are not contiguous (list each layer's parameters together)");
      }
      if (!current_layer.empty()) finished_layers.insert(current_layer);
      current_layer = w.layer;
      params.clear();
    }
    if (!params.insert(w.param).second) {
      fail(where, "duplicate weight " + quoted(w.layer + "/" + w.param) + in_run);
    }
    const std::size_t count = element_count(where, w, in_run);
    if (count != w.data.size()) {
      fail(where, "weight " + quoted(w.layer + "/" + w.param) + in_run + " has " +
                      std::to_string(w.data.size()) + " values but its shape holds " +
                      std::to_string(count));
    }
  }
}

void validate_run(const Where& where, const RunRecord& run) {
  const std::string in_run = " of run " + quoted(run.run_id);
  check_text(where, "the name" + in_run, run.name);
  check_text(where, "the configuration" + in_run, run.config_yaml);
  check_text(where, "the status" + in_run, run.status);
  check_attributes(where, run.attributes, schema::kRunFixedAttributes, in_run,
                   " (name, config, seed and status are set from the RunRecord fields)");
  if (!check_curves(where, run.curves, "curve", in_run, schema::kEpochCurve,
                    " (all curves of a run must have one value per epoch)")) {
    fail(where, "run " + quoted(run.run_id) + " has no 'epoch' curve");
  }
  const bool has_step =
      check_curves(where, run.step_curves, "step curve", in_run, schema::kStepCurve, "");
  if (!run.step_curves.empty() && !has_step) {
    fail(where, "run " + quoted(run.run_id) + " has step curves but no 'step'");
  }
  validate_weights(where, run, in_run);
}

}  // namespace

void validate_run_record(const Where& where, const RunRecord& run) {
  check_name(where, "run id", run.run_id, "");
  validate_run(where, run);
}

void validate_results(const Where& where, const ResultsFile& results) {
  validate_root(where, results);
  validate_summary(where, results.summary);
  std::set<std::string> run_ids;
  for (const RunRecord& run : results.runs) {
    check_name(where, "run id", run.run_id, "");
    if (!run_ids.insert(run.run_id).second) fail(where, "duplicate run id " + quoted(run.run_id));
    validate_run(where, run);
  }
}

}  // namespace reglab::storage::detail
