#pragma once
// --device gpu for the hqml program: the CUDA backend's state vectors, batched states, fidelity kernels and
// annealer behind an interface without CUDA or Eigen types, so that the subcommands stay host-compiler code. The
// definitions are in gpu/gpu_kernel.cu (nvcc) or, in a build without CUDA, gpu/gpu_kernel_none.cpp.

#include <hqml/anneal/model.hpp>
#include <hqml/circuit.hpp>

#include <complex>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace hqml::cli {

/// Empty when --device gpu can run here, else why not (no CUDA in this build, no device visible).
std::string gpu_unavailable_reason();

/// The current device's name (e.g. "NVIDIA H200").
std::string gpu_device_name();

/// K_ij = |⟨ψ(a_i)|ψ(b_j)⟩|² on the GPU, column-major rows_a × rows_b (rows_a × rows_a when b is null: the
/// symmetric kernel of a). a and b are column-major with `cols` feature columns each (Eigen's layout).
std::vector<double> gpu_fidelity_kernel(const circuit& feature_map, const double* a, std::size_t rows_a,
                                        const double* b, std::size_t rows_b, std::size_t cols,
                                        std::span<const double> theta, bool single_precision);

/// What gpu_simulated_annealing returns: replica r's spins at [r · n, (r + 1) · n) in the model's variable
/// order, its energy (offset included), the annealing time and the path that ran ("sparse" or "dense").
struct gpu_anneal_result {
  std::vector<std::int8_t> spins;
  std::vector<double> energies;
  double seconds = 0;
  std::string path;
};

/// Counts of `shots` runs of c on the GPU: hqml::sample_counts<Real, cuda>, seeded as on the CPU.
std::map<std::string, std::size_t> gpu_sample_counts(const circuit& c, std::size_t shots, std::uint64_t seed,
                                                     bool fusion, bool single_precision);

/// The state a unitary circuit prepares from |0…0⟩, computed on the GPU.
std::vector<std::complex<double>> gpu_final_state(const circuit& c, bool fusion, bool single_precision);

/// hqml::gpu::simulated_annealing with `replicas` replicas, one β per sweep (betas.size() sweeps).
gpu_anneal_result gpu_simulated_annealing(const anneal::ising_model& model, std::size_t replicas,
                                          std::span<const double> betas, std::uint64_t seed);

}  // namespace hqml::cli
