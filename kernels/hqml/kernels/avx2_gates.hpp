#pragma once
// Gates with AVX2 + FMA for the CPU backend on x86-64: dense and controlled gates on up to four
// qubits, and the permutations and diagonals on up to two that act within a vector.
// A 256-bit vector holds 2 (double) or 4 (float) complex amplitudes. Gate qubits below that width
// ("low" qubits) mix lanes of one vector, the others ("high") mix whole vectors; both are covered by
// one form: out[r] = Σ_{c,p} C[r][c][p] ⊙ xor_p(in[c]), lane-wise complex products of precomputed
// coefficient vectors with lane-permuted input vectors (permutations pick lanes by blends instead,
// diagonals keep only the C[r][r][0] terms). Controls below the width make the lanes whose control
// bits are clear use the identity. The functions carry target attributes, so hqml needs no -mavx2
// and still runs on processors without it (hqml/backends/cpu_simd.hpp decides).

#include <hqml/config.hpp>
#include <hqml/kernels/index.hpp>

#include <algorithm>
#include <bit>
#include <complex>
#include <cstddef>
#include <utility>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define HQML_HAS_AVX2_KERNELS 1
#include <immintrin.h>
#define HQML_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define HQML_HAS_AVX2_KERNELS 0
#endif

namespace hqml::kernels::avx2 {

/// Gates on more qubits than this run on the generic kernels.
inline constexpr unsigned max_gate_qubits = 4;

/// Bits of p placed at the set bits of mask, lowest first (a constexpr pdep).
constexpr unsigned deposit(unsigned mask, unsigned p) {
  unsigned out = 0;
  for (unsigned bit = 0, j = 0; bit < 32; ++bit)
    if ((mask >> bit) & 1u) out |= ((p >> j++) & 1u) << bit;
  return out;
}

/// A gate's matrix prepared for 256-bit vectors: which vectors a group touches and the coefficients.
template <class Real>
struct dense_plan {
  static constexpr unsigned log2_width = sizeof(Real) == 8 ? 1 : 2;
  static constexpr unsigned width = 1u << log2_width;  // complex amplitudes per vector
  static constexpr unsigned reals = 2 * width;         // Reals per vector
  static constexpr unsigned max_fixed = 16;
  // 4^high · 2^low (re, im) vector pairs, at most 4^max_gate_qubits since high + low ≤ max_gate_qubits.
  static constexpr std::size_t max_coefs = std::size_t{2} * reals * (1u << (2 * max_gate_qubits));

  unsigned high = 0;      // gate qubits at or above log2_width
  unsigned low_mask = 0;  // lane-index bits of the gate qubits below it
  unsigned nfixed = 0;    // vector-index bits that are zero in a group's base, ascending
  unsigned fixed[max_fixed] = {};
  index_t groups = 0;                          // groups (bases) in the register
  index_t control = 0;                         // control bits at or above log2_width, as a vector index
  index_t offset[1u << max_gate_qubits] = {};  // vector offset of each high local index
  alignas(32) Real coef[max_coefs];
  // A two-term matrix (find_two_term): out[r] = D0[r] in[r] + D1[r] in[r ^ m], m split into the high
  // local index it flips (xor_high) and the lane permutation it applies (xor_p, lane_permutations' order).
  unsigned xor_high = 0, xor_p = 0;

  /// Prepares matrix m (m(r, c) is element (r, c), local-index bit j on qubit qubits[j]) for an n-qubit
  /// register, applied where every bit of `control` is set. False when the vector kernels do not
  /// cover the case (more than max_gate_qubits qubits, a register smaller than a group of vectors).
  template <class M>
  bool prepare(unsigned n, const unsigned* qubits, unsigned k, index_t control_mask, const M& m) {
    if (k == 0 || k > max_gate_qubits || n < log2_width) return false;
    unsigned high_q[max_gate_qubits] = {}, low_q[max_gate_qubits] = {}, high_bit[max_gate_qubits] = {},
             low_bit[max_gate_qubits] = {};
    unsigned nlow = 0;
    high = 0;
    low_mask = 0;
    for (unsigned j = 0; j < k; ++j) {
      if (qubits[j] < log2_width) {
        low_q[nlow] = qubits[j];
        low_bit[nlow++] = j;
        low_mask |= 1u << qubits[j];
      } else {
        high_q[high] = qubits[j] - log2_width;
        high_bit[high++] = j;
      }
    }
    // Low local index bit i goes with the i-th lowest low qubit, as the lane permutations expect.
    if (nlow == 2 && low_q[0] > low_q[1]) {
      std::swap(low_q[0], low_q[1]);
      std::swap(low_bit[0], low_bit[1]);
    }
    static_assert(log2_width <= 2, "sort the low qubits");
    const unsigned low_control = static_cast<unsigned>(control_mask) & (width - 1);
    control = control_mask >> log2_width;
    nfixed = 0;
    for (unsigned h = 0; h < high; ++h) fixed[nfixed++] = high_q[h];
    for (index_t c = control; c; c &= c - 1) {
      if (nfixed == max_fixed) return false;
      fixed[nfixed++] = static_cast<unsigned>(std::countr_zero(c));
    }
    std::sort(fixed, fixed + nfixed);
    if (n - log2_width < nfixed) return false;
    groups = index_t{1} << (n - log2_width - nfixed);
    const unsigned nh = 1u << high, np = 1u << nlow;
    for (unsigned h = 0; h < nh; ++h) {
      offset[h] = 0;
      for (unsigned i = 0; i < high; ++i)
        if ((h >> i) & 1u) offset[h] |= index_t{1} << high_q[i];
    }
    // Local index of the gate from a high local index and a low one.
    auto local = [&](unsigned h, unsigned lo) {
      unsigned l = 0;
      for (unsigned i = 0; i < high; ++i) l |= ((h >> i) & 1u) << high_bit[i];
      for (unsigned i = 0; i < nlow; ++i) l |= ((lo >> i) & 1u) << low_bit[i];
      return l;
    };
    for (unsigned rh = 0; rh < nh; ++rh)
      for (unsigned ch = 0; ch < nh; ++ch)
        for (unsigned p = 0; p < np; ++p) {
          Real* cre = coef + ((rh * nh + ch) * np + p) * 2 * reals;
          Real* cim = cre + reals;
          for (unsigned lane = 0; lane < width; ++lane) {
            unsigned lo = 0;
            for (unsigned i = 0; i < nlow; ++i) lo |= ((lane >> low_q[i]) & 1u) << i;
            std::complex<Real> c;
            if ((lane & low_control) == low_control)
              c = m(local(rh, lo), local(ch, lo ^ p));
            else
              c = (rh == ch && p == 0) ? Real(1) : Real(0);
            cre[2 * lane] = cre[2 * lane + 1] = c.real();
            cim[2 * lane] = cim[2 * lane + 1] = c.imag();
          }
        }
    return true;
  }

  /// Whether the prepared matrix has at most two terms per row, in[r] and in[r ^ m] for one m across
  /// all rows (RXX, RYY, iSWAP, XX+YY: half of a dense 2-qubit gate's products); sets xor_*.
  bool find_two_term() {
    const unsigned nh = 1u << high, np = 1u << std::popcount(low_mask);
    bool found = false;
    for (unsigned rh = 0; rh < nh; ++rh)
      for (unsigned ch = 0; ch < nh; ++ch)
        for (unsigned p = 0; p < np; ++p) {
          if (ch == rh && p == 0) continue;
          const Real* c = coef + ((rh * nh + ch) * np + p) * 2 * reals;
          if (std::all_of(c, c + 2 * reals, [](Real v) { return v == Real(0); })) continue;
          if (found && ((rh ^ ch) != xor_high || p != xor_p)) return false;
          found = true;
          xor_high = rh ^ ch;
          xor_p = p;
        }
    return found;
  }
};

#if HQML_HAS_AVX2_KERNELS

template <class Real>
struct simd;

template <>
struct simd<double> {
  using v = __m256d;
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v load(const double* p) { return _mm256_loadu_pd(p); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE void store(double* p, v x) { _mm256_storeu_pd(p, x); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v zero() { return _mm256_setzero_pd(); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v fmadd(v a, v b, v c) { return _mm256_fmadd_pd(a, b, c); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v mul(v a, v b) { return _mm256_mul_pd(a, b); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v addsub(v a, v b) { return _mm256_addsub_pd(a, b); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v swap_re_im(v x) { return _mm256_permute_pd(x, 0b0101); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v nonzero(v x) { return _mm256_cmp_pd(x, zero(), _CMP_NEQ_OQ); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v blend(v a, v b, v mask) { return _mm256_blendv_pd(a, b, mask); }
  template <unsigned X>
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v lane_xor(v x) {
    if constexpr (X == 0)
      return x;
    else
      return _mm256_permute4x64_pd(x, 0x4E);
  }
};

template <>
struct simd<float> {
  using v = __m256;
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v load(const float* p) { return _mm256_loadu_ps(p); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE void store(float* p, v x) { _mm256_storeu_ps(p, x); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v zero() { return _mm256_setzero_ps(); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v fmadd(v a, v b, v c) { return _mm256_fmadd_ps(a, b, c); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v mul(v a, v b) { return _mm256_mul_ps(a, b); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v addsub(v a, v b) { return _mm256_addsub_ps(a, b); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v swap_re_im(v x) { return _mm256_permute_ps(x, 0xB1); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v nonzero(v x) { return _mm256_cmp_ps(x, zero(), _CMP_NEQ_OQ); }
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v blend(v a, v b, v mask) { return _mm256_blendv_ps(a, b, mask); }
  template <unsigned X>
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE v lane_xor(v x) {
    if constexpr (X & 1u) x = _mm256_permute_ps(x, 0x4E);          // swap neighbouring complex numbers
    if constexpr (X & 2u) x = _mm256_permute2f128_ps(x, x, 0x01);  // swap the 128-bit halves
    return x;
  }
};

/// out[p] = in with its lanes XOR-permuted by the p-th subset of LowMask. (A function, not a lambda:
/// lambdas do not inherit the caller's target attribute.)
template <class S, unsigned LowMask, unsigned... P>
HQML_TARGET_AVX2 HQML_FORCE_INLINE void lane_permutations(typename S::v in, typename S::v* out,
                                                          std::integer_sequence<unsigned, P...>) {
  ((out[P] = S::template lane_xor<deposit(LowMask, P)>(in)), ...);
}

/// The first vector of group j of amplitude array a.
template <class Real>
HQML_FORCE_INLINE Real* group_base(const dense_plan<Real>& plan, Real* a, index_t j) {
  return a + (insert_zeros(j, plan.fixed, plan.nfixed) + plan.control) * dense_plan<Real>::reals;
}

/// for_each_group for runs of exactly L groups, j0 and j1 multiples of L.
template <index_t L, class Real, class Body>
HQML_TARGET_AVX2 HQML_FORCE_INLINE void for_each_short_run(const dense_plan<Real>& plan, Real* a, index_t j0,
                                                           index_t j1, unsigned t, Body& body) {
  constexpr index_t reals = dense_plan<Real>::reals;
  for (index_t j = j0; j < j1; j += L) {
    Real* base = group_base(plan, a, j);
    for (index_t l = 0; l < L; ++l) body(base + ((l * reals) << t));
  }
}

/// Calls body(base) for the groups [j0, j1) of amplitude array a (interleaved re, im), base pointing at
/// the group's first vector, walking the runs of runs_of() as the generic driver does. (Bodies are function objects,
/// not lambdas: lambdas do not inherit the caller's target attribute.)
template <class Real, class Body>
HQML_TARGET_AVX2 HQML_FORCE_INLINE void for_each_group(const dense_plan<Real>& plan, Real* a, index_t j0, index_t j1,
                                                       Body& body) {
  constexpr unsigned reals = dense_plan<Real>::reals;
  const base_runs runs = runs_of(plan.fixed, plan.nfixed, plan.groups);
  const unsigned t = runs.shift;
  const index_t run = runs.length;
  // Runs of two or four groups (a gate qubit just above the vector width): a loop of constant length.
  if (((j0 | j1) & (run - 1)) == 0 && (run == 2 || run == 4)) {
    if (run == 2)
      for_each_short_run<2>(plan, a, j0, j1, t, body);
    else
      for_each_short_run<4>(plan, a, j0, j1, t, body);
    return;
  }
  for (index_t j = j0; j < j1;) {
    const index_t len = std::min(j1 - j, run - (j & (run - 1)));
    Real* base = group_base(plan, a, j);
    for (index_t l = 0; l < len; ++l, base += (index_t{reals} << t)) body(base);
    j += len;
  }
}

/// Dense matrices: out[r] = Σ_{h,p} C[r][h][p] ⊙ xor_p(in[h]).
template <class Real, unsigned High, unsigned LowMask>
struct dense_body {
  using S = simd<Real>;
  using V = typename S::v;
  static constexpr unsigned nh = 1u << High, np = 1u << std::popcount(LowMask), reals = dense_plan<Real>::reals;
  static constexpr unsigned rows = nh < 4 ? nh : 4;
  index_t off[nh];
  // A copy: the compiler cannot tell plan.coef from the amplitudes stored to, and would reload
  // every coefficient after each store.
  V coef[nh * nh * np * 2];

  HQML_TARGET_AVX2 HQML_FORCE_INLINE explicit dense_body(const dense_plan<Real>& plan) {
    for (unsigned h = 0; h < nh; ++h) off[h] = plan.offset[h] * reals;
    for (unsigned i = 0; i < nh * nh * np * 2; ++i) coef[i] = S::load(plan.coef + i * reals);
  }
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void operator()(Real* base) const {
    if constexpr (nh == rows && 2 * nh * np + 2 * rows > 12)
      apply_streamed(base);
    else
      apply_held(base);
  }

 private:
  // Every input and its permutations held in registers, rows in blocks sharing them: about one load
  // per FMA. The fastest form while it fits in the 16 vector registers.
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void apply_held(Real* base) const {
    V x[nh][np], xs[nh][np];
    for (unsigned h = 0; h < nh; ++h) {
      const V in = S::load(base + off[h]);
      lane_permutations<S, LowMask>(in, x[h], std::make_integer_sequence<unsigned, np>{});
      lane_permutations<S, LowMask>(S::swap_re_im(in), xs[h], std::make_integer_sequence<unsigned, np>{});
    }
    for (unsigned r0 = 0; r0 < nh; r0 += rows) {
      V re[rows], im[rows];
      for (unsigned i = 0; i < rows; ++i) re[i] = im[i] = S::zero();
      for (unsigned h = 0; h < nh; ++h)
        for (unsigned p = 0; p < np; ++p) accumulate(coef + ((r0 * nh + h) * np + p) * 2, x[h][p], xs[h][p], re, im);
      for (unsigned i = 0; i < rows; ++i) S::store(base + off[r0 + i], S::addsub(re[i], im[i]));
    }
  }

  // Four rows (2-qubit gates, 3- and 4-qubit ones with qubits inside a vector): the inputs streamed
  // through the one block of rows, so only the accumulators and one input's permutations live in
  // registers. (Held, the inputs spilled, and the reloads made 2-qubit gates 1.3-1.6x slower on a state
  // in cache.) More rows than a block would need every input again for each block, and streaming
  // them measured 1.15-1.45x slower than the spilled form on the fused 3- and 4-qubit blocks.
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void apply_streamed(Real* base) const {
    static_assert(nh == rows);
    V re[rows], im[rows];
    for (unsigned i = 0; i < rows; ++i) re[i] = im[i] = S::zero();
    for (unsigned h = 0; h < nh; ++h) {
      V x[np], xs[np];
      const V in = S::load(base + off[h]);
      lane_permutations<S, LowMask>(in, x, std::make_integer_sequence<unsigned, np>{});
      lane_permutations<S, LowMask>(S::swap_re_im(in), xs, std::make_integer_sequence<unsigned, np>{});
      for (unsigned p = 0; p < np; ++p) accumulate(coef + (h * np + p) * 2, x[p], xs[p], re, im);
    }
    for (unsigned i = 0; i < rows; ++i) S::store(base + off[i], S::addsub(re[i], im[i]));
  }

  // re[i] += C[r0 + i][h][p].re ⊙ x, im[i] += C[r0 + i][h][p].im ⊙ swap(x), c pointing at row r0's pair.
  HQML_TARGET_AVX2 static HQML_FORCE_INLINE void accumulate(const V* c, V x, V xs, V* re, V* im) {
    for (unsigned i = 0; i < rows; ++i) {
      re[i] = S::fmadd(c[i * nh * np * 2], x, re[i]);
      im[i] = S::fmadd(c[i * nh * np * 2 + 1], xs, im[i]);
    }
  }
};

/// Permutations (X, CX, SWAP, CCX, CSWAP with a qubit inside a vector): each output lane takes one input
/// lane, picked by blends instead of multiplied out.
template <class Real, unsigned High, unsigned LowMask>
struct permutation_body {
  using S = simd<Real>;
  using V = typename S::v;
  static constexpr unsigned nh = 1u << High, np = 1u << std::popcount(LowMask), reals = dense_plan<Real>::reals;
  index_t off[nh];
  V take[nh][nh][np];  // lanes of output r that come from lane-permuted input h

  HQML_TARGET_AVX2 HQML_FORCE_INLINE explicit permutation_body(const dense_plan<Real>& plan) {
    for (unsigned h = 0; h < nh; ++h) off[h] = plan.offset[h] * reals;
    for (unsigned r = 0; r < nh; ++r)
      for (unsigned h = 0; h < nh; ++h)
        for (unsigned p = 0; p < np; ++p)
          take[r][h][p] = S::nonzero(S::load(plan.coef + ((r * nh + h) * np + p) * 2 * reals));
  }
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void operator()(Real* base) const {
    V x[nh][np];
    for (unsigned h = 0; h < nh; ++h)
      lane_permutations<S, LowMask>(S::load(base + off[h]), x[h], std::make_integer_sequence<unsigned, np>{});
    V out[nh];
    for (unsigned r = 0; r < nh; ++r) {
      out[r] = x[r][0];
      for (unsigned h = 0; h < nh; ++h)
        for (unsigned p = 0; p < np; ++p)
          if (h != r || p != 0) out[r] = S::blend(out[r], x[h][p], take[r][h][p]);
    }
    for (unsigned r = 0; r < nh; ++r) S::store(base + off[r], out[r]);
  }
};

/// Diagonals (RZ, CRZ, RZZ with a qubit inside a vector): each vector is multiplied lane-wise by its
/// own coefficients C[h][h][0]; no vector mixes with another.
template <class Real, unsigned High, unsigned LowMask>
struct diagonal_body {
  using S = simd<Real>;
  using V = typename S::v;
  static constexpr unsigned nh = 1u << High, np = 1u << std::popcount(LowMask), reals = dense_plan<Real>::reals;
  index_t off[nh];
  V cre[nh], cim[nh];

  HQML_TARGET_AVX2 HQML_FORCE_INLINE explicit diagonal_body(const dense_plan<Real>& plan) {
    for (unsigned h = 0; h < nh; ++h) {
      off[h] = plan.offset[h] * reals;
      cre[h] = S::load(plan.coef + (h * nh + h) * np * 2 * reals);
      cim[h] = S::load(plan.coef + ((h * nh + h) * np * 2 + 1) * reals);
    }
  }
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void operator()(Real* base) const {
    for (unsigned h = 0; h < nh; ++h) {
      const V in = S::load(base + off[h]);
      S::store(base + off[h], S::addsub(S::mul(cre[h], in), S::mul(cim[h], S::swap_re_im(in))));
    }
  }
};

/// Two-term matrices (find_two_term): out[r] = D0[r] ⊙ in[r] + D1[r] ⊙ xor_X(in[r ^ xor_high]), two
/// complex products per output vector where the dense form has four on two qubits. X: the lane-index bits
/// of permutation xor_p.
template <class Real, unsigned High, unsigned X>
struct two_term_body {
  using S = simd<Real>;
  using V = typename S::v;
  static constexpr unsigned nh = 1u << High, reals = dense_plan<Real>::reals;
  index_t off[nh];
  unsigned partner[nh];
  V d0re[nh], d0im[nh], d1re[nh], d1im[nh];

  HQML_TARGET_AVX2 HQML_FORCE_INLINE explicit two_term_body(const dense_plan<Real>& plan) {
    const unsigned np = 1u << std::popcount(plan.low_mask);
    for (unsigned h = 0; h < nh; ++h) {
      off[h] = plan.offset[h] * reals;
      partner[h] = h ^ plan.xor_high;
      const Real* c0 = plan.coef + (h * nh + h) * np * 2 * reals;
      const Real* c1 = plan.coef + ((h * nh + partner[h]) * np + plan.xor_p) * 2 * reals;
      d0re[h] = S::load(c0);
      d0im[h] = S::load(c0 + reals);
      d1re[h] = S::load(c1);
      d1im[h] = S::load(c1 + reals);
    }
  }
  HQML_TARGET_AVX2 HQML_FORCE_INLINE void operator()(Real* base) const {
    V x[nh];
    for (unsigned h = 0; h < nh; ++h) x[h] = S::load(base + off[h]);
    for (unsigned r = 0; r < nh; ++r) {
      const V y = S::template lane_xor<X>(x[partner[r]]);
      const V re = S::fmadd(d1re[r], y, S::mul(d0re[r], x[r]));
      const V im = S::fmadd(d1im[r], S::swap_re_im(y), S::mul(d0im[r], S::swap_re_im(x[r])));
      S::store(base + off[r], S::addsub(re, im));
    }
  }
};

template <class Real, unsigned High, unsigned X>
HQML_TARGET_AVX2 HQML_NOINLINE void run_two_term(const dense_plan<Real>& plan, Real* a, index_t j0, index_t j1) {
  two_term_body<Real, High, X> body(plan);
  for_each_group(plan, a, j0, j1, body);
}

/// Applies a plan with the given body to the groups [j0, j1); one instantiation per body and shape.
template <class Real, template <class, unsigned, unsigned> class Body, unsigned High, unsigned LowMask>
HQML_TARGET_AVX2 HQML_NOINLINE void run(const dense_plan<Real>& plan, Real* a, index_t j0, index_t j1) {
  Body<Real, High, LowMask> body(plan);
  for_each_group(plan, a, j0, j1, body);
}

template <class Real>
using dense_runner = void (*)(const dense_plan<Real>&, Real*, index_t, index_t);

/// Permutations and diagonals handed to the vector kernels act on at most this many qubits.
inline constexpr unsigned max_sparse_qubits = 2;

enum class matrix_kind { dense, permutation, diagonal };

/// The instantiation of run for a plan's shape and the kind of its matrix (null where none covers it).
template <matrix_kind Kind, class Real>
dense_runner<Real> runner_for(const dense_plan<Real>& plan) {
  dense_runner<Real> f = nullptr;
  auto pick = [&]<unsigned LowMask>() {
    auto one = [&]<unsigned H>() {
      constexpr unsigned k = H + std::popcount(LowMask);
      if (plan.high != H) return;
      if constexpr (k >= 1 && Kind == matrix_kind::dense)
        f = &run<Real, dense_body, H, LowMask>;
      else if constexpr (k >= 1 && k <= max_sparse_qubits && Kind == matrix_kind::permutation)
        f = &run<Real, permutation_body, H, LowMask>;
      else if constexpr (k >= 1 && k <= max_sparse_qubits && Kind == matrix_kind::diagonal)
        f = &run<Real, diagonal_body, H, LowMask>;
    };
    [&]<unsigned... H>(std::integer_sequence<unsigned, H...>) { (one.template operator()<H>(), ...); }
    (std::make_integer_sequence<unsigned, max_gate_qubits - std::popcount(LowMask) + 1>{});
  };
  switch (plan.low_mask) {
    case 0:
      pick.template operator()<0>();
      break;
    case 1:
      pick.template operator()<1>();
      break;
    case 2:
      if constexpr (sizeof(Real) == 4) pick.template operator()<2>();
      break;
    case 3:
      if constexpr (sizeof(Real) == 4) pick.template operator()<3>();
      break;
    default:
      break;
  }
  return f;
}

/// The two-term kernel for a prepared plan of a gate on one or two qubits whose matrix has that form
/// (null otherwise: a 1-qubit matrix always has it, and the dense kernel already does two products).
template <class Real>
dense_runner<Real> two_term_runner(dense_plan<Real>& plan) {
  if (plan.high + static_cast<unsigned>(std::popcount(plan.low_mask)) != 2 || !plan.find_two_term()) return nullptr;
  // X is the lane XOR: 0 or 1 in double; 0 to 3 in float, where both gate qubits may lie inside a vector.
  const unsigned x = deposit(plan.low_mask, plan.xor_p);
  if (plan.high == 2) return &run_two_term<Real, 2, 0>;
  if (x == 0) return plan.high == 1 ? &run_two_term<Real, 1, 0> : nullptr;
  if (x == 1) return plan.high == 1 ? &run_two_term<Real, 1, 1> : &run_two_term<Real, 0, 1>;
  if constexpr (sizeof(Real) == 4) {
    if (x == 2) return plan.high == 1 ? &run_two_term<Real, 1, 2> : &run_two_term<Real, 0, 2>;
    return &run_two_term<Real, 0, 3>;  // both qubits inside the vector
  }
  return nullptr;
}

// The entry points through which the CPU backend instantiates every kernel shape above (run, run_two_term),
// named once for both uses: `extern` declares them (units linking hqml::cpu_kernels, which defines
// HQML_CPU_KERNELS_LIBRARY), empty instantiates them (backends/compiled/cpu_avx2.cpp, for float and double).
#define HQML_AVX2_GATES_INSTANTIATION(prefix, Real)                                                       \
  prefix template dense_runner<Real> runner_for<matrix_kind::dense, Real>(const dense_plan<Real>&);       \
  prefix template dense_runner<Real> runner_for<matrix_kind::permutation, Real>(const dense_plan<Real>&); \
  prefix template dense_runner<Real> runner_for<matrix_kind::diagonal, Real>(const dense_plan<Real>&);    \
  prefix template dense_runner<Real> two_term_runner<Real>(dense_plan<Real>&)

#if defined(HQML_CPU_KERNELS_LIBRARY)
HQML_AVX2_GATES_INSTANTIATION(extern, float);
HQML_AVX2_GATES_INSTANTIATION(extern, double);
#endif

#endif  // HQML_HAS_AVX2_KERNELS

}  // namespace hqml::kernels::avx2
