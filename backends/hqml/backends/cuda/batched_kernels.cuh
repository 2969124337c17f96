#pragma once
// The device code of batched states and fidelity kernels: one block per sample walks a circuit's batch program
// (<hqml/kernels/batch_program.hpp>), and the |G|² pass that turns a cuBLAS Gram tile into kernel values. The
// host drivers (compiling the circuit, tiling, streams) are in <hqml/cuda/quantum_kernel.cuh>.

#include <hqml/kernels/batch_program.hpp>
#include <hqml/kernels/index.hpp>

#include <cuda_runtime.h>

#include <complex>
#include <cstddef>
#include <cstdint>

namespace hqml::cuda_detail {

using kernels::index_t;

/// Non-owning view of many states on the device, as kernels take it: rows × 2^n amplitudes, row-major.
template <class Real>
struct states_ref {
  std::complex<Real>* data;
  index_t rows;
  unsigned num_qubits;
};

/// One block per sample (grid-stride over samples). InShared: the state lives in dynamic shared memory
/// and is written to `out` at the end; otherwise it is built in place in its row of `out`. Each step's
/// matrices are evaluated once per block into shared memory (entries in parallel), then applied by all
/// threads; barriers separate the steps.
template <class Real, bool InShared>
__global__ void __launch_bounds__(512)
    batched_states_kernel(kernels::batch_program_ref prog, const double* __restrict__ x, std::size_t features,
                          const double* __restrict__ theta, states_ref<Real> out) {
  extern __shared__ double hqml_batch_smem[];  // double: aligned for either Real
  __shared__ Real mat[2 * kernels::batch_step_entries];
  const unsigned n = out.num_qubits;
  const index_t dim = index_t{1} << n;
  for (index_t s = blockIdx.x; s < out.rows; s += gridDim.x) {
    Real* row = reinterpret_cast<Real*>(out.data) + 2 * dim * s;
    Real* a = InShared ? reinterpret_cast<Real*>(hqml_batch_smem) : row;
    const double* xs = x + features * s;
    for (index_t i = threadIdx.x; i < 2 * dim; i += blockDim.x)
      a[i] = prog.initial ? Real(prog.initial[i]) : Real(i == 0 ? 1 : 0);
    for (std::uint32_t t = 0; t < prog.num_steps; ++t) {
      const kernels::batch_step st = prog.steps[t];
      __syncthreads();  // the previous step is done with `mat` and with the amplitudes
      kernels::batch_step_matrices(prog, st, xs, theta, mat, threadIdx.x, blockDim.x);
      __syncthreads();
      kernels::batch_step_apply(prog, st, mat, a, n, threadIdx.x, blockDim.x);
    }
    __syncthreads();
    if constexpr (InShared)
      for (index_t i = threadIdx.x; i < 2 * dim; i += blockDim.x) row[i] = a[i];
    __syncthreads();  // the next sample reuses the shared state
  }
}

/// K(i, j) = |G(i, j)|² for a tile (column-major, ld = rows). Diagonal tiles of the symmetric case hold
/// only the upper triangle (HERK): read G(min, max). With `mirror`, also writes Kᵀ into `kt`.
template <class Real>
__global__ void abs2_kernel(const Real* __restrict__ g, std::size_t rows, std::size_t cols, bool upper_only,
                            double* __restrict__ k, double* __restrict__ kt) {
  const index_t count = static_cast<index_t>(rows) * cols;
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t t = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < count; t += stride) {
    const index_t i = t % rows, j = t / rows;
    const index_t src = upper_only && i > j ? i * rows + j : t;
    const double re = g[2 * src], im = g[2 * src + 1];
    const double v = re * re + im * im;
    k[t] = v;
    if (kt) kt[j + i * cols] = v;
  }
}

}  // namespace hqml::cuda_detail
