#pragma once
// Random numbers for the annealers. Every read (or replica, or restart) owns its own generator,
// seeded from (seed, stream index) alone, so a result never depends on which thread ran it.

#include <cstdint>

#include <hqml/config.hpp>
#include <hqml/rng.hpp>

namespace hqml::anneal {

using hqml::splitmix64;

/// hqml's xoshiro256** with the annealers' seeding and a branch-free bounded draw.
class xoshiro256ss : public xoshiro256 {
 public:
  HQML_HOST_DEVICE constexpr xoshiro256ss() noexcept : xoshiro256ss(0, 0) {}

  /// Stream `stream` of the family named by `seed`. The two are mixed separately before being
  /// combined so that (seed, stream) and (seed + 1, stream - 1) do not collide.
  HQML_HOST_DEVICE constexpr xoshiro256ss(std::uint64_t seed, std::uint64_t stream) noexcept
      : xoshiro256(seeded(seed, stream)) {}

  /// Uniform in [0, n) by Lemire's multiply-shift; the bias (< n / 2^32) is far below anything
  /// an annealer can notice, and avoiding the rejection loop keeps the sweep branch-light.
  HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((*this)() >> 32) * static_cast<std::uint64_t>(n) >> 32);
  }

 private:
  HQML_HOST_DEVICE static constexpr xoshiro256 seeded(std::uint64_t seed, std::uint64_t stream) noexcept {
    std::uint64_t a = seed;
    std::uint64_t b = stream ^ 0x632BE59BD9B4E019ULL;
    std::uint64_t mix = splitmix64(a) ^ (splitmix64(b) * 0xD1342543DE82EF95ULL);
    const std::uint64_t s0 = splitmix64(mix), s1 = splitmix64(mix), s2 = splitmix64(mix), s3 = splitmix64(mix);
    return from_state(s0, s1, s2, s3);
  }
};

}  // namespace hqml::anneal
