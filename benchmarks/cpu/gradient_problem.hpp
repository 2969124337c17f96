#pragma once
// The gradient benchmarks' problem, shared by bench_gradient (CPU, against the peers) and bench_gpu: a layered
// hardware-efficient ansatz (RY and RZ on every qubit, then a ring of CNOTs, per layer), the transverse-field
// Ising chain H = −Σ Z_q Z_{q+1} − 0.7 Σ X_q, and θ_k = 3 sin(0.7k + 0.3) (benchmarks/peers/gradient_peers.py
// builds the same circuit and θ).
#include <hqml/circuit.hpp>
#include <hqml/pauli.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hqml::bench {

inline constexpr int gradient_layers = 4;

inline circuit layered_ansatz(std::uint32_t n) {
  circuit c(n);
  std::size_t k = 0;
  for (int l = 0; l < gradient_layers; ++l) {
    for (std::uint32_t q = 0; q < n; ++q) {
      c.ry(q, angle::param(k++));
      c.rz(q, angle::param(k++));
    }
    for (std::uint32_t q = 0; q < n; ++q) c.cx(q, (q + 1) % n);
  }
  return c;
}

inline pauli_sum ising_chain(std::uint32_t n) {
  pauli_sum h;
  for (std::uint32_t q = 0; q + 1 < n; ++q) h.add(-1.0, pauli_string::from_ops({{q, 'Z'}, {q + 1, 'Z'}}));
  for (std::uint32_t q = 0; q < n; ++q) h.add(-0.7, pauli_string::from_ops({{q, 'X'}}));
  return h;
}

inline std::vector<double> ansatz_angles(std::size_t count) {
  std::vector<double> t(count);
  for (std::size_t k = 0; k < count; ++k) t[k] = 3.0 * std::sin(0.7 * double(k) + 0.3);
  return t;
}

}  // namespace hqml::bench
