#pragma once
// Pauli strings and weighted sums of them, as observables.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
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

  /// One past the highest qubit any term acts on.
  [[nodiscard]] unsigned support_size() const {
    unsigned n = 0;
    for (const auto& t : terms) n = std::max(n, t.second.support_size());
    return n;
  }
  /// Σ|c_k|: a bound on the spectral radius (‖P‖ = 1 for every Pauli string).
  [[nodiscard]] double coefficient_norm() const {
    double s = 0;
    for (const auto& t : terms) s += std::abs(t.first);
    return s;
  }
  /// The same operator with equal strings merged (in order of first appearance) and terms whose merged
  /// coefficient is at most `tolerance` in magnitude dropped.
  [[nodiscard]] pauli_sum simplified(double tolerance = 0) const {
    struct key_hash {
      std::size_t operator()(const pauli_string& p) const noexcept {
        return std::hash<std::uint64_t>{}(p.x_mask * 0x9e3779b97f4a7c15ull ^ p.z_mask);
      }
    };
    pauli_sum r;
    std::unordered_map<pauli_string, std::size_t, key_hash> index;  // string -> its term in r
    for (const auto& [c, p] : terms) {
      const auto [it, fresh] = index.try_emplace(p, r.terms.size());
      if (fresh)
        r.terms.emplace_back(c, p);
      else
        r.terms[it->second].first += c;
    }
    std::erase_if(r.terms, [&](const auto& t) { return std::abs(t.first) <= tolerance; });
    return r;
  }
};

}  // namespace hqml
