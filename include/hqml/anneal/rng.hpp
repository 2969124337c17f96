#pragma once
// Random numbers for the annealers. Every read (or replica, or restart) owns its own generator,
// seeded from (seed, stream index) alone, so a result never depends on which thread ran it.

#include <cstdint>

#include <hqml/config.hpp>

namespace hqml::anneal {

/// SplitMix64 step: used only to expand seeds, because it scrambles nearby inputs well.
HQML_HOST_DEVICE constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// xoshiro256** (Blackman & Vigna): small state, passes BigCrush, a few cycles per draw.
class xoshiro256ss {
 public:
  using result_type = std::uint64_t;

  HQML_HOST_DEVICE constexpr xoshiro256ss() noexcept : xoshiro256ss(0, 0) {}

  /// Stream `stream` of the family named by `seed`. The two are mixed separately before being
  /// combined so that (seed, stream) and (seed + 1, stream - 1) do not collide.
  HQML_HOST_DEVICE constexpr xoshiro256ss(std::uint64_t seed, std::uint64_t stream) noexcept : s_{} {
    std::uint64_t a = seed;
    std::uint64_t b = stream ^ 0x632BE59BD9B4E019ULL;
    std::uint64_t mix = splitmix64(a) ^ (splitmix64(b) * 0xD1342543DE82EF95ULL);
    for (auto& word : s_) word = splitmix64(mix);
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return ~std::uint64_t{0}; }

  HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr std::uint64_t operator()() noexcept {
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

  /// Uniform in [0, 1) with 53 random bits.
  HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr double uniform() noexcept {
    return static_cast<double>((*this)() >> 11) * 0x1.0p-53;
  }

  /// Uniform in [0, n) by Lemire's multiply-shift; the bias (< n / 2^32) is far below anything
  /// an annealer can notice, and avoiding the rejection loop keeps the sweep branch-light.
  HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((*this)() >> 32) * static_cast<std::uint64_t>(n) >> 32);
  }

 private:
  HQML_HOST_DEVICE static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

}  // namespace hqml::anneal
