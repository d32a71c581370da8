#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "framework/core/random.hpp"

namespace reglab {
namespace {

constexpr std::size_t kDraws = 100000;

/// Pearson's chi-square statistic of `counts` against equal expected counts.
double chi_square(const std::vector<std::size_t>& counts) {
  std::size_t total = 0;
  for (auto c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi2 = 0.0;
  for (auto c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

std::vector<std::uint32_t> iota_vector(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0U);
  return v;
}

TEST_CASE("Rng: pinned first value of Rng(42)") {
  // Guards the cross-platform random stream (seeding + xoshiro256**). This value was computed
  // once from the implementation and checked against an independent Python transcription.
  // Changing it changes every result reglab has ever produced: every initialisation, split,
  // shuffle and dropout mask. Only update it deliberately, with a version bump.
  Rng rng(42);
  CHECK(rng.next_u64() == 0xbe15272cdf80b6c2ULL);
  // The seed tree is pinned too (FNV-1a of the name, then SplitMix64).
  CHECK(derive_seed(42, "init", 0) == 0xdc1a62c7058c74f4ULL);
}

TEST_CASE("Rng: same seed gives the same sequence, different seeds differ") {
  Rng a(123);
  Rng b(123);
  Rng c(124);
  std::size_t equal_to_c = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t va = a.next_u64();
    REQUIRE(va == b.next_u64());
    if (va == c.next_u64()) ++equal_to_c;
  }
  CHECK(equal_to_c == 0);

  // The variates are deterministic too, including the cached Box-Muller spare.
  Rng d(9);
  Rng e(9);
  for (int i = 0; i < 101; ++i) {
    REQUIRE(d.normal() == e.normal());
    REQUIRE(d.uniform() == e.uniform());
    REQUIRE(d.below(17) == e.below(17));
  }
}

TEST_CASE("derive_seed: differs by seed, name and index, Rng::stream uses it") {
  const std::uint64_t base = derive_seed(42, "init", 0);
  CHECK(derive_seed(42, "init", 0) == base);
  CHECK(derive_seed(42, "dropout", 0) != base);
  CHECK(derive_seed(42, "init", 1) != base);
  CHECK(derive_seed(43, "init", 0) != base);
  CHECK(derive_seed(42, "split", 0) != derive_seed(42, "data_order", 0));
  CHECK(derive_seed(42, "dropout", 1) != derive_seed(42, "dropout", 2));
  // Default index is 0.
  CHECK(derive_seed(42, "init") == base);
  // Names that differ only in the last character, and the empty name.
  CHECK(derive_seed(7, "ab", 0) != derive_seed(7, "ac", 0));
  CHECK(derive_seed(7, "", 0) != derive_seed(7, "a", 0));

  Rng s = Rng::stream(42, "init", 3);
  Rng r(derive_seed(42, "init", 3));
  for (int i = 0; i < 10; ++i) CHECK(s.next_u64() == r.next_u64());
}

TEST_CASE("Rng::uniform: in (0, 1), mean 1/2, uniform over 10 bins") {
  Rng rng(2024);
  std::vector<std::size_t> bins(10, 0);
  double sum = 0.0;
  bool in_range = true;
  for (std::size_t i = 0; i < kDraws; ++i) {
    const float u = rng.uniform();
    if (!(u >= 0.0f && u < 1.0f)) in_range = false;
    sum += static_cast<double>(u);
    const auto bin = static_cast<std::size_t>(u * 10.0f);
    ++bins[std::min<std::size_t>(bin, 9)];
  }
  CHECK(in_range);
  // Standard error of the mean is 0.29 / sqrt(1e5) ~ 0.0009.
  CHECK(std::abs(sum / static_cast<double>(kDraws) - 0.5) < 0.005);
  // 9 degrees of freedom: P(chi2 > 27.9) = 0.001; 40 is generous.
  CHECK(chi_square(bins) < 40.0);
}

TEST_CASE("Rng::uniform_double: in (0, 1), mean 1/2, uniform over 10 bins") {
  Rng rng(77);
  std::vector<std::size_t> bins(10, 0);
  double sum = 0.0;
  bool in_range = true;
  for (std::size_t i = 0; i < kDraws; ++i) {
    const double u = rng.uniform_double();
    if (!(u >= 0.0 && u < 1.0)) in_range = false;
    sum += u;
    ++bins[std::min<std::size_t>(static_cast<std::size_t>(u * 10.0), 9)];
  }
  CHECK(in_range);
  CHECK(std::abs(sum / static_cast<double>(kDraws) - 0.5) < 0.005);
  CHECK(chi_square(bins) < 40.0);
}

TEST_CASE("Rng::normal: mean 0, variance 1, 68% within one sigma") {
  Rng rng(31337);
  double sum = 0.0;
  double sum_sq = 0.0;
  std::size_t within_one = 0;
  bool finite = true;
  for (std::size_t i = 0; i < kDraws; ++i) {
    const double x = rng.normal();
    if (!std::isfinite(x)) finite = false;
    sum += x;
    sum_sq += x * x;
    if (std::abs(x) < 1.0) ++within_one;
  }
  CHECK(finite);
  const double n = static_cast<double>(kDraws);
  const double mean = sum / n;
  const double variance = sum_sq / n - mean * mean;
  // Standard errors: mean 0.003, variance 0.0045.
  CHECK(std::abs(mean) < 0.02);
  CHECK(std::abs(variance - 1.0) < 0.03);
  CHECK(std::abs(static_cast<double>(within_one) / n - 0.6827) < 0.01);
}

TEST_CASE("Rng::below: always < n and roughly uniform") {
  Rng rng(5);
  CHECK(rng.below(1) == 0);

  constexpr std::uint64_t kN = 7;
  std::vector<std::size_t> counts(kN, 0);
  bool in_range = true;
  for (std::size_t i = 0; i < kDraws; ++i) {
    const std::uint64_t v = rng.below(kN);
    if (v >= kN) {
      in_range = false;
      continue;
    }
    ++counts[static_cast<std::size_t>(v)];
  }
  CHECK(in_range);
  // 6 degrees of freedom: P(chi2 > 22.5) = 0.001.
  CHECK(chi_square(counts) < 35.0);

  // A huge n where plain modulo would be badly biased: with n = 3 * 2^62, x % n lands in the
  // lower half 62.5% of the time; rejection sampling gives exactly 50%.
  const std::uint64_t big = 3ULL << 62;
  std::size_t lower_half = 0;
  bool big_in_range = true;
  for (std::size_t i = 0; i < 20000; ++i) {
    const std::uint64_t v = rng.below(big);
    if (v >= big) big_in_range = false;
    if (v < big / 2) ++lower_half;
  }
  CHECK(big_in_range);
  CHECK(std::abs(static_cast<double>(lower_half) / 20000.0 - 0.5) < 0.03);

  // The largest n.
  for (int i = 0; i < 100; ++i) CHECK(rng.below(UINT64_MAX) < UINT64_MAX);
}

TEST_CASE("Rng::shuffle: a permutation, deterministic per seed, uniform over permutations") {
  const std::vector<std::uint32_t> original = iota_vector(100);
  std::vector<std::uint32_t> a = original;
  std::vector<std::uint32_t> b = original;
  std::vector<std::uint32_t> c = original;
  Rng ra(11);
  Rng rb(11);
  Rng rc(12);
  ra.shuffle(a);
  rb.shuffle(b);
  rc.shuffle(c);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != original);
  std::vector<std::uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == original);

  // Empty and single-element vectors are left alone.
  std::vector<std::uint32_t> empty;
  std::vector<std::uint32_t> one = {5};
  ra.shuffle(empty);
  ra.shuffle(one);
  CHECK(empty.empty());
  CHECK(one == std::vector<std::uint32_t>{5});

  // All 6 orders of 3 elements are equally likely.
  Rng rng(99);
  std::vector<std::size_t> counts(6, 0);
  const std::array<std::array<std::uint32_t, 3>, 6> perms = {
      {{{0, 1, 2}}, {{0, 2, 1}}, {{1, 0, 2}}, {{1, 2, 0}}, {{2, 0, 1}}, {{2, 1, 0}}}};
  bool all_known = true;
  for (std::size_t i = 0; i < 60000; ++i) {
    std::vector<std::uint32_t> v = iota_vector(3);
    rng.shuffle(v);
    bool found = false;
    for (std::size_t p = 0; p < perms.size(); ++p) {
      if (v[0] == perms[p][0] && v[1] == perms[p][1] && v[2] == perms[p][2]) {
        ++counts[p];
        found = true;
      }
    }
    if (!found) all_known = false;
  }
  CHECK(all_known);
  // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
  CHECK(chi_square(counts) < 30.0);
}

}  // namespace
}  // namespace reglab
