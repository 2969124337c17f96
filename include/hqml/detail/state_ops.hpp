#pragma once
// The operations a backend provides to state_vector. Internal: include <hqml/state_vector.hpp>.
#if !defined(HQML_INTERNAL_INCLUDE)
#error "hqml/detail/state_ops.hpp is internal; include <hqml/state_vector.hpp> instead"
#endif

#include <complex>

namespace hqml::detail {

/// i^k: the phase of a Pauli string with k factors Y written as X·Z.
inline constexpr std::complex<double> i_power(unsigned k) {
  constexpr std::complex<double> p[4] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  return p[k & 3u];
}

/// Specialized by each backend: memory, the driver that runs a gate functor over an index space,
/// reductions and sampling. See backends/hqml/backends/cpu/state_ops.hpp for the CPU one.
template <class Backend, class Real>
struct state_ops;

}  // namespace hqml::detail
