// hqml::cuda, the CUDA backend's compiled mode (as Lightning compiles its kernels): the entry points that the
// API headers declare for hqml::cuda (batched_states, fidelity_kernel, sample_counts, final_state,
// anneal::simulated_annealing, the runtime queries) instantiated once, for float and double, so that units the host
// compiler builds run them by linking this library. Header-only use from .cu files keeps working without it.
#include <hqml/cuda.cuh>
#include <hqml/cuda/anneal.cuh>
#include <hqml/cuda/final_state.cuh>
#include <hqml/cuda/quantum_kernel.cuh>
#include <hqml/cuda/shots.cuh>

namespace hqml {

template struct cuda_detail::runtime<void>;
template struct detail::cuda_batched_states<float>;
template struct detail::cuda_batched_states<double>;
template struct detail::cuda_fidelity_kernel<float>;
template struct detail::cuda_fidelity_kernel<double>;
template struct detail::cuda_sample_counts<float>;
template struct detail::cuda_sample_counts<double>;
template struct detail::cuda_final_state<float>;
template struct detail::cuda_final_state<double>;
template struct anneal::detail::cuda_simulated_annealing<void>;

}  // namespace hqml
