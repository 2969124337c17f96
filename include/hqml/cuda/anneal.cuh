#pragma once
// Simulated annealing on the GPU for sparse Ising models: many replicas in parallel, one CUDA block
// per replica with its spins in shared memory. The variables are greedily coloured on the host so
// that no two variables of one colour interact; a sweep visits the colours in turn and updates each
// colour's variables in parallel, which is an exact Metropolis sweep in colour order (no two
// simultaneous flips see each other). Random numbers are counter-based (a hash of seed, replica,
// sweep and variable), so a seed gives the same result whatever the launch shape.
//
// Only the sparse (CSR) path exists; models beyond the shared-memory size of a block are refused.

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/backends/cuda/error.cuh>
#include <hqml/backends/cuda/memory.cuh>

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml::gpu {

struct anneal_options {
  std::size_t num_replicas = 1024;
  std::uint64_t seed = 0;
  std::size_t num_sweeps = 1000;  // per replica
  /// Beta schedule; default: the CPU solver's for these sweeps (anneal::resolve_beta_schedule).
  std::vector<double> beta_schedule;
};

struct anneal_result {
  std::size_t num_variables = 0;
  std::size_t num_replicas = 0;
  std::vector<std::int8_t> spins;  // replica r's final state at [r · num_variables, …), the model's variable order
  std::vector<double> energies;    // per replica, computed on the device
  double kernel_seconds = 0;       // the annealing kernel alone (CUDA events)
  [[nodiscard]] double best_energy() const {
    return energies.empty() ? 0.0 : *std::min_element(energies.begin(), energies.end());
  }
};

namespace detail {

/// CSR Ising model in colour order (variable v of the model is row perm_inv[v]), on the device.
struct colored_model_ref {
  const std::uint32_t* row_offsets;
  const std::uint32_t* columns;
  const float* values;
  const float* linear;
  const std::uint32_t* color_offsets;  // rows of colour c: [color_offsets[c], color_offsets[c + 1])
  std::uint32_t num_colors;
  std::uint32_t n;
};

__device__ __forceinline__ std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/// Uniform in [0, 1) from (seed, replica, sweep, variable).
__device__ __forceinline__ float uniform01(std::uint64_t seed, std::uint64_t replica, std::uint64_t sweep,
                                           std::uint32_t v) {
  const std::uint64_t h = mix64(seed ^ mix64(replica ^ mix64(sweep * 0x100000001b3ull + v)));
  return static_cast<float>(h >> 40) * 0x1.0p-24f;
}

inline constexpr unsigned anneal_block = 256;

__global__ void __launch_bounds__(anneal_block)
    anneal_kernel(colored_model_ref m, const float* __restrict__ betas, std::uint32_t num_sweeps, std::uint64_t seed,
                  std::int8_t* __restrict__ spins_out, double* __restrict__ energy_out) {
  extern __shared__ std::int8_t s[];  // this replica's spins in colour order
  const std::uint64_t r = blockIdx.x;
  for (std::uint32_t i = threadIdx.x; i < m.n; i += blockDim.x)
    s[i] = uniform01(seed, r, ~0ull, i) < 0.5f ? std::int8_t{-1} : std::int8_t{1};
  __syncthreads();
  for (std::uint32_t sweep = 0; sweep < num_sweeps; ++sweep) {
    const float beta = betas[sweep];
    for (std::uint32_t c = 0; c < m.num_colors; ++c) {
      const std::uint32_t end = m.color_offsets[c + 1];
      for (std::uint32_t i = m.color_offsets[c] + threadIdx.x; i < end; i += blockDim.x) {
        float field = m.linear[i];
        for (std::uint32_t k = m.row_offsets[i]; k < m.row_offsets[i + 1]; ++k) field += m.values[k] * s[m.columns[k]];
        const float de = -2.0f * s[i] * field;  // energy change of flipping s_i
        if (de <= 0.0f || uniform01(seed, r, sweep, i) < __expf(-beta * de)) s[i] = static_cast<std::int8_t>(-s[i]);
      }
      __syncthreads();  // the next colour reads these spins
    }
  }
  // Energy Σ h_i s_i + ½ Σ_i s_i Σ_k J_ik s_k in double, block-reduced; spins back in colour order.
  double e = 0.0;
  for (std::uint32_t i = threadIdx.x; i < m.n; i += blockDim.x) {
    double f = 0.0;
    for (std::uint32_t k = m.row_offsets[i]; k < m.row_offsets[i + 1]; ++k)
      f += static_cast<double>(m.values[k]) * s[m.columns[k]];
    e += s[i] * (static_cast<double>(m.linear[i]) + 0.5 * f);
    spins_out[r * m.n + i] = s[i];
  }
  __shared__ double partial[anneal_block / 32];
  for (int off = 16; off > 0; off /= 2) e += __shfl_down_sync(0xffffffffu, e, off);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = e;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t = 0.0;
    for (unsigned w = 0; w < blockDim.x / 32; ++w) t += partial[w];
    energy_out[r] = t;
  }
}

}  // namespace detail

/// Anneals `opt.num_replicas` independent replicas of a sparse Ising model on the current device. The
/// couplings and fields are used in float on the device (integer-weight problems such as Gset are exact);
/// the returned energies are summed in double.
[[nodiscard]] inline anneal_result simulated_annealing(const anneal::ising_model& model, const anneal_options& opt = {}) {
  const std::size_t n = model.num_variables();
  if (n == 0 || opt.num_replicas == 0) throw std::invalid_argument("hqml::gpu::simulated_annealing: empty problem");
  if (n > (std::size_t{1} << 31)) throw std::invalid_argument("hqml::gpu::simulated_annealing: too many variables");
  int dev = 0, optin = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  HQML_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  if (n + 1024 > static_cast<std::size_t>(optin))
    throw std::invalid_argument("hqml::gpu::simulated_annealing: " + std::to_string(n) +
                                " variables do not fit one block's shared memory (" + std::to_string(optin) +
                                " bytes); larger models are not supported on the GPU yet");

  // The symmetric adjacency as the CPU solver sees it (both directions of every coupling).
  std::vector<std::vector<std::pair<std::uint32_t, double>>> adj(n);
  for (const auto& c : model.couplings()) {
    adj[c.i].emplace_back(c.j, c.value);
    adj[c.j].emplace_back(c.i, c.value);
  }
  // Greedy colouring, largest degree first.
  std::vector<std::uint32_t> order(n), color(n, ~0u);
  for (std::uint32_t v = 0; v < n; ++v) order[v] = v;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return adj[a].size() > adj[b].size(); });
  std::uint32_t num_colors = 0;
  std::vector<std::uint32_t> seen;
  for (std::uint32_t v : order) {
    seen.assign(adj[v].size() + 1, 0);
    for (const auto& [u, w] : adj[v])
      if (color[u] < seen.size()) seen[color[u]] = 1;
    std::uint32_t c = 0;
    while (seen[c]) ++c;
    color[v] = c;
    num_colors = std::max(num_colors, c + 1);
  }
  // Rows in colour order; pos[v] is variable v's row.
  std::vector<std::uint32_t> color_offsets(num_colors + 1, 0), pos(n), row_var(n);
  for (std::uint32_t v = 0; v < n; ++v) ++color_offsets[color[v] + 1];
  for (std::uint32_t c = 0; c < num_colors; ++c) color_offsets[c + 1] += color_offsets[c];
  {
    std::vector<std::uint32_t> next(color_offsets.begin(), color_offsets.end() - 1);
    for (std::uint32_t v = 0; v < n; ++v) {
      pos[v] = next[color[v]]++;
      row_var[pos[v]] = v;
    }
  }
  std::vector<std::uint32_t> row_offsets(n + 1, 0), columns;
  std::vector<float> values, linear(n);
  for (std::uint32_t row = 0; row < n; ++row) {
    const std::uint32_t v = row_var[row];
    linear[row] = static_cast<float>(model.linear(v));
    for (const auto& [u, w] : adj[v]) {
      columns.push_back(pos[u]);
      values.push_back(static_cast<float>(w));
    }
    row_offsets[row + 1] = static_cast<std::uint32_t>(columns.size());
  }

  std::vector<double> betas = opt.beta_schedule;
  if (betas.empty()) {
    anneal::sa_options so;
    so.num_sweeps = opt.num_sweeps;
    betas = anneal::resolve_beta_schedule(model, so);
  }
  std::vector<float> betas_f(betas.begin(), betas.end());

  using cuda_detail::device_buffer;
  device_buffer<std::uint32_t> d_rows(row_offsets.size(), "annealing model"), d_cols(columns.size(), "annealing model"),
      d_colors(color_offsets.size(), "annealing model");
  device_buffer<float> d_vals(values.size(), "annealing model"), d_lin(linear.size(), "annealing model"),
      d_betas(betas_f.size(), "annealing schedule");
  device_buffer<std::int8_t> d_spins(opt.num_replicas * n, "annealing replicas");
  device_buffer<double> d_energy(opt.num_replicas, "annealing energies");
  d_rows.upload(row_offsets);
  d_cols.upload(columns);
  d_colors.upload(color_offsets);
  d_vals.upload(values);
  d_lin.upload(linear);
  d_betas.upload(betas_f);
  const detail::colored_model_ref ref{d_rows.data(), d_cols.data(), d_vals.data(), d_lin.data(),
                                      d_colors.data(), num_colors, static_cast<std::uint32_t>(n)};
  if (n > (48u << 10))
    HQML_CUDA_CHECK(cudaFuncSetAttribute(detail::anneal_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(n)));
  cudaEvent_t start{}, stop{};
  HQML_CUDA_CHECK(cudaEventCreate(&start));
  HQML_CUDA_CHECK(cudaEventCreate(&stop));
  HQML_CUDA_CHECK(cudaEventRecord(start));
  detail::anneal_kernel<<<static_cast<unsigned>(opt.num_replicas), detail::anneal_block, n>>>(
      ref, d_betas.data(), static_cast<std::uint32_t>(betas_f.size()), opt.seed, d_spins.data(), d_energy.data());
  const cudaError_t launch = cudaGetLastError();
  HQML_CUDA_CHECK(cudaEventRecord(stop));
  const cudaError_t done = cudaEventSynchronize(stop);
  float ms = 0;
  if (launch == cudaSuccess && done == cudaSuccess) (void)cudaEventElapsedTime(&ms, start, stop);
  (void)cudaEventDestroy(start);
  (void)cudaEventDestroy(stop);
  if (launch != cudaSuccess) cuda_detail::throw_error("launch of hqml::gpu::detail::anneal_kernel", __FILE__, __LINE__, launch);
  if (done != cudaSuccess) cuda_detail::throw_error("cudaEventSynchronize(stop)", __FILE__, __LINE__, done);

  anneal_result res;
  res.num_variables = n;
  res.num_replicas = opt.num_replicas;
  res.kernel_seconds = 1e-3 * ms;
  std::vector<std::int8_t> colored(opt.num_replicas * n);
  d_spins.download(colored);
  res.spins.resize(colored.size());
  for (std::size_t r = 0; r < opt.num_replicas; ++r)
    for (std::uint32_t v = 0; v < n; ++v) res.spins[r * n + v] = colored[r * n + pos[v]];
  res.energies.resize(opt.num_replicas);
  d_energy.download(res.energies);
  for (double& e : res.energies) e += model.offset();
  return res;
}

}  // namespace hqml::gpu
