#pragma once
// The operations a backend provides to state_vector. Internal: include <hqml/state_vector.hpp>.
#if !defined(HQML_INTERNAL_INCLUDE)
#error "hqml/detail/state_ops.hpp is internal; include <hqml/state_vector.hpp> instead"
#endif

#include <hqml/pauli.hpp>

#include <complex>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace hqml::detail {

/// i^k: the phase of a Pauli string with k factors Y written as X·Z.
inline constexpr std::complex<double> i_power(unsigned k) {
  constexpr std::complex<double> p[4] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  return p[k & 3u];
}

/// Terms of a Pauli sum that flip the same bits (equal X masks): P_t|i⟩ = w_t (−1)^{|i ∧ z_t|} |i ⊕ x⟩ with
/// w_t = c_t · i^{#Y}, so a whole group is one pass over the state instead of one per term (a diagonal
/// Hamiltonian is one group; the XXYY-type terms of a molecule share a few).
struct pauli_group {
  std::uint64_t x_mask = 0;
  std::vector<std::uint64_t> z;
  std::vector<std::complex<double>> w;
};

/// The groups of h in order of first appearance.
inline std::vector<pauli_group> group_pauli_terms(const pauli_sum& h) {
  std::vector<pauli_group> groups;
  std::unordered_map<std::uint64_t, std::size_t> index;
  for (const auto& [c, p] : h.terms) {
    const auto [it, fresh] = index.try_emplace(p.x_mask, groups.size());
    if (fresh) groups.push_back({p.x_mask, {}, {}});
    pauli_group& g = groups[it->second];
    g.z.push_back(p.z_mask);
    g.w.push_back(c * i_power(p.num_y()));
  }
  return groups;
}

/// Specialized by each backend: memory, the driver that runs a gate functor over an index space,
/// reductions and sampling. See backends/hqml/backends/cpu/state_ops.hpp for the CPU one.
template <class Backend, class Real>
struct state_ops;

}  // namespace hqml::detail
