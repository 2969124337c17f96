#pragma once
// Running circuits for shots: final measurements are sampled from one simulated state; circuits with
// mid-circuit measurement or reset are simulated shot by shot.

#include <hqml/circuit.hpp>
#include <hqml/final_measurements.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

/// Classical bits as a string with bit 0 rightmost (OpenQASM / Qiskit order).
[[nodiscard]] inline std::string bitstring(const std::vector<int>& bits) {
  std::string s(bits.size(), '0');
  for (std::size_t b = 0; b < bits.size(); ++b) s[bits.size() - 1 - b] = bits[b] ? '1' : '0';
  return s;
}

struct shot_options {
  std::uint64_t seed = 0;
  int threads = 0;
  apply_options apply{};
};

/// Counts of classical-bit strings over `shots` runs. A circuit without measurements is measured on
/// every qubit (qubit i into bit i). Reproducible for a seed whatever the thread count.
template <class Real = double, class Backend = cpu>
[[nodiscard]] std::map<std::string, std::size_t> sample_counts(const circuit& c, std::size_t shots,
                                                               const shot_options& opt = {}) {
  const bool measures =
      std::any_of(c.operations().begin(), c.operations().end(), [](const operation& o) { return o.kind == gate_kind::measure; });
  circuit measured = c;
  if (!measures) measured.measure_all();
  const measurement_split split = split_final_measurements(measured);
  std::map<std::string, std::size_t> counts;
  if (!split.dynamic) {
    state_vector<Real, Backend> sv(c.num_qubits());
    sv.set_threads(opt.threads);
    sv.apply(split.body, {}, {}, opt.apply);
    std::vector<int> bits(measured.num_clbits(), 0);
    for (auto outcome : sv.sample(shots, opt.seed)) {
      std::fill(bits.begin(), bits.end(), 0);
      for (auto [q, cb] : split.final_measurements) bits[cb] = static_cast<int>((outcome >> q) & 1u);
      ++counts[bitstring(bits)];
    }
    return counts;
  }
  // Mid-circuit measurement: every shot is its own trajectory, seeded by (seed, shot).
  state_vector<Real, Backend> sv(c.num_qubits());
  sv.set_threads(opt.threads);
  for (std::size_t s = 0; s < shots; ++s) {
    sv.set_basis_state(0);
    xoshiro256 g(opt.seed, s + 1);
    sv.seed(g());
    sv.apply(measured, {}, {}, opt.apply);
    ++counts[bitstring(sv.clbits())];
  }
  return counts;
}

}  // namespace hqml
