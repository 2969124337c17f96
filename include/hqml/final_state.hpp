#pragma once
// The state a unitary circuit prepares from |0…0⟩, as host amplitudes, on any backend: what a program prints
// or compares (hqml simulate --statevector), without naming the backend's state_vector.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>
#include <hqml/circuit.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <complex>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace hqml {

namespace detail {

/// The CUDA backend's final_state for host code: declared here, defined in <hqml/cuda/final_state.cuh>
/// (which <hqml/cuda.cuh> includes) and compiled for float and double into hqml::cuda.
template <class Real>
struct cuda_final_state {
  static std::vector<std::complex<Real>> run(const circuit& c, std::span<const double> theta, std::span<const double> x,
                                             const apply_options& opt);
};

/// final_state written once over the backends whose state_vector this unit can instantiate.
template <class Real, class Backend>
[[nodiscard]] std::vector<std::complex<Real>> final_state_on(const circuit& c, std::span<const double> theta,
                                                             std::span<const double> x, const apply_options& opt,
                                                             int threads) {
  state_vector<Real, Backend> sv(c.num_qubits());
  sv.set_threads(threads);
  sv.apply(c, theta, x, opt);
  return sv.to_vector();
}

}  // namespace detail

/// c(θ, x)|0…0⟩ computed on Backend (hqml::cpu; hqml::cuda from host code needs hqml::cuda linked), amplitude i
/// of basis state i (qubit 0 the lowest bit). A circuit that measures or resets has no single final state and
/// is refused with std::invalid_argument (split_final_measurements separates the unitary part).
template <class Real = double, class Backend = cpu>
[[nodiscard]] std::vector<std::complex<Real>> final_state(const circuit& c, std::span<const double> theta = {},
                                                          std::span<const double> x = {}, const apply_options& opt = {},
                                                          int threads = 0) {
  const auto& ops = c.operations();
  if (std::any_of(ops.begin(), ops.end(),
                  [](const operation& o) { return o.kind == gate_kind::measure || o.kind == gate_kind::reset; }))
    throw std::invalid_argument(
        "hqml::final_state: the circuit measures or resets qubits, so it has no single "
        "final state");
  if constexpr (std::is_same_v<Backend, cuda>)
    return detail::cuda_final_state<Real>::run(c, theta, x, opt);
  else
    return detail::final_state_on<Real, Backend>(c, theta, x, opt, threads);
}

}  // namespace hqml
