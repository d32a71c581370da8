/// Internal declarations shared by the results files' validator, writers and reader
/// (results_validate.cpp, results_write.cpp, results_writer.cpp, results_read.cpp): the checks
/// that run before anything is written, the in-memory row layout of the /summary table, and the
/// pieces of a file that both write_results and ResultsWriter write. Not part of the public
/// storage API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "framework/storage/hdf5_support.hpp"
#include "framework/storage/results.hpp"

namespace reglab::storage::detail {

/// Bytes per column in the in-memory rows of the summary table (one double, int64 or char*).
constexpr std::size_t kSummarySlot = 8;
static_assert(sizeof(double) == kSummarySlot && sizeof(std::int64_t) == kSummarySlot &&
                  sizeof(const char*) <= kSummarySlot,
              "summary rows hold one 8-byte slot per column");

/// Checks everything write_results promises to refuse (results.hpp, implementation notes) and
/// throws StorageError, via fail(where, ...), at the first problem.
void validate_results(const Where& where, const ResultsFile& results);
/// The parts of validate_results for the root attributes, one run (with its id) and the summary.
void validate_root(const Where& where, const ResultsFile& results);
void validate_run_record(const Where& where, const RunRecord& run);
void validate_summary(const Where& where, const Table& table);

/// Group creation properties that record link and attribute creation order.
Handle ordered_group_properties(const Where& where);
/// File creation properties that record the root group's link and attribute creation order.
Handle ordered_file_properties(const Where& where);
/// Writes the root group's fixed attributes (`kind` as given), then results.attributes.
void write_root_attributes(hid_t root, const ResultsFile& results, const std::string& kind,
                           const Where& where);
/// Writes /runs/<run_id>/ (attributes, curves, step curves, weights) into the group `runs`.
void write_run(hid_t runs, const RunRecord& run, hid_t gcpl, const Where& where);
/// Writes `table` as the compound dataset /summary of `root`.
void write_summary(hid_t root, const Table& table, const Where& where);

}  // namespace reglab::storage::detail
