#include "framework/core/state_blob.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "framework/core/atomic_file.hpp"
#include "framework/core/error.hpp"
#include "framework/core/sha256.hpp"

namespace reglab {
namespace {

constexpr char kMagic[8] = {'R', 'L', 'C', 'K', 'P', 'T', '0', '1'};
constexpr std::size_t kDigest = 32;

template <class T>
void append_le(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i) & 0xffu));
  }
}

template <class T>
T read_le(const std::string& in, std::size_t& pos) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  pos += sizeof(T);
  return static_cast<T>(v);
}

std::string digest_bytes(const std::string& data, std::size_t size) {
  const std::string hex = sha256_hex(data.data(), size);
  std::string out;
  for (std::size_t i = 0; i < kDigest; ++i) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace

void StateBlob::put_bytes(const std::string& key, const void* data, std::size_t bytes) {
  entries_[key] = std::string(static_cast<const char*>(data), bytes);
}

void StateBlob::put_u64(const std::string& key, std::uint64_t value) {
  std::string s;
  append_le(s, value);
  entries_[key] = s;
}

void StateBlob::put_f64(const std::string& key, double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_u64(key, bits);
}

void StateBlob::put_string(const std::string& key, const std::string& value) {
  entries_[key] = value;
}

void StateBlob::put_floats(const std::string& key, const float* data, std::size_t count) {
  put_bytes(key, data, count * sizeof(float));
}

void StateBlob::put_doubles(const std::string& key, const std::vector<double>& values) {
  put_bytes(key, values.data(), values.size() * sizeof(double));
}

void StateBlob::put_u32s(const std::string& key, const std::vector<std::uint32_t>& values) {
  put_bytes(key, values.data(), values.size() * sizeof(std::uint32_t));
}

void StateBlob::put_rng(const std::string& key, const Rng& rng) {
  const Rng::State s = rng.state();
  put_bytes(key, &s, sizeof s);
}

const std::string& StateBlob::raw(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    throw StorageError((path_.empty() ? std::string("checkpoint") : path_) +
                       ": not a checkpoint of this run: entry '" + key + "' is missing");
  }
  return it->second;
}

std::uint64_t StateBlob::get_u64(const std::string& key) const {
  const std::string& s = raw(key);
  if (s.size() != 8) throw StorageError(path_ + ": checkpoint entry '" + key + "' is malformed");
  std::size_t pos = 0;
  return read_le<std::uint64_t>(s, pos);
}

double StateBlob::get_f64(const std::string& key) const {
  const std::uint64_t bits = get_u64(key);
  double v = 0.0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string StateBlob::get_string(const std::string& key) const { return raw(key); }

void StateBlob::get_floats(const std::string& key, float* out, std::size_t count) const {
  const std::string& s = raw(key);
  if (s.size() != count * sizeof(float)) {
    throw StorageError(path_ + ": checkpoint entry '" + key + "' holds " +
                       std::to_string(s.size() / sizeof(float)) + " values, the run has " +
                       std::to_string(count));
  }
  if (count > 0) std::memcpy(out, s.data(), s.size());
}

std::vector<double> StateBlob::get_doubles(const std::string& key) const {
  const std::string& s = raw(key);
  if (s.size() % sizeof(double) != 0) {
    throw StorageError(path_ + ": checkpoint entry '" + key + "' is malformed");
  }
  std::vector<double> v(s.size() / sizeof(double));
  if (!v.empty()) std::memcpy(v.data(), s.data(), s.size());
  return v;
}

std::vector<std::uint32_t> StateBlob::get_u32s(const std::string& key) const {
  const std::string& s = raw(key);
  if (s.size() % sizeof(std::uint32_t) != 0) {
    throw StorageError(path_ + ": checkpoint entry '" + key + "' is malformed");
  }
  std::vector<std::uint32_t> v(s.size() / sizeof(std::uint32_t));
  if (!v.empty()) std::memcpy(v.data(), s.data(), s.size());
  return v;
}

void StateBlob::get_rng(const std::string& key, Rng& rng) const {
  const std::string& s = raw(key);
  Rng::State st{};
  if (s.size() != sizeof st) {
    throw StorageError(path_ + ": checkpoint entry '" + key + "' is malformed");
  }
  std::memcpy(&st, s.data(), sizeof st);
  rng.set_state(st);
}

std::vector<std::string> StateBlob::keys_with_prefix(const std::string& prefix) const {
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

std::string StateBlob::serialize() const {
  std::string out(kMagic, sizeof kMagic);
  for (const auto& [key, value] : entries_) {
    append_le(out, static_cast<std::uint32_t>(key.size()));
    out += key;
    append_le(out, static_cast<std::uint64_t>(value.size()));
    out += value;
  }
  out += digest_bytes(out, out.size());
  return out;
}

StateBlob StateBlob::parse(const std::string& bytes, const std::string& path) {
  auto bad = [&](const std::string& what) -> StorageError {
    return StorageError(path + ": not a valid reglab checkpoint (" + what +
                        "); delete it or rerun with --overwrite to start afresh");
  };
  if (bytes.size() < sizeof kMagic + kDigest ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw bad("bad header");
  }
  const std::size_t body = bytes.size() - kDigest;
  if (digest_bytes(bytes, body) != bytes.substr(body)) throw bad("checksum mismatch");
  StateBlob blob;
  blob.path_ = path;
  std::size_t pos = sizeof kMagic;
  while (pos < body) {
    if (body - pos < 4) throw bad("truncated entry");
    const auto klen = read_le<std::uint32_t>(bytes, pos);
    if (body - pos < klen + 8ull) throw bad("truncated entry");
    std::string key = bytes.substr(pos, klen);
    pos += klen;
    const auto vlen = read_le<std::uint64_t>(bytes, pos);
    if (body - pos < vlen) throw bad("truncated entry");
    blob.entries_[key] = bytes.substr(pos, static_cast<std::size_t>(vlen));
    pos += static_cast<std::size_t>(vlen);
  }
  return blob;
}

void StateBlob::write_file(const std::string& path) const {
  const std::string bytes = serialize();
  publish_file(path, bytes, /*overwrite=*/true, "cannot write checkpoint");
}

StateBlob StateBlob::read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StorageError(path + ": cannot read checkpoint");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw StorageError(path + ": cannot read checkpoint");
  return parse(bytes, path);
}

}  // namespace reglab
