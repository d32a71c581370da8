/// Exception types, named after the failure, and the exit codes of the reglab command. Every
/// reglab error is reported to the user with its message and exit code 2 (bad input); anything
/// else that escapes is an internal error (exit 1).
#pragma once

#include <stdexcept>
#include <string>

namespace reglab {

/// The exit codes of `reglab` (the README's table is checked against this list by
/// tests/core/test_exit_codes.cpp).
enum class Exit : int {
  kSuccess = 0,       ///< success
  kInternal = 1,      ///< internal error (a bug)
  kBadInput = 2,      ///< bad input: configuration, data, command line, existing output, plugin
  kDiverged = 3,      ///< a run diverged (its file is still written, with status "diverged")
  kCellsFailed = 4,   ///< sweep cells failed or are missing
  kMismatch = 5,      ///< verify found a mismatch
  kInterrupted = 130  ///< interrupted (rerun to resume)
};

/// The integer a process exits with.
constexpr int code(Exit e) { return static_cast<int>(e); }

/// Base of all errors caused by the user's input or environment.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration file, key or command-line override is invalid. The message names the file,
/// line, column and key path.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A data file is missing, truncated or malformed. The message names the file.
class DataError : public Error {
 public:
  using Error::Error;
};

/// A results file cannot be written or read. The message names the file.
class StorageError : public Error {
 public:
  using Error::Error;
};

/// A plugin cannot be loaded: missing, not a shared object, a missing symbol, another ABI
/// version, a clashing name, a registration that throws, or a file whose SHA-256 differs from
/// the one a results file recorded. The message names the file.
class PluginError : public Error {
 public:
  using Error::Error;
};

/// The command line is malformed.
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace reglab
