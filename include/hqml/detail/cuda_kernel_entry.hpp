#pragma once
// The CUDA backend's compiled entry points for batched states and the fidelity kernel, as host code calls them:
// declared here without CUDA or Eigen types, defined in <hqml/cuda/quantum_kernel.cuh> (templates, so every nvcc unit
// of a header-only user may define them) and compiled for float and double into hqml::cuda, the library a host
// compiler's unit links to run hqml::batched_states<Real, hqml::cuda> and hqml::fidelity_kernel<Real, hqml::cuda>. (The
// sampling and annealing entry points are declared beside their APIs, in shots.hpp, final_state.hpp and
// anneal/simulated_annealing.hpp.)

#include <hqml/circuit.hpp>
#include <hqml/feature_matrix.hpp>

#include <complex>
#include <cstddef>
#include <span>

namespace hqml::detail {

template <class Real>
struct cuda_batched_states {
  /// |ψ(a_i, θ)⟩ for every row of a, computed on the current device in one launch, copied row-major (a.rows ×
  /// 2^n amplitudes) into host memory `out`.
  static void run(const circuit& c, const feature_matrix& a, std::span<const double> theta, std::complex<Real>* out);
};

template <class Real>
struct cuda_fidelity_kernel {
  /// K_ij = |⟨ψ(a_i)|ψ(b_j)⟩|² (b null: the symmetric kernel of a), states and Gram tiles on the current device,
  /// written column-major into host memory `out` with leading dimension ld. tile 0: as large as fits.
  static void run(const circuit& feature_map, const feature_matrix& a, const feature_matrix* b,
                  std::span<const double> theta, std::size_t tile, double* out, std::size_t ld);
};

}  // namespace hqml::detail
