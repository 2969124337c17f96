#pragma once
// CUDA implementation of the state-vector operations: device memory, the driver kernel that walks a
// gate functor over the index space, reductions and sampling. Internal: include <hqml/cuda.cuh>.
#if !defined(HQML_INTERNAL_INCLUDE)
#error "hqml/backends/cuda/state_ops.cuh is internal; include <hqml/cuda.cuh> instead"
#endif

#include <hqml/backends/cuda.hpp>
#include <hqml/backends/cuda/memory.cuh>
#include <hqml/backends/cuda/reduce.cuh>
#include <hqml/detail/state_ops.hpp>
#include <hqml/error.hpp>
#include <hqml/fusion_costs.hpp>
#include <hqml/kernels/gate_kernels.hpp>
#include <hqml/kernels/index.hpp>
#include <hqml/kernels/reductions.hpp>
#include <hqml/rng.hpp>

#include <thrust/binary_search.h>
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/scan.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace hqml {

template <class T>
std::string cuda_detail::runtime<T>::unavailable_reason() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();  // clear it: later calls must not report it again
    return std::string("no usable CUDA device (cudaGetDeviceCount: ") + cudaGetErrorString(e) + ")";
  }
  return count > 0 ? std::string() : std::string("no CUDA device is present");
}

template <class T>
std::string cuda_detail::runtime<T>::device_name() {
  int dev = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  HQML_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  return p.name;
}

namespace cuda_detail {

/// Sorted bit positions a gate leaves at zero in its base indices (at most 6: max_unitary_qubits).
struct fixed_positions {
  unsigned p[8];
  unsigned k;
};

inline constexpr unsigned gate_block = 256;

/// insert_zeros over pos, unrolled to the fixed bound: indexing pos.p with a loop counter would copy the
/// kernel parameter to local memory and reload it in every iteration of the grid-stride loop.
__device__ __forceinline__ index_t insert_fixed(index_t j, const fixed_positions& pos) {
#pragma unroll
  for (unsigned t = 0; t < 8; ++t)
    if (t < pos.k) j = kernels::insert_zero(j, pos.p[t]);
  return j;
}

/// The driver: f(a, base) for every base index with zeros at `pos`, 64-bit grid-stride loop.
template <class Real, class F>
__global__ void __launch_bounds__(gate_block) run_kernel(F f, Real* a, fixed_positions pos, index_t count) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t j = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count; j += stride)
    f(a, insert_fixed(j, pos));
}

/// The same for functors too large for the kernel parameter space (fused 6-qubit blocks in double are
/// 66 KB): the functor is read from device memory, where all threads read the same words (broadcast).
template <class Real, class F>
__global__ void __launch_bounds__(gate_block)
    run_kernel_indirect(const F* __restrict__ f, Real* a, fixed_positions pos, index_t count) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t j = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count; j += stride)
    (*f)(a, insert_fixed(j, pos));
}

/// A one-qubit gate whose target is one of the five lowest qubits: one thread per amplitude, the pair's
/// other half fetched from the partner lane (lane ^ offset) by a shuffle. Every thread then reads and
/// writes one contiguous amplitude, where the pair-per-thread walk strides over 2·offset amplitudes and
/// leaves half of each memory transaction unused. Needs 2^n ≥ 32 so that a warp never straddles the end.
template <class Real>
__global__ void __launch_bounds__(gate_block) dense1_low_kernel(kernels::dense1_kernel<Real> f, Real* a, index_t size) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  const auto off = static_cast<unsigned>(f.offset);
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride) {
    const kernels::amp<Real> x = kernels::load_amp(a, i);
    const Real pr = __shfl_xor_sync(0xffffffffu, x.re, off), pi = __shfl_xor_sync(0xffffffffu, x.im, off);
    if ((i & f.control) != f.control) continue;
    const bool one = (i & off) != 0;
    // Row `one` of the matrix times (a0, a1), a0 the amplitude with the target bit clear. Selected by
    // value: a pointer into f.m would put the parameter in local memory.
    const Real m0 = one ? f.m[4] : f.m[0], m1 = one ? f.m[5] : f.m[1], m2 = one ? f.m[6] : f.m[2],
               m3 = one ? f.m[7] : f.m[3];
    const Real r0 = one ? pr : x.re, i0 = one ? pi : x.im, r1 = one ? x.re : pr, i1 = one ? x.im : pi;
    kernels::store_amp(a, i, m0 * r0 - m1 * i0 + m2 * r1 - m3 * i1, m0 * i0 + m1 * r0 + m2 * i1 + m3 * r1);
  }
}

/// out[i ^ x] = (out[i ^ x] if accumulating) + w·(−1)^{|i ∧ z|}·in[i].
template <class Real>
__global__ void add_pauli_kernel(Real* out, const Real* in, index_t size, index_t x_mask, index_t z_mask, Real wr,
                                 Real wi, bool accumulate) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride) {
    const Real sign = kernels::parity(i & z_mask) ? Real(-1) : Real(1);
    const kernels::amp<Real> x = kernels::load_amp(in, i);
    const Real vr = sign * (wr * x.re - wi * x.im), vi = sign * (wr * x.im + wi * x.re);
    const index_t k = i ^ x_mask;
    if (accumulate) {
      const kernels::amp<Real> o = kernels::load_amp(out, k);
      kernels::store_amp(out, k, o.re + vr, o.im + vi);
    } else {
      kernels::store_amp(out, k, vr, vi);
    }
  }
}

template <class Real>
__global__ void collapse_kernel(Real* r, index_t size, index_t bit, int outcome, Real scale) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride) {
    const bool keep = ((i & bit) != 0) == (outcome != 0);
    r[2 * i] = keep ? r[2 * i] * scale : Real(0);
    r[2 * i + 1] = keep ? r[2 * i + 1] * scale : Real(0);
  }
}

template <class Real>
__global__ void probabilities_kernel(double* p, const Real* r, index_t size) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size; i += stride)
    p[i] = kernels::amp_norm(r, i);
}

}  // namespace cuda_detail

namespace detail {

/// state_vector's operations on the current CUDA device. Thread counts do not apply (ignored); every
/// operation is issued on the default stream, and the ones that return values synchronize.
template <class Real>
struct state_ops<cuda, Real> {
  using complex_type = std::complex<Real>;
  using index_t = kernels::index_t;

  static complex_type* allocate(std::size_t n) {
    // Saturated rather than wrapped (to 0 bytes at 60 qubits in double): device_allocate refuses it.
    constexpr auto amp_log2 = static_cast<std::size_t>(std::countr_zero(sizeof(complex_type)));
    const std::size_t bytes = n + amp_log2 < std::size_t{std::numeric_limits<std::size_t>::digits}
                                  ? (std::size_t{1} << n) * sizeof(complex_type)
                                  : ~std::size_t{0};
    return static_cast<complex_type*>(
        cuda_detail::device_allocate(bytes, "a state vector of " + std::to_string(n) + " qubits"));
  }
  static void deallocate(complex_type* p, std::size_t) noexcept { cuda_detail::device_free(p); }
  /// Not yet measured on a GPU: every block is fused (fusion's rule without costs).
  static const fusion_costs* fusion_costs_for(std::size_t) { return nullptr; }
  static void copy(complex_type* dst, const complex_type* src, index_t count) {
    HQML_CUDA_CHECK(cudaMemcpy(dst, src, count * sizeof(complex_type), cudaMemcpyDeviceToDevice));
  }
  static void upload(complex_type* dst, const complex_type* src, index_t count) {
    HQML_CUDA_CHECK(cudaMemcpy(dst, src, count * sizeof(complex_type), cudaMemcpyHostToDevice));
  }
  static void download(complex_type* dst, const complex_type* src, index_t count) {
    HQML_CUDA_CHECK(cudaMemcpy(dst, src, count * sizeof(complex_type), cudaMemcpyDeviceToHost));
  }

  static void fill_basis(complex_type* a, std::size_t n, index_t i, int /*threads*/) {
    HQML_CUDA_CHECK(cudaMemset(a, 0, (index_t{1} << n) * sizeof(complex_type)));
    const complex_type one(1);
    HQML_CUDA_CHECK(cudaMemcpy(a + i, &one, sizeof(complex_type), cudaMemcpyHostToDevice));
  }

  /// Runs a gate functor f(a, base) over every base with zero bits at `fixed` (one launch, asynchronous).
  template <class F>
  static void run(std::size_t n, std::span<const unsigned> fixed, int /*threads*/, const F& f, complex_type* a) {
    static_assert(std::is_trivially_copyable_v<F>, "gate functors are copied to the device");
    cuda_detail::fixed_positions pos{};
    if (fixed.size() > std::size(pos.p))
      throw std::invalid_argument("hqml::cuda: a gate on " + std::to_string(fixed.size()) + " qubits");
    pos.k = static_cast<unsigned>(fixed.size());
    std::copy(fixed.begin(), fixed.end(), pos.p);
    Real* r = reinterpret_cast<Real*>(a);
    if constexpr (std::is_same_v<F, kernels::dense1_kernel<Real>>) {
      if (n >= 5 && f.offset < 32) {
        const index_t size = index_t{1} << n;
        cuda_detail::dense1_low_kernel<Real>
            <<<cuda_detail::grid_for(size, cuda_detail::gate_block), cuda_detail::gate_block>>>(f, r, size);
        HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::dense1_low_kernel");
        return;
      }
    }
    const index_t count = index_t{1} << (n - pos.k);
    const unsigned blocks = cuda_detail::grid_for(count, cuda_detail::gate_block);
    // Kernel parameters may take 32 KB (CUDA 12.1+, Volta+); keep a margin and go through memory above it.
    if constexpr (sizeof(F) <= 4096) {
      cuda_detail::run_kernel<Real, F><<<blocks, cuda_detail::gate_block>>>(f, r, pos, count);
      HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::run_kernel");
    } else {
      // Stream-ordered allocation: freed after the kernel completes, without a host synchronization.
      void* p = nullptr;
      HQML_CUDA_CHECK(cudaMallocAsync(&p, sizeof(F), cudaStreamLegacy));
      HQML_CUDA_CHECK(cudaMemcpyAsync(p, &f, sizeof(F), cudaMemcpyHostToDevice, cudaStreamLegacy));
      cuda_detail::run_kernel_indirect<Real, F><<<blocks, cuda_detail::gate_block>>>(static_cast<const F*>(p), r, pos,
                                                                                     count);
      const cudaError_t launch = cudaGetLastError();
      HQML_CUDA_CHECK(cudaFreeAsync(p, cudaStreamLegacy));
      if (launch != cudaSuccess)
        cuda_detail::throw_error("launch of hqml::cuda_detail::run_kernel_indirect", __FILE__, __LINE__, launch);
    }
  }

  static double norm_squared(const complex_type* a, std::size_t n, int /*threads*/) {
    return cuda_detail::reduce(index_t{1} << n, kernels::norm_term<Real>{real(a)}).v[0];
  }
  static double probability_one(const complex_type* a, std::size_t n, std::uint32_t q, int /*threads*/) {
    return cuda_detail::reduce(index_t{1} << (n - 1), kernels::prob_one_term<Real>{real(a), q}).v[0];
  }
  /// Keeps the half where qubit q reads `outcome`, zeroes the other, scales by `scale`.
  static void collapse(complex_type* a, std::size_t n, std::uint32_t q, int outcome, double scale, int /*threads*/) {
    const index_t size = index_t{1} << n;
    cuda_detail::collapse_kernel<Real><<<cuda_detail::grid_for(size, 256), 256>>>(
        reinterpret_cast<Real*>(a), size, index_t{1} << q, outcome, Real(scale));
    HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::collapse_kernel");
  }
  static void probabilities(double* p, const complex_type* a, std::size_t n, int /*threads*/) {
    const index_t size = index_t{1} << n;
    cuda_detail::device_buffer<double> d(size, "probabilities of " + std::to_string(n) + " qubits");
    cuda_detail::probabilities_kernel<Real><<<cuda_detail::grid_for(size, 256), 256>>>(d.data(), real(a), size);
    HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::probabilities_kernel");
    d.download({p, size});
  }

  /// Draws `shots` outcomes: an inclusive scan of |a_i|² (Thrust), uniform draws made on the host from the
  /// seed, then one vectorized binary search. Same state and seed, same draws.
  static std::vector<index_t> sample(const complex_type* a, std::size_t n, std::size_t shots, std::uint64_t seed,
                                     int /*threads*/) {
    std::vector<index_t> out(shots);
    if (shots == 0) return out;
    const index_t size = index_t{1} << n;
    cuda_detail::device_buffer<double> cdf(size, "the sampling CDF of " + std::to_string(n) + " qubits");
    cuda_detail::probabilities_kernel<Real><<<cuda_detail::grid_for(size, 256), 256>>>(cdf.data(), real(a), size);
    HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::probabilities_kernel");
    const thrust::device_ptr<double> c(cdf.data());
    try {
      thrust::inclusive_scan(thrust::cuda::par, c, c + static_cast<std::ptrdiff_t>(size), c);
    } catch (const std::exception& e) {  // Thrust reports CUDA failures as thrust::system_error
      throw cuda_error("thrust::inclusive_scan", __FILE__, __LINE__, e.what());
    }
    double total = 0;
    HQML_CUDA_CHECK(cudaMemcpy(&total, cdf.data() + (size - 1), sizeof(double), cudaMemcpyDeviceToHost));
    xoshiro256 rng(seed);
    // Draws stay strictly below the total: upper_bound then lands on an outcome of nonzero weight.
    const double top = std::nextafter(total, 0.0);
    std::vector<double> draws(shots);
    for (auto& d : draws) d = std::min(rng.uniform() * total, top);
    cuda_detail::device_buffer<double> d_draws(shots, "sampling draws");
    cuda_detail::device_buffer<index_t> d_out(shots, "sampled outcomes");
    d_draws.upload(draws);
    const thrust::device_ptr<double> dd(d_draws.data());
    const thrust::device_ptr<index_t> od(d_out.data());
    try {
      thrust::upper_bound(thrust::cuda::par, c, c + static_cast<std::ptrdiff_t>(size), dd,
                          dd + static_cast<std::ptrdiff_t>(shots), od);
    } catch (const std::exception& e) {
      throw cuda_error("thrust::upper_bound", __FILE__, __LINE__, e.what());
    }
    d_out.download(out);
    // Rounding in the scan could leave the last CDF entry a hair below a draw: clamp to a valid index.
    for (auto& o : out) o = std::min(o, size - 1);
    return out;
  }

  static std::complex<double> pauli_matrix_element(const complex_type* a, const complex_type* b, std::size_t n,
                                                   std::uint64_t x_mask, std::uint64_t z_mask, unsigned num_y,
                                                   int /*threads*/) {
    const auto s = cuda_detail::reduce(index_t{1} << n, kernels::pauli_term<Real>{real(a), real(b), x_mask, z_mask});
    return i_power(num_y) * std::complex<double>(s.v[0], s.v[1]);
  }
  static double expectation(const complex_type* a, std::size_t n, std::uint64_t x_mask, std::uint64_t z_mask,
                            unsigned num_y, int threads) {
    return pauli_matrix_element(a, a, n, x_mask, z_mask, num_y, threads).real();
  }

  static void add_pauli(complex_type* out, const complex_type* in, std::size_t n, std::uint64_t x_mask,
                        std::uint64_t z_mask, unsigned num_y, std::complex<double> c, bool accumulate,
                        int /*threads*/) {
    const std::complex<double> w = i_power(num_y) * c;
    const index_t size = index_t{1} << n;
    cuda_detail::add_pauli_kernel<Real>
        <<<cuda_detail::grid_for(size, cuda_detail::gate_block), cuda_detail::gate_block>>>(
            reinterpret_cast<Real*>(out), real(in), size, x_mask, z_mask, Real(w.real()), Real(w.imag()), accumulate);
    HQML_CUDA_CHECK_LAUNCH("hqml::cuda_detail::add_pauli_kernel");
  }

  template <unsigned K>
  static std::array<std::complex<double>, (1u << (2 * K))> transition_matrix(const complex_type* a,
                                                                             const complex_type* b, std::size_t n,
                                                                             const std::uint32_t* qs, int /*threads*/) {
    constexpr unsigned dim = 1u << K;
    const auto s = cuda_detail::reduce(index_t{1} << (n - K), kernels::make_transition_term<K>(real(a), real(b), qs));
    std::array<std::complex<double>, dim * dim> m{};
    for (unsigned e = 0; e < dim * dim; ++e) m[e] = {s.v[2 * e], s.v[2 * e + 1]};
    return m;
  }

  static std::array<std::complex<double>, 4> reduced_density_matrix(const complex_type* a, std::size_t n,
                                                                    std::uint32_t q, int /*threads*/) {
    const auto s = cuda_detail::reduce(index_t{1} << (n - 1), kernels::rdm_term<Real>{real(a), q});
    const std::complex<double> c01(s.v[2], s.v[3]);
    return {s.v[0], c01, std::conj(c01), s.v[1]};
  }

  static std::complex<double> overlap(const complex_type* a, const complex_type* b, std::size_t n, int /*threads*/) {
    const auto s = cuda_detail::reduce(index_t{1} << n, kernels::overlap_term<Real>{real(a), real(b)});
    return {s.v[0], s.v[1]};
  }

 private:
  static const Real* real(const complex_type* a) { return reinterpret_cast<const Real*>(a); }
};

}  // namespace detail
}  // namespace hqml
