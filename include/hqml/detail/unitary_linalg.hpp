#pragma once
// Small dense complex linear algebra for the unitary synthesis (matrices up to 64 × 64), written here so
// that the simulator core needs no library: one- and two-sided Jacobi, eigenvectors of unitary and of
// complex symmetric unitary matrices however degenerate their spectra, the cosine-sine decomposition
// with relative accuracy on both sides, demultiplexing, and the nearest unitary.
// Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/unitary_linalg.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml::detail::synth {

using cplx = std::complex<double>;

/// A dense complex matrix, row-major; the sizes here are at most 64 × 64.
class dense {
 public:
  dense(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), v_(rows * cols) {}
  [[nodiscard]] static dense identity(std::size_t n) {
    dense m(n, n);
    for (std::size_t i = 0; i < n; ++i) m(i, i) = 1.0;
    return m;
  }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t cols() const { return cols_; }
  cplx& operator()(std::size_t r, std::size_t c) { return v_[r * cols_ + c]; }
  const cplx& operator()(std::size_t r, std::size_t c) const { return v_[r * cols_ + c]; }

  [[nodiscard]] dense block(std::size_t r0, std::size_t c0, std::size_t rows, std::size_t cols) const {
    dense b(rows, cols);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) b(r, c) = (*this)(r0 + r, c0 + c);
    return b;
  }
  [[nodiscard]] dense adjoint() const {
    dense a(cols_, rows_);
    for (std::size_t r = 0; r < rows_; ++r)
      for (std::size_t c = 0; c < cols_; ++c) a(c, r) = std::conj((*this)(r, c));
    return a;
  }
  [[nodiscard]] dense columns(const std::vector<std::size_t>& idx) const {
    dense b(rows_, idx.size());
    for (std::size_t r = 0; r < rows_; ++r)
      for (std::size_t c = 0; c < idx.size(); ++c) b(r, c) = (*this)(r, idx[c]);
    return b;
  }
  void set_columns(const std::vector<std::size_t>& idx, const dense& from) {
    for (std::size_t r = 0; r < rows_; ++r)
      for (std::size_t c = 0; c < idx.size(); ++c) (*this)(r, idx[c]) = from(r, c);
  }
  // The rotations and inner products, the bulk of the work, are written on real and imaginary parts:
  // GCC's SLP vectorizer packs std::complex arithmetic into SSE2 pairs that ran at half the speed
  // (-O2 and -O3; benchmarks/synthesis.sh).

  /// Columns i, j ← (c·a_i − s·e*·a_j, s·e·a_i + c·a_j): a complex Jacobi rotation.
  void rotate_columns(std::size_t i, std::size_t j, double c, double s, cplx e) {
    const double fr = s * e.real(), fi = s * e.imag();
    double* v = reinterpret_cast<double*>(v_.data());
    for (std::size_t r = 0; r < rows_; ++r) {
      double* x = v + 2 * (r * cols_ + i);
      double* y = v + 2 * (r * cols_ + j);
      const double xr = x[0], xi = x[1], yr = y[0], yi = y[1];
      x[0] = c * xr - (fr * yr + fi * yi);
      x[1] = c * xi - (fr * yi - fi * yr);
      y[0] = fr * xr - fi * xi + c * yr;
      y[1] = fr * xi + fi * xr + c * yi;
    }
  }
  /// The adjoint of rotate_columns from the left: rows i, j ← (c·r_i − s·e·r_j, s·e*·r_i + c·r_j).
  void rotate_rows(std::size_t i, std::size_t j, double c, double s, cplx e) {
    const double fr = s * e.real(), fi = s * e.imag();
    double* v = reinterpret_cast<double*>(v_.data());
    double* x = v + 2 * i * cols_;
    double* y = v + 2 * j * cols_;
    for (std::size_t k = 0; k < 2 * cols_; k += 2) {
      const double xr = x[k], xi = x[k + 1], yr = y[k], yi = y[k + 1];
      x[k] = c * xr - (fr * yr - fi * yi);
      x[k + 1] = c * xi - (fr * yi + fi * yr);
      y[k] = fr * xr + fi * xi + c * yr;
      y[k + 1] = fr * xi - fi * xr + c * yi;
    }
  }
  [[nodiscard]] double column_norm(std::size_t c) const {
    double s = 0.0;
    for (std::size_t r = 0; r < rows_; ++r) s += std::norm((*this)(r, c));
    return std::sqrt(s);
  }

 private:
  std::size_t rows_, cols_;
  std::vector<cplx> v_;
};

[[nodiscard]] inline dense operator*(const dense& a, const dense& b) {
  dense p(a.rows(), b.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t k = 0; k < a.cols(); ++k) {
      const cplx x = a(r, k);
      if (x == cplx(0.0)) continue;
      for (std::size_t c = 0; c < b.cols(); ++c) p(r, c) += x * b(k, c);
    }
  return p;
}

[[nodiscard]] inline double max_abs_diff(const dense& a, const dense& b) {
  double d = 0.0;
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < a.cols(); ++c) d = std::max(d, std::abs(a(r, c) - b(r, c)));
  return d;
}

/// The (c, s) of the Jacobi rotation that zeroes the coupling g = |γ| > 0 between diagonal entries a and b
/// (tan of the smaller of the two angles that do).
struct jacobi_rotation {
  double c, s;
};
[[nodiscard]] inline jacobi_rotation jacobi_angle(double a, double b, double g) {
  const double zeta = (b - a) / (2 * g);
  const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::abs(zeta) + std::hypot(1.0, zeta));
  const double c = 1 / std::hypot(1.0, t);
  return {c, c * t};
}

inline constexpr int max_sweeps = 60;  // Jacobi converges quadratically; 64 × 64 needs about 10

// A column whose squared norm is below this is zero for the factorizations here (their entries are at
// most 1): rotating it would work on subnormal numbers, whose g/|g| is no longer of modulus 1.
inline constexpr double negligible_norm2 = 1e-200;

/// One-sided Jacobi: rotates the columns of `a` in place until they are orthogonal to working precision
/// relative to their own norms (so small singular values keep their relative accuracy) and returns the
/// unitary V with a_in · V = a_out.
inline dense orthogonalize_columns(dense& a) {
  const std::size_t p = a.cols();
  dense v = dense::identity(p);
  const double tol =
      std::sqrt(static_cast<double>(std::max<std::size_t>(a.rows(), 1))) * std::numeric_limits<double>::epsilon();
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    bool rotated = false;
    for (std::size_t i = 0; i + 1 < p; ++i)
      for (std::size_t j = i + 1; j < p; ++j) {
        double ai = 0.0, aj = 0.0, gr = 0.0, gi = 0.0;
        for (std::size_t r = 0; r < a.rows(); ++r) {
          const cplx x = a(r, i), y = a(r, j);
          ai += x.real() * x.real() + x.imag() * x.imag();
          aj += y.real() * y.real() + y.imag() * y.imag();
          gr += x.real() * y.real() + x.imag() * y.imag();
          gi += x.real() * y.imag() - x.imag() * y.real();
        }
        const cplx g{gr, gi};
        const double ga = std::abs(g);
        if (!(ga > tol * std::sqrt(ai) * std::sqrt(aj)) || !(std::min(ai, aj) > negligible_norm2)) continue;
        rotated = true;
        const auto [c, s] = jacobi_angle(ai, aj, ga);
        a.rotate_columns(i, j, c, s, g / ga);
        v.rotate_columns(i, j, c, s, g / ga);
      }
    if (!rotated) break;
  }
  return v;
}

/// Cyclic two-sided Jacobi on a Hermitian matrix: the unitary V with V†·h·V diagonal.
[[nodiscard]] inline dense hermitian_eigenvectors(dense h) {
  const std::size_t n = h.rows();
  dense v = dense::identity(n);
  double scale = 0.0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) scale += std::norm(h(r, c));
  const double tiny = std::numeric_limits<double>::epsilon() * 1e-2 * std::sqrt(scale);
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    bool rotated = false;
    for (std::size_t p = 0; p + 1 < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) {
        const cplx g = h(p, q);
        const double ga = std::abs(g);
        if (!(ga > tiny)) continue;
        rotated = true;
        const auto [c, s] = jacobi_angle(h(p, p).real(), h(q, q).real(), ga);
        h.rotate_columns(p, q, c, s, g / ga);
        h.rotate_rows(p, q, c, s, g / ga);
        h(p, q) = h(q, p) = 0.0;
        h(p, p) = h(p, p).real();
        h(q, q) = h(q, q).real();
        v.rotate_columns(p, q, c, s, g / ga);
      }
    if (!rotated) break;
  }
  return v;
}

/// A unitary V with V†·m·V diagonal, for a unitary m. Each pass diagonalises the Hermitian part of
/// e^{−iα}m, which has the eigenvectors of m and eigenvalues cos(φ − α); two eigenphases mirrored about α
/// collide there, and the block they leave is diagonalised again with another α. Nearly equal
/// eigenphases need nothing: mixing their eigenvectors changes m's form by their (tiny) difference.
/// With `real_orthogonal`, for a complex symmetric m (the Cartan decomposition's): its real and imaginary
/// parts commute, so V can be real orthogonal; the Hermitian part is then taken as Re(e^{−iα}(m + mᵀ)/2), whose
/// rotations are real, rather than letting rounding noise in a degenerate block pick complex phases.
[[nodiscard]] inline dense unitary_eigenvectors(const dense& m, bool real_orthogonal = false, double alpha = 0.5,
                                                int depth = 0) {
  const std::size_t n = m.rows();
  const cplx e = std::polar(1.0, -alpha);
  dense h(n, n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c)
      h(r, c) =
          real_orthogonal ? cplx((e * (m(r, c) + m(c, r))).real() / 2) : (e * m(r, c) + std::conj(e * m(c, r))) / 2.0;
  dense v = hermitian_eigenvectors(h);
  const dense t = v.adjoint() * m * v;
  // Group the indices the remaining off-diagonal entries couple, and diagonalise each group again.
  constexpr double coupled = 1e-13;
  std::vector<std::size_t> group(n);
  std::iota(group.begin(), group.end(), std::size_t{0});
  auto root = [&](std::size_t i) {
    while (group[i] != i) i = group[i] = group[group[i]];
    return i;
  };
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = r + 1; c < n; ++c)
      if (std::abs(t(r, c)) > coupled || std::abs(t(c, r)) > coupled) group[root(r)] = root(c);
  for (std::size_t g = 0; g < n; ++g) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < n; ++i)
      if (root(i) == g) idx.push_back(i);
    if (idx.size() < 2) continue;
    if (depth >= 12)
      throw std::runtime_error("hqml: the eigenvectors of a unitary matrix did not converge; please report it");
    dense sub(idx.size(), idx.size());
    for (std::size_t r = 0; r < idx.size(); ++r)
      for (std::size_t c = 0; c < idx.size(); ++c) sub(r, c) = t(idx[r], idx[c]);
    // The golden angle keeps successive α far apart modulo 2π.
    const dense w = unitary_eigenvectors(sub, real_orthogonal, alpha + 2.399963229728653, depth + 1);
    v.set_columns(idx, v.columns(idx) * w);
  }
  return v;
}

/// Orthonormal columns q_i, in the given order, each along column i of b after projecting out the
/// earlier ones (twice, which keeps them orthogonal); a column that is numerically in their span is
/// replaced by the unit vector farthest from it. Returns |⟨q_i, b_i⟩| for each column.
inline std::vector<double> orthonormal_columns(const dense& b, const std::vector<std::size_t>& order, dense& q) {
  const std::size_t n = b.rows();
  std::vector<double> len(b.cols(), 0.0);
  std::vector<std::size_t> done;
  std::vector<cplx> x(n);
  auto project_out = [&] {
    for (std::size_t j : done) {
      cplx d = 0.0;
      for (std::size_t r = 0; r < n; ++r) d += std::conj(q(r, j)) * x[r];
      for (std::size_t r = 0; r < n; ++r) x[r] -= d * q(r, j);
    }
    double s = 0.0;
    for (const cplx& v : x) s += std::norm(v);
    return std::sqrt(s);
  };
  for (std::size_t i : order) {
    for (std::size_t r = 0; r < n; ++r) x[r] = b(r, i);
    const double n1 = project_out();
    double n2 = project_out();
    if (!(n2 > 0.5 * n1) || !(n2 * n2 > negligible_norm2)) {
      double best = -1.0;
      std::vector<cplx> pick(n);
      for (std::size_t u = 0; u < n; ++u) {
        std::fill(x.begin(), x.end(), cplx(0.0));
        x[u] = 1.0;
        project_out();
        const double nu = project_out();
        if (nu > best) best = nu, pick = x;
      }
      x = pick;
      n2 = best;
    }
    cplx d = 0.0;
    for (std::size_t r = 0; r < n; ++r) {
      q(r, i) = x[r] / n2;
      d += std::conj(q(r, i)) * b(r, i);
    }
    len[i] = std::abs(d);
    done.push_back(i);
  }
  return len;
}

/// U = (L0 ⊕ L1) · [[C, −S], [S, C]] · (R0 ⊕ R1) with C = diag(cos θ), S = diag(sin θ), θ ∈ [0, π/2]:
/// the cosine-sine decomposition of a 2h × 2h unitary into h × h blocks.
struct cosine_sine {
  dense l0, l1, r0, r1;
  std::vector<double> theta;
};

[[nodiscard]] inline cosine_sine cosine_sine_decomposition(const dense& u) {
  const std::size_t h = u.rows() / 2;
  const dense u00 = u.block(0, 0, h, h), u01 = u.block(0, h, h, h);
  const dense u10 = u.block(h, 0, h, h), u11 = u.block(h, h, h, h);
  // V = R0† from the right singular vectors of U00: B = U00·V and B' = U10·V have orthogonal columns,
  // of norms c_i and s_i with c_i² + s_i² = 1.
  dense b = u00;
  dense v = orthogonalize_columns(b);
  dense bp = u10 * v;
  // That orthogonality holds relative to the larger of c_i, s_i only; make the smaller side's columns
  // orthogonal relative to their own norms too, by rotating within each side (which keeps the other).
  std::vector<std::size_t> c_side, s_side;
  for (std::size_t i = 0; i < h; ++i) (b.column_norm(i) >= bp.column_norm(i) ? c_side : s_side).push_back(i);
  auto refine = [&](const std::vector<std::size_t>& idx, dense& small, dense& large) {
    if (idx.size() < 2) return;
    dense sub = small.columns(idx);
    const dense w = orthogonalize_columns(sub);
    small.set_columns(idx, sub);
    large.set_columns(idx, large.columns(idx) * w);
    v.set_columns(idx, v.columns(idx) * w);
  };
  refine(c_side, bp, b);
  refine(s_side, b, bp);

  std::vector<double> cn(h), sn(h);
  for (std::size_t i = 0; i < h; ++i) cn[i] = b.column_norm(i), sn[i] = bp.column_norm(i);
  std::vector<std::size_t> by_c(h), by_s(h);
  std::iota(by_c.begin(), by_c.end(), std::size_t{0});
  std::iota(by_s.begin(), by_s.end(), std::size_t{0});
  // Large columns first: a small one is then only ever projected on directions known accurately.
  std::stable_sort(by_c.begin(), by_c.end(), [&](std::size_t x, std::size_t y) { return cn[x] > cn[y]; });
  std::stable_sort(by_s.begin(), by_s.end(), [&](std::size_t x, std::size_t y) { return sn[x] > sn[y]; });
  cosine_sine cs{dense(h, h), dense(h, h), v.adjoint(), dense(h, h), std::vector<double>(h)};
  const std::vector<double> c = orthonormal_columns(b, by_c, cs.l0);
  const std::vector<double> s = orthonormal_columns(bp, by_s, cs.l1);
  const dense l0u01 = cs.l0.adjoint() * u01, l1u11 = cs.l1.adjoint() * u11;
  for (std::size_t i = 0; i < h; ++i) {
    cs.theta[i] = std::atan2(s[i], c[i]);
    const double ci = std::cos(cs.theta[i]), si = std::sin(cs.theta[i]);
    // U11 = L1·C·R1 and U01 = −L0·S·R1: take each row of R1 from the better conditioned one.
    for (std::size_t k = 0; k < h; ++k) cs.r1(i, k) = ci >= si ? l1u11(i, k) / ci : -l0u01(i, k) / si;
  }
  return cs;
}

/// A0 ⊕ A1 = (I ⊗ V) · (D ⊕ D†) · (I ⊗ W) with D = diag(e^{iδ}): a gate multiplexed on one qubit as two
/// gates on the others and a multiplexed Rz on that qubit, D ⊕ D† = Rz(φ) with φ = −2δ per state.
struct demultiplexed {
  dense v, w;
  std::vector<double> rz;  // φ
};

[[nodiscard]] inline demultiplexed demultiplex(const dense& a0, const dense& a1) {
  const std::size_t n = a0.rows();
  // A0·A1† = V·D²·V†, and W = D·V†·A1.
  const dense m = a0 * a1.adjoint();
  demultiplexed out{unitary_eigenvectors(m), dense(n, n), std::vector<double>(n)};
  const dense t = out.v.adjoint() * m * out.v;
  const dense va1 = out.v.adjoint() * a1;
  for (std::size_t i = 0; i < n; ++i) {
    const double delta = std::arg(t(i, i)) / 2;
    out.rz[i] = -2 * delta;
    const cplx d = std::polar(1.0, delta);
    for (std::size_t k = 0; k < n; ++k) out.w(i, k) = d * va1(i, k);
  }
  return out;
}

/// The determinant of a 4 × 4 matrix, by cofactors along row 0.
[[nodiscard]] inline cplx det4(const dense& a) {
  cplx det = 0.0;
  for (std::size_t j = 0; j < 4; ++j) {
    std::size_t cols[3], k = 0;
    for (std::size_t c = 0; c < 4; ++c)
      if (c != j) cols[k++] = c;
    auto e = [&](std::size_t r, std::size_t c) { return a(r, cols[c]); };
    const cplx minor = e(1, 0) * (e(2, 1) * e(3, 2) - e(2, 2) * e(3, 1)) -
                       e(1, 1) * (e(2, 0) * e(3, 2) - e(2, 2) * e(3, 0)) +
                       e(1, 2) * (e(2, 0) * e(3, 1) - e(2, 1) * e(3, 0));
    det += (j % 2 ? -1.0 : 1.0) * a(0, j) * minor;
  }
  return det;
}

/// ‖a†a − I‖_F, which bounds how far a is from the nearest unitary (in the spectral norm).
[[nodiscard]] inline double unitarity_defect(const dense& a) {
  const dense p = a.adjoint() * a;
  double s = 0.0;
  for (std::size_t r = 0; r < p.rows(); ++r)
    for (std::size_t c = 0; c < p.cols(); ++c) s += std::norm(p(r, c) - (r == c ? 1.0 : 0.0));
  return std::sqrt(s);
}

/// The unitary nearest to a (the polar factor), by Newton–Schulz steps W ← W(3I − W†W)/2, which converge
/// quadratically from anything unitary to within 1e-8 (what circuit::unitary accepts); the decomposition
/// needs a unitary to working precision, or its eigenproblems have no exact solution.
/// A matrix further than 1e-6 from unitary (more than circuit::unitary lets through at 64 × 64) is refused.
[[nodiscard]] inline dense nearest_unitary(const dense& a, std::size_t num_qubits) {
  const double given = unitarity_defect(a);
  auto refuse = [&] {
    return std::invalid_argument("hqml: a " + std::to_string(num_qubits) +
                                 "-qubit matrix to decompose is not unitary (‖U†U − I‖ = " + std::to_string(given) +
                                 ")");
  };
  if (!(given <= 1e-6)) throw refuse();
  dense w = a;
  double defect = given;
  for (int step = 0; step < 30 && defect > 1e-14; ++step) {
    dense p = w.adjoint() * w;
    for (std::size_t r = 0; r < p.rows(); ++r)
      for (std::size_t c = 0; c < p.cols(); ++c) p(r, c) = ((r == c ? 3.0 : 0.0) - p(r, c)) / 2.0;
    w = w * p;
    const double next = unitarity_defect(w);
    if (!(next < defect)) break;  // diverging: far from unitary
    defect = next;
  }
  if (!(defect <= 1e-12)) throw refuse();
  return w;
}

}  // namespace hqml::detail::synth
