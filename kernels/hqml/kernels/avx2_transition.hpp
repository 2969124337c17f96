#pragma once
// The one-qubit reduced transition matrix T = Σ_bases b_r · conj(a_c) (r, c ∈ {0, 1}: the amplitudes of a
// base with the qubit clear and set) with AVX2 + FMA, for adjoint differentiation, where it is the one
// reduction per differentiable gate. Amplitudes are summed in double whatever the state's precision.
// The products stay on the interleaved (re, im) words: P += b ⊙ a and Q += b ⊙ swap(a) lane-wise, then
// Re T = Σ P and Im T = Σ Q over imaginary lanes − Σ Q over real lanes, so no lane shuffles sit in the loop.

#include <hqml/kernels/avx2_gates.hpp>
#include <hqml/kernels/index.hpp>

#if HQML_HAS_AVX2_KERNELS

namespace hqml::kernels::avx2 {

namespace detail {

/// Two consecutive complex amplitudes at index i as four doubles (re, im, re, im).
HQML_TARGET_AVX2 inline __m256d load2(const double* r, index_t i) { return _mm256_loadu_pd(r + 2 * i); }
HQML_TARGET_AVX2 inline __m256d load2(const float* r, index_t i) { return _mm256_cvtps_pd(_mm_loadu_ps(r + 2 * i)); }
HQML_TARGET_AVX2 inline void store2(double* r, index_t i, __m256d v) { _mm256_storeu_pd(r + 2 * i, v); }
HQML_TARGET_AVX2 inline void store2(float* r, index_t i, __m256d v) { _mm_storeu_ps(r + 2 * i, _mm256_cvtpd_ps(v)); }

/// u · x for a complex number u = (re, im) broadcast and two interleaved amplitudes x.
HQML_TARGET_AVX2 inline __m256d cmul(__m256d re, __m256d im, __m256d x) {
  return _mm256_fmaddsub_pd(re, x, _mm256_mul_pd(im, _mm256_permute_pd(x, 0x5)));
}

HQML_TARGET_AVX2 inline double sum4(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
/// Lanes 1 + 3 − lanes 0 + 2.
HQML_TARGET_AVX2 inline double odd_minus_even(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_sub_sd(_mm_unpackhi_pd(s, s), s));
}

}  // namespace detail

/// Adds to t (row-major 2 × 2, as re, im pairs) the terms of the bases j ∈ [begin, end) of a one-qubit
/// transition matrix on qubit q; begin and end are even.
template <class Real>
HQML_TARGET_AVX2 void transition_1q(const Real* a, const Real* b, unsigned q, index_t begin, index_t end,
                                    double (&t)[8]) {
  __m256d p[4], s[4];
  for (int e = 0; e < 4; ++e) p[e] = s[e] = _mm256_setzero_pd();
  if (q == 0) {
    // One vector holds a base's two amplitudes: (x0 | x1). Rows meet columns lane-wise for T00 and T11,
    // and against the halves swapped for T01 and T10.
    for (index_t j = begin; j < end; ++j) {
      const __m256d va = detail::load2(a, 2 * j), vb = detail::load2(b, 2 * j);
      const __m256d vx = _mm256_permute2f128_pd(va, va, 0x01);
      p[0] = _mm256_fmadd_pd(vb, va, p[0]);
      s[0] = _mm256_fmadd_pd(vb, _mm256_permute_pd(va, 0x5), s[0]);
      p[1] = _mm256_fmadd_pd(vb, vx, p[1]);
      s[1] = _mm256_fmadd_pd(vb, _mm256_permute_pd(vx, 0x5), s[1]);
    }
    // Low halves: row 0 (T00, then T01); high halves: row 1 (T11, then T10).
    const __m128d d[2] = {_mm256_castpd256_pd128(p[0]), _mm256_extractf128_pd(p[0], 1)};
    const __m128d dq[2] = {_mm256_castpd256_pd128(s[0]), _mm256_extractf128_pd(s[0], 1)};
    const __m128d o[2] = {_mm256_castpd256_pd128(p[1]), _mm256_extractf128_pd(p[1], 1)};
    const __m128d oq[2] = {_mm256_castpd256_pd128(s[1]), _mm256_extractf128_pd(s[1], 1)};
    for (int r = 0; r < 2; ++r) {
      const int diag = 3 * r, off = r == 0 ? 1 : 2;
      t[2 * diag] += _mm_cvtsd_f64(_mm_add_sd(d[r], _mm_unpackhi_pd(d[r], d[r])));
      t[2 * diag + 1] += _mm_cvtsd_f64(_mm_sub_sd(_mm_unpackhi_pd(dq[r], dq[r]), dq[r]));
      t[2 * off] += _mm_cvtsd_f64(_mm_add_sd(o[r], _mm_unpackhi_pd(o[r], o[r])));
      t[2 * off + 1] += _mm_cvtsd_f64(_mm_sub_sd(_mm_unpackhi_pd(oq[r], oq[r]), oq[r]));
    }
    return;
  }
  // q ≥ 1: bases j and j + 1 are adjacent amplitudes in both rows.
  const index_t bit = index_t{1} << q;
  for (index_t j = begin; j < end; j += 2) {
    const index_t i0 = insert_zero(j, q), i1 = i0 | bit;
    const __m256d a0 = detail::load2(a, i0), a1 = detail::load2(a, i1);
    const __m256d b0 = detail::load2(b, i0), b1 = detail::load2(b, i1);
    const __m256d a0s = _mm256_permute_pd(a0, 0x5), a1s = _mm256_permute_pd(a1, 0x5);
    p[0] = _mm256_fmadd_pd(b0, a0, p[0]);
    s[0] = _mm256_fmadd_pd(b0, a0s, s[0]);
    p[1] = _mm256_fmadd_pd(b0, a1, p[1]);
    s[1] = _mm256_fmadd_pd(b0, a1s, s[1]);
    p[2] = _mm256_fmadd_pd(b1, a0, p[2]);
    s[2] = _mm256_fmadd_pd(b1, a0s, s[2]);
    p[3] = _mm256_fmadd_pd(b1, a1, p[3]);
    s[3] = _mm256_fmadd_pd(b1, a1s, s[3]);
  }
  for (int e = 0; e < 4; ++e) {
    t[2 * e] += detail::sum4(p[e]);
    t[2 * e + 1] += detail::odd_minus_even(s[e]);
  }
}

/// Most gates one adjoint pass takes (adjoint_run_1q).
inline constexpr unsigned max_run_gates = 8;

/// One pass of adjoint differentiation over `count` one-qubit gates on qubit q ≥ 1, bases [begin, end) (even):
/// for gate g, adds Σ ψ_r · conj(λ_c) to t[8g..8g+8) (row-major 2 × 2 as re, im pairs) where want[g], then
/// replaces ψ and λ by V_g ψ and V_g λ, V_g = v[8g..8g+8) (row-major re, im pairs). One pass reads and writes
/// each state once for the whole run, where separate passes would read both states for every gate's T and
/// read and write each of them once more per gate.
template <class Real>
HQML_TARGET_AVX2 void adjoint_run_1q(Real* psi, Real* lam, unsigned q, index_t begin, index_t end, const double* v,
                                     const bool* want, unsigned count, double* t) {
  alignas(32) double acc[max_run_gates][8][4] = {};  // gate, P of entries 0..3 then Q of entries 0..3
  __m256d ure[max_run_gates][4], uim[max_run_gates][4];
  for (unsigned g = 0; g < count; ++g)
    for (unsigned e = 0; e < 4; ++e) {
      ure[g][e] = _mm256_set1_pd(v[8 * g + 2 * e]);
      uim[g][e] = _mm256_set1_pd(v[8 * g + 2 * e + 1]);
    }
  const index_t bit = index_t{1} << q;
  for (index_t j = begin; j < end; j += 2) {
    const index_t i0 = insert_zero(j, q), i1 = i0 | bit;
    __m256d p0 = detail::load2(psi, i0), p1 = detail::load2(psi, i1);
    __m256d l0 = detail::load2(lam, i0), l1 = detail::load2(lam, i1);
    for (unsigned g = 0; g < count; ++g) {
      if (want[g]) {
        const __m256d l0s = _mm256_permute_pd(l0, 0x5), l1s = _mm256_permute_pd(l1, 0x5);
        const __m256d prod[8] = {_mm256_mul_pd(p0, l0),  _mm256_mul_pd(p0, l1),  _mm256_mul_pd(p1, l0),
                                 _mm256_mul_pd(p1, l1),  _mm256_mul_pd(p0, l0s), _mm256_mul_pd(p0, l1s),
                                 _mm256_mul_pd(p1, l0s), _mm256_mul_pd(p1, l1s)};
        for (unsigned k = 0; k < 8; ++k) _mm256_store_pd(acc[g][k], _mm256_add_pd(_mm256_load_pd(acc[g][k]), prod[k]));
      }
      const __m256d np0 = _mm256_add_pd(detail::cmul(ure[g][0], uim[g][0], p0), detail::cmul(ure[g][1], uim[g][1], p1));
      const __m256d np1 = _mm256_add_pd(detail::cmul(ure[g][2], uim[g][2], p0), detail::cmul(ure[g][3], uim[g][3], p1));
      const __m256d nl0 = _mm256_add_pd(detail::cmul(ure[g][0], uim[g][0], l0), detail::cmul(ure[g][1], uim[g][1], l1));
      const __m256d nl1 = _mm256_add_pd(detail::cmul(ure[g][2], uim[g][2], l0), detail::cmul(ure[g][3], uim[g][3], l1));
      p0 = np0;
      p1 = np1;
      l0 = nl0;
      l1 = nl1;
    }
    detail::store2(psi, i0, p0);
    detail::store2(psi, i1, p1);
    detail::store2(lam, i0, l0);
    detail::store2(lam, i1, l1);
  }
  // Re T = Σ P over all lanes; Im T = Σ Q over the imaginary lanes − Σ Q over the real lanes.
  for (unsigned g = 0; g < count; ++g)
    for (unsigned e = 0; e < 4; ++e) {
      const double* pe = acc[g][e];
      const double* qe = acc[g][4 + e];
      t[8 * g + 2 * e] += (pe[0] + pe[1]) + (pe[2] + pe[3]);
      t[8 * g + 2 * e + 1] += (qe[1] + qe[3]) - (qe[0] + qe[2]);
    }
}

// As HQML_AVX2_GATES_INSTANTIATION (avx2_gates.hpp): declared extern under HQML_CPU_KERNELS_LIBRARY, defined by
// hqml::cpu_kernels.
#define HQML_AVX2_TRANSITION_INSTANTIATION(prefix, Real)                                                          \
  prefix template void transition_1q<Real>(const Real*, const Real*, unsigned, index_t, index_t, double(&)[8]);   \
  prefix template void adjoint_run_1q<Real>(Real*, Real*, unsigned, index_t, index_t, const double*, const bool*, \
                                            unsigned, double*)

#if defined(HQML_CPU_KERNELS_LIBRARY)
HQML_AVX2_TRANSITION_INSTANTIATION(extern, float);
HQML_AVX2_TRANSITION_INSTANTIATION(extern, double);
#endif

}  // namespace hqml::kernels::avx2

#endif
