/// SHA-256 (FIPS 180-4), used to record the data files a run read and to derive run ids.
#pragma once

#include <cstddef>
#include <string>

namespace reglab {

/// Lower-case hex digest of `size` bytes at `data`.
std::string sha256_hex(const void* data, std::size_t size);
/// Lower-case hex digest of a file's bytes. Throws DataError naming the file if it cannot be read.
std::string sha256_file(const std::string& path);

/// Uses the portable compression even where the CPU has the SHA extensions (`on`), or the
/// fastest available again (`!on`); returns whether the portable one was in use. For tests.
bool sha256_force_portable(bool on);

}  // namespace reglab
