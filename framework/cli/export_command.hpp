/// `reglab export`: its command line, read with Boost.Program_options into
/// storage::ExportOptions, then one call to storage::export_results (storage/export.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/storage/export.hpp"

namespace reglab::cli {

/// Parses `RESULTS.h5 [--keras OUT.h5 [--cell ID]] [--csv DIR] [--overwrite]` (the arguments
/// after the command word). Returns nothing if -h/--help was given (nothing else is checked).
/// Throws UsageError on a missing RESULTS.h5 or an empty --keras or --csv value, and Boost's
/// po::error on an unknown option or a missing value.
std::optional<storage::ExportOptions> parse_export_args(const std::vector<std::string>& args);

/// The help text of `reglab export`: its options and two examples.
std::string export_help();

/// `reglab export ARGS`: prints the help (-h/--help) or parses and runs storage::export_results.
/// Returns 0; throws as parse_export_args and export_results do.
int export_command(const std::vector<std::string>& args);

}  // namespace reglab::cli
