#pragma once
// Spin-chain Hamiltonians, the standard test beds of variational eigensolvers, as Pauli sums. A periodic
// chain adds the bond (n−1, 0) when n > 2 (with two sites it would repeat the bond (0, 1)).

#include <hqml/name_table.hpp>
#include <hqml/pauli.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
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

/// The built-in chains a program names: tfim (transverse_field_ising) and heisenberg (the XXX chain in a field).
enum class chain_model : std::uint8_t { tfim, heisenberg };

/// Every chain model and its name (a program's --model choices).
inline constexpr name_table<chain_model, 2> chain_model_names{{
    {chain_model::tfim, "tfim"},
    {chain_model::heisenberg, "heisenberg"},
}};

[[nodiscard]] constexpr std::string_view to_string(chain_model m) {
  return name_in(chain_model_names, m, "hqml::to_string", "chain model");
}
/// The chain model called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline chain_model parse_chain_model(std::string_view name) {
  return parse_in(chain_model_names, name, "hqml::parse_chain_model", "chain model");
}

/// The field a chain model has when none is given: h = 1 for tfim (the critical point at J = 1), 0 for heisenberg.
[[nodiscard]] constexpr double default_field(chain_model m) { return m == chain_model::tfim ? 1.0 : 0.0; }

/// The chain `m` on n sites with coupling J and field h (default_field(m) when absent): tfim is
/// transverse_field_ising(n, J, h), heisenberg is heisenberg(n, J, J, J, h).
[[nodiscard]] inline pauli_sum chain_hamiltonian(chain_model m, std::size_t n, double coupling = 1.0,
                                                 std::optional<double> field = std::nullopt, bool periodic = false) {
  const double h = field.value_or(default_field(m));
  switch (m) {
    case chain_model::tfim:
      return transverse_field_ising(n, coupling, h, periodic);
    case chain_model::heisenberg:
      return heisenberg(n, coupling, coupling, coupling, h, periodic);
  }
  throw std::invalid_argument("hqml::chain_hamiltonian: chain model value " + std::to_string(static_cast<int>(m)) +
                              " is none of chain_model_names");
}

}  // namespace hqml
