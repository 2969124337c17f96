#pragma once
// The GPU annealer's device code: the sparse path's kernel (one block per replica, spins in shared memory, a
// graph colouring's colours in turn) and the dense path's kernels (one warp per replica over blocks of 64
// variables, fields brought up to date by SGEMM), with the counter-based random numbers both draw. The host
// drivers, which colour the model, choose the path and launch these, are in <hqml/cuda/anneal.cuh>. Each
// flip is decided by the annealing step the CPU annealer uses too (<hqml/kernels/anneal_step.hpp>), under
// the acceptance rule the kernels take as a template argument.

#include <hqml/kernels/anneal_step.hpp>
#include <hqml/rng.hpp>

#include <cuda_runtime.h>
#include <cub/block/block_reduce.cuh>

#include <cstddef>
#include <cstdint>

namespace hqml::cuda_detail {

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

/// Uniform in [0, 1) from (seed, replica, sweep, variable), on host and device (tests replay the device's
/// numbers on the host); hqml::mix64 is SplitMix64's hash (<hqml/rng.hpp>).
__host__ __device__ __forceinline__ float uniform01(std::uint64_t seed, std::uint64_t replica, std::uint64_t sweep,
                                                    std::uint32_t v) {
  const std::uint64_t h = mix64(seed ^ mix64(replica ^ mix64(sweep * 0x100000001b3ull + v)));
  return static_cast<float>(h >> 40) * 0x1.0p-24f;
}

inline constexpr unsigned anneal_block = 256;

/// Σ of e over a block of anneal_block threads by cub::BlockReduce (as reduce.cuh's sums), in a fixed order, so
/// energies are deterministic; the sum is returned to thread 0.
__device__ __forceinline__ double block_sum(double e) {
  using block_reduce = cub::BlockReduce<double, anneal_block>;
  __shared__ typename block_reduce::TempStorage tmp;
  return block_reduce(tmp).Sum(e);
}

template <kernels::flip_rule Rule>
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
        if (kernels::accept_flip<Rule>(de, beta, [&] { return uniform01(seed, r, sweep, i); }))
          s[i] = static_cast<std::int8_t>(-s[i]);
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
  const double total = block_sum(e);
  if (threadIdx.x == 0) energy_out[r] = total;
}

// ---- dense path ----------------------------------------------------------------------------------------
// Device matrices are column-major with the replicas fastest (element (r, i) of an R × n matrix at
// r + R·i): cuBLAS's layout as they are.

inline constexpr unsigned dense_block = 64;  // variables per block of a sweep (b): the k of its SGEMM
inline constexpr unsigned dense_warps = 8;   // replicas (one warp each) per CUDA block of dense_sweep_kernel
inline constexpr unsigned dense_threads = 32 * dense_warps;
inline constexpr unsigned dense_lane_slots = dense_block / 32;  // a block's variables per lane of a warp
static_assert(dense_block % 32 == 0, "dense_sweep_kernel gives each lane whole slots of a block");

/// S(r, i) = the initial spin, the sparse kernel's rule indexed by the model's variable.
__global__ void dense_init_spins_kernel(float* __restrict__ s, std::size_t num_replicas, std::size_t n,
                                        std::uint64_t seed) {
  const std::size_t total = num_replicas * n;
  for (std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; k < total;
       k += std::size_t{gridDim.x} * blockDim.x) {
    const std::size_t r = k % num_replicas, i = k / num_replicas;
    s[k] = uniform01(seed, r, ~0ull, static_cast<std::uint32_t>(i)) < 0.5f ? -1.0f : 1.0f;
  }
}

/// F(r, i) = h_i, the start of F = h·1ᵀ + S·J.
__global__ void dense_fill_fields_kernel(float* __restrict__ f, const float* __restrict__ h, std::size_t num_replicas,
                                         std::size_t n) {
  const std::size_t total = num_replicas * n;
  for (std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; k < total;
       k += std::size_t{gridDim.x} * blockDim.x)
    f[k] = h[k / num_replicas];
}

/// Rule's flips over variables k0 … k0 + bb − 1 in order, one warp per replica (the CUDA block's warps take
/// consecutive replicas). Lane l holds the fields, spins and random numbers of the block's variables l and
/// l + 32 in registers; the block's couplings are in shared memory. For each variable in turn its lane
/// decides, the flip's delta is broadcast, and every lane adds delta · J to the fields it holds (those of
/// variables already decided too, which are not read again). The rest of F is brought up to date
/// afterwards from the flips recorded in D (D(r, a) = −2·s_old on a flip of variable k0 + a, else 0).
/// Each field sees the same float additions in the same order as a sequential sweep.
template <kernels::flip_rule Rule>
__global__ void __launch_bounds__(dense_threads)
    dense_sweep_kernel(const float* __restrict__ j, std::size_t n, std::size_t num_replicas, std::size_t k0,
                       unsigned bb, float* __restrict__ s, const float* __restrict__ f, float* __restrict__ d,
                       float beta, std::uint64_t seed, std::uint64_t sweep) {
  __shared__ float jb[dense_block * dense_block];  // jb[a · dense_block + c] = J(k0 + a, k0 + c); 0 outside bb × bb
  for (unsigned k = threadIdx.x; k < dense_block * dense_block; k += blockDim.x) {
    const unsigned a = k / dense_block, c = k % dense_block;  // consecutive threads read down a column of J
    jb[k] = a < bb && c < bb ? j[(k0 + c) + n * (k0 + a)] : 0.0f;
  }
  const unsigned lane = threadIdx.x % 32;
  const std::size_t r = blockIdx.x * std::size_t{blockDim.x / 32} + threadIdx.x / 32;
  const bool active = r < num_replicas;  // the same for a whole warp: the last CUDA block may have idle warps
  // Slot q of lane l: variable k0 + l + 32·q. Slots past bb keep field 0 and spin 1 and are never stored.
  float lf[dense_lane_slots], sp[dense_lane_slots], u[dense_lane_slots], dl[dense_lane_slots];
#pragma unroll
  for (unsigned q = 0; q < dense_lane_slots; ++q) {
    const unsigned a = lane + 32 * q;
    lf[q] = 0.0f;
    sp[q] = 1.0f;
    u[q] = 0.0f;
    dl[q] = 0.0f;
    if (active && a < bb) {
      const std::size_t at = r + num_replicas * (k0 + a);
      lf[q] = f[at];
      sp[q] = s[at];
      u[q] = uniform01(seed, r, sweep, static_cast<std::uint32_t>(k0 + a));  // state-independent: drawn ahead
    }
  }
  __syncthreads();  // jb is complete; the only barrier, so idle warps may leave now
  if (!active) return;
#pragma unroll
  for (unsigned q = 0; q < dense_lane_slots; ++q) {
    // bb is the same for every lane, so all 32 lanes run every iteration (and every shuffle).
    for (unsigned l = 0; l < 32 && 32 * q + l < bb; ++l) {
      // Every lane evaluates its own slot q; lane l's result is the decision for variable k0 + 32·q + l.
      const float de = -2.0f * sp[q] * lf[q];  // energy change of flipping s_i
      const bool flip = kernels::accept_flip<Rule>(de, beta, [&] { return u[q]; });
      const float delta = __shfl_sync(0xffffffffu, flip ? -2.0f * sp[q] : 0.0f, static_cast<int>(l));
      if (lane == l) {
        dl[q] = delta;
        if (flip) sp[q] = -sp[q];
      }
      if (delta != 0.0f) {  // the same for the whole warp
        const float* row = jb + (32 * q + l) * dense_block;
#pragma unroll
        for (unsigned p = 0; p < dense_lane_slots; ++p) lf[p] += delta * row[lane + 32 * p];
      }
    }
  }
#pragma unroll
  for (unsigned q = 0; q < dense_lane_slots; ++q) {
    const unsigned a = lane + 32 * q;
    if (a < bb) {
      d[r + num_replicas * a] = dl[q];
      if (dl[q] != 0.0f) s[r + num_replicas * (k0 + a)] = sp[q];
    }
  }
}

/// out(r, i) = S(r, i) in double, for the energy GEMM.
__global__ void dense_to_double_kernel(const float* __restrict__ in, double* __restrict__ out, std::size_t count) {
  for (std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; k < count;
       k += std::size_t{gridDim.x} * blockDim.x)
    out[k] = in[k];
}

/// energy_out[r] = Σ_i s_i (h_i + ½ G(r, i)) with G = S·J in double; one CUDA block per replica, reduced in a
/// fixed order (deterministic).
__global__ void __launch_bounds__(anneal_block)
    dense_energy_kernel(const float* __restrict__ s, const double* __restrict__ g, const double* __restrict__ h,
                        std::size_t num_replicas, std::size_t n, double* __restrict__ energy_out) {
  const std::size_t r = blockIdx.x;
  double e = 0.0;
  for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) {
    const std::size_t at = r + num_replicas * i;
    e += static_cast<double>(s[at]) * (h[i] + 0.5 * g[at]);
  }
  const double total = block_sum(e);
  if (threadIdx.x == 0) energy_out[r] = total;
}

}  // namespace hqml::cuda_detail
