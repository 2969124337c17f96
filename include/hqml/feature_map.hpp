#pragma once
// Quantum feature maps: circuits built once whose angles are functions of the data features x (and,
// for trainable maps, of parameters θ). Conventions follow Qiskit's circuit library exactly.

#include <hqml/angle.hpp>
#include <hqml/circuit.hpp>
#include <hqml/entanglement.hpp>
#include <hqml/name_table.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hqml {

/// The feature maps a program or a saved model names: zz_feature_map, pauli_feature_map, iqp_feature_map,
/// angle_embedding (about Y) and angle_ladder_map.
enum class feature_map_kind : std::uint8_t { zz, pauli, iqp, angle, angle_ladder };

/// Every feature map kind and its name, in the order a program lists them (a model file stores the name).
inline constexpr name_table<feature_map_kind, 5> feature_map_kind_names{{
    {feature_map_kind::zz, "zz"},
    {feature_map_kind::pauli, "pauli"},
    {feature_map_kind::iqp, "iqp"},
    {feature_map_kind::angle, "angle"},
    {feature_map_kind::angle_ladder, "angle_ladder"},
}};

[[nodiscard]] constexpr std::string_view to_string(feature_map_kind k) {
  return name_in(feature_map_kind_names, k, "hqml::to_string", "feature map kind");
}

/// The kind called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline feature_map_kind parse_feature_map_kind(std::string_view name) {
  return parse_in(feature_map_kind_names, name, "hqml::parse_feature_map_kind", "feature map kind");
}

/// Whether `k` is an angle map (angle, angle_ladder): those take a feature count of their own, the other maps read
/// one feature per qubit.
[[nodiscard]] constexpr bool is_angle_map(feature_map_kind k) {
  return k == feature_map_kind::angle || k == feature_map_kind::angle_ladder;
}

/// φ_S(x): x_i for one qubit, Π_{j∈S} (π − x_j) otherwise (Qiskit's default data map).
[[nodiscard]] inline angle pauli_data_map(const std::vector<std::uint32_t>& s) {
  if (s.size() == 1) return feature(s[0]);
  angle a = 1.0;
  for (auto j : s) a *= (pi - feature(j));
  return a;
}

/// Appends exp(−i·(angle/2)·P_S) up to global phase, the way Qiskit's PauliFeatureMap builds it:
/// basis change (X → H, Y → RX(π/2)), a CX chain, P(angle) on the last qubit, and the inverse steps.
/// label[k] acts on qubits[len − 1 − k] (Qiskit reverses the string).
inline void append_pauli_evolution(circuit& c, std::string_view label, const std::vector<std::uint32_t>& qubits,
                                   const angle& phase) {
  if (label.size() != qubits.size())
    throw std::invalid_argument("hqml::pauli_feature_map: Pauli string '" + std::string(label) + "' has " +
                                std::to_string(label.size()) + " letters for " + std::to_string(qubits.size()) +
                                " qubits");
  std::vector<std::uint32_t> active;
  std::vector<char> letter(qubits.size());
  for (std::size_t i = 0; i < qubits.size(); ++i) {
    letter[i] = label[label.size() - 1 - i];
    if (letter[i] != 'I' && letter[i] != 'X' && letter[i] != 'Y' && letter[i] != 'Z')
      throw std::invalid_argument("hqml::pauli_feature_map: '" + std::string(1, letter[i]) + "' in Pauli string '" +
                                  std::string(label) + "' is not one of I, X, Y, Z");
    if (letter[i] != 'I') active.push_back(qubits[i]);
  }
  if (active.empty()) return;
  auto basis_change = [&](bool inverse) {
    for (std::size_t i = 0; i < qubits.size(); ++i) {
      if (letter[i] == 'X') c.h(qubits[i]);
      else if (letter[i] == 'Y') c.rx(qubits[i], inverse ? -pi / 2 : pi / 2);
    }
  };
  basis_change(false);
  for (std::size_t i = 0; i + 1 < active.size(); ++i) c.cx(active[i], active[i + 1]);
  c.p(active.back(), phase);
  for (std::size_t i = active.size() - 1; i-- > 0;) c.cx(active[i], active[i + 1]);
  basis_change(true);
}

/// Qiskit's PauliFeatureMap: each rep is H on every qubit, then for each Pauli string P and each index set S
/// of the entanglement, exp(−i·alpha·φ_S(x)·P_S) (as P(alpha·φ_S(x)) between CX chains).
[[nodiscard]] inline circuit pauli_feature_map(std::size_t num_qubits, std::size_t reps = 2,
                                               const entanglement& ent = "full", double alpha = 2.0,
                                               const std::vector<std::string>& paulis = {"Z", "ZZ"}) {
  if (num_qubits == 0) throw std::invalid_argument("hqml::pauli_feature_map: num_qubits must be at least 1");
  if (paulis.empty()) throw std::invalid_argument("hqml::pauli_feature_map: no Pauli strings given");
  circuit c(num_qubits);
  for (std::size_t r = 0; r < reps; ++r) {
    for (std::uint32_t q = 0; q < num_qubits; ++q) c.h(q);
    for (const auto& p : paulis) {
      if (p.empty()) throw std::invalid_argument("hqml::pauli_feature_map: empty Pauli string");
      for (const auto& s : ent.blocks(num_qubits, p.size())) append_pauli_evolution(c, p, s, alpha * pauli_data_map(s));
    }
  }
  return c;
}

/// Qiskit's ZZFeatureMap: PauliFeatureMap with paulis ["Z", "ZZ"].
[[nodiscard]] inline circuit zz_feature_map(std::size_t num_qubits, std::size_t reps = 2,
                                            const entanglement& ent = "full", double alpha = 2.0) {
  return pauli_feature_map(num_qubits, reps, ent, alpha, {"Z", "ZZ"});
}

/// The IQP map of Havlíček et al. (Nature 567:209, 2019): (U_Φ(x) H^{⊗n})^reps |0⟩ with
/// U_Φ = exp(i Σ_i x_i Z_i + i Σ_{i<j} (π − x_i)(π − x_j) Z_i Z_j).
[[nodiscard]] inline circuit iqp_feature_map(std::size_t num_qubits, std::size_t reps = 2) {
  circuit c(num_qubits);
  for (std::size_t r = 0; r < reps; ++r) {
    for (std::uint32_t q = 0; q < num_qubits; ++q) c.h(q);
    for (std::uint32_t i = 0; i < num_qubits; ++i) c.rz(i, -2.0 * feature(i));  // exp(i x Z) = RZ(−2x)
    for (std::uint32_t i = 0; i < num_qubits; ++i)
      for (std::uint32_t j = i + 1; j < num_qubits; ++j) c.rzz(i, j, -2.0 * (pi - feature(i)) * (pi - feature(j)));
  }
  return c;
}

/// Angle embedding (as PennyLane's AngleEmbedding): feature i as a rotation about `axis` on qubit i.
[[nodiscard]] inline circuit angle_embedding(std::size_t num_features, std::size_t num_qubits, char axis = 'Y') {
  if (num_features > num_qubits)
    throw std::invalid_argument("hqml::angle_embedding: " + std::to_string(num_features) + " features for " +
                                std::to_string(num_qubits) + " qubits");
  circuit c(num_qubits);
  for (std::uint32_t i = 0; i < num_features; ++i) {
    switch (axis) {
      case 'X': c.rx(i, feature(i)); break;
      case 'Y': c.ry(i, feature(i)); break;
      case 'Z': c.rz(i, feature(i)); break;
      default: throw std::invalid_argument(std::string("hqml::angle_embedding: axis '") + axis + "' is not X, Y or Z");
    }
  }
  return c;
}

/// The angle map with CNOT ladders of the Azure reference workflow: RY(π·x_i) on qubit i mod n for every
/// feature i, then `depth` layers of [H on every qubit, then CX(q, q+1) for q = 0..n−2].
[[nodiscard]] inline circuit angle_ladder_map(std::size_t num_features, std::size_t num_qubits, std::size_t depth = 1) {
  if (num_qubits == 0) throw std::invalid_argument("hqml::angle_ladder_map: num_qubits must be at least 1");
  circuit c(num_qubits);
  for (std::uint32_t i = 0; i < num_features; ++i) c.ry(static_cast<std::uint32_t>(i % num_qubits), pi * feature(i));
  for (std::size_t d = 0; d < depth; ++d) {
    for (std::uint32_t q = 0; q < num_qubits; ++q) c.h(q);
    for (std::uint32_t q = 0; q + 1 < num_qubits; ++q) c.cx(q, q + 1);
  }
  return c;
}

/// A trainable feature map: `layers` of [RY(θ) on every qubit] interleaved before each block of `map`
/// (as in qiskit-machine-learning's QuantumKernelTrainer tutorial, which prepends RY(θ) layers).
/// Parameters are numbered from `first_param`; returns the map and how many θ it uses.
[[nodiscard]] inline circuit with_trainable_layer(const circuit& map, std::size_t first_param = 0) {
  circuit c(map.num_qubits());
  for (std::uint32_t q = 0; q < map.num_qubits(); ++q) c.ry(q, param(first_param + q));
  c.compose(map);
  return c;
}

}  // namespace hqml
