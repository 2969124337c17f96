#pragma once
// hqml::final_state<Real, hqml::cuda>'s entry point: the generic body (final_state.hpp) run on the CUDA state
// vector. Included by <hqml/cuda.cuh>; compiled into hqml::cuda for host code.

#include <hqml/cuda.cuh>
#include <hqml/final_state.hpp>

namespace hqml {

template <class Real>
std::vector<std::complex<Real>> detail::cuda_final_state<Real>::run(const circuit& c, std::span<const double> theta,
                                                                    std::span<const double> x,
                                                                    const apply_options& opt) {
  return detail::final_state_on<Real, cuda>(c, theta, x, opt, 0);
}

}  // namespace hqml
