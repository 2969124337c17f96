#pragma once
// Synthesis of k-qubit unitary and diagonal matrices into one-qubit gates, CNOTs and CZs, for exporters
// that may only write elementary gates: the quantum Shannon decomposition (Shende, Bullock, Markov 2006)
// with its optimizations A.1 and A.2, over uniformly controlled rotations (Möttönen et al. 2004) and
// two-qubit Cartan (KAK) leaves, with the linear algebra it needs written here so that the simulator
// core keeps needing no library. Exact up to global phase, with at most (23/48)·4^k − (3/2)·2^k + 4/3
// two-qubit gates (3, 20, 100, 444, 1868 for k = 2..6), fewer where the matrix has structure; a
// diagonal takes 2^k − 2. Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/unitary_synthesis.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml::detail::synth {

using cplx = std::complex<double>;
using mat2 = std::array<cplx, 4>;  // row-major 2×2

/// The product a·b of 2×2 matrices.
[[nodiscard]] inline mat2 mul2(const mat2& a, const mat2& b) {
  return {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
}

/// U = e^{iγ} U3(θ, φ, λ).
struct u3_angles {
  double theta, phi, lambda, gamma;
};

/// Exact Euler angles of a 2×2 unitary, global phase included. Works through the SU(2) part
/// [[α, −β*], [β, α*]] so that a tiny, noisy entry only ever sets the phase of tiny entries.
[[nodiscard]] inline u3_angles euler_angles(const mat2& m) {
  const double delta = std::arg(m[0] * m[3] - m[1] * m[2]) / 2;
  const cplx ph = std::polar(1.0, -delta);
  const cplx alpha = (m[0] * ph + std::conj(m[3] * ph)) / 2.0;
  const cplx beta = (m[2] * ph - std::conj(m[1] * ph)) / 2.0;
  const double a = std::arg(alpha), b = std::arg(beta);
  // U3 = e^{i(φ+λ)/2} [[e^{−i(φ+λ)/2} cos, ·], [e^{i(φ−λ)/2} sin, ·]], so α fixes φ+λ and β fixes φ−λ.
  return {2 * std::atan2(std::abs(beta), std::abs(alpha)), b - a, -a - b, delta + a};
}

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
        if (!(ga > tol * std::sqrt(ai) * std::sqrt(aj))) continue;
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
[[nodiscard]] inline dense unitary_eigenvectors(const dense& m, double alpha = 0.5, int depth = 0) {
  const std::size_t n = m.rows();
  const cplx e = std::polar(1.0, -alpha);
  dense h(n, n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) h(r, c) = (e * m(r, c) + std::conj(e * m(c, r))) / 2.0;
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
    const dense w = unitary_eigenvectors(sub, alpha + 2.399963229728653, depth + 1);
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
    if (!(n2 > 0.5 * n1) || !(n2 > std::numeric_limits<double>::min())) {
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
/// gates on the others and a multiplexed Rz(−2δ) on that qubit.
struct demultiplexed {
  dense v, w;
  std::vector<double> delta;
};

[[nodiscard]] inline demultiplexed demultiplex(const dense& a0, const dense& a1) {
  const std::size_t n = a0.rows();
  // A0·A1† = V·D²·V†, and W = D·V†·A1.
  const dense m = a0 * a1.adjoint();
  demultiplexed out{unitary_eigenvectors(m), dense(n, n), std::vector<double>(n)};
  const dense t = out.v.adjoint() * m * out.v;
  const dense va1 = out.v.adjoint() * a1;
  for (std::size_t i = 0; i < n; ++i) {
    out.delta[i] = std::arg(t(i, i)) / 2;
    const cplx d = std::polar(1.0, out.delta[i]);
    for (std::size_t k = 0; k < n; ++k) out.w(i, k) = d * va1(i, k);
  }
  return out;
}

/// One elementary gate: a one-qubit gate (named ry, rz or u3, with its matrix), a CNOT or a CZ.
struct elementary_gate {
  enum class type { ry, rz, u3, cx, cz } kind;
  std::uint32_t q0, q1 = 0;  // the qubit; or control and target; or the CZ's two qubits, lower first
  double angle = 0.0;        // ry, rz
  mat2 m{};                  // one-qubit gates
};

/// Collects gates in time order with a peephole pass: a two-qubit gate cancels an earlier equal one, and a
/// one-qubit gate merges into the last one on its qubit, when everything between them commutes with it
/// (diagonal gates with each other, CNOTs sharing only a control or only a target, a CNOT with diagonal
/// gates off its target); a merged gate that comes to the identity up to phase is dropped: exporters work
/// up to global phase.
class gate_sink {
  using type = elementary_gate::type;

 public:
  void cx(std::uint32_t c, std::uint32_t t) { two_qubit({type::cx, c, t, 0.0, {}}); }
  void cz(std::uint32_t a, std::uint32_t b) { two_qubit({type::cz, std::min(a, b), std::max(a, b), 0.0, {}}); }
  void rotation(type axis, std::uint32_t q, double angle) {
    if (std::abs(angle) <= 1e-15) return;  // changes the unitary by at most 5e-16
    const cplx c = std::cos(angle / 2), s = std::sin(angle / 2), i{0.0, 1.0};
    const mat2 m = axis == type::ry ? mat2{c, -s, s, c} : mat2{c - i * s, 0.0, 0.0, c + i * s};
    one_qubit({axis, q, 0, angle, m});
  }
  void unitary(std::uint32_t q, const mat2& m) { one_qubit({type::u3, q, 0, 0.0, m}); }

  /// The gates left, in time order.
  [[nodiscard]] std::vector<elementary_gate> gates() const {
    std::vector<elementary_gate> out;
    for (std::size_t i = 0; i < gates_.size(); ++i)
      if (alive_[i]) out.push_back(gates_[i]);
    return out;
  }

 private:
  static constexpr std::size_t window = 256;  // how far back the peephole looks

  [[nodiscard]] static bool two(const elementary_gate& g) { return g.kind == type::cx || g.kind == type::cz; }
  [[nodiscard]] static bool on(const elementary_gate& g, std::uint32_t q) { return g.q0 == q || (two(g) && g.q1 == q); }
  [[nodiscard]] static bool shares(const elementary_gate& a, const elementary_gate& b) {
    return on(a, b.q0) || (two(b) && on(a, b.q1));
  }
  [[nodiscard]] static bool diagonal(const elementary_gate& g) { return g.kind == type::rz || g.kind == type::cz; }
  [[nodiscard]] static bool commute(const elementary_gate& a, const elementary_gate& b) {
    if (!shares(a, b) || (diagonal(a) && diagonal(b))) return true;
    auto with_cx = [](const elementary_gate& x, const elementary_gate& y) {  // x a CNOT
      if (diagonal(y)) return !on(y, x.q1);
      if (y.kind == type::cx) return (x.q0 == y.q0) != (x.q1 == y.q1) && x.q0 != y.q1 && x.q1 != y.q0;
      return false;
    };
    if (a.kind == type::cx) return with_cx(a, b);
    if (b.kind == type::cx) return with_cx(b, a);
    return false;
  }

  void push(const elementary_gate& g) {
    gates_.push_back(g);
    alive_.push_back(true);
  }
  void two_qubit(const elementary_gate& g) {
    for (std::size_t i = gates_.size(), steps = 0; i-- > 0 && steps < window; ++steps) {
      const elementary_gate& h = gates_[i];
      if (!alive_[i] || !shares(h, g)) continue;
      if (h.kind == g.kind && h.q0 == g.q0 && h.q1 == g.q1) {
        alive_[i] = false;
        return;
      }
      if (!commute(h, g)) break;
    }
    push(g);
  }
  void one_qubit(const elementary_gate& g) {
    for (std::size_t i = gates_.size(), steps = 0; i-- > 0 && steps < window; ++steps) {
      elementary_gate& h = gates_[i];
      if (!alive_[i] || !shares(h, g)) continue;
      if (two(h)) {
        if (commute(h, g)) continue;
        break;
      }
      h.m = mul2(g.m, h.m);
      h.kind = h.kind == g.kind && g.kind != type::u3 ? g.kind : type::u3;
      h.angle += g.angle;
      if (std::abs(h.m[1]) + std::abs(h.m[2]) <= 1e-15 && std::abs(h.m[3] - h.m[0]) <= 1e-15) alive_[i] = false;
      return;
    }
    push(g);
  }

  std::vector<elementary_gate> gates_;
  std::vector<bool> alive_;
};

/// The multiplexed rotation R(α_x) on `target` for each state x of `controls` (bit j of x = controls[j]):
/// 2^m rotations and 2^m CNOTs in Gray-code order, θ = H·α / 2^m with H the Walsh–Hadamard matrix, since
/// control state x sees Σ_i (−1)^{x·g(i)} θ_i. For Ry, CZ flips the angle as CNOT does; with
/// `leave_last_cz` the CZs that end the sequence are not written but returned as a mask over the
/// controls, for the caller to fold into the gate that follows (Shende et al.'s optimization A.1).
inline std::size_t multiplexed_rotation(gate_sink& out, elementary_gate::type axis, std::uint32_t target,
                                        const std::vector<std::uint32_t>& controls, std::vector<double> alpha,
                                        bool leave_last_cz = false) {
  const std::size_t n = alpha.size();
  for (std::size_t h = 1; h < n; h <<= 1)
    for (std::size_t i = 0; i < n; i += 2 * h)
      for (std::size_t j = i; j < i + h; ++j) {
        const double a = alpha[j], b = alpha[j + h];
        alpha[j] = a + b;
        alpha[j + h] = a - b;
      }
  // The CNOTs (CZs) all share the target and commute, so between two rotations only the controls used
  // an odd number of times are written: a rotation that vanishes costs nothing.
  std::size_t pending = 0;
  auto flush = [&] {
    for (std::size_t j = 0; j < controls.size(); ++j)
      if ((pending >> j) & 1) leave_last_cz ? out.cz(controls[j], target) : out.cx(controls[j], target);
    pending = 0;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t g = i ^ (i >> 1), next = ((i + 1) % n) ^ (((i + 1) % n) >> 1);
    const double theta = alpha[g] / static_cast<double>(n);
    if (std::abs(theta) > 1e-15) {
      flush();
      out.rotation(axis, target, theta);
    }
    pending ^= g ^ next;
  }
  if (leave_last_cz) return pending;
  flush();
  return 0;
}

/// diag(e^{iψ(x)}) on `qubits` (bit j of x = qubits[j]), up to global phase: a multiplexed Rz on the top
/// qubit and the mean phases on the others, 2^k − 2 CNOTs in all.
inline void synthesize_diagonal(gate_sink& out, const std::vector<std::uint32_t>& qubits, std::vector<double> psi) {
  for (std::size_t k = qubits.size(); k >= 1; --k) {
    const std::size_t half = std::size_t{1} << (k - 1);
    std::vector<double> rz(half), mean(half);
    // Rz(φ) = diag(e^{−iφ/2}, e^{iφ/2}); the same ψ feed both, so a 2π in one cancels.
    for (std::size_t x = 0; x < half; ++x) rz[x] = psi[x + half] - psi[x], mean[x] = (psi[x] + psi[x + half]) / 2;
    multiplexed_rotation(
        out, elementary_gate::type::rz, qubits[k - 1],
        std::vector<std::uint32_t>(qubits.begin(), qubits.begin() + static_cast<std::ptrdiff_t>(k - 1)), rz);
    psi = std::move(mean);
  }
}

/// Below this, an entry counts as structurally equal (a zero block, equal halves): taking the cheaper
/// synthesis then changes the unitary by about as much as rounding does.
inline constexpr double exact = 1e-15;

/// U = e^{iφ}·(A1 ⊗ A0)·exp(i(a·XX + b·YY + c·ZZ))·(B1 ⊗ B0) for a two-qubit U (A1, B1 on the index's
/// high bit): the KAK (Cartan) decomposition, through the magic basis, where local gates are real
/// orthogonal and the interaction is diagonal.
struct two_qubit_cartan {
  mat2 a1, a0, b1, b0;
  double a, b, c;
};

/// The magic basis (Kraus and Cirac), as columns: B†·(A ⊗ C)·B is real orthogonal for A, C in SU(2).
[[nodiscard]] inline dense magic_basis() {
  const double r = 1 / std::sqrt(2.0);
  const cplx i{0.0, r};
  dense m(4, 4);
  m(0, 0) = r, m(0, 3) = i;
  m(1, 1) = i, m(1, 2) = r;
  m(2, 1) = i, m(2, 2) = -r;
  m(3, 0) = r, m(3, 3) = -i;
  return m;
}

/// A real orthogonal P with Pᵀ·m·P diagonal, for a complex symmetric unitary m: its real and imaginary
/// parts commute, so a real Jacobi pass on Re m + t·Im m diagonalises both unless two eigenvalues collide
/// there; the block they leave is diagonalised again with another t.
[[nodiscard]] inline dense symmetric_unitary_eigenvectors(const dense& m, double t = 0.6180339887498949,
                                                          int depth = 0) {
  const std::size_t n = m.rows();
  dense h(n, n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c)
      h(r, c) = (m(r, c) + std::conj(m(c, r))).real() / 2 + t * (m(r, c) - std::conj(m(c, r))).imag() / 2;
  dense p = hermitian_eigenvectors(h);  // real: every rotation of a real symmetric matrix is real
  dense tm(n, n);
  {
    const dense pt = p.adjoint();
    tm = pt * m * p;
  }
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c)
      if (r != c && std::abs(tm(r, c)) > 1e-13) {
        if (depth >= 12)
          throw std::runtime_error("hqml: the Cartan decomposition of a two-qubit unitary did not converge");
        // Re-diagonalise the coupled pair's block (at most 4 × 4 here, so the whole of it).
        const dense w = symmetric_unitary_eigenvectors(tm, t + 2.399963229728653, depth + 1);
        return p * w;
      }
  return p;
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

[[nodiscard]] inline two_qubit_cartan cartan_decomposition(const dense& u) {
  const dense mb = magic_basis(), mbd = mb.adjoint();
  const dense up = mbd * u * mb;
  dense upt(4, 4);
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) upt(r, c) = up(c, r);
  const dense m2 = upt * up;  // = P·D²·Pᵀ
  dense p = symmetric_unitary_eigenvectors(m2);
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) p(r, c) = p(r, c).real();
  if (det4(p).real() < 0)
    for (std::size_t r = 0; r < 4; ++r) p(r, 0) = -p(r, 0);
  const dense d2 = p.adjoint() * m2 * p;
  std::vector<double> half(4);
  for (std::size_t j = 0; j < 4; ++j) half[j] = std::arg(d2(j, j)) / 2;
  // K1 = Up·P·D⁻¹ is unitary and complex orthogonal, so real orthogonal; make it a rotation.
  auto k1_of = [&] {
    dense k1 = up * p;
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t c = 0; c < 4; ++c) k1(r, c) = (k1(r, c) * std::polar(1.0, -half[c])).real();
    return k1;
  };
  dense k1 = k1_of();
  if (det4(k1).real() < 0) {
    half[0] += std::numbers::pi;
    k1 = k1_of();
  }
  // In the magic basis XX, YY and ZZ are diagonal with signs s; d_j = a·sx_j + b·sy_j + c·sz_j + φ, and
  // the sign columns with the ones column are orthogonal, so the solution is a transpose over 4.
  static constexpr double sx[4] = {1, 1, -1, -1}, sy[4] = {-1, 1, -1, 1}, sz[4] = {1, -1, -1, 1};
  two_qubit_cartan out{};
  for (std::size_t j = 0; j < 4; ++j) {
    out.a += sx[j] * half[j] / 4;
    out.b += sy[j] * half[j] / 4;
    out.c += sz[j] * half[j] / 4;
  }
  // The local parts, B·K·B† = A1 ⊗ A0, split through their largest 2 × 2 block.
  auto split = [&](const dense& k, mat2& hi, mat2& lo) {
    const dense l = mb * k * mbd;
    std::size_t bi = 0, bk = 0;
    double best = -1.0;
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t kk = 0; kk < 2; ++kk) {
        double nrm = 0.0;
        for (std::size_t j = 0; j < 2; ++j)
          for (std::size_t m = 0; m < 2; ++m) nrm += std::norm(l(2 * i + j, 2 * kk + m));
        if (nrm > best) best = nrm, bi = i, bk = kk;
      }
    const mat2 blk{l(2 * bi, 2 * bk), l(2 * bi, 2 * bk + 1), l(2 * bi + 1, 2 * bk), l(2 * bi + 1, 2 * bk + 1)};
    const cplx scale = std::sqrt(blk[0] * blk[3] - blk[1] * blk[2]);  // A1[bi][bk], with det A0 = 1
    lo = {blk[0] / scale, blk[1] / scale, blk[2] / scale, blk[3] / scale};
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t kk = 0; kk < 2; ++kk) {
        cplx dot = 0.0;  // ⟨A0, block⟩ / 2
        for (std::size_t j = 0; j < 2; ++j)
          for (std::size_t m = 0; m < 2; ++m) dot += std::conj(lo[2 * j + m]) * l(2 * i + j, 2 * kk + m);
        hi[2 * i + kk] = dot / 2.0;
      }
  };
  dense pt = p.adjoint();
  split(k1, out.a1, out.a0);
  split(pt, out.b1, out.b0);
  return out;
}

/// A two-qubit unitary with as few CNOTs as its interaction exp(i(a·XX + b·YY + c·ZZ)) needs: with each
/// angle reduced to [−π/4, π/4] (exp(iπ/2·PP) = i·PP is local), none if all vanish, one if only one is
/// ±π/4, two if one vanishes, three otherwise. A local Clifford K⊗K permutes XX, YY and ZZ (signs cancel
/// in P⊗P) to put the angles where each circuit wants them. With C = CX(q0 → q1):
///   C·exp(i(a·X₀ + c·Z₁))·C = exp(i(a·XX + c·ZZ));
///   C·N(a,b,c)·C = exp(iaX₀)·exp(icZ₁)·exp(−ibX₀Z₁), CZ·exp(−ibX₀)·CZ = exp(−ibX₀Z₁), and CZ·C = S₀S₁·C·S₁†;
///   exp(iπ/4·ZZ) = e^{−iπ/4}·exp(iπ/4·Z₀)·exp(iπ/4·Z₁)·CZ.
struct two_qubit_plan {
  two_qubit_cartan k;
  int cnots;  // 0 to 3
};

[[nodiscard]] inline two_qubit_plan plan_two_qubit(const dense& u) {
  two_qubit_cartan k = cartan_decomposition(u);
  const cplx i{0.0, 1.0};
  const double r = 1 / std::sqrt(2.0), quarter = std::numbers::pi / 4;
  const mat2 paulis[3] = {{0.0, 1.0, 1.0, 0.0}, {0.0, -i, i, 0.0}, {1.0, 0.0, 0.0, -1.0}};
  double* angle[3] = {&k.a, &k.b, &k.c};
  for (int j = 0; j < 3; ++j) {
    const double m = std::round(*angle[j] / (2 * quarter));
    *angle[j] -= m * 2 * quarter;
    if (std::fmod(std::abs(m), 2.0) == 1.0) k.a1 = mul2(k.a1, paulis[j]), k.a0 = mul2(k.a0, paulis[j]);
  }
  constexpr double tol = 1e-14;
  auto vanishes = [&](double t) { return std::abs(t) <= tol; };
  const int nonzero = !vanishes(k.a) + !vanishes(k.b) + !vanishes(k.c);
  // K⊗K before A and K†⊗K† after B: K = S swaps a and b, Rx(π/2) swaps b and c, H swaps a and c.
  const mat2 swap_ab{1.0, 0.0, 0.0, i}, swap_bc{r, -i * r, -i * r, r}, swap_ac{r, r, r, -r};
  auto permute = [&](const mat2& kk, double& x, double& y) {
    std::swap(x, y);
    const mat2 kd{std::conj(kk[0]), std::conj(kk[2]), std::conj(kk[1]), std::conj(kk[3])};
    k.a1 = mul2(k.a1, kk), k.a0 = mul2(k.a0, kk);
    k.b1 = mul2(kd, k.b1), k.b0 = mul2(kd, k.b0);
  };
  const bool one_cnot =
      nonzero == 1 && (std::abs(std::abs(k.a) - quarter) <= tol || std::abs(std::abs(k.b) - quarter) <= tol ||
                       std::abs(std::abs(k.c) - quarter) <= tol);
  if (one_cnot) {
    if (!vanishes(k.a)) permute(swap_ac, k.a, k.c);
    if (!vanishes(k.b)) permute(swap_bc, k.b, k.c);
  } else if (nonzero == 2 || nonzero == 1) {
    if (vanishes(k.a))
      permute(swap_ab, k.a, k.b);
    else if (vanishes(k.c))
      permute(swap_bc, k.b, k.c);
  }
  return {k, nonzero == 0 ? 0 : one_cnot ? 1 : nonzero == 3 ? 3 : 2};
}

inline void synthesize_two_qubit(gate_sink& out, std::uint32_t q0, std::uint32_t q1, const two_qubit_plan& plan) {
  const two_qubit_cartan& k = plan.k;
  const cplx i{0.0, 1.0};
  const double quarter = std::numbers::pi / 4;
  auto x_rotation = [&](double t) {  // exp(i t X)
    return mat2{std::cos(t), i * std::sin(t), i * std::sin(t), std::cos(t)};
  };
  out.unitary(q1, k.b1);
  out.unitary(q0, k.b0);
  if (plan.cnots == 1) {
    out.cz(q0, q1);
    const double z = k.c > 0 ? -2 * quarter : 2 * quarter;  // exp(∓iπ/4·Z) each, with Z⊗Z for −π/4
    out.rotation(elementary_gate::type::rz, q0, z);
    out.rotation(elementary_gate::type::rz, q1, z);
  } else if (plan.cnots == 2) {
    out.cx(q0, q1);
    out.unitary(q0, x_rotation(k.a));
    out.rotation(elementary_gate::type::rz, q1, -2 * k.c);  // exp(i c Z)
    out.cx(q0, q1);
  } else if (plan.cnots == 3) {
    out.unitary(q1, {1.0, 0.0, 0.0, -i});  // S†
    out.cx(q0, q1);
    out.unitary(q1, {1.0, 0.0, 0.0, i});  // S
    out.unitary(q0, {1.0, 0.0, 0.0, i});  // S
    out.unitary(q0, x_rotation(-k.b));
    out.cz(q0, q1);
    out.unitary(q0, x_rotation(k.a));
    out.rotation(elementary_gate::type::rz, q1, -2 * k.c);
    out.cx(q0, q1);
  }
  out.unitary(q1, k.a1);
  out.unitary(q0, k.a0);
}

/// The quantum Shannon decomposition, exact up to global phase: U = (L0 ⊕ L1)·CS·(R0 ⊕ R1) on the top
/// qubit, each multiplexed half demultiplexed, down to two-qubit leaves on the two lowest qubits. Every
/// gate between two leaves is diagonal on those qubits or controlled by them, so a leaf may be written
/// up to a diagonal Δ that the next leaf absorbs, and with two CNOTs instead of three (Shende et al.'s
/// optimization A.2): only the last leaf needs three.
class shannon_synthesis {
 public:
  explicit shannon_synthesis(gate_sink& out) : out_(out) {}

  /// u on `qubits` (bit j of a row index = qubits[j]); `last`: nothing of this synthesis follows.
  void unitary(const std::vector<std::uint32_t>& qubits, const dense& u, bool last = true) {
    const std::size_t k = qubits.size();
    if (k == 1) return out_.unitary(qubits[0], {u(0, 0), u(0, 1), u(1, 0), u(1, 1)});
    if (k == 2) return leaf(qubits[0], qubits[1], u, last);
    const std::vector<std::uint32_t> lower(qubits.begin(), qubits.end() - 1);
    const std::size_t h = u.rows() / 2;
    const dense zero(h, h);
    if (max_abs_diff(u.block(0, h, h, h), zero) <= exact && max_abs_diff(u.block(h, 0, h, h), zero) <= exact)
      return multiplexed(lower, qubits.back(), u.block(0, 0, h, h), u.block(h, h, h, h), last);
    const cosine_sine cs = cosine_sine_decomposition(u);
    multiplexed(lower, qubits.back(), cs.r0, cs.r1, false);
    std::vector<double> ry(cs.theta.size());
    for (std::size_t i = 0; i < ry.size(); ++i) ry[i] = 2 * cs.theta[i];
    const std::size_t left = multiplexed_rotation(out_, elementary_gate::type::ry, qubits.back(), lower, ry, true);
    // (L0 ⊕ L1)·CZ(c, top) = L0 ⊕ L1·Z_c: the CZs left over cost nothing folded into L1's columns.
    dense l1 = cs.l1;
    for (std::size_t x = 0; x < h; ++x)
      if (std::popcount(x & left) % 2)
        for (std::size_t r = 0; r < h; ++r) l1(r, x) = -l1(r, x);
    multiplexed(lower, qubits.back(), cs.l0, l1, last);
  }

 private:
  /// A0 when the top qubit is 0, A1 when it is 1, on the other qubits.
  void multiplexed(const std::vector<std::uint32_t>& lower, std::uint32_t top, const dense& a0, const dense& a1,
                   bool last) {
    if (max_abs_diff(a0, a1) <= exact) return unitary(lower, a0, last);  // not multiplexed at all
    const demultiplexed d = demultiplex(a0, a1);
    unitary(lower, d.w, false);
    std::vector<double> phi(d.delta.size());
    for (std::size_t i = 0; i < phi.size(); ++i) phi[i] = -2 * d.delta[i];
    multiplexed_rotation(out_, elementary_gate::type::rz, top, lower, phi);
    unitary(lower, d.v, last);
  }

  // With γ(V) = V·YY·Vᵀ·YY for V in SU(4), V needs two CNOTs exactly when tr γ(V) is real (Shende, Markov,
  // Bullock 2004); for V = exp(iψZZ)·U, tr γ(V) = cos 2ψ·tr γ(U) + i·sin 2ψ·tr(ZZ·γ(U)), which fixes ψ.
  void leaf(std::uint32_t q0, std::uint32_t q1, dense u, bool last) {
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t c = 0; c < 4; ++c) u(r, c) *= pending_[c];  // Δ acts first
    pending_ = {1.0, 1.0, 1.0, 1.0};
    const two_qubit_plan exact_plan = plan_two_qubit(u);
    if (last || exact_plan.cnots <= 1) return synthesize_two_qubit(out_, q0, q1, exact_plan);
    const cplx norm = std::pow(det4(u), -0.25);
    static constexpr double zz[4] = {1, -1, -1, 1};
    dense su = u, suy(4, 4);
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t c = 0; c < 4; ++c) su(r, c) *= norm;
    // YY = antidiag(−1, 1, 1, −1); (su·YY)(r, c) = su(r, 3 − c)·yy_c, then ·suᵀ, then ·YY.
    static constexpr double yy[4] = {-1, 1, 1, -1};
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t c = 0; c < 4; ++c) suy(r, c) = su(r, 3 - c) * yy[c];
    cplx t1 = 0.0, t2 = 0.0;
    for (std::size_t r = 0; r < 4; ++r) {  // γ(r, r) = Σ_m (su·YY)(r, m)·su(c', m)·yy at c' = 3 − r
      cplx g = 0.0;
      for (std::size_t m = 0; m < 4; ++m) g += suy(r, m) * su(3 - r, m);
      g *= yy[r];
      t1 += g;
      t2 += zz[r] * g;
    }
    const double psi = std::atan2(-t1.imag(), t2.real()) / 2;
    dense v = u;
    std::array<cplx, 4> delta{};
    for (std::size_t r = 0; r < 4; ++r) {
      const cplx ph = std::polar(1.0, psi * zz[r]);
      for (std::size_t c = 0; c < 4; ++c) v(r, c) *= ph;
      delta[r] = std::conj(ph);  // U = exp(−iψZZ)·V: the next leaf takes exp(−iψZZ)
    }
    const two_qubit_plan up_to_diagonal = plan_two_qubit(v);
    if (up_to_diagonal.cnots >= exact_plan.cnots) return synthesize_two_qubit(out_, q0, q1, exact_plan);
    synthesize_two_qubit(out_, q0, q1, up_to_diagonal);
    pending_ = delta;
  }

  gate_sink& out_;
  std::array<cplx, 4> pending_{1.0, 1.0, 1.0, 1.0};
};

/// Applies a gate list to a state of the k qubits `qubits` (bit j of an index = qubits[j]) in place.
inline void apply_gates(const std::vector<elementary_gate>& gates, const std::vector<std::uint32_t>& qubits,
                        std::vector<cplx>& state) {
  auto bit = [&](std::uint32_t q) {
    return std::size_t{1} << static_cast<std::size_t>(std::find(qubits.begin(), qubits.end(), q) - qubits.begin());
  };
  for (const elementary_gate& g : gates) {
    if (g.kind == elementary_gate::type::cz) {
      const std::size_t both = bit(g.q0) | bit(g.q1);
      for (std::size_t r = 0; r < state.size(); ++r)
        if ((r & both) == both) state[r] = -state[r];
      continue;
    }
    const std::size_t tb = bit(g.kind == elementary_gate::type::cx ? g.q1 : g.q0);
    const std::size_t cb = g.kind == elementary_gate::type::cx ? bit(g.q0) : 0;
    for (std::size_t r = 0; r < state.size(); ++r) {
      if ((r & tb) || (r & cb) != cb) continue;
      cplx& x = state[r];
      cplx& y = state[r | tb];
      if (g.kind == elementary_gate::type::cx) {
        std::swap(x, y);
      } else {
        const cplx a = x, b = y;
        x = g.m[0] * a + g.m[1] * b;
        y = g.m[2] * a + g.m[3] * b;
      }
    }
  }
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
  dense w = a;
  double defect = unitarity_defect(w);
  if (!(defect <= 1e-6))
    throw std::invalid_argument("hqml: a " + std::to_string(num_qubits) +
                                "-qubit matrix to decompose is not unitary (‖U†U − I‖ = " + std::to_string(defect) +
                                ")");
  for (int step = 0; step < 30 && defect > 1e-14; ++step) {
    dense p = w.adjoint() * w;
    for (std::size_t r = 0; r < p.rows(); ++r)
      for (std::size_t c = 0; c < p.cols(); ++c) p(r, c) = ((r == c ? 3.0 : 0.0) - p(r, c)) / 2.0;
    w = w * p;
    const double next = unitarity_defect(w);
    if (!(next < defect)) break;  // diverging: far from unitary
    defect = next;
  }
  if (!(defect <= 1e-12))
    throw std::invalid_argument(
        "hqml: a " + std::to_string(num_qubits) +
        "-qubit matrix to decompose is not unitary (‖U†U − I‖ = " + std::to_string(unitarity_defect(a)) + ")");
  return w;
}

/// Gates for a k-qubit unitary (row-major, bit j of an index = qubits[j]), exact up to global phase for
/// the nearest unitary (to about 1e-13). The result is checked on two generic states against the matrix
/// given: an error over `tolerance` plus its distance from unitarity throws rather than writing a wrong
/// circuit.
[[nodiscard]] inline std::vector<elementary_gate> unitary_gates(const std::vector<std::uint32_t>& qubits,
                                                                const std::vector<cplx>& data,
                                                                double tolerance = 1e-9) {
  const std::size_t d = std::size_t{1} << qubits.size();
  dense given(d, d);
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t c = 0; c < d; ++c) given(r, c) = data[r * d + c];
  const dense u = nearest_unitary(given, qubits.size());
  gate_sink sink;
  bool diagonal = qubits.size() > 2;  // two qubits: the Cartan form's count (one CNOT for CZ) is lower
  for (std::size_t r = 0; r < d && diagonal; ++r)
    for (std::size_t c = 0; c < d && diagonal; ++c) diagonal = r == c || std::abs(u(r, c)) <= exact;
  if (diagonal) {
    std::vector<double> psi(d);
    for (std::size_t x = 0; x < d; ++x) psi[x] = std::arg(u(x, x));
    synthesize_diagonal(sink, qubits, std::move(psi));
  } else {
    shannon_synthesis(sink).unitary(qubits, u);
  }
  std::vector<elementary_gate> gates = sink.gates();

  std::mt19937_64 rng(0x5eed);
  std::uniform_real_distribution<double> phase(-3.14159, 3.14159);
  cplx ph = 0.0;
  double err = 0.0;
  for (int trial = 0; trial < 2; ++trial) {
    std::vector<cplx> state(d), want(d, 0.0);
    for (cplx& v : state) v = std::polar(1.0 / std::sqrt(static_cast<double>(d)), phase(rng));
    for (std::size_t r = 0; r < d; ++r)
      for (std::size_t c = 0; c < d; ++c) want[r] += given(r, c) * state[c];
    apply_gates(gates, qubits, state);
    if (trial == 0) {  // the global phase that best matches
      for (std::size_t r = 0; r < d; ++r) ph += std::conj(state[r]) * want[r];
      ph = std::abs(ph) > 0 ? ph / std::abs(ph) : cplx(1.0);
    }
    for (std::size_t r = 0; r < d; ++r) err = std::max(err, std::abs(ph * state[r] - want[r]));
  }
  const double defect = unitarity_defect(given);
  if (!(err <= tolerance + defect))
    throw std::runtime_error("hqml: the decomposition of a " + std::to_string(qubits.size()) +
                             "-qubit unitary into elementary gates is off by " + std::to_string(err) +
                             " (the matrix is unitary to " + std::to_string(defect) +
                             "): a numerical failure; please report the matrix");
  return gates;
}

/// Gates for diag(entries) on `qubits`, exact up to global phase.
[[nodiscard]] inline std::vector<elementary_gate> diagonal_gates(const std::vector<std::uint32_t>& qubits,
                                                                 const std::vector<cplx>& entries) {
  if (qubits.size() == 2) {
    std::vector<cplx> u(16, 0.0);
    for (std::size_t x = 0; x < 4; ++x) u[5 * x] = entries[x];
    return unitary_gates(qubits, u);
  }
  gate_sink sink;
  std::vector<double> psi(entries.size());
  for (std::size_t x = 0; x < psi.size(); ++x) psi[x] = std::arg(entries[x]);
  synthesize_diagonal(sink, qubits, std::move(psi));
  return sink.gates();
}

}  // namespace hqml::detail::synth
