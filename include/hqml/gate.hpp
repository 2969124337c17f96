#pragma once
// The gate set: kinds, their properties, and their matrices (Qiskit's conventions: on the qubits
// (q_0, q_1, ...) of a gate, bit j of a matrix row/column index is qubit q_j; controls come first).

#include <algorithm>
#include <array>
#include <numbers>
#include <cmath>
#include <complex>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hqml {

enum class gate_kind : std::uint8_t {
  // one qubit
  i, x, y, z, h, s, sdg, t, tdg, sx, sxdg, rx, ry, rz, p, u,
  // two qubits
  cx, cy, cz, ch, swap, iswap, crx, cry, crz, cp, rxx, ryy, rzz,
  // three qubits
  ccx, cswap,
  // dense unitary on 1..max_unitary_qubits qubits; diagonal unitary (only its diagonal stored)
  unitary, diagonal,
  // non-unitary
  measure, reset, barrier,
};

inline constexpr std::size_t num_gate_kinds = static_cast<std::size_t>(gate_kind::barrier) + 1;
/// Largest dense or diagonal block hqml applies (fused gates included).
inline constexpr std::size_t max_unitary_qubits = 6;

/// How a gate acts on amplitudes; selects the kernel that applies it.
enum class gate_class : std::uint8_t { dense, diagonal, permutation, controlled, other };

struct gate_info {
  std::string_view name;      // OpenQASM 2 name
  std::uint8_t num_qubits;    // 0 for variable-size gates (unitary, diagonal, barrier)
  std::uint8_t num_params;
  gate_class cls;
  std::uint8_t num_controls;  // for cls == controlled or controlled permutations
  bool self_inverse;
};

namespace detail {
inline constexpr std::array<gate_info, num_gate_kinds> gate_table{{
    {"id", 1, 0, gate_class::diagonal, 0, true},
    {"x", 1, 0, gate_class::permutation, 0, true},
    {"y", 1, 0, gate_class::dense, 0, true},
    {"z", 1, 0, gate_class::diagonal, 0, true},
    {"h", 1, 0, gate_class::dense, 0, true},
    {"s", 1, 0, gate_class::diagonal, 0, false},
    {"sdg", 1, 0, gate_class::diagonal, 0, false},
    {"t", 1, 0, gate_class::diagonal, 0, false},
    {"tdg", 1, 0, gate_class::diagonal, 0, false},
    {"sx", 1, 0, gate_class::dense, 0, false},
    {"sxdg", 1, 0, gate_class::dense, 0, false},
    {"rx", 1, 1, gate_class::dense, 0, false},
    {"ry", 1, 1, gate_class::dense, 0, false},
    {"rz", 1, 1, gate_class::diagonal, 0, false},
    {"p", 1, 1, gate_class::diagonal, 0, false},
    {"u", 1, 3, gate_class::dense, 0, false},
    {"cx", 2, 0, gate_class::permutation, 1, true},
    {"cy", 2, 0, gate_class::controlled, 1, true},
    {"cz", 2, 0, gate_class::diagonal, 1, true},
    {"ch", 2, 0, gate_class::controlled, 1, true},
    {"swap", 2, 0, gate_class::permutation, 0, true},
    {"iswap", 2, 0, gate_class::dense, 0, false},
    {"crx", 2, 1, gate_class::controlled, 1, false},
    {"cry", 2, 1, gate_class::controlled, 1, false},
    {"crz", 2, 1, gate_class::diagonal, 1, false},
    {"cp", 2, 1, gate_class::diagonal, 1, false},
    {"rxx", 2, 1, gate_class::dense, 0, false},
    {"ryy", 2, 1, gate_class::dense, 0, false},
    {"rzz", 2, 1, gate_class::diagonal, 0, false},
    {"ccx", 3, 0, gate_class::permutation, 2, true},
    {"cswap", 3, 0, gate_class::permutation, 1, true},
    {"unitary", 0, 0, gate_class::dense, 0, false},
    {"diagonal", 0, 0, gate_class::diagonal, 0, false},
    {"measure", 1, 0, gate_class::other, 0, false},
    {"reset", 1, 0, gate_class::other, 0, false},
    {"barrier", 0, 0, gate_class::other, 0, false},
}};
}  // namespace detail

[[nodiscard]] constexpr const gate_info& info(gate_kind k) { return detail::gate_table[static_cast<std::size_t>(k)]; }
[[nodiscard]] constexpr bool is_unitary(gate_kind k) {
  return k != gate_kind::measure && k != gate_kind::reset && k != gate_kind::barrier;
}

/// One-parameter rotation groups: G(a) G(b) = G(a + b) and G(a)^-1 = G(-a) (inversion and rotation merging rely on it).
[[nodiscard]] constexpr bool is_rotation(gate_kind k) {
  switch (k) {
    case gate_kind::rx:
    case gate_kind::ry:
    case gate_kind::rz:
    case gate_kind::p:
    case gate_kind::crx:
    case gate_kind::cry:
    case gate_kind::crz:
    case gate_kind::cp:
    case gate_kind::rxx:
    case gate_kind::ryy:
    case gate_kind::rzz: return true;
    default: return false;
  }
}

/// The gate kind with this OpenQASM name, if hqml has one natively.
[[nodiscard]] inline std::optional<gate_kind> gate_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < num_gate_kinds; ++i)
    if (detail::gate_table[i].name == name) return static_cast<gate_kind>(i);
  return std::nullopt;
}

/// A dense row-major 2^k × 2^k complex matrix.
using matrix = std::vector<std::complex<double>>;

/// Dimension d of a square matrix stored as d*d entries, or 0 if the size is not a square of a power of two.
[[nodiscard]] inline std::size_t matrix_dimension(std::size_t entries) {
  for (std::size_t d = 1; d <= (std::size_t{1} << max_unitary_qubits); d <<= 1)
    if (d * d == entries) return d;
  return 0;
}

/// Throws std::invalid_argument unless m is unitary to tolerance tol (max-norm of m m† − I).
inline void check_unitary(const matrix& m, std::size_t dim, double tol, const std::string& where) {
  if (m.size() != dim * dim)
    throw std::invalid_argument(where + ": matrix has " + std::to_string(m.size()) + " entries, expected " +
                                std::to_string(dim * dim));
  double worst = 0.0;
  for (std::size_t r = 0; r < dim; ++r)
    for (std::size_t c = 0; c < dim; ++c) {
      std::complex<double> s = 0.0;
      for (std::size_t k = 0; k < dim; ++k) s += m[r * dim + k] * std::conj(m[c * dim + k]);
      if (r == c) s -= 1.0;
      worst = std::max(worst, std::abs(s));
    }
  if (!(worst <= tol))
    throw std::invalid_argument(where + ": matrix is not unitary (max |U U^dagger - I| = " + std::to_string(worst) +
                                ")");
}

/// Writes the dense 2^k × 2^k row-major matrix of a fixed gate with bound parameters into `out` without
/// allocating (not for unitary/diagonal/non-unitary kinds). Returns false for those kinds.
inline bool gate_matrix_into(gate_kind k, const double* prm, std::complex<double>* out) {
  using c = std::complex<double>;
  const c I{0.0, 1.0};
  const double r2 = 1.0 / std::sqrt(2.0);
  auto put = [out](std::initializer_list<c> v) {
    std::size_t i = 0;
    for (c e : v) out[i++] = e;
    return true;
  };
  auto diag = [out](std::initializer_list<c> d) {
    const std::size_t n = d.size();
    for (std::size_t i = 0; i < n * n; ++i) out[i] = 0.0;
    std::size_t i = 0;
    for (c v : d) out[i * n + i] = v, ++i;
    return true;
  };
  // Controlled one-qubit u (row-major 2×2), control = bit 0 of the index, target = bit 1.
  auto controlled = [out](const c* u) {
    for (std::size_t i = 0; i < 16; ++i) out[i] = 0.0;
    out[0 * 4 + 0] = 1.0;
    out[2 * 4 + 2] = 1.0;
    out[1 * 4 + 1] = u[0];
    out[1 * 4 + 3] = u[1];
    out[3 * 4 + 1] = u[2];
    out[3 * 4 + 3] = u[3];
    return true;
  };
  auto th = [&](int i) { return prm[i]; };
  c u[4];
  switch (k) {
    case gate_kind::i: return diag({1.0, 1.0});
    case gate_kind::x: return put({0.0, 1.0, 1.0, 0.0});
    case gate_kind::y: return put({0.0, -I, I, 0.0});
    case gate_kind::z: return diag({1.0, -1.0});
    case gate_kind::h: return put({r2, r2, r2, -r2});
    case gate_kind::s: return diag({1.0, I});
    case gate_kind::sdg: return diag({1.0, -I});
    case gate_kind::t: return diag({1.0, std::polar(1.0, std::numbers::pi / 4)});
    case gate_kind::tdg: return diag({1.0, std::polar(1.0, -std::numbers::pi / 4)});
    case gate_kind::sx: return put({c{0.5, 0.5}, c{0.5, -0.5}, c{0.5, -0.5}, c{0.5, 0.5}});
    case gate_kind::sxdg: return put({c{0.5, -0.5}, c{0.5, 0.5}, c{0.5, 0.5}, c{0.5, -0.5}});
    case gate_kind::rx: {
      const double cs = std::cos(th(0) / 2), sn = std::sin(th(0) / 2);
      return put({cs, -I * sn, -I * sn, cs});
    }
    case gate_kind::ry: {
      const double cs = std::cos(th(0) / 2), sn = std::sin(th(0) / 2);
      return put({cs, -sn, sn, cs});
    }
    case gate_kind::rz: return diag({std::polar(1.0, -th(0) / 2), std::polar(1.0, th(0) / 2)});
    case gate_kind::p: return diag({1.0, std::polar(1.0, th(0))});
    case gate_kind::u: {
      const double cs = std::cos(th(0) / 2), sn = std::sin(th(0) / 2);
      return put({cs, -std::polar(1.0, th(2)) * sn, std::polar(1.0, th(1)) * sn, std::polar(1.0, th(1) + th(2)) * cs});
    }
    case gate_kind::cx: gate_matrix_into(gate_kind::x, prm, u); return controlled(u);
    case gate_kind::cy: gate_matrix_into(gate_kind::y, prm, u); return controlled(u);
    case gate_kind::cz: return diag({1.0, 1.0, 1.0, -1.0});
    case gate_kind::ch: gate_matrix_into(gate_kind::h, prm, u); return controlled(u);
    case gate_kind::swap: return put({1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1});
    case gate_kind::iswap: return put({1, 0, 0, 0, 0, 0, I, 0, 0, I, 0, 0, 0, 0, 0, 1});
    case gate_kind::crx: gate_matrix_into(gate_kind::rx, prm, u); return controlled(u);
    case gate_kind::cry: gate_matrix_into(gate_kind::ry, prm, u); return controlled(u);
    case gate_kind::crz: return diag({1.0, std::polar(1.0, -th(0) / 2), 1.0, std::polar(1.0, th(0) / 2)});
    case gate_kind::cp: return diag({1.0, 1.0, 1.0, std::polar(1.0, th(0))});
    case gate_kind::rxx: {
      const double cs = std::cos(th(0) / 2), sn = std::sin(th(0) / 2);
      const c m = -I * sn;
      return put({cs, 0, 0, m, 0, cs, m, 0, 0, m, cs, 0, m, 0, 0, cs});
    }
    case gate_kind::ryy: {
      const double cs = std::cos(th(0) / 2), sn = std::sin(th(0) / 2);
      const c m = I * sn;
      return put({cs, 0, 0, m, 0, cs, -m, 0, 0, -m, cs, 0, m, 0, 0, cs});
    }
    case gate_kind::rzz: {
      const c a = std::polar(1.0, -th(0) / 2), b = std::polar(1.0, th(0) / 2);
      return diag({a, b, b, a});
    }
    case gate_kind::ccx:
      for (std::size_t i = 0; i < 64; ++i) out[i] = 0.0;
      for (std::size_t r = 0; r < 8; ++r) out[r * 8 + ((r & 3) == 3 ? r ^ 4 : r)] = 1.0;
      return true;
    case gate_kind::cswap:
      for (std::size_t i = 0; i < 64; ++i) out[i] = 0.0;
      for (std::size_t r = 0; r < 8; ++r) {
        std::size_t col = r;
        if ((r & 1) && (((r >> 1) & 1) != ((r >> 2) & 1))) col = r ^ 6;
        out[r * 8 + col] = 1.0;
      }
      return true;
    default: return false;
  }
}

/// The dense matrix of a fixed gate with bound parameters (not for unitary/diagonal/non-unitary kinds).
[[nodiscard]] inline matrix gate_matrix(gate_kind k, const double* prm = nullptr) {
  const std::size_t d = std::size_t{1} << info(k).num_qubits;
  matrix m(info(k).num_qubits ? d * d : 0);
  static constexpr double zeros[3] = {0, 0, 0};
  if (!info(k).num_qubits || !gate_matrix_into(k, prm ? prm : zeros, m.data()))
    throw std::invalid_argument("hqml::gate_matrix: gate '" + std::string(info(k).name) + "' has no fixed matrix");
  return m;
}

/// Matrix product a·b of two d×d matrices.
[[nodiscard]] inline matrix matmul(const matrix& a, const matrix& b, std::size_t d) {
  matrix out(d * d, 0.0);
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t k = 0; k < d; ++k) {
      const auto v = a[r * d + k];
      if (v == 0.0) continue;
      for (std::size_t col = 0; col < d; ++col) out[r * d + col] += v * b[k * d + col];
    }
  return out;
}

/// Conjugate transpose of a d×d matrix.
[[nodiscard]] inline matrix adjoint(const matrix& a, std::size_t d) {
  matrix out(d * d);
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t col = 0; col < d; ++col) out[col * d + r] = std::conj(a[r * d + col]);
  return out;
}

}  // namespace hqml
