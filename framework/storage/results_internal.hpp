/// Internal declarations shared by the results files' validator, writer and reader
/// (results_validate.cpp, results_write.cpp, results_read.cpp): the check that runs before
/// anything is written, and the in-memory row layout of the /summary table. Not part of the public
/// storage API.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace reglab::storage::detail
