#pragma once
// hqml::sample_counts<Real, hqml::cuda>'s entry point: the generic body (shots.hpp) run on the CUDA state
// vector. Included by <hqml/cuda.cuh>; compiled into hqml::cuda for host code.

#include <hqml/cuda.cuh>
#include <hqml/shots.hpp>

namespace hqml {

template <class Real>
std::map<std::string, std::size_t> detail::cuda_sample_counts<Real>::run(const circuit& c, std::size_t shots,
                                                                         const shot_options& opt) {
  return detail::sample_counts_on<Real, cuda>(c, shots, opt);
}

}  // namespace hqml
