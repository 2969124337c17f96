#pragma once
// Batched small circuits and fidelity kernels on the GPU, the twins of batched_states (batched.hpp) and
// fidelity_kernel (quantum_kernel.hpp):
//  - gpu::batched_states runs one bound circuit for many samples (x_i, θ) in ONE launch: a block per
//    sample walks the circuit's batch program (kernels/hqml/kernels/batch_program.hpp), the state in
//    shared memory while 2^n amplitudes fit there, else in its row of the output in global memory;
//  - gpu::fidelity_kernel keeps those states on the device and forms the Gram matrix ⟨ψ_i|ψ_j⟩ with
//    cuBLAS (HERK on diagonal tiles of the symmetric case, GEMM elsewhere), |·|² fused in the pass that
//    writes the double tile; tiles are streamed to host memory, so N × N never has to fit on the device.
// No Eigen here (nvcc + Eigen needs EIGEN_NO_CUDA): features come in as a strided host matrix view and
// kernels go out column-major, the layout of Eigen::MatrixXd.

#include <hqml/backends/cuda/batched_kernels.cuh>
#include <hqml/backends/cuda/error.cuh>
#include <hqml/backends/cuda/handles.cuh>
#include <hqml/backends/cuda/memory.cuh>
#include <hqml/batch_compile.hpp>
#include <hqml/circuit.hpp>
#include <hqml/detail/cuda_kernel_entry.hpp>
#include <hqml/feature_matrix.hpp>
#include <hqml/kernels/batch_program.hpp>

#include <cublas_v2.h>
#include <cuComplex.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace hqml::gpu {

using kernels::index_t;

using hqml::feature_matrix;  // samples come in as a strided host view (<hqml/feature_matrix.hpp>)

/// Non-owning view of device states, passed to kernels (<hqml/backends/cuda/batched_kernels.cuh>).
template <class Real>
using device_states_ref = cuda_detail::states_ref<Real>;

/// States of many samples on the device, one row of 2^n amplitudes per sample.
template <class Real>
class device_states {
 public:
  device_states(std::size_t rows, unsigned num_qubits)
      : buf_(rows << num_qubits, std::to_string(rows) + " states of " + std::to_string(num_qubits) + " qubits"),
        rows_(rows),
        n_(num_qubits) {}
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] unsigned num_qubits() const noexcept { return n_; }
  [[nodiscard]] std::size_t dim() const noexcept { return std::size_t{1} << n_; }
  [[nodiscard]] std::complex<Real>* data() noexcept { return buf_.data(); }
  [[nodiscard]] const std::complex<Real>* data() const noexcept { return buf_.data(); }
  [[nodiscard]] device_states_ref<Real> ref() noexcept { return {buf_.data(), rows_, n_}; }
  /// The states on the host, row-major (row i holds sample i's 2^n amplitudes).
  [[nodiscard]] std::vector<std::complex<Real>> to_host() const {
    std::vector<std::complex<Real>> h(buf_.size());
    download(h);
    return h;
  }
  /// The same into caller-owned host memory of rows() · dim() amplitudes (no intermediate copy).
  void download(std::span<std::complex<Real>> out) const {
    if (out.size() != buf_.size())
      throw std::invalid_argument("hqml::gpu::device_states::download: " + std::to_string(out.size()) +
                                  " amplitudes of room for " + std::to_string(buf_.size()));
    buf_.download(out);
  }

 private:
  cuda_detail::device_buffer<std::complex<Real>> buf_;
  std::size_t rows_;
  unsigned n_;
};

namespace detail {

/// A batch program's arrays in device memory (owning), with the view kernels take.
class device_batch_program {
 public:
  explicit device_batch_program(const kernels::batch_program& p)
      : ops_(p.ops.size(), "a batch program"),
        steps_(p.steps.size(), "a batch program"),
        initial_(p.initial.size(), "a batch program's start state"),
        coef_(p.coef.size(), "a batch program"),
        slots_(p.slots.size(), "a batch program"),
        terms_(p.terms.size(), "a batch program"),
        vars_(p.vars.size(), "a batch program") {
    ops_.upload(p.ops);
    steps_.upload(p.steps);
    initial_.upload(p.initial);
    coef_.upload(p.coef);
    slots_.upload(p.slots);
    terms_.upload(p.terms);
    vars_.upload(p.vars);
    ref_ = {ops_.data(),  static_cast<std::uint32_t>(p.ops.size()),
            steps_.data(), static_cast<std::uint32_t>(p.steps.size()),
            p.initial.empty() ? nullptr : initial_.data(),
            coef_.data(), slots_.data(),
            terms_.data(), vars_.data()};
  }
  [[nodiscard]] const kernels::batch_program_ref& ref() const noexcept { return ref_; }

 private:
  cuda_detail::device_buffer<kernels::batch_op> ops_;
  cuda_detail::device_buffer<kernels::batch_step> steps_;
  cuda_detail::device_buffer<double> initial_;
  cuda_detail::device_buffer<double> coef_;
  cuda_detail::device_buffer<kernels::batch_slot> slots_;
  cuda_detail::device_buffer<kernels::batch_term> terms_;
  cuda_detail::device_buffer<std::int32_t> vars_;
  kernels::batch_program_ref ref_{};
};

using cuda_detail::batched_states_kernel;  // the device code is the backend's

inline int device_attribute(cudaDeviceAttr attr) {
  int dev = 0, v = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  HQML_CUDA_CHECK(cudaDeviceGetAttribute(&v, attr, dev));
  return v;
}

}  // namespace detail

/// States |ψ(x_i, θ)⟩ for every row x_i of X, computed on the device in one launch. Real: float or double.
template <class Real>
[[nodiscard]] device_states<Real> batched_states(const circuit& c, const feature_matrix& X,
                                                 std::span<const double> theta = {}) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>, "Real must be float or double");
  if (c.num_features() > X.cols)
    throw std::invalid_argument("hqml::gpu::batched_states: the circuit reads feature x[" +
                                std::to_string(c.num_features() - 1) + "] but the data has " + std::to_string(X.cols) +
                                " columns");
  if (c.num_params() > theta.size())
    throw std::invalid_argument("hqml::gpu::batched_states: the circuit needs " + std::to_string(c.num_params()) +
                                " parameters theta, " + std::to_string(theta.size()) + " given");
  if (c.num_qubits() > 30)
    throw std::invalid_argument("hqml::gpu::batched_states: " + std::to_string(c.num_qubits()) +
                                " qubits is too many for per-sample states");
  const kernels::batch_program prog = compile_batch_program(c);
  const auto n = static_cast<unsigned>(c.num_qubits());
  device_states<Real> out(X.rows, n);
  if (X.rows == 0) return out;

  // Features row-major on the device (the layout each block reads its sample from).
  const std::size_t d = std::max<std::size_t>(X.cols, 1);
  std::vector<double> xh(X.rows * d, 0.0);
  for (std::size_t i = 0; i < X.rows; ++i)
    for (std::size_t j = 0; j < X.cols; ++j) xh[i * d + j] = X(i, j);
  cuda_detail::device_buffer<double> xd(xh.size(), "batched features");
  xd.upload(xh);
  cuda_detail::device_buffer<double> td(std::max<std::size_t>(theta.size(), 1), "batched parameters");
  td.upload(theta);
  const detail::device_batch_program dprog(prog);

  const std::size_t state_bytes = (std::size_t{1} << n) * 2 * sizeof(Real);
  const auto optin = static_cast<std::size_t>(detail::device_attribute(cudaDevAttrMaxSharedMemoryPerBlockOptin));
  const int sms = detail::device_attribute(cudaDevAttrMultiProcessorCount);
  // Shared memory while the state fits with room to spare (several blocks per SM hide the barriers).
  const std::size_t static_bytes = 2 * kernels::batch_step_entries * sizeof(Real);  // `mat`
  const bool in_shared = state_bytes + static_bytes <= std::min<std::size_t>(optin, std::size_t{100} << 10);
  const auto half = static_cast<unsigned>(std::min<std::size_t>(std::size_t{1} << (n > 0 ? n - 1 : 0), 1024));
  if (in_shared) {
    const unsigned threads = std::clamp(half, 32u, 256u);
    auto kernel = detail::batched_states_kernel<Real, true>;
    if (state_bytes + static_bytes > (48u << 10))
      HQML_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(state_bytes)));
    const auto blocks = static_cast<unsigned>(std::min<std::size_t>(X.rows, std::size_t(sms) * 32));
    kernel<<<blocks, threads, state_bytes>>>(dprog.ref(), xd.data(), d, td.data(), out.ref());
    HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::batched_states_kernel<shared>");
  } else {
    const unsigned threads = std::clamp(half, 32u, 512u);
    const auto blocks = static_cast<unsigned>(std::min<std::size_t>(X.rows, std::size_t(sms) * 2));
    detail::batched_states_kernel<Real, false><<<blocks, threads>>>(dprog.ref(), xd.data(), d, td.data(), out.ref());
    HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::batched_states_kernel<global>");
  }
  // The device buffers above are freed on return; cudaFree waits for the kernel, and a fault in it
  // surfaces here rather than at some later unrelated call.
  HQML_CUDA_CHECK(cudaDeviceSynchronize());
  return out;
}

// ---- fidelity kernel ----------------------------------------------------------------------------

struct gram_options {
  /// Rows (and columns) of one Gram tile; 0: as large as fits in a quarter of free device memory, at most 8192.
  std::size_t tile = 0;
};

namespace detail {

template <class Real>
using cublas_complex = std::conditional_t<std::is_same_v<Real, float>, cuComplex, cuDoubleComplex>;

using cuda_detail::abs2_kernel;

template <class Real>
void gram_tile(cublasHandle_t h, const std::complex<Real>* a, std::size_t na, const std::complex<Real>* b,
               std::size_t nb, std::size_t dim, bool herk, std::complex<Real>* g) {
  using C = cublas_complex<Real>;
  const auto m = static_cast<int>(na), nn = static_cast<int>(nb), kk = static_cast<int>(dim);
  const auto* A = reinterpret_cast<const C*>(a);
  const auto* B = reinterpret_cast<const C*>(b);
  auto* G = reinterpret_cast<C*>(g);
  // Row-major states (samples × dim) are column-major dim × samples: G = Aᴴ B, G(i, j) = ⟨a_i|b_j⟩.
  if constexpr (std::is_same_v<Real, double>) {
    if (herk) {
      const double one = 1.0, zero = 0.0;
      HQML_CUDA_CHECK(
          cuda_detail::cublas().zherk(h, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_C, m, kk, &one, A, kk, &zero, G, m));
    } else {
      const C one{1.0, 0.0}, zero{0.0, 0.0};
      HQML_CUDA_CHECK(
          cuda_detail::cublas().zgemm(h, CUBLAS_OP_C, CUBLAS_OP_N, m, nn, kk, &one, A, kk, B, kk, &zero, G, m));
    }
  } else {
    if (herk) {
      const float one = 1.0f, zero = 0.0f;
      HQML_CUDA_CHECK(
          cuda_detail::cublas().cherk(h, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_C, m, kk, &one, A, kk, &zero, G, m));
    } else {
      const C one{1.0f, 0.0f}, zero{0.0f, 0.0f};
      HQML_CUDA_CHECK(
          cuda_detail::cublas().cgemm(h, CUBLAS_OP_C, CUBLAS_OP_N, m, nn, kk, &one, A, kk, B, kk, &zero, G, m));
    }
  }
}

inline std::size_t pick_tile(std::size_t requested, std::size_t n_max, std::size_t complex_bytes) {
  if (requested) return std::min(requested, std::max<std::size_t>(n_max, 1));
  std::size_t free_b = 0, total_b = 0;
  HQML_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  // Two buffer sets in flight, each: the complex Gram tile and two double tiles (K and its mirror).
  const std::size_t per_entry = 2 * (complex_bytes + 2 * sizeof(double));
  std::size_t t = 8192;
  while (t > 256 && t * t * per_entry > free_b / 4) t /= 2;
  return std::min(t, std::max<std::size_t>(n_max, 1));
}

/// The kernel of a (rows) against b (cols) into host memory `out`, column-major with leading dimension
/// ld ≥ rows. Symmetric (b == a): upper tiles only, each lower tile written from its mirror.
template <class Real>
void fidelity_kernel_into(const device_states<Real>& a, const device_states<Real>* b, double* out, std::size_t ld,
                          const gram_options& opt) {
  const bool symmetric = b == nullptr;
  const device_states<Real>& bb = symmetric ? a : *b;
  if (a.num_qubits() != bb.num_qubits())
    throw std::invalid_argument("hqml::gpu::fidelity_kernel: states of " + std::to_string(a.num_qubits()) + " and " +
                                std::to_string(bb.num_qubits()) + " qubits");
  const std::size_t na = a.rows(), nb = bb.rows(), dim = a.dim();
  if (ld < na) throw std::invalid_argument("hqml::gpu::fidelity_kernel: leading dimension below the row count");
  if (na == 0 || nb == 0) return;
  const std::size_t tile = pick_tile(opt.tile, std::max(na, nb), sizeof(std::complex<Real>));
  cuda_detail::cublas_handle handle;
  cuda_detail::stream compute, copy;
  HQML_CUDA_CHECK(cuda_detail::cublas().set_stream(handle.get(), compute.get()));
  cuda_detail::device_buffer<std::complex<Real>> g[2];
  cuda_detail::device_buffer<double> k[2], kt[2];
  cuda_detail::event computed[2], copied[2];
  for (int s = 0; s < 2; ++s) {
    g[s] = cuda_detail::device_buffer<std::complex<Real>>(tile * tile, "a Gram tile");
    k[s] = cuda_detail::device_buffer<double>(tile * tile, "a kernel tile");
    if (symmetric) kt[s] = cuda_detail::device_buffer<double>(tile * tile, "a kernel tile");
  }
  struct tile_job {
    std::size_t r0, nr, c0, nc;
  };
  std::vector<tile_job> jobs;
  for (std::size_t r0 = 0; r0 < na; r0 += tile)
    for (std::size_t c0 = symmetric ? r0 : 0; c0 < nb; c0 += tile)
      jobs.push_back({r0, std::min(tile, na - r0), c0, std::min(tile, nb - c0)});

  // Tile t computes on the compute stream into set t % 2 while tile t − 1 is copied out on the copy stream;
  // a set is reused only after its previous copy finished.
  for (std::size_t t = 0; t < jobs.size(); ++t) {
    const std::size_t s = t % 2;
    const tile_job& j = jobs[t];
    if (t >= 2) HQML_CUDA_CHECK(cudaStreamWaitEvent(compute.get(), copied[s].get(), 0));
    const bool diag = symmetric && j.r0 == j.c0;
    gram_tile<Real>(handle.get(), a.data() + j.r0 * dim, j.nr, bb.data() + j.c0 * dim, j.nc, dim, diag, g[s].data());
    const bool mirror = symmetric && !diag;
    abs2_kernel<Real><<<cuda_detail::grid_for(j.nr * j.nc, 256), 256, 0, compute.get()>>>(
        reinterpret_cast<const Real*>(g[s].data()), j.nr, j.nc, diag, k[s].data(), mirror ? kt[s].data() : nullptr);
    HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::abs2_kernel");
    HQML_CUDA_CHECK(cudaEventRecord(computed[s].get(), compute.get()));
    HQML_CUDA_CHECK(cudaStreamWaitEvent(copy.get(), computed[s].get(), 0));
    HQML_CUDA_CHECK(cudaMemcpy2DAsync(out + j.r0 + j.c0 * ld, ld * sizeof(double), k[s].data(), j.nr * sizeof(double),
                                      j.nr * sizeof(double), j.nc, cudaMemcpyDeviceToHost, copy.get()));
    if (mirror)
      HQML_CUDA_CHECK(cudaMemcpy2DAsync(out + j.c0 + j.r0 * ld, ld * sizeof(double), kt[s].data(),
                                        j.nc * sizeof(double), j.nc * sizeof(double), j.nr, cudaMemcpyDeviceToHost,
                                        copy.get()));
    HQML_CUDA_CHECK(cudaEventRecord(copied[s].get(), copy.get()));
  }
  HQML_CUDA_CHECK(cudaStreamSynchronize(copy.get()));
  HQML_CUDA_CHECK(cudaStreamSynchronize(compute.get()));
}

}  // namespace detail

/// K_ij = |⟨a_i|b_j⟩|², rows(a) × rows(b), column-major (Eigen::MatrixXd's layout), into host memory `out`
/// with leading dimension ld. Page-locked `out` (cudaHostAlloc / cudaHostRegister) copies fastest.
template <class Real>
void fidelity_kernel_into(const device_states<Real>& a, const device_states<Real>& b, double* out, std::size_t ld,
                          const gram_options& opt = {}) {
  detail::fidelity_kernel_into(a, &b, out, ld, opt);
}
/// The symmetric train × train kernel |⟨a_i|a_j⟩|² (diagonal tiles by HERK, upper tiles by GEMM, mirrored).
template <class Real>
void fidelity_kernel_into(const device_states<Real>& a, double* out, std::size_t ld, const gram_options& opt = {}) {
  detail::fidelity_kernel_into<Real>(a, nullptr, out, ld, opt);
}

/// The same, returned as a column-major host vector of rows(a) × rows(b) doubles.
template <class Real>
[[nodiscard]] std::vector<double> fidelity_kernel(const device_states<Real>& a, const device_states<Real>& b,
                                                  const gram_options& opt = {}) {
  std::vector<double> k(a.rows() * b.rows());
  fidelity_kernel_into(a, b, k.data(), std::max<std::size_t>(a.rows(), 1), opt);
  return k;
}
template <class Real>
[[nodiscard]] std::vector<double> fidelity_kernel(const device_states<Real>& a, const gram_options& opt = {}) {
  std::vector<double> k(a.rows() * a.rows());
  fidelity_kernel_into(a, k.data(), std::max<std::size_t>(a.rows(), 1), opt);
  return k;
}

/// Fidelity kernel of a feature map on the rows of X (train × train), states built and kept on the device.
template <class Real = double>
[[nodiscard]] std::vector<double> fidelity_kernel(const circuit& feature_map, const feature_matrix& X,
                                                  std::span<const double> theta = {}, const gram_options& opt = {}) {
  return fidelity_kernel(batched_states<Real>(feature_map, X, theta), opt);
}

}  // namespace hqml::gpu

namespace hqml {

// hqml::fidelity_kernel<Real, hqml::cuda>'s entry point (<hqml/detail/cuda_kernel_entry.hpp>).
template <class Real>
void detail::cuda_fidelity_kernel<Real>::run(const circuit& feature_map, const feature_matrix& a,
                                             const feature_matrix* b, std::span<const double> theta, std::size_t tile,
                                             double* out, std::size_t ld) {
  const gpu::gram_options go{tile};
  const auto sa = gpu::batched_states<Real>(feature_map, a, theta);
  if (b == nullptr) {
    gpu::fidelity_kernel_into(sa, out, ld, go);
  } else {
    const auto sb = gpu::batched_states<Real>(feature_map, *b, theta);
    gpu::fidelity_kernel_into(sa, sb, out, ld, go);
  }
}

// hqml::batched_states<Real, hqml::cuda>'s entry point (<hqml/detail/cuda_kernel_entry.hpp>).
template <class Real>
void detail::cuda_batched_states<Real>::run(const circuit& c, const feature_matrix& a, std::span<const double> theta,
                                            std::complex<Real>* out) {
  const auto states = gpu::batched_states<Real>(c, a, theta);
  states.download({out, states.rows() * states.dim()});  // straight into the caller's matrix
}

}  // namespace hqml
