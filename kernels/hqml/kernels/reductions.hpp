#pragma once
// The state vector's reductions, written once for every backend: each is a term t(i) returning a fixed
// number of doubles, and a backend's driver sums the terms over an index range (the CPU in interleaved
// partial sums over OpenMP blocks, CUDA with cub::BlockReduce). Amplitudes are read in their own precision
// and summed in double.

#include <hqml/config.hpp>
#include <hqml/kernels/gate_kernels.hpp>
#include <hqml/kernels/index.hpp>

namespace hqml::kernels {

/// M doubles summed componentwise: the value type of every reduction.
template <int M>
struct sums {
  static constexpr int size = M;
  double v[M];

  HQML_HOST_DEVICE HQML_FORCE_INLINE sums& operator+=(const sums& o) {
    for (int k = 0; k < M; ++k) v[k] += o.v[k];
    return *this;
  }
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums operator+(const sums& o) const {
    sums r = *this;
    r += o;
    return r;
  }
  HQML_HOST_DEVICE HQML_FORCE_INLINE static sums zero() {
    sums r;
    for (int k = 0; k < M; ++k) r.v[k] = 0.0;
    return r;
  }
};

/// |a_i|² in double.
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE double amp_norm(const Real* r, index_t i) {
  const amp<Real> v = load_amp(r, i);
  const double x = v.re, y = v.im;
  return x * x + y * y;
}

/// ‖a‖² = Σ_i |a_i|², over i < 2^n.
template <class Real>
struct norm_term {
  const Real* r;
  /// A hint to host drivers: sum the lanes with explicit SIMD (cpu_detail::sum_terms). Measured faster in double
  /// only (BENCHMARKS.md, "State reductions"); in float the compiler's own vectorization was faster.
  static constexpr bool simd_sum = sizeof(Real) == sizeof(double);
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<1> operator()(index_t i) const { return {{amp_norm(r, i)}}; }
};

/// P(qubit q reads 1) = Σ_j |a_{j with a 1 inserted at q}|², over j < 2^(n-1).
template <class Real>
struct prob_one_term {
  const Real* r;
  unsigned q;
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<1> operator()(index_t j) const {
    return {{amp_norm(r, insert_zero(j, q) | (index_t{1} << q))}};
  }
};

/// ⟨a|X^x Z^z|b⟩ = Σ_i (−1)^{|i ∧ z|} conj(a_{i ⊕ x}) b_i (re, im), over i < 2^n; the caller multiplies by
/// i^num_y for the Y factors.
template <class Real>
struct pauli_term {
  const Real* a;
  const Real* b;
  index_t x_mask, z_mask;
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<2> operator()(index_t i) const {
    const amp<Real> va = load_amp(a, i ^ x_mask), vb = load_amp(b, i);
    const double ar = va.re, ai = va.im, br = vb.re, bi = vb.im;
    const double sign = parity(i & z_mask) ? -1.0 : 1.0;
    return {{sign * (ar * br + ai * bi), sign * (ar * bi - ai * br)}};
  }
};

/// ⟨a|b⟩ = Σ_i conj(a_i) b_i (re, im), over i < 2^n.
template <class Real>
struct overlap_term {
  const Real* a;
  const Real* b;
  /// A hint to host drivers: sum the lanes with explicit SIMD (cpu_detail::sum_terms). Measured faster in double
  /// only (BENCHMARKS.md, "State reductions"); in float the compiler's own vectorization was faster.
  static constexpr bool simd_sum = sizeof(Real) == sizeof(double);
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<2> operator()(index_t i) const {
    const amp<Real> va = load_amp(a, i), vb = load_amp(b, i);
    const double ar = va.re, ai = va.im, br = vb.re, bi = vb.im;
    return {{ar * br + ai * bi, ar * bi - ai * br}};
  }
};

/// Qubit q's reduced density matrix: ρ00, ρ11 and ρ01 = Σ a0 conj(a1) (re, im), over j < 2^(n-1).
template <class Real>
struct rdm_term {
  const Real* r;
  unsigned q;
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<4> operator()(index_t j) const {
    const index_t i0 = insert_zero(j, q), i1 = i0 | (index_t{1} << q);
    const amp<Real> v0 = load_amp(r, i0), v1 = load_amp(r, i1);
    const double ar = v0.re, ai = v0.im, br = v1.re, bi = v1.im;
    return {{ar * ar + ai * ai, br * br + bi * bi, ar * br + ai * bi, ai * br - ar * bi}};
  }
};

/// Tr over the other qubits of |b⟩⟨a| on K qubits, over j < 2^(n-K): entry (row, c) = Σ b_row conj(a_c) as
/// doubles 2(row·2^K + c) (re) and one after (im). `sorted` holds the qubits ascending; offset[l] sets the bits
/// of local index l (bit j of l is the caller's j-th qubit).
template <class Real, unsigned K>
struct transition_term {
  static constexpr unsigned dim = 1u << K;
  const Real* a;
  const Real* b;
  unsigned sorted[K];
  index_t offset[dim];
  HQML_HOST_DEVICE HQML_FORCE_INLINE sums<2 * dim * dim> operator()(index_t j) const {
    const index_t base = insert_zeros(j, sorted, K);
    double ar[dim], ai[dim], br[dim], bi[dim];
    for (unsigned l = 0; l < dim; ++l) {
      const amp<Real> va = load_amp(a, base | offset[l]), vb = load_amp(b, base | offset[l]);
      ar[l] = va.re;
      ai[l] = va.im;
      br[l] = vb.re;
      bi[l] = vb.im;
    }
    sums<2 * dim * dim> t;
    for (unsigned row = 0; row < dim; ++row)
      for (unsigned c = 0; c < dim; ++c) {
        t.v[2 * (row * dim + c)] = br[row] * ar[c] + bi[row] * ai[c];
        t.v[2 * (row * dim + c) + 1] = bi[row] * ar[c] - br[row] * ai[c];
      }
    return t;
  }
};

/// transition_term for the qubits qs[0..K) (any order).
template <unsigned K, class Real, class Qubit>
HQML_HOST_DEVICE transition_term<Real, K> make_transition_term(const Real* a, const Real* b, const Qubit* qs) {
  transition_term<Real, K> t{a, b, {}, {}};
  for (unsigned j = 0; j < K; ++j) t.sorted[j] = static_cast<unsigned>(qs[j]);
  for (unsigned j = 1; j < K; ++j)  // insertion sort: K ≤ 6
    for (unsigned m = j; m > 0 && t.sorted[m - 1] > t.sorted[m]; --m) {
      const unsigned s = t.sorted[m];
      t.sorted[m] = t.sorted[m - 1];
      t.sorted[m - 1] = s;
    }
  for (unsigned l = 0; l < (1u << K); ++l) {
    t.offset[l] = 0;
    for (unsigned j = 0; j < K; ++j)
      if ((l >> j) & 1u) t.offset[l] |= index_t{1} << qs[j];
  }
  return t;
}

}  // namespace hqml::kernels
