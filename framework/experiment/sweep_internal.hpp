/// Internal declarations shared by the files of sweep expansion (not installed with sweep.hpp):
///
///   sweep.cpp         expand_sweep and cell_config: the cells, each from a copy of one parsed tree
///   sweep_axes.cpp    the grid, zip and seeds axes, the factor labels, setting a cell's values
///   sweep_sample.cpp  the sample axis: its distributions and draws
///
/// Drawn numbers must be the same bits on every machine, because they are part of each cell's
/// configuration and so of its id: a cluster task that expands the sweep again must find the
/// same cells. So draws map the raw 64-bit outputs of core/random.hpp's streams with IEEE-754
/// arithmetic only (sweep_sample.cpp is compiled with -ffp-contract=off, so no fused
/// multiply-add changes a rounding), and log_uniform uses portable_log and portable_exp below
/// instead of std::log and std::exp, whose last bit may differ between C libraries and CPU
/// features.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/experiment/config_names.hpp"
#include "framework/experiment/sweep.hpp"

namespace reglab::experiment {

/// The top-level keys that describe axes; a cell's configuration has none of them.
constexpr const char* kAxisKeys[] = {"grid", "zip", "sample", "seeds"};

/// One value an axis sets at one key path.
struct AxisValue {
  ConfigNode written;  ///< the value as the sweep file wrote it (or as `sample:` drew it)
  std::string where;   ///< the location errors in it report: "FILE:L:C (grid value of 'PATH')"
  ConfigNode node;     ///< its own tree, parsed from its flow YAML; a cell sets a clone of it
  Factor factor;       ///< the value in the cell's name and in the summary
};

/// One axis: the key paths it sets and, for each choice, one value per path.
struct Axis {
  std::vector<std::string> paths;
  std::vector<std::vector<AxisValue>> choices;
};

/// A value of `path` written at `written`: `where` names it as a grid value (the word grid
/// value is kept for zip and seeds values too).
AxisValue grid_value(const std::string& path, const ConfigNode& written);

/// The axes of a sweep configuration: grid keys, zip groups, sample, seeds. Throws ConfigError
/// for a malformed axis, a key path on two axes, or a `plugins` path on any axis.
std::vector<Axis> read_axes(const ConfigNode& root);

/// Appends the axis of `sample` (nothing if it is absent or null): n draws of the key paths of
/// `sample.space`, a draw equal to an earlier one left out. Throws ConfigError naming the key
/// for a malformed `sample:`.
void read_sample(const ConfigNode& sample, std::vector<Axis>& axes);

/// Natural logarithm from IEEE-754 +, -, *, / and exact scaling by powers of two (the same bits
/// everywhere), within a few units in the last place of log(x). Precondition: x > 0, finite.
double portable_log(double x);

/// e^x from IEEE-754 +, -, *, / and exact scaling by powers of two (the same bits everywhere),
/// within a few units in the last place of exp(x). Precondition: |x| < 708.
double portable_exp(double x);

/// Sets the values of the cell with the given choice (one per axis) in `root`, in axis order.
void set_axis_values(ConfigNode& root, const std::vector<Axis>& axes,
                     const std::vector<std::size_t>& choice);

}  // namespace reglab::experiment
