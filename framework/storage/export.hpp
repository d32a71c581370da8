/// Exports of results files for other tools: a run's weights in the Keras legacy HDF5 layout, and
/// the summary and learning curves as CSV. Both read a ResultsFile (from read_results) and write
/// with the HDF5 C API or plain POSIX calls; nothing here depends on results.cpp's internals.
///
/// Keras legacy weights layout (what Keras 2 `model.save_weights("x.h5")` writes):
///
///   /                                   attributes:
///       layer_names     1-D array of fixed-length byte strings (NULL-padded ASCII, the width of
///                       the longest name), the layers with weights in network order
///       backend         "tensorflow" (scalar fixed-length byte string)
///       keras_version   "2.11.0" (scalar fixed-length byte string). Keras' loaders read it
///                       only to convert files written by Keras 1 ("1.x"); any 2.x version
///                       skips those conversions. 2.11.0 (the Keras of TensorFlow 2.11) is a
///                       concrete Keras 2 release whose save_weights writes this layout.
///   /<layer>/                           attribute weight_names (same string type): e.g.
///                                       "dense_0/kernel:0", "dense_0/bias:0"
///   /<layer>/<layer>/<weight>:0         float32 dataset (H5T_IEEE_F32LE), contiguous
///
/// Weight names: kernel:0 and bias:0 for dense layers (kernel shape (inputs, units), as Keras
/// stores Dense kernels, which is reglab's row-major shape unchanged; a 4-D convolution kernel,
/// stored (out, in, kh, kw), is transposed to Keras' Conv2D layout (kh, kw, in, out)); gamma:0,
/// beta:0, moving_mean:0 (reglab running_mean) and moving_variance:0 (reglab running_var) for batch
/// norm, in this (Keras) order whatever the order in the RunRecord. Other parameters keep their
/// reglab name (`<layer>/<param>:0`) and follow in stored order.
///
/// Differences from a file Keras writes, all documented choices:
/// - Only layers with weights are listed (reglab stores no weightless layers such as activations
///   or dropout). Keras lists those too, with an empty weight_names, but its loaders drop every
///   layer without weights on both sides before matching, so topological loading
///   (`model.load_weights(path)`) is unaffected. Loading `by_name=True` needs Keras layers named
///   like reglab's (dense_0, batch_norm_0, ...).
/// - running_var is exported unchanged: reglab keeps the *unbiased* batch variance in its running
///   average (PyTorch convention, framework/regularizers/batch_norm.hpp), while Keras'
///   moving_variance averages the *biased* one; they differ by n/(n-1) per update (1.6% at batch
///   size 64). Eval-mode outputs are as reglab computes them; set the Keras layer's epsilon to
///   reglab's eps (Keras default 1e-3, reglab 1e-5) and momentum to 1 - reglab momentum.
/// - Strings are fixed-length (numpy `S`), as Keras with h5py 2 wrote them; Keras 2.11 under h5py
///   3 writes unsplit lists as variable-length ASCII instead. Both read back as `bytes`.
/// - Split attributes: a layer_names or weight_names attribute whose data would exceed 64,512
///   bytes (HDF5_OBJECT_HEADER_LIMIT in Keras) is written as `layer_names0`, `layer_names1`, ...
///   with Keras' chunking (numpy.array_split into the fewest equal parts that fit, the first ones
///   one name longer), which Keras' load_attributes_from_hdf5_group reassembles.
///
/// CSV (written with core/csv.hpp; RFC 4180 quoting, lines end in "\n"): every text field
/// (header names and string values) is in double quotes with embedded quotes doubled; numbers are
/// unquoted, doubles in the shortest text that reads back bitwise, NaN as NaN and infinities as Inf
/// and -Inf (pandas, R and MATLAB read all three). `summary.csv` is the /summary table (sweeps
/// only), one row per cell, columns in order. `curves.csv` is wide: one row per (run, epoch) with
/// columns run_id, name (the run's `cell_name` attribute if present, else its name), then one
/// column per metric (the union over runs in first-seen order, so "epoch" first); a metric a run
/// lacks is an empty field. Wide because `pd.read_csv` and R's `read.csv` give one column per
/// metric directly (long format is one `melt` / `pivot_longer` away).
///
/// Every file is written to "<path>.tmp.<pid>", fsync'ed and renamed into place (link() without
/// overwrite, so an existing file is never replaced), then the directory is fsync'ed. Every error
/// is a StorageError whose message starts with the path. Not thread-safe (serial HDF5).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/storage/results.hpp"

namespace reglab::storage {

/// Largest attribute data Keras writes in one attribute (its HDF5_OBJECT_HEADER_LIMIT).
constexpr std::size_t kKerasAttributeLimit = 64512;
/// The keras_version attribute written by export_keras_weights (see the file comment).
constexpr const char* kKerasVersion = "2.11.0";

/// Writes `run`'s weights to `path` in the Keras legacy HDF5 weights layout (file comment).
/// Throws StorageError naming `path` if the run was trained with weight-scaled dropout (a
/// `network` line with ", scaling weight (eval x p)": its eval mode scales by p, Keras' Dropout
/// does not, so the weights alone would give other predictions), has no weights, a layer or
/// parameter name is empty, contains '/' or is ".", a (layer, parameter) repeats, data.size() !=
/// product(shape), a name is longer than 64,512 bytes, `path` exists and !overwrite, or on any I/O
/// or HDF5 failure; nothing is left at `path` then.
void export_keras_weights(const RunRecord& run, const std::string& path, bool overwrite);

/// Writes `dir`/summary.csv (sweep files only) and `dir`/curves.csv (file comment), creating
/// `dir` if needed. Refuses (StorageError, nothing written) if either file exists and
/// !overwrite.
void export_csv(const ResultsFile& file, const std::string& dir, bool overwrite = false);

/// What `reglab export` writes; cli/export_command.cpp fills it from the command line.
struct ExportOptions {
  std::string results_path;  ///< the results file read
  std::string keras_path;    ///< --keras OUT.h5: one run's weights; empty: none
  std::string cell;          ///< --cell ID: the run for --keras; empty: the file's only run
  std::string csv_dir;       ///< --csv DIR: summary.csv and curves.csv; empty: none
  bool overwrite = false;    ///< --overwrite: replace existing output files
};

/// `reglab export`: reads options.results_path and writes the requested exports, printing each
/// written path. `cell` picks the run for --keras (required when the file holds more than one
/// run). Throws UsageError on bad usage (no export requested, a cell without a Keras path, no
/// cell for a multi-run file, an unknown cell, a Keras path that is the results file itself)
/// and StorageError on file errors. Returns 0.
int export_results(const ExportOptions& options);

}  // namespace reglab::storage
