#pragma once
// Final measurements: the measurements at the end of a circuit, which can be sampled from one final state.

#include <hqml/circuit.hpp>

#include <cstdint>
#include <utility>
#include <vector>

namespace hqml {

/// A circuit split into its unitary part and the measurements at its end.
struct measurement_split {
  circuit body;                                                 // everything but the final measurements
  std::vector<std::pair<std::uint32_t, std::size_t>> final_measurements;  // (qubit, clbit)
  bool dynamic = false;  // true when measurements or resets remain in the body
};

/// Separates the measurements after which nothing but measurements and barriers act on their qubits.
[[nodiscard]] inline measurement_split split_final_measurements(const circuit& c) {
  const auto& ops = c.operations();
  std::vector<bool> touched(c.num_qubits(), false), is_final(ops.size(), false);
  for (std::size_t k = ops.size(); k-- > 0;) {
    const operation& op = ops[k];
    if (op.kind == gate_kind::barrier) continue;
    // Measures that only measures and barriers follow on their qubit are final (Qiskit's rule); measuring
    // a qubit again at the end reads the same value, so repeated final measures stay final.
    if (op.kind == gate_kind::measure && !touched[op.qubits[0]]) {
      is_final[k] = true;
      continue;
    }
    for (auto q : op.qubits) touched[q] = true;
  }
  measurement_split s{circuit(c.num_qubits(), c.num_clbits()), {}, false};
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (is_final[k]) {
      s.final_measurements.emplace_back(ops[k].qubits[0], static_cast<std::size_t>(ops[k].clbit));
      continue;
    }
    if (ops[k].kind == gate_kind::measure || ops[k].kind == gate_kind::reset) s.dynamic = true;
    s.body.append(ops[k]);
  }
  return s;
}

/// The circuit without its final measurements (what Qiskit's remove_final_measurements drops); the classical
/// bits stay, so the circuit's shape is unchanged.
[[nodiscard]] inline circuit remove_final_measurements(const circuit& c) { return split_final_measurements(c).body; }

}  // namespace hqml
