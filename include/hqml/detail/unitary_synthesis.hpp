#pragma once
// Synthesis of k-qubit unitary and diagonal matrices into one-qubit gates, CNOTs and CZs, for exporters
// that may only write elementary gates: Krol and Al-Ars' block-ZXZ form of the quantum Shannon
// decomposition (Shende, Bullock, Markov 2006) with optimizations A.1 and A.2, over uniformly controlled
// rotations (Möttönen et al. 2004) and two-qubit Cartan (KAK) leaves, on the linear algebra of
// unitary_linalg.hpp. Exact up to global phase, with at most (22/48)·4^k − (3/2)·2^k + 5/3 two-qubit
// gates for a generic unitary (3, 19, 95, 423, 1783 for k = 2..6), fewer where the matrix has structure;
// a diagonal takes 2^k − 2. Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/unitary_synthesis.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <hqml/detail/unitary_linalg.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
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

/// One elementary gate: a one-qubit gate (an rz or a u3, with its matrix), a CNOT or a CZ.
struct elementary_gate {
  enum class type { rz, u3, cx, cz } kind;
  std::uint32_t q0, q1 = 0;  // the qubit; or control and target; or the CZ's two qubits, lower first
  double angle = 0.0;        // rz
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
  /// Rz(φ) = diag(e^{−iφ/2}, e^{iφ/2}).
  void rz(std::uint32_t q, double angle) {
    if (std::abs(angle) <= 1e-15) return;  // changes the unitary by at most 5e-16
    const cplx c = std::cos(angle / 2), s = std::sin(angle / 2), i{0.0, 1.0};
    one_qubit({type::rz, q, 0, angle, mat2{c - i * s, 0.0, 0.0, c + i * s}});
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

/// The multiplexed rotation Rz(α_x) on a target for each state x of m controls (bit j of x = control j):
/// 2^m rotations and 2^m CNOTs in Gray-code order, θ = H·α / 2^m with H the Walsh–Hadamard matrix, since
/// control state x sees Σ_i (−1)^{x·g(i)} θ_i. The CNOTs all share the target and commute, so between two
/// rotations only the controls used an odd number of times are kept, as a mask: a rotation that
/// vanishes costs nothing. The sequence is `lead`, then each rotation followed by its mask.
struct multiplexor {
  std::size_t lead = 0;
  std::vector<std::pair<double, std::size_t>> steps;  // (θ, the CNOTs after it)

  explicit multiplexor(std::vector<double> alpha) {
    const std::size_t n = alpha.size();
    for (std::size_t h = 1; h < n; h <<= 1)
      for (std::size_t i = 0; i < n; i += 2 * h)
        for (std::size_t j = i; j < i + h; ++j) {
          const double a = alpha[j], b = alpha[j + h];
          alpha[j] = a + b;
          alpha[j + h] = a - b;
        }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t g = i ^ (i >> 1), next = ((i + 1) % n) ^ (((i + 1) % n) >> 1);
      const double theta = alpha[g] / static_cast<double>(n);
      if (std::abs(theta) > 1e-15) steps.emplace_back(theta, 0);
      (steps.empty() ? lead : steps.back().second) ^= g ^ next;
    }
  }
  /// The same diagonal (an Rz multiplexor) in reverse order: a product of commuting diagonal
  /// rotations and CNOTs read backwards is its transpose, which is itself.
  void reverse() {
    std::vector<std::pair<double, std::size_t>> r;
    std::size_t new_lead = steps.empty() ? lead : steps.back().second;
    for (std::size_t j = steps.size(); j-- > 0;) r.emplace_back(steps[j].first, j ? steps[j - 1].second : lead);
    lead = new_lead;
    steps = std::move(r);
  }
  [[nodiscard]] std::size_t trail() const { return steps.empty() ? 0 : steps.back().second; }

  /// Writes the sequence; the leading or trailing CNOTs can be left out for the caller to fold into its
  /// neighbours.
  void write(gate_sink& out, std::uint32_t target, const std::vector<std::uint32_t>& controls, bool skip_lead,
             bool skip_trail) const {
    auto gates = [&](std::size_t mask) {
      for (std::size_t j = 0; j < controls.size(); ++j)
        if ((mask >> j) & 1) out.cx(controls[j], target);
    };
    if (!skip_lead) gates(lead);
    for (std::size_t j = 0; j < steps.size(); ++j) {
      out.rz(target, steps[j].first);
      if (j + 1 < steps.size() || !skip_trail) gates(steps[j].second);
    }
  }
};

inline void multiplexed_rz(gate_sink& out, std::uint32_t target, const std::vector<std::uint32_t>& controls,
                           std::vector<double> alpha) {
  multiplexor(std::move(alpha)).write(out, target, controls, false, false);
}

/// diag(e^{iψ(x)}) on `qubits` (bit j of x = qubits[j]), up to global phase: a multiplexed Rz on the top
/// qubit and the mean phases on the others, 2^k − 2 CNOTs in all.
inline void synthesize_diagonal(gate_sink& out, const std::vector<std::uint32_t>& qubits, std::vector<double> psi) {
  for (std::size_t k = qubits.size(); k >= 1; --k) {
    const std::size_t half = std::size_t{1} << (k - 1);
    std::vector<double> rz(half), mean(half);
    // Rz(φ) = diag(e^{−iφ/2}, e^{iφ/2}); the same ψ feed both, so a 2π in one cancels.
    for (std::size_t x = 0; x < half; ++x) rz[x] = psi[x + half] - psi[x], mean[x] = (psi[x] + psi[x + half]) / 2;
    multiplexed_rz(out, qubits[k - 1],
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

[[nodiscard]] inline two_qubit_cartan cartan_decomposition(const dense& u) {
  const dense mb = magic_basis(), mbd = mb.adjoint();
  const dense up = mbd * u * mb;
  dense upt(4, 4);
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) upt(r, c) = up(c, r);
  const dense m2 = upt * up;  // = P·D²·Pᵀ
  dense p = unitary_eigenvectors(m2, true);  // real orthogonal
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
    out.rz(q0, z);
    out.rz(q1, z);
  } else if (plan.cnots == 2) {
    out.cx(q0, q1);
    out.unitary(q0, x_rotation(k.a));
    out.rz(q1, -2 * k.c);  // exp(i c Z)
    out.cx(q0, q1);
  } else if (plan.cnots == 3) {
    out.unitary(q1, {1.0, 0.0, 0.0, -i});  // S†
    out.cx(q0, q1);
    out.unitary(q1, {1.0, 0.0, 0.0, i});  // S
    out.unitary(q0, {1.0, 0.0, 0.0, i});  // S
    out.unitary(q0, x_rotation(-k.b));
    out.cz(q0, q1);
    out.unitary(q0, x_rotation(k.a));
    out.rz(q1, -2 * k.c);
    out.cx(q0, q1);
  }
  out.unitary(q1, k.a1);
  out.unitary(q0, k.a0);
}

/// The quantum Shannon decomposition in block-ZXZ form, exact up to global phase: each level splits off
/// the top qubit and leaves four unitaries on the others, down to two-qubit leaves on the two lowest
/// qubits. Every gate between two leaves is diagonal on those qubits or controlled by them, so a leaf may
/// be written up to a diagonal Δ that the next leaf absorbs, and with two CNOTs instead of three
/// (Shende et al.'s optimization A.2): only the last leaf needs three.
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
    block_zxz(lower, qubits.back(), u, last);
  }

 private:
  // U = (A1 ⊕ A2)·H·(I ⊕ B)·H·(I ⊕ C) on the top qubit (Krol and Al-Ars' block-ZXZ decomposition), each
  // factor demultiplexed. The middle one absorbs the unitaries beside it and, turned into CZs by the
  // Hadamards, the CNOT the last multiplexor leaves at its end and the one the next leaves at its start:
  // one CNOT per level fewer than the Shannon decomposition with optimization A.1, two fewer than without.
  void block_zxz(const std::vector<std::uint32_t>& lower, std::uint32_t top, const dense& u, bool last) {
    // From the cosine-sine decomposition U = (L0 ⊕ L1)·[[cos Θ, −sin Θ], [sin Θ, cos Θ]]·(R0 ⊕ R1), whose
    // accuracy on nearly singular blocks the polar decompositions of the paper's construction lack:
    // A1 = L0·e^{iΘ}·R0, A2 = −i·L1·e^{iΘ}·R0, B = R0†·e^{−2iΘ}·R0 and C = i·R0†·R1, since
    // (e^{iΘ} ± e^{−iΘ})/2 gives cos Θ and i·sin Θ.
    const std::size_t h = u.rows() / 2;
    const cosine_sine cs = cosine_sine_decomposition(u);
    const cplx i{0.0, 1.0};
    dense er0 = cs.r0, e2r0 = cs.r0;  // e^{iΘ}·R0 and e^{−2iΘ}·R0
    for (std::size_t r = 0; r < h; ++r) {
      const cplx p = std::polar(1.0, cs.theta[r]), p2 = std::polar(1.0, -2 * cs.theta[r]);
      for (std::size_t k = 0; k < h; ++k) er0(r, k) *= p, e2r0(r, k) *= p2;
    }
    const dense r0d = cs.r0.adjoint();
    const dense a1 = cs.l0 * er0, b = r0d * e2r0;
    dense a2 = cs.l1 * er0, c = r0d * cs.r1;
    for (std::size_t r = 0; r < h; ++r)
      for (std::size_t k = 0; k < h; ++k) a2(r, k) *= -i, c(r, k) *= i;

    const dense id = dense::identity(h);
    const demultiplexed dc = demultiplex(id, c), da = demultiplex(a1, a2);
    const multiplexor mc(dc.rz);
    multiplexor ma(da.rz);
    ma.reverse();
    // (A-side CZs)·(W_A·V_C ⊕ W_A·B·V_C)·(C-side CZs): CZ(c, top) = I ⊕ Z_c.
    const dense m0 = da.w * dc.v;
    dense m1 = da.w * b * dc.v;
    for (std::size_t r = 0; r < h; ++r)
      for (std::size_t k = 0; k < h; ++k) {
        if (std::popcount(r & ma.lead) % 2) m1(r, k) = -m1(r, k);
        if (std::popcount(k & mc.trail()) % 2) m1(r, k) = -m1(r, k);
      }
    const double s = 1 / std::sqrt(2.0);
    const mat2 hadamard{s, s, s, -s};
    unitary(lower, dc.w, false);
    mc.write(out_, top, lower, false, true);
    out_.unitary(top, hadamard);
    multiplexed(lower, top, m0, m1, false);
    out_.unitary(top, hadamard);
    ma.write(out_, top, lower, true, false);
    unitary(lower, da.v, last);
  }

  /// A0 when the top qubit is 0, A1 when it is 1, on the other qubits.
  void multiplexed(const std::vector<std::uint32_t>& lower, std::uint32_t top, const dense& a0, const dense& a1,
                   bool last) {
    if (max_abs_diff(a0, a1) <= exact) return unitary(lower, a0, last);  // not multiplexed at all
    const demultiplexed d = demultiplex(a0, a1);
    unitary(lower, d.w, false);
    multiplexed_rz(out_, top, lower, d.rz);
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
    // The trace condition fixes ψ only as well as it is conditioned: where it leaves the vanishing
    // Cartan angle at 1e-13..1e-11 rather than 0, a few secant steps on that angle itself finish it.
    auto rotated = [&](double psi) {
      dense v = u;
      for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 4; ++c) v(r, c) *= std::polar(1.0, psi * zz[r]);
      return plan_two_qubit(v);
    };
    auto smallest = [](const two_qubit_plan& p) {
      const double a = p.k.a, b = p.k.b, c = p.k.c;
      return std::abs(a) <= std::abs(b) && std::abs(a) <= std::abs(c) ? a : std::abs(b) <= std::abs(c) ? b : c;
    };
    double psi = std::atan2(-t1.imag(), t2.real()) / 2;
    two_qubit_plan up_to_diagonal = rotated(psi);
    if (up_to_diagonal.cnots == 3 && std::abs(smallest(up_to_diagonal)) < 1e-8) {
      double p0 = psi + 1e-6, f0 = smallest(rotated(p0)), p1 = psi, f1 = smallest(up_to_diagonal);
      for (int step = 0; step < 4 && up_to_diagonal.cnots == 3 && f1 != f0; ++step) {
        const double p2 = p1 - f1 * (p1 - p0) / (f1 - f0);
        const two_qubit_plan next = rotated(p2);
        p0 = p1, f0 = f1, p1 = p2, f1 = smallest(next);
        if (next.cnots < 3) psi = p2, up_to_diagonal = next;
      }
    }
    std::array<cplx, 4> delta{};
    for (std::size_t r = 0; r < 4; ++r) delta[r] = std::polar(1.0, -psi * zz[r]);  // U = exp(−iψZZ)·V
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

/// Gates for diag(entries) on `qubits`, exact up to global phase: unitary_gates, which takes the
/// diagonal synthesis (or, on two qubits, the Cartan form) and checks the result.
[[nodiscard]] inline std::vector<elementary_gate> diagonal_gates(const std::vector<std::uint32_t>& qubits,
                                                                 const std::vector<cplx>& entries) {
  const std::size_t d = entries.size();
  std::vector<cplx> u(d * d, 0.0);
  for (std::size_t x = 0; x < d; ++x) u[x * (d + 1)] = entries[x];
  return unitary_gates(qubits, u);
}

}  // namespace hqml::detail::synth
