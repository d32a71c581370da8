/// Checkpoints: the complete state of a run between two epochs, so that a killed run resumes and
/// ends bitwise identical to an uninterrupted one.
///
/// A checkpoint is a StateBlob: named byte arrays holding everything that can change a later
/// number: parameter values, layer state (batch-norm running statistics), every random stream
/// (the data-order shuffle and each noise layer's stream, with the order of the training indices
/// as shuffled so far), the optimizer's state (SGD velocities, Adam moments and step count), the
/// step and epoch counters, the curves recorded so far and early-stopping state. The trainer
/// decides what goes in (train/trainer.cpp); this file only stores it.
///
/// File format (`<output>.ckpt`, written atomically, replaced after every `checkpoint_every`
/// epochs, removed once the results file is written): the 8 bytes "RLCKPT01", the entries
/// (u32 key length, key bytes, u64 value length, value bytes, little-endian), and the SHA-256 of
/// everything before it (32 bytes). A file that fails any check is refused with a StorageError
/// naming it: it is never half-read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "framework/core/random.hpp"

namespace reglab {

class StateBlob {
 public:
  void put_bytes(const std::string& key, const void* data, std::size_t bytes);
  void put_u64(const std::string& key, std::uint64_t value);
  void put_f64(const std::string& key, double value);
  void put_string(const std::string& key, const std::string& value);
  void put_floats(const std::string& key, const float* data, std::size_t count);
  void put_doubles(const std::string& key, const std::vector<double>& values);
  void put_u32s(const std::string& key, const std::vector<std::uint32_t>& values);
  void put_rng(const std::string& key, const Rng& rng);

  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  std::uint64_t get_u64(const std::string& key) const;
  double get_f64(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  /// Copies exactly `count` floats into `out`; throws StorageError if the stored size differs.
  void get_floats(const std::string& key, float* out, std::size_t count) const;
  std::vector<double> get_doubles(const std::string& key) const;
  std::vector<std::uint32_t> get_u32s(const std::string& key) const;
  void get_rng(const std::string& key, Rng& rng) const;
  /// Keys starting with `prefix`, in sorted order.
  std::vector<std::string> keys_with_prefix(const std::string& prefix) const;

  /// The file image (format above).
  std::string serialize() const;
  /// Parses a file image; throws StorageError naming `path` when it is not a valid checkpoint.
  static StateBlob parse(const std::string& bytes, const std::string& path);

  /// Writes the blob to `path` atomically (temp file, fsync, rename), replacing any older one.
  void write_file(const std::string& path) const;
  /// Reads `path`; throws StorageError naming it on any error.
  static StateBlob read_file(const std::string& path);

 private:
  const std::string& raw(const std::string& key) const;
  std::string path_;  ///< where it was read from, for messages
  std::map<std::string, std::string> entries_;
};

}  // namespace reglab
