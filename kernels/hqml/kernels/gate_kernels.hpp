#pragma once
// Gate maths on one index group, written once for every backend: a functor says what happens to
// the amplitudes a gate touches; the backends' drivers say how the index space is walked.
// Amplitudes are interleaved (re, im) pairs of Real. A base index has zeros at the gate's qubits, so
// base + offset equals base | offset; the kernels add, which keeps addresses affine in a driver's
// contiguous run of bases and lets the compiler vectorize across it.

#include <hqml/config.hpp>
#include <hqml/kernels/index.hpp>

namespace hqml::kernels {

/// Dense 2×2 matrix on the pair (a[i0], a[i1]), i0 = base + control, i1 = i0 + offset.
template <class Real>
struct dense1_kernel {
  Real m[8];  // row-major (re, im) of m00, m01, m10, m11
  index_t offset;
  index_t control;  // bits that must be set (controlled gates); 0 otherwise

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    const index_t i0 = base + control;
    const index_t i1 = i0 + offset;
    const Real ar = a[2 * i0], ai = a[2 * i0 + 1], br = a[2 * i1], bi = a[2 * i1 + 1];
    a[2 * i0] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
    a[2 * i0 + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
    a[2 * i1] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
    a[2 * i1 + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
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
      in_re[c] = a[2 * (base + offsets[c])];
      in_im[c] = a[2 * (base + offsets[c]) + 1];
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
    for (unsigned r = 0; r < dim; ++r) {
      a[2 * (base + offsets[r])] = out_re[r];
      a[2 * (base + offsets[r]) + 1] = out_im[r];
    }
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
    for (unsigned l = 0; l < dim; ++l) {
      const index_t i = base + offsets[l];
      const Real xr = a[2 * i], xi = a[2 * i + 1];
      a[2 * i] = dre[l] * xr - dim_[l] * xi;
      a[2 * i + 1] = dre[l] * xi + dim_[l] * xr;
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
    const Real xr = a[2 * i], xi = a[2 * i + 1];
    a[2 * i] = pre * xr - pim * xi;
    a[2 * i + 1] = pre * xi + pim * xr;
  }
};

/// Swaps the amplitudes base|off0 and base|off1 (X, CX, CCX, SWAP, CSWAP).
template <class Real>
struct swap_kernel {
  index_t off0, off1;

  HQML_HOST_DEVICE HQML_FORCE_INLINE void operator()(Real* HQML_RESTRICT a, index_t base) const {
    const index_t i = base + off0, j = base + off1;
    const Real r = a[2 * i], m = a[2 * i + 1];
    a[2 * i] = a[2 * j];
    a[2 * i + 1] = a[2 * j + 1];
    a[2 * j] = r;
    a[2 * j + 1] = m;
  }
};

}  // namespace hqml::kernels
