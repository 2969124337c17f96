#pragma once
// Deterministic sums over an index space on the device: each block folds a grid-stride slice into
// M doubles (kernels::sums<M>) with cub::BlockReduce, the host adds the per-block partials in a fixed order. The same
// count gives the same grid, so the result does not change from run to run.

#include <hqml/backends/cuda/memory.cuh>
#include <hqml/kernels/index.hpp>
#include <hqml/kernels/reductions.hpp>

#include <cub/block/block_reduce.cuh>

#include <type_traits>
#include <vector>

namespace hqml::cuda_detail {

using kernels::index_t;

inline constexpr unsigned reduce_block = 256;

template <class Sums, class G>
__global__ void __launch_bounds__(reduce_block) reduce_kernel(G g, index_t count, Sums* partial) {
  Sums acc = Sums::zero();
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
    acc = acc + g(i);
  using block_reduce = cub::BlockReduce<Sums, reduce_block>;
  __shared__ typename block_reduce::TempStorage tmp;
  const Sums total = block_reduce(tmp).Sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

/// Device scratch for the per-block partials, kept per host thread and device: variational loops make
/// thousands of small reductions, and a cudaMalloc/cudaFree pair for each (cudaFree synchronizes the
/// device) cost more than the reductions themselves.
inline void* reduction_scratch(std::size_t bytes) {
  struct cache {
    device_buffer<unsigned char> buf;
    int device = -1;
  };
  thread_local cache c;
  int dev = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  if (c.device != dev || c.buf.size() < bytes) {
    c.buf = device_buffer<unsigned char>();  // free first: the new one may need the room
    c.buf = device_buffer<unsigned char>(bytes, "reduction partial sums");
    c.device = dev;
  }
  return c.buf.data();
}

/// Σ_{i < count} g(i), g a reduction term of kernels/reductions.hpp (returning kernels::sums<M>).
template <class G>
auto reduce(index_t count, const G& g) {
  using sums = std::invoke_result_t<const G&, index_t>;
  const unsigned blocks = grid_for(count, reduce_block);
  auto* partial = static_cast<sums*>(reduction_scratch(blocks * sizeof(sums)));
  reduce_kernel<sums><<<blocks, reduce_block>>>(g, count, partial);
  HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::reduce_kernel");
  std::vector<sums> host(blocks);
  HQML_CUDA_CHECK(cudaMemcpy(host.data(), partial, blocks * sizeof(sums), cudaMemcpyDeviceToHost));
  sums s = sums::zero();
  for (const auto& p : host) s += p;
  return s;
}

}  // namespace hqml::cuda_detail
