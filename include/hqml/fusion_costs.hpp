#pragma once
// A backend's price list for gate fusion (core: backends define their tables, <hqml/fusion.hpp> reads them).

#include <hqml/gate.hpp>

#include <array>

namespace hqml {

/// What applying an operation costs, in passes of a one-qubit gate over the state vector: a fused block
/// replaces its gates only where it is cheaper than they are. A dense k-qubit block does 2^k complex
/// products per amplitude in one pass, so its price depends on whether a pass is a trip to memory (wide
/// states) or to the cache (where arithmetic dominates), and on the backend's kernels. cost_of() in
/// <hqml/fusion.hpp> prices one operation.
struct fusion_costs {
  std::array<double, max_unitary_qubits + 1> dense{};     // a fused (or given) dense block on k qubits
  std::array<double, max_unitary_qubits + 1> diagonal{};  // a fused (or given) diagonal block on k qubits
  double permutation = 1;                                 // CX, SWAP, CCX, CSWAP: amplitudes moved, no arithmetic
  double controlled_phase = 1;                            // CZ, CP, CRZ: a quarter of the amplitudes multiplied
  double controlled = 1;                                  // CY, CH, CRX, CRY: half of them
  double two_qubit = 1;                                   // RXX, RYY, RZZ, iSWAP
};

}  // namespace hqml
