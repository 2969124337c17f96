#pragma once
// Running circuits for shots: final measurements are sampled from one simulated state; circuits with
// mid-circuit measurement or reset are simulated shot by shot.

#include <hqml/backends/cuda.hpp>
#include <hqml/circuit.hpp>
#include <hqml/final_measurements.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
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
  /// Shots drawn at a time: memory for outcomes stays at this many, however many shots are asked for. Up to
  /// one block the counts are those of one draw with `seed`; later blocks draw from streams of it.
  std::size_t shots_per_block = std::size_t{1} << 20;
};

namespace detail {

/// The CUDA backend's sample_counts for host code: declared here, defined in <hqml/cuda/shots.cuh> (which
/// <hqml/cuda.cuh> includes) and compiled for float and double into hqml::cuda.
template <class Real>
struct cuda_sample_counts {
  static std::map<std::string, std::size_t> run(const circuit& c, std::size_t shots, const shot_options& opt);
};

/// sample_counts written once over the backends whose state_vector this unit can instantiate.
template <class Real, class Backend>
[[nodiscard]] std::map<std::string, std::size_t> sample_counts_on(const circuit& c, std::size_t shots,
                                                                  const shot_options& opt) {
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
    // Shots are drawn in blocks so memory stays bounded however many are asked for; the first block uses
    // the seed itself (results for up to `block` shots are those of a single draw), later ones a stream of it.
    const std::size_t block = std::max<std::size_t>(opt.shots_per_block, 1);
    std::map<std::uint64_t, std::size_t> by_outcome;
    for (std::size_t done = 0, k = 0; done < shots; done += block, ++k) {
      const std::size_t n = std::min(block, shots - done);
      const std::uint64_t seed = k == 0 ? opt.seed : xoshiro256(opt.seed, k)();
      for (auto outcome : sv.sample(n, seed)) ++by_outcome[static_cast<std::uint64_t>(outcome)];
    }
    for (const auto& [outcome, n] : by_outcome) {
      std::fill(bits.begin(), bits.end(), 0);
      for (auto [q, cb] : split.final_measurements) bits[cb] = static_cast<int>((outcome >> q) & 1u);
      counts[bitstring(bits)] += n;
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

}  // namespace detail

/// Counts of classical-bit strings over `shots` runs on Backend. A circuit without measurements is measured on
/// every qubit (qubit i into bit i). Reproducible for a seed whatever the thread count, and the same counts on
/// every backend up to rounding of the probabilities. hqml::cuda from host code needs hqml::cuda linked.
template <class Real = double, class Backend = cpu>
[[nodiscard]] std::map<std::string, std::size_t> sample_counts(const circuit& c, std::size_t shots,
                                                               const shot_options& opt = {}) {
  if constexpr (std::is_same_v<Backend, cuda>)
    return detail::cuda_sample_counts<Real>::run(c, shots, opt);
  else
    return detail::sample_counts_on<Real, Backend>(c, shots, opt);
}

}  // namespace hqml
