/// Exception types, named after the failure. Every reglab error is reported to the user with its
/// message and exit code 2 (bad input); anything else that escapes is an internal error (exit 1).
#pragma once

#include <stdexcept>
#include <string>

namespace reglab {

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
