#pragma once
// Spin-chain Hamiltonians, the standard test beds of variational eigensolvers, as Pauli sums. A periodic
// chain adds the bond (n−1, 0) when n > 2 (with two sites it would repeat the bond (0, 1)).

#include <hqml/pauli.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

namespace detail {

inline std::vector<std::pair<std::uint32_t, std::uint32_t>> chain_bonds(std::size_t n, bool periodic,
                                                                        const char* where) {
  if (n == 0 || n > 64)
    throw std::invalid_argument(std::string(where) + ": " + std::to_string(n) + " sites; 1 to 64 supported");
  std::vector<std::pair<std::uint32_t, std::uint32_t>> b;
  for (std::uint32_t i = 0; i + 1 < n; ++i) b.emplace_back(i, i + 1);
  if (periodic && n > 2) b.emplace_back(static_cast<std::uint32_t>(n - 1), 0);
  return b;
}

}  // namespace detail

/// The transverse-field Ising chain H = −J Σ Z_i Z_{i+1} − h Σ X_i, critical at h = J.
[[nodiscard]] inline pauli_sum transverse_field_ising(std::size_t n, double coupling = 1.0, double field = 1.0,
                                                      bool periodic = false) {
  pauli_sum h;
  for (const auto& [i, j] : detail::chain_bonds(n, periodic, "hqml::transverse_field_ising"))
    h.add(-coupling, pauli_string::from_ops({{i, 'Z'}, {j, 'Z'}}));
  for (std::uint32_t i = 0; i < n; ++i) h.add(-field, pauli_string::from_ops({{i, 'X'}}));
  return h;
}

/// The XYZ Heisenberg chain H = Σ (Jx X_i X_{i+1} + Jy Y_i Y_{i+1} + Jz Z_i Z_{i+1}) + h Σ Z_i; Jx = Jy = Jz = 1
/// is the antiferromagnetic XXX chain.
[[nodiscard]] inline pauli_sum heisenberg(std::size_t n, double jx = 1.0, double jy = 1.0, double jz = 1.0,
                                          double field = 0.0, bool periodic = false) {
  pauli_sum h;
  for (const auto& [i, j] : detail::chain_bonds(n, periodic, "hqml::heisenberg")) {
    if (jx != 0) h.add(jx, pauli_string::from_ops({{i, 'X'}, {j, 'X'}}));
    if (jy != 0) h.add(jy, pauli_string::from_ops({{i, 'Y'}, {j, 'Y'}}));
    if (jz != 0) h.add(jz, pauli_string::from_ops({{i, 'Z'}, {j, 'Z'}}));
  }
  if (field != 0)
    for (std::uint32_t i = 0; i < n; ++i) h.add(field, pauli_string::from_ops({{i, 'Z'}}));
  return h;
}

}  // namespace hqml
