#pragma once
// Small, fast, reproducible random numbers: xoshiro256** seeded through splitmix64, identical on every
// platform (unlike std distributions), so seeded results are the same everywhere.

#include <hqml/config.hpp>

#include <cstdint>

namespace hqml {

namespace detail {
__extension__ using uint128 = unsigned __int128;  // GCC, Clang and nvcc all provide it
}

/// SplitMix64's output for state z: a stateless 64-bit hash, what counter-based generators (the GPU annealer's
/// per-(seed, replica, sweep, variable) numbers) are built on.
HQML_HOST_DEVICE constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// SplitMix64 (Steele, Lea and Flood): the next value of the stream whose state is s.
HQML_HOST_DEVICE constexpr std::uint64_t splitmix64(std::uint64_t& s) {
  const std::uint64_t z = mix64(s);
  s += 0x9e3779b97f4a7c15ull;
  return z;
}

/// xoshiro256** (Blackman and Vigna). Seed streams with (seed, stream) to get independent generators.
class xoshiro256 {
 public:
  using result_type = std::uint64_t;
  HQML_HOST_DEVICE explicit constexpr xoshiro256(std::uint64_t seed = 0, std::uint64_t stream = 0) {
    std::uint64_t s = seed ^ (stream * 0xd1b54a32d192ed03ull);
    for (auto& w : s_) w = splitmix64(s);
  }
  /// The generator in the given state (not all zero: that state is a fixed point), for other seeding rules.
  HQML_HOST_DEVICE static constexpr xoshiro256 from_state(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2,
                                                          std::uint64_t s3) {
    xoshiro256 g;
    g.s_[0] = (s0 | s1 | s2 | s3) == 0 ? 1 : s0;
    g.s_[1] = s1;
    g.s_[2] = s2;
    g.s_[3] = s3;
    return g;
  }
  HQML_HOST_DEVICE static constexpr result_type min() { return 0; }
  HQML_HOST_DEVICE static constexpr result_type max() { return ~result_type{0}; }
  HQML_HOST_DEVICE constexpr result_type operator()() {
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
  /// Uniform double in [0, 1) with 53 random bits.
  HQML_HOST_DEVICE constexpr double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n) without modulo bias (Lemire's method).
  HQML_HOST_DEVICE constexpr std::uint64_t below(std::uint64_t n) {
    detail::uint128 m = static_cast<detail::uint128>((*this)()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t thresh = (0 - n) % n;
      while (low < thresh) {
        m = static_cast<detail::uint128>((*this)()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  HQML_HOST_DEVICE static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace hqml
