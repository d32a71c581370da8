/// Seeded random streams, passed explicitly. There is no global engine.
///
/// Seed tree: every stream is `Rng(derive_seed(run_seed, stream_name, index))`, where
/// `derive_seed` hashes the run seed, the stream's name and an index with SplitMix64. Streams
/// used by a run:
///   "split"      validation hold-out and the train_size subset
///   "data_order" the per-epoch shuffle of training samples
///   "init"       parameter initialisation, index = dense layer number
///   "synthetic"  the synthetic dataset (seeded by its own `seed` option, not the run seed)
///   "dropout"    dropout masks, seeded by derive_seed(seed, "dropout_arm", arm) (the arm hash
///                of experiment::RunPlan), index = (position in the regularizers list << 32) +
///                slot, slot 0 = the input, slot i + 1 = hidden layer i
///   "gaussian_dropout", "uout"  noise of those plugins, seeded and indexed exactly like "dropout"
///   "label_corruption"    data.label_corruption: per training sample a uniform_double and a
///                         below(classes) draw (data/randomize.hpp)
///   "input_randomisation" data.input_randomisation: index 0 the shuffled_pixels permutation,
///                         1 and 2 the random_pixels permutations of train and test images,
///                         3 and 4 the gaussian pixels of train and test images
/// Changing how one stream is consumed leaves every other stream unchanged.
///
/// The generator is xoshiro256** (Blackman and Vigna 2018); uniform and normal variates are
/// computed here, not by <random> distributions, so numbers are identical on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace reglab {

/// SplitMix64 finaliser: a bijective 64-bit mix.
std::uint64_t splitmix64(std::uint64_t x);

/// The seed of stream `name`/`index` of a run seeded with `seed`.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view name, std::uint64_t index = 0);

/// xoshiro256** generator with platform-independent variates.
class Rng {
 public:
  /// Seeds the state by running SplitMix64 from `seed`.
  explicit Rng(std::uint64_t seed);
  /// The stream `name`/`index` of a run seeded with `seed`.
  static Rng stream(std::uint64_t seed, std::string_view name, std::uint64_t index = 0);

  /// Inline: noise layers draw one value per activation in their hot loops.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 24 random bits.
  float uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform_double();
  /// Standard normal (Box-Muller, both variates used).
  double normal();
  /// Uniform integer in [0, n), unbiased. Precondition: n > 0.
  std::uint64_t below(std::uint64_t n);
  /// Fisher-Yates shuffle of `v`.
  void shuffle(std::vector<std::uint32_t>& v);

  /// The complete generator state (for checkpoints): restoring it continues the stream exactly.
  struct State {
    std::uint64_t s[4];
    std::uint64_t has_spare;
    double spare;
  };
  State state() const { return {{s_[0], s_[1], s_[2], s_[3]}, has_spare_ ? 1u : 0u, spare_}; }
  void set_state(const State& st) {
    for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
    has_spare_ = st.has_spare != 0;
    spare_ = st.spare;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace reglab
