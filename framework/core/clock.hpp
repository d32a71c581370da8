/// Wall-clock time stamps for provenance, logs and file names (never for anything a run
/// computes).
#pragma once

#include <string>

namespace reglab {

/// The current UTC time formatted with strftime's `format`; the default is ISO 8601
/// ("2026-11-27T17:30:00Z"), kUtcCompact suits file names ("20261127T173000Z").
std::string utc_now(const char* format = "%Y-%m-%dT%H:%M:%SZ");

constexpr const char* kUtcCompact = "%Y%m%dT%H%M%SZ";

}  // namespace reglab
