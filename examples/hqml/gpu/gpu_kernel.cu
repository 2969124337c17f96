// --device gpu, compiled by nvcc: see gpu_kernel.hpp.
#include "../gpu_kernel.hpp"

#include <hqml/cuda.cuh>
#include <hqml/cuda/anneal.cuh>
#include <hqml/cuda/quantum_kernel.cuh>
#include <hqml/shots.hpp>

#include <cuda_runtime.h>

#include <algorithm>

namespace hqml::cli {

std::string gpu_unavailable_reason() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string("no usable CUDA device (cudaGetDeviceCount: ") + cudaGetErrorString(e) + ")";
  }
  return count > 0 ? std::string() : std::string("no CUDA device is present");
}

std::string gpu_device_name() {
  int dev = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  HQML_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  return p.name;
}

namespace {

template <class Real>
void kernel_into(const circuit& fm, const gpu::feature_matrix& a, const gpu::feature_matrix* b,
                 std::span<const double> theta, double* k) {
  const auto sa = gpu::batched_states<Real>(fm, a, theta);
  const std::size_t ld = std::max<std::size_t>(a.rows, 1);
  if (b == nullptr) {
    gpu::fidelity_kernel_into(sa, k, ld);
  } else {
    const auto sb = gpu::batched_states<Real>(fm, *b, theta);
    gpu::fidelity_kernel_into(sa, sb, k, ld);
  }
}

}  // namespace

std::vector<double> gpu_fidelity_kernel(const circuit& feature_map, const double* a, std::size_t rows_a,
                                        const double* b, std::size_t rows_b, std::size_t cols,
                                        std::span<const double> theta, bool single_precision) {
  const auto va = gpu::feature_matrix::col_major(a, rows_a, cols);
  const auto vb = gpu::feature_matrix::col_major(b, rows_b, cols);
  std::vector<double> k(rows_a * (b != nullptr ? rows_b : rows_a));
  if (single_precision)
    kernel_into<float>(feature_map, va, b != nullptr ? &vb : nullptr, theta, k.data());
  else
    kernel_into<double>(feature_map, va, b != nullptr ? &vb : nullptr, theta, k.data());
  return k;
}

namespace {

template <class Real>
std::vector<std::complex<double>> final_state(const circuit& c, bool fusion) {
  state_vector<Real, hqml::cuda> sv(c.num_qubits());
  sv.apply(c, {}, {}, apply_options{.fusion = fusion});
  const auto v = sv.to_vector();
  return {v.begin(), v.end()};
}

}  // namespace

std::map<std::string, std::size_t> gpu_sample_counts(const circuit& c, std::size_t shots, std::uint64_t seed,
                                                     bool fusion, bool single_precision) {
  shot_options so;
  so.seed = seed;
  so.apply.fusion = fusion;
  return single_precision ? sample_counts<float, hqml::cuda>(c, shots, so)
                          : sample_counts<double, hqml::cuda>(c, shots, so);
}

std::vector<std::complex<double>> gpu_final_state(const circuit& c, bool fusion, bool single_precision) {
  return single_precision ? final_state<float>(c, fusion) : final_state<double>(c, fusion);
}

gpu_anneal_result gpu_simulated_annealing(const anneal::ising_model& model, std::size_t replicas,
                                          std::span<const double> betas, std::uint64_t seed) {
  gpu::anneal_options o;
  o.num_replicas = replicas;
  o.num_sweeps = betas.size();
  o.beta_schedule.assign(betas.begin(), betas.end());
  o.seed = seed;
  gpu::anneal_result r = gpu::simulated_annealing(model, o);
  return {std::move(r.spins), std::move(r.energies), r.kernel_seconds, r.path};
}

}  // namespace hqml::cli
