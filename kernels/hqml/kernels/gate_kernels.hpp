#pragma once
// Gate maths on one index group, written once for every backend: a functor says what happens to
// the amplitudes a gate touches; the backends' drivers say how the index space is walked.
// Amplitudes are interleaved (re, im) pairs of Real. A base index has zeros at the gate's qubits, so
// base + offset equals base | offset; the kernels add, which keeps addresses affine in a driver's
// contiguous run of bases and lets the compiler vectorize across it.

#include <hqml/config.hpp>
#include <hqml/kernels/index.hpp>

namespace hqml::kernels {

/// One amplitude, (re, im).
template <class Real>
struct amp {
  Real re, im;
};

/// Reads amplitude i of an interleaved array. On the device one 8- or 16-byte access instead of two
/// scalar ones: a warp's request then spans half the address range, which is what lets single gates
/// on low qubits run at copy bandwidth. The host keeps scalar accesses (its drivers vectorize across
/// consecutive bases).
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE amp<Real> load_amp(const Real* a, index_t i) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(Real) == 8) {
    const double2 v = reinterpret_cast<const double2*>(a)[i];
    return {v.x, v.y};
  } else {
    const float2 v = reinterpret_cast<const float2*>(a)[i];
    return {v.x, v.y};
  }
#else
  return {a[2 * i], a[2 * i + 1]};
#endif
}

/// Writes amplitude i (see load_amp).
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE void store_amp(Real* a, index_t i, Real re, Real im) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(Real) == 8)
    reinterpret_cast<double2*>(a)[i] = double2{re, im};
  else
    reinterpret_cast<float2*>(a)[i] = float2{re, im};
#else
  a[2 * i] = re;
  a[2 * i + 1] = im;
#endif
}

/// Dense 2×2 matrix on the pair (a[i0], a[i1]), i0 = base + control, i1 = i0 + offset.
template <class Real>
struct dense1_kernel {
  Real m[8];  // row-major (re, im) of m00, m01, m10, m11
  index_t offset;
  index_t control;  // bits that must be set (controlled gates); 0 otherwise

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    const index_t i0 = base + control;
    const index_t i1 = i0 + offset;
    const amp<Real> x = load_amp(a, i0), y = load_amp(a, i1);
    store_amp(a, i0, m[0] * x.re - m[1] * x.im + m[2] * y.re - m[3] * y.im,
              m[0] * x.im + m[1] * x.re + m[2] * y.im + m[3] * y.re);
    store_amp(a, i1, m[4] * x.re - m[5] * x.im + m[6] * y.re - m[7] * y.im,
              m[4] * x.im + m[5] * x.re + m[6] * y.im + m[7] * y.re);
  }
};

/// Dense 2^K × 2^K matrix on the amplitudes base + offsets[r]. The matrix is stored column-major
/// with real and imaginary parts apart, so the inner loop over rows vectorizes whatever the qubits.
template <class Real, unsigned K>
struct dense_kernel {
  static constexpr unsigned dim = 1u << K;
  Real mre[dim * dim];  // mre[c * dim + r] = Re m[r][c]
  Real mim[dim * dim];
  index_t offsets[dim];

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    Real in_re[dim], in_im[dim], out_re[dim], out_im[dim];
    for (unsigned c = 0; c < dim; ++c) {
      const amp<Real> x = load_amp(a, base + offsets[c]);
      in_re[c] = x.re;
      in_im[c] = x.im;
      out_re[c] = Real(0);
      out_im[c] = Real(0);
    }
    for (unsigned c = 0; c < dim; ++c) {
      const Real xr = in_re[c], xi = in_im[c];
      const Real* cr = mre + c * dim;
      const Real* ci = mim + c * dim;
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#pragma omp simd
#endif
      for (unsigned r = 0; r < dim; ++r) {
        out_re[r] += cr[r] * xr - ci[r] * xi;
        out_im[r] += cr[r] * xi + ci[r] * xr;
      }
    }
    for (unsigned r = 0; r < dim; ++r) store_amp(a, base + offsets[r], out_re[r], out_im[r]);
  }
};

/// Qubits of a dense kernel type, 0 for the other kernels: lets a backend pick dense kernels out.
template <class F>
inline constexpr unsigned dense_qubits = 0;
template <class Real>
inline constexpr unsigned dense_qubits<dense1_kernel<Real>> = 1;
template <class Real, unsigned K>
inline constexpr unsigned dense_qubits<dense_kernel<Real, K>> = K;

/// Multiplies the amplitudes base + offsets[l] by d[l]: a diagonal gate on K qubits, one index group per call.
template <class Real, unsigned K>
struct diagonal_kernel {
  static constexpr unsigned dim = 1u << K;
  Real dre[dim];
  Real dim_[dim];
  index_t offsets[dim];

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    // Loads before stores, eight at a time: the compiler cannot tell the offsets apart, and interleaved
    // load-store pairs would each wait out a full memory latency on the device.
    constexpr unsigned chunk = dim < 8 ? dim : 8;
    for (unsigned c0 = 0; c0 < dim; c0 += chunk) {
      amp<Real> x[chunk];
      for (unsigned l = 0; l < chunk; ++l) x[l] = load_amp(a, base + offsets[c0 + l]);
      for (unsigned l = 0; l < chunk; ++l) {
        const Real dr = dre[c0 + l], di = dim_[c0 + l];
        store_amp(a, base + offsets[c0 + l], dr * x[l].re - di * x[l].im, dr * x[l].im + di * x[l].re);
      }
    }
  }
};

/// Qubits of a diagonal kernel type, 0 for the other kernels.
template <class F>
inline constexpr unsigned diagonal_qubits = 0;
template <class Real, unsigned K>
inline constexpr unsigned diagonal_qubits<diagonal_kernel<Real, K>> = K;

/// Multiplies a[i] by phase when all bits of mask are set in i (CZ, CP, CCZ-like, Z, S, T, P).
template <class Real>
struct masked_phase_kernel {
  Real pre, pim;
  index_t mask;

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    const index_t i = base + mask;
    const amp<Real> x = load_amp(a, i);
    store_amp(a, i, pre * x.re - pim * x.im, pre * x.im + pim * x.re);
  }
};

/// Swaps the amplitudes base|off0 and base|off1 (X, CX, CCX, SWAP, CSWAP).
template <class Real>
struct swap_kernel {
  index_t off0, off1;

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    const index_t i = base + off0, j = base + off1;
    const amp<Real> x = load_amp(a, i), y = load_amp(a, j);
    store_amp(a, i, y.re, y.im);
    store_amp(a, j, x.re, x.im);
  }
};

}  // namespace hqml::kernels
