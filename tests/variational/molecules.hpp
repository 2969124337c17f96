#pragma once
// The molecular Hamiltonians of tests/reference/vqe_reference.json (made by make_vqe_reference.py with
// qiskit-nature and PySCF), with the energies published for them.

#include "common/json_data.hpp"

#include <hqml/pauli.hpp>

#include <cstddef>
#include <string>

namespace hqml::test {

struct molecule_data {
  pauli_sum h;              // the electronic part, on qubits (Jordan-Wigner)
  std::size_t n = 0;        // qubits
  double constant = 0;      // nuclear repulsion plus the active space's core energy
  double hf = 0, fci = 0;   // total energies (FCI within the active space for LiH)
  double qubit_ground = 0;  // the lowest eigenvalue of h over all particle numbers
};

inline molecule_data molecule(const std::string& name) {
  const nlohmann::json data = load_reference("vqe_reference.json");
  for (const auto& m : data.at("hamiltonians"))
    if (m.at("name") == name) {
      molecule_data d;
      for (const auto& t : m.at("terms")) d.h.add(t.at(1).get<double>(), t.at(0).get<std::string>());
      d.n = m.at("num_qubits").get<std::size_t>();
      d.constant = m.at("nuclear_repulsion").get<double>() + m.at("energy_shift").get<double>();
      d.hf = m.at("hf_energy").get<double>();
      d.fci = m.at("fci_energy").get<double>();
      d.qubit_ground = m.at("qubit_ground_energy").get<double>();
      return d;
    }
  FAIL("no molecule " << name << " in vqe_reference.json");
  throw;
}

}  // namespace hqml::test
