/// The HDF5 results-file schema: its documentation and the one home of its names (groups,
/// datasets, attributes, fixed values and the format version). Every storage/ file that names a
/// part of the schema uses these constants. The API that writes and reads such files is
/// results.hpp.
///
/// Schema (format "reglab", format_version 1). All strings are variable-length UTF-8, so h5py
/// reads attributes as `str`.
///
///   /                                   attributes:
///       format          "reglab"
///       format_version  int64, 1
///       reglab_version  e.g. "0.1.0"
///       created_utc     ISO 8601, e.g. "2026-11-27T17:30:00Z"
///       config          the configuration as given (YAML text, after overrides)
///       kind            "run" (no /summary) or "sweep" (with /summary); ResultsFile::kind().
///                       Files written before it existed have no `kind` and are read as "run".
///       ...             further string attributes, e.g. sweep_id, sweep_name:
///                       ResultsFile::attributes, in order
///   /runs/<run_id>/                     one group per run; attributes:
///       name, config (resolved YAML text), seed (uint64), status ("complete" | "diverged"),
///       and provenance strings (git_commit, compiler, cxx_flags, xtensor_version, hdf5_version,
///       yaml_cpp_version, boost_version, openblas_config, blas_threads, openblas_coretype, host,
///       cpu_model, start_utc, end_utc, data_sha256, ...): see RunRecord::attributes
///   /runs/<run_id>/curves/<metric>      1-D float64, one value per epoch, all of equal length;
///                                       "epoch" (1-based) is always present
///   /runs/<run_id>/step_curves/<metric>
///                                       optional: 1-D float64 diagnostics recorded every N
///                                       optimizer steps, "step" among them (train.diagnostics)
///   /runs/<run_id>/weights/<layer>/<param>
///                                       float32 arrays in the parameter's logical shape
///                                       (dense kernel {inputs, units}, conv2d kernel
///                                       {out_channels, in_channels, kh, kw} with attribute
///                                       layout = "out_channels, in_channels, kh, kw",
///                                       bias/gamma/beta/running_mean/running_var {units or
///                                       channels}); attribute storage_order = "row-major (C)"
///   /summary                            only in a sweep file: 1-D compound dataset, one row per
///                                       grid cell, one member per Table column in order:
///                                       float64 -> H5T_IEEE_F64LE, int64 -> H5T_STD_I64LE,
///                                       string -> variable-length UTF-8. A string column
///                                       `cell_id` names each row's run (/runs/<cell_id>; checked
///                                       by tests/storage/check_schema.py, not by write_results).
///                                       A table with columns but no rows is a dataset of shape
///                                       (0,). pandas: `df = pd.DataFrame(f["summary"][:])`; h5py
///                                       returns the strings of a compound as `bytes`, so decode
///                                       them with `df[c] = df[c].str.decode("utf-8")`.
///
/// tests/storage/check_schema.py checks produced files against this schema from Python.
#pragma once

#include <cstdint>

namespace reglab::storage {

/// The value of the root attribute `format_version`. A reader accepts this version and older.
constexpr std::int64_t kFormatVersion = 1;

namespace schema {

/// The value of the root attribute `format`.
inline constexpr const char* kFormatName = "reglab";

// Paths and link names.
inline constexpr const char* kRootPath = "/";
inline constexpr const char* kRunsGroup = "runs";
inline constexpr const char* kRunsPath = "/runs";
inline constexpr const char* kCurvesGroup = "curves";
inline constexpr const char* kStepCurvesGroup = "step_curves";
inline constexpr const char* kWeightsGroup = "weights";
inline constexpr const char* kSummaryDataset = "summary";
inline constexpr const char* kSummaryPath = "/summary";

// Attributes of the root group.
inline constexpr const char* kFormatAttribute = "format";
inline constexpr const char* kFormatVersionAttribute = "format_version";
inline constexpr const char* kReglabVersionAttribute = "reglab_version";
inline constexpr const char* kCreatedUtcAttribute = "created_utc";
inline constexpr const char* kConfigAttribute = "config";  ///< also an attribute of a run
inline constexpr const char* kKindAttribute = "kind";

/// The values of `kind`.
inline constexpr const char* kKindRun = "run";
inline constexpr const char* kKindSweep = "sweep";

// Attributes of a run group (besides `config`).
inline constexpr const char* kNameAttribute = "name";
inline constexpr const char* kSeedAttribute = "seed";
inline constexpr const char* kStatusAttribute = "status";

/// Attributes of the root group that are not ResultsFile::attributes.
inline constexpr const char* kRootFixedAttributes[] = {
    kFormatAttribute,     kFormatVersionAttribute, kReglabVersionAttribute,
    kCreatedUtcAttribute, kConfigAttribute,        kKindAttribute};
/// Attributes of a run group that are not RunRecord::attributes.
inline constexpr const char* kRunFixedAttributes[] = {kNameAttribute, kConfigAttribute,
                                                      kSeedAttribute, kStatusAttribute};

/// The curve every run has (1-based epochs), and the one every set of step curves has.
inline constexpr const char* kEpochCurve = "epoch";
inline constexpr const char* kStepCurve = "step";

// Attributes of a weight dataset.
inline constexpr const char* kStorageOrderAttribute = "storage_order";
inline constexpr const char* kRowMajor = "row-major (C)";
inline constexpr const char* kLayoutAttribute = "layout";
/// The parameter whose 4-D form (conv2d) gets a `layout` attribute.
inline constexpr const char* kKernelParam = "kernel";
/// The axes of a 4-D kernel (conv2d), PyTorch's order: the value of `layout`.
inline constexpr const char* kConvKernelLayout = "out_channels, in_channels, kh, kw";

}  // namespace schema
}  // namespace reglab::storage
