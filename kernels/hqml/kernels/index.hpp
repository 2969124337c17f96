#pragma once
// Bit manipulation of basis-state indices, shared by host and device code.

#include <hqml/config.hpp>

#include <cstdint>

namespace hqml::kernels {

using index_t = std::uint64_t;

/// Inserts a zero bit at position p: bits below p stay, bits at and above p move up by one.
HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr index_t insert_zero(index_t i, unsigned p) {
  const index_t low = i & ((index_t{1} << p) - 1);
  return ((i ^ low) << 1) | low;
}

/// Inserts zero bits at the ascending positions sorted[0..k).
HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr index_t insert_zeros(index_t i, const unsigned* sorted, unsigned k) {
  for (unsigned j = 0; j < k; ++j) i = insert_zero(i, sorted[j]);
  return i;
}

/// How the bases with zero bits at the ascending positions fixed[0..k) are laid out, for drivers that
/// walk them in constant-stride runs: consecutive j (from a multiple of `length`) give bases that step
/// by 2^shift, where positions 0..shift-1 are all fixed; `length` is capped at `count`, the number of bases.
struct base_runs {
  unsigned shift;
  index_t length;
};
HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr base_runs runs_of(const unsigned* fixed, unsigned k, index_t count) {
  unsigned t = 0;
  while (t < k && fixed[t] == t) ++t;
  const index_t run = t < k ? index_t{1} << (fixed[t] - t) : count;
  return {t, run < count ? run : count};
}

/// Gathers the bits of i at positions pos[0..k) into a k-bit local index (bit j from pos[j]).
HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr unsigned gather_bits(index_t i, const unsigned* pos, unsigned k) {
  unsigned local = 0;
  for (unsigned j = 0; j < k; ++j) local |= static_cast<unsigned>((i >> pos[j]) & 1u) << j;
  return local;
}

/// Parity of the set bits of i.
HQML_HOST_DEVICE HQML_FORCE_INLINE constexpr unsigned parity(index_t i) {
#if defined(__CUDA_ARCH__)
  return static_cast<unsigned>(__popcll(i)) & 1u;
#else
  return static_cast<unsigned>(__builtin_popcountll(i)) & 1u;
#endif
}

}  // namespace hqml::kernels
