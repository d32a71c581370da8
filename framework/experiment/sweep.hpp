/// Experiment grids: one YAML file describes many runs ("cells").
///
/// A sweep file is a run configuration (experiment/run_config.hpp) plus any of:
///   include:  file or list of files composed first (ConfigNode::load_composed)
///   grid:     map from a dotted key path ("optimizer.learning_rate", "regularizers",
///             "model.hidden", "data.train_size", "seed") to a non-empty list of values; each key
///             is an axis
///   zip:      a map (or a list of maps) of key paths to lists of equal length, varied together;
///             each map is one axis
///   sample:   random search, one axis of n choices, each setting every key path of `space`
///             together (like a zip group):
///               sample: {n: 50, seed: 3, space: {optimizer.learning_rate: {log_uniform: [1e-4,
///                        1e-1]}, regularizers[0].rate: {uniform: [0.1, 0.7]}}}
///             with the distributions
///               uniform: [lo, hi]      a number in [lo, hi)
///               log_uniform: [lo, hi]  a number whose logarithm is uniform in [log lo, log hi);
///                                      0 < lo
///               int_uniform: [lo, hi]  an integer in [lo, hi], both ends included
///               choice: [v1, v2, ...]  one of the values (any YAML), each equally likely
///             (lo < hi). Draw j (from 0) of key path PATH comes from the stream
///             Rng::stream(seed, "sample/PATH", j) of core/random.hpp and nothing else, so
///             adding or removing a key leaves the other keys' values unchanged, and raising n
///             keeps the earlier draws. A draw equal to an earlier one (int_uniform and choice
///             can repeat) is left out: such an axis has fewer than n choices. A drawn number is
///             written as the shortest text that reads back as the same double
///             (core/number_text.hpp), which is also its factor text. `sample.seed` seeds the
///             draws only: each cell's run seed comes from `seed` or `seeds` as in any sweep.
///   seeds:    the replicate axis: a list of seeds, or a count N meaning seeds 1..N; sets `seed`
/// Cells are the cartesian product of the axes, in this order whatever the order the keys are
/// written in: grid keys (in the order written), zip groups, sample, seeds; the last varies
/// fastest, so the cells of one sample draw are next to each other, one per seed. Command-line
/// overrides apply after includes; `grid.PATH=[...]` adds or replaces one grid axis,
/// `zip={...}`, `sample={...}` and `seeds=...` replace those keys (`sample.n=200` one key).
///
/// Each cell's configuration is the sweep's with the cell's values set and the sweep keys
/// removed; it is validated like a single run, and an error caused by a grid value names the grid
/// entry (a sampled value, its distribution). A key path may be on one axis only, and `plugins`
/// on none. The cell id is the run id of that configuration (SHA-256 of everything but `output`),
/// so it depends on what the cell computes, not on its position or the clock. Cell names list
/// the varying factors: "regularizers=dropout+max_norm, seed=2".
///
/// Seed tree and common random numbers: a cell's `seed` is its replicate seed, and the streams
/// for the data split, the data order and the initialisation derive from it alone, so two arms
/// with the same replicate seed start from the same weights and see the same batches (paired
/// comparisons across arms are valid). Dropout masks derive from the seed and the arm (the cell
/// configuration without `seed`), so they differ between arms.
///
/// Files: the sweep's `output` (e.g. results/quickstart.h5) is the merged file; each cell is
/// written to `<output without .h5>.cells/<cell_id>.h5`, with its log next to it and a
/// `sweep.yaml` manifest that pins the sweep configuration the folder belongs to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/experiment/config_names.hpp"
#include "framework/plugin/registries.hpp"

namespace reglab::experiment {

/// One varying factor of a cell.
struct Factor {
  std::string path;  ///< e.g. "optimizer.learning_rate"
  std::string text;  ///< e.g. "0.01", "dropout+max_norm", "[256, 256]"
  bool numeric = false;
  double number = 0.0;
};

struct Cell {
  std::size_t index = 0;  ///< position in expansion order
  std::string id;         ///< 12 hex digits
  std::string name;       ///< "regularizers=dropout, seed=2"
  std::uint64_t seed = 0;
  std::vector<Factor> factors;
  std::string config_yaml;          ///< resolved cell configuration (output = the cell file)
  std::string output;               ///< the cell file
  std::vector<std::size_t> choice;  ///< the value index on each axis
};

struct Sweep {
  std::string name;
  std::string output;                     ///< merged sweep file
  std::string cell_dir;                   ///< folder of the cell files
  std::vector<std::string> factor_paths;  ///< the varying key paths, in axis order
  std::vector<Cell> cells;
  std::string config_yaml;  ///< the sweep configuration after includes and overrides
  std::string sweep_id;     ///< SHA-256 (12 hex digits) of the sorted cell ids
  bool is_grid = false;     ///< the file had grid, zip, sample or seeds
  /// Built-ins plus the sweep's plugins (experiment/plugins.hpp), used to plan every cell.
  plugin::Registries registries;
  /// Plugins given on the command line (absolute paths), passed on to every cell's process.
  std::vector<std::string> extra_plugins;
};

/// Upper bound on the number of cells; a larger grid is an error before any work.
constexpr std::size_t kMaxCells = 100000;

/// Reads, composes, overrides and expands a sweep. Throws ConfigError (file, line, column, key
/// path) for every invalid input: bad axes, zero cells, more than kMaxCells cells, an invalid
/// cell configuration, two identical cells, an `output` that names no file or has a name longer
/// than 200 bytes.
/// `extra_plugins` are plugin files named on the command line (experiment/plugins.hpp).
Sweep expand_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                   const std::vector<std::string>& extra_plugins = {});

/// The configuration of one cell, ready for plan_run (with its locations for error messages).
ConfigNode cell_config(const std::string& config_path, const std::vector<std::string>& overrides,
                       const Cell& cell);

/// The text of a factor value: scalars as written, a regularizer list as its names joined by "+"
/// ("none" if empty), anything else as flow YAML.
std::string factor_text(const std::string& path, const ConfigNode& value);

}  // namespace reglab::experiment
