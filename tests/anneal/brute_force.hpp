#pragma once
// Exhaustive references for small models (n <= 16): ground energies and Boltzmann weights.
#include <hqml/anneal/model.hpp>
#include <hqml/anneal/rng.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace hqml::anneal::testing {

/// Spin state of index b: bit i set means s_i = +1.
inline std::vector<std::int8_t> spins_of(std::uint32_t b, std::size_t n) {
  std::vector<std::int8_t> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<std::int8_t>((b >> i) & 1u ? 1 : -1);
  return s;
}

inline std::vector<double> all_energies(const ising_model& m) {
  const std::size_t n = m.num_variables();
  std::vector<double> e(std::size_t{1} << n);
  for (std::uint32_t b = 0; b < e.size(); ++b) e[b] = m.energy(spins_of(b, n));
  return e;
}

inline double ground_energy(const ising_model& m) {
  double best = std::numeric_limits<double>::infinity();
  for (double e : all_energies(m)) best = std::min(best, e);
  return best;
}

/// Random spin glass with real (non-dyadic) or integer couplings.
inline ising_model random_glass(std::size_t n, double density, std::uint64_t seed, bool integer,
                                storage how = storage::automatic) {
  xoshiro256ss rng(seed, 77);
  auto draw = [&] { return integer ? static_cast<double>(static_cast<int>(rng.below(7)) - 3) : 2.0 * rng.uniform() - 1.0; };
  std::vector<double> h(n);
  for (auto& v : h) v = 0.5 * draw();
  std::vector<coupling> c;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = i + 1; j < n; ++j)
      if (rng.uniform() < density) c.push_back({i, j, draw()});
  return ising_model(n, h, c, 0.0, how);
}

}  // namespace hqml::anneal::testing
