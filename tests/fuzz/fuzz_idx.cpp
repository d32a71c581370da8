/// libFuzzer target for the IDX reader (data/idx.hpp), raw and gzip paths.
///
/// Input layout: the first byte selects how the rest (the payload) reaches data::parse_idx, the
/// in-memory entry point that shares its reader with data::read_idx:
///   mode % 4 == 0   the payload as is (the reader sniffs the gzip magic itself)
///   mode % 4 == 1   the payload gzip-compressed at level (mode / 4) % 10
///   mode % 4 == 2   the payload as two concatenated gzip members, split at its middle
///   mode % 4 == 3   payload[3..] gzip-compressed, then damaged: byte (payload[0..1] mod size)
///                   is xor-ed with payload[2], or the stream is cut there when payload[2] is 0
/// Modes 1 and 2 reach the IDX header checks through valid deflate streams, which mutations of
/// raw bytes almost never produce; mode 3 reaches the CRC, length and corrupt-stream errors.
///
/// A DataError is the expected answer to a malformed file. Anything else is a finding: another
/// exception, a crash, a sanitizer report, a leak, a timeout, or an accepted file that breaks
/// the reader's contract (1 to 4 non-zero dimensions, data size = product of the dimensions,
/// and the decoded bytes are exactly the header and data with nothing after them).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/data/idx.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

/// Reports a broken contract as a crash, with a message libFuzzer prints beside the input.
[[noreturn]] void contract_violation(const char* what) {
  std::fprintf(stderr, "fuzz_idx: contract violation: %s\n", what);
  std::abort();
}

/// Gzip-compresses `in` (one member) at `level`.
Bytes gzip(const std::uint8_t* in, std::size_t size, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    contract_violation("deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(size)) + 32);
  zs.next_in = const_cast<std::uint8_t*>(in);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) contract_violation("deflate did not finish");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// The decoded bytes the reader must have accepted: header, big-endian dims, data.
Bytes serialize(const reglab::data::IdxArray& a) {
  Bytes out = {0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
  for (std::size_t d : a.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(d >> shift));
    }
  }
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

void check_contract(const reglab::data::IdxArray& a, const Bytes* decoded) {
  if (a.dims.empty() || a.dims.size() > 4) contract_violation("dimension count outside 1..4");
  std::size_t total = 1;
  for (std::size_t d : a.dims) {
    if (d == 0 || d > 0xffffffffU) contract_violation("dimension 0 or above 2^32 - 1");
    total *= d;
  }
  if (total != a.data.size()) contract_violation("data size differs from the dimensions");
  if (decoded != nullptr && serialize(a) != *decoded) {
    contract_violation("accepted bytes differ from header + data");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::uint8_t* payload = data + 1;
  const std::size_t n = size - 1;
  Bytes input;
  // What the reader must decode to when it accepts the input (null: not known, raw gzip input).
  const Bytes plain(payload, payload + n);
  const Bytes* expect = nullptr;
  switch (mode % 4) {
    case 0:
      input = plain;
      if (n < 2 || payload[0] != 0x1f || payload[1] != 0x8b) expect = &plain;
      break;
    case 1:
      input = gzip(payload, n, (mode / 4) % 10);
      expect = &plain;
      break;
    case 2: {
      input = gzip(payload, n / 2, 6);
      const Bytes second = gzip(payload + n / 2, n - n / 2, 6);
      input.insert(input.end(), second.begin(), second.end());
      expect = &plain;
      break;
    }
    default: {
      if (n < 3) return 0;
      input = gzip(payload + 3, n - 3, (mode / 4) % 10);
      const std::size_t at = ((std::size_t{payload[0]} << 8) | payload[1]) % input.size();
      if (payload[2] == 0) {
        input.resize(at);
      } else {
        input[at] = static_cast<std::uint8_t>(input[at] ^ payload[2]);
      }
      break;
    }
  }
  try {
    const reglab::data::IdxArray a =
        reglab::data::parse_idx(input.data(), input.size(), "fuzz.idx");
    check_contract(a, expect);
  } catch (const reglab::DataError&) {
    // The expected answer to a malformed file.
  }
  return 0;
}
