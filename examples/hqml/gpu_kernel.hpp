#pragma once
// --device gpu for the hqml program: the CUDA backend's batched states and fidelity kernels behind an
// interface without CUDA or Eigen types, so that the subcommands stay host-compiler code. The definitions are
// in gpu/gpu_kernel.cu (nvcc) or, in a build without CUDA, gpu/gpu_kernel_none.cpp.

#include <hqml/circuit.hpp>

#include <cstddef>
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

}  // namespace hqml::cli
