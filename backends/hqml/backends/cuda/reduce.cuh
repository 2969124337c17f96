#pragma once
// Deterministic sums over an index space on the device: each block folds a grid-stride slice into
// M doubles with cub::BlockReduce, the host adds the per-block partials in a fixed order. The same
// count gives the same grid, so the result does not change from run to run.

#include <hqml/backends/cuda/memory.cuh>
#include <hqml/kernels/index.hpp>

#include <cub/block/block_reduce.cuh>

#include <array>
#include <vector>

namespace hqml::cuda_detail {

using kernels::index_t;

/// M doubles summed componentwise (the value type of the block reductions).
template <int M>
struct dsum {
  double v[M];
  __host__ __device__ dsum operator+(const dsum& o) const {
    dsum r;
    for (int k = 0; k < M; ++k) r.v[k] = v[k] + o.v[k];
    return r;
  }
};

inline constexpr unsigned reduce_block = 256;

template <int M, class G>
__global__ void __launch_bounds__(reduce_block) reduce_kernel(G g, index_t count, dsum<M>* partial) {
  dsum<M> acc;
  for (int k = 0; k < M; ++k) acc.v[k] = 0.0;
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
    acc = acc + g(i);
  using block_reduce = cub::BlockReduce<dsum<M>, reduce_block>;
  __shared__ typename block_reduce::TempStorage tmp;
  const dsum<M> total = block_reduce(tmp).Sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

/// Σ_{i < count} g(i), g a device functor returning dsum<M>.
template <int M, class G>
std::array<double, M> reduce(index_t count, const G& g) {
  const unsigned blocks = grid_for(count, reduce_block);
  device_buffer<dsum<M>> partial(blocks, "reduction partial sums");
  reduce_kernel<M><<<blocks, reduce_block>>>(g, count, partial.data());
  HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::reduce_kernel");
  std::vector<dsum<M>> host(blocks);
  partial.download(host);
  std::array<double, M> s{};
  for (const auto& p : host)
    for (int k = 0; k < M; ++k) s[k] += p.v[k];
  return s;
}

}  // namespace hqml::cuda_detail
