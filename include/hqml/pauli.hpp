#pragma once
// Pauli strings and weighted sums of them, as observables.

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml {

/// A Pauli string stored as bit masks: X on x-only bits, Z on z-only bits, Y where both are set.
struct pauli_string {
  std::uint64_t x_mask = 0;
  std::uint64_t z_mask = 0;

  /// From a Qiskit-style label such as "XIZY": the rightmost character acts on qubit 0.
  static pauli_string from_label(std::string_view label) {
    if (label.size() > 64) throw std::invalid_argument("hqml::pauli_string: label longer than 64 qubits");
    pauli_string p;
    for (std::size_t k = 0; k < label.size(); ++k) p.set(static_cast<unsigned>(label.size() - 1 - k), label[k]);
    return p;
  }
  /// From (qubit, 'X'|'Y'|'Z'|'I') pairs.
  static pauli_string from_ops(std::initializer_list<std::pair<unsigned, char>> ops) {
    pauli_string p;
    for (auto [q, c] : ops) p.set(q, c);
    return p;
  }

  void set(unsigned q, char c) {
    if (q >= 64) throw std::out_of_range("hqml::pauli_string: qubit " + std::to_string(q) + " out of range");
    const std::uint64_t b = std::uint64_t{1} << q;
    x_mask &= ~b;
    z_mask &= ~b;
    switch (c) {
      case 'I': case 'i': break;
      case 'X': case 'x': x_mask |= b; break;
      case 'Z': case 'z': z_mask |= b; break;
      case 'Y': case 'y': x_mask |= b; z_mask |= b; break;
      default:
        throw std::invalid_argument(std::string("hqml::pauli_string: '") + c + "' is not one of I, X, Y, Z");
    }
  }
  [[nodiscard]] char at(unsigned q) const {
    const bool x = (x_mask >> q) & 1u, z = (z_mask >> q) & 1u;
    return x ? (z ? 'Y' : 'X') : (z ? 'Z' : 'I');
  }
  [[nodiscard]] unsigned num_y() const { return static_cast<unsigned>(__builtin_popcountll(x_mask & z_mask)); }
  /// One past the highest qubit the string acts on.
  [[nodiscard]] unsigned support_size() const {
    const std::uint64_t m = x_mask | z_mask;
    return m ? 64u - static_cast<unsigned>(__builtin_clzll(m)) : 0u;
  }
  /// Qiskit-style label over n qubits.
  [[nodiscard]] std::string label(unsigned n) const {
    std::string s(n, 'I');
    for (unsigned q = 0; q < n; ++q) s[n - 1 - q] = at(q);
    return s;
  }
  friend bool operator==(const pauli_string&, const pauli_string&) = default;
};

/// Σ_k c_k P_k with real coefficients (a Hermitian observable).
struct pauli_sum {
  std::vector<std::pair<double, pauli_string>> terms;

  pauli_sum& add(double c, pauli_string p) {
    terms.emplace_back(c, p);
    return *this;
  }
  pauli_sum& add(double c, std::string_view label) { return add(c, pauli_string::from_label(label)); }
};

}  // namespace hqml
