#pragma once
// Hardware-efficient variational forms, gate for gate and parameter for parameter the ones of Qiskit's
// circuit library (n_local / TwoLocal, real_amplitudes, efficient_su2), so that parameters optimized by one
// tool bind in the other: `reps` times a rotation layer (each rotation gate on every qubit, gate type by
// gate type) followed by an entangling layer over the chosen qubit pairs, then a final rotation layer.
// θ numbers the rotation parameters in that order, each entangling layer's parameters (for parametric
// two-qubit gates) following its rotation layer's.

#include <hqml/angle.hpp>
#include <hqml/circuit.hpp>
#include <hqml/entanglement.hpp>
#include <hqml/gate.hpp>
#include <hqml/name_table.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hqml {

struct two_local_options {
  std::size_t reps = 3;
  /// The (control, target) pairs of each entangling layer: a Qiskit pattern (linear, reverse_linear, circular,
  /// full, pairwise) or explicit pairs. With CX gates reverse_linear gives full's unitary with n − 1 gates.
  entanglement pairs = "reverse_linear";
  bool skip_final_rotation_layer = false;
};

/// Qiskit's n_local with two-qubit entanglers: rotations from {RX, RY, RZ, P}, the entangler a fixed
/// (CX, CY, CZ, CH, SWAP, iSWAP) or parametric (CRX, CRY, CRZ, CP, RXX, RYY, RZZ) two-qubit gate.
[[nodiscard]] inline circuit two_local(std::size_t num_qubits, const std::vector<gate_kind>& rotations,
                                       gate_kind entangler, const two_local_options& opt = {}) {
  static constexpr const char* where = "hqml::two_local";
  if (num_qubits == 0 || num_qubits > circuit::max_qubits)
    throw std::invalid_argument(std::string(where) + ": num_qubits must be 1 to " +
                                std::to_string(circuit::max_qubits) + ", not " + std::to_string(num_qubits));
  if (rotations.empty()) throw std::invalid_argument(std::string(where) + ": no rotation gates");
  for (gate_kind g : rotations)
    if (!is_rotation(g) || info(g).num_qubits != 1)
      throw std::invalid_argument(std::string(where) + ": rotation gate '" + std::string(info(g).name) +
                                  "' is not one of rx, ry, rz, p");
  // Every standard two-qubit gate serves; one with an angle takes a parameter of its own per pair.
  if (info(entangler).num_qubits != 2 || !is_unitary(entangler))
    throw std::invalid_argument(std::string(where) + ": entangling gate '" + std::string(info(entangler).name) +
                                "' is not a two-qubit gate such as cx, cz, crz or rzz");
  const bool parametric = info(entangler).num_params > 0;
  // One qubit has no pairs to entangle (Qiskit builds the rotation layers alone).
  const auto pairs = num_qubits >= 2 ? opt.pairs.blocks(num_qubits, 2) : std::vector<std::vector<std::uint32_t>>{};
  circuit c(num_qubits);
  std::size_t k = 0;
  const auto rotation_layer = [&] {
    for (gate_kind g : rotations)
      for (std::uint32_t q = 0; q < num_qubits; ++q) c.gate(g, {q}, {angle::param(k++)});
  };
  for (std::size_t r = 0; r < opt.reps; ++r) {
    rotation_layer();
    for (const auto& p : pairs) {
      if (p[0] == p[1])  // blocks(n, 2) holds pairs only; an explicit one may repeat a qubit
        throw std::invalid_argument(std::string(where) + ": an entangling pair must name two different qubits");
      if (parametric)
        c.gate(entangler, p, {angle::param(k++)});
      else
        c.gate(entangler, p);
    }
  }
  if (!opt.skip_final_rotation_layer) rotation_layer();
  return c;
}

/// RY rotations and CX entanglers (Qiskit's real_amplitudes): real amplitudes for every θ, the usual
/// form for Hamiltonians with real matrices (molecules, Ising and Heisenberg models). n(reps + 1) parameters.
[[nodiscard]] inline circuit real_amplitudes(std::size_t num_qubits, const two_local_options& opt = {}) {
  return two_local(num_qubits, {gate_kind::ry}, gate_kind::cx, opt);
}

/// RY then RZ rotations and CX entanglers (Qiskit's efficient_su2). 2n(reps + 1) parameters.
[[nodiscard]] inline circuit efficient_su2(std::size_t num_qubits, const two_local_options& opt = {}) {
  return two_local(num_qubits, {gate_kind::ry, gate_kind::rz}, gate_kind::cx, opt);
}

/// The hardware-efficient forms a program names.
enum class ansatz_kind : std::uint8_t { real_amplitudes, efficient_su2 };

/// Every ansatz kind and its name (a program's --ansatz choices).
inline constexpr name_table<ansatz_kind, 2> ansatz_kind_names{{
    {ansatz_kind::real_amplitudes, "real_amplitudes"},
    {ansatz_kind::efficient_su2, "efficient_su2"},
}};

[[nodiscard]] constexpr std::string_view to_string(ansatz_kind k) {
  return name_in(ansatz_kind_names, k, "hqml::to_string", "ansatz");
}
/// The ansatz called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline ansatz_kind parse_ansatz_kind(std::string_view name) {
  return parse_in(ansatz_kind_names, name, "hqml::parse_ansatz_kind", "ansatz");
}

/// real_amplitudes or efficient_su2, as `kind` says.
[[nodiscard]] inline circuit hardware_efficient(ansatz_kind kind, std::size_t num_qubits,
                                                const two_local_options& opt = {}) {
  switch (kind) {
    case ansatz_kind::real_amplitudes:
      return real_amplitudes(num_qubits, opt);
    case ansatz_kind::efficient_su2:
      return efficient_su2(num_qubits, opt);
  }
  throw std::invalid_argument("hqml::hardware_efficient: ansatz value " + std::to_string(static_cast<int>(kind)) +
                              " is none of ansatz_kind_names");
}

}  // namespace hqml
