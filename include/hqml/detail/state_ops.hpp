#pragma once
// The operations a backend provides to state_vector. Internal: include <hqml/state_vector.hpp>.
#if !defined(HQML_INTERNAL_INCLUDE)
#error "hqml/detail/state_ops.hpp is internal; include <hqml/state_vector.hpp> instead"
#endif

namespace hqml::detail {

/// Specialized by each backend: memory, the driver that runs a gate functor over an index space,
/// reductions and sampling. See backends/hqml/backends/cpu/state_ops.hpp for the CPU one.
template <class Backend, class Real>
struct state_ops;

}  // namespace hqml::detail
