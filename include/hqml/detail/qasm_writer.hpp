#pragma once
// The OpenQASM 2.0 exporter and the decompositions it needs for gates qelib1.inc lacks.
// Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/qasm_writer.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <hqml/circuit.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml::detail::qasm {

using cplx = std::complex<double>;
using mat2 = std::array<cplx, 4>;  // row-major 2×2

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

/// W^t for a 2×2 unitary W, through W = e^{iδ}(cos β I − i sin β n·σ); (W^{1/m})^m = W.
[[nodiscard]] inline mat2 unitary_power(const mat2& w, double t) {
  const double delta = std::arg(w[0] * w[3] - w[1] * w[2]) / 2;
  const cplx ph = std::polar(1.0, -delta);
  const cplx v00 = w[0] * ph, v10 = w[2] * ph;
  double nx = -v10.imag(), ny = v10.real(), nz = -v00.imag();
  const double s = std::sqrt(nx * nx + ny * ny + nz * nz);
  const double beta = std::atan2(s, v00.real());
  if (s > 0)
    nx /= s, ny /= s, nz /= s;
  else
    nx = 0, ny = 0, nz = 1;  // W = ±e^{iδ}I: any axis gives a root
  const double c = std::cos(t * beta), sn = std::sin(t * beta);
  const cplx g = std::polar(1.0, t * delta), I{0.0, 1.0};
  return {g * cplx(c, -sn * nz), g * (-I * sn * cplx(nx, -ny)), g * (-I * sn * cplx(nx, ny)), g * cplx(c, sn * nz)};
}

[[nodiscard]] inline mat2 adjoint2(const mat2& m) {
  return {std::conj(m[0]), std::conj(m[2]), std::conj(m[1]), std::conj(m[3])};
}

/// 17 significant digits (round-trips every double), always a valid OpenQASM 2 real or integer.
[[nodiscard]] inline std::string format_real(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  std::string s(buf, res.ptr);
  // The spec's real literal needs a '.' when it has an exponent ("1e-05" is not one; "1.0e-05" is).
  const auto e = s.find('e');
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

class writer {
 public:
  explicit writer(const circuit& c) : c_(c) {}

  [[nodiscard]] std::string run() {
    for (std::size_t i = 0; i < c_.size(); ++i) write(i, c_.operations()[i]);
    std::string out = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";
    // hqml gates qelib1.inc lacks, defined over its gates (these definitions are exact matrices).
    if (need_ryy_) out += "gate ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; rzz(theta) a,b; rx(-pi/2) a; rx(-pi/2) b; }\n";
    if (need_iswap_) out += "gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }\n";
    if (c_.num_qubits() > 0) out += "qreg q[" + std::to_string(c_.num_qubits()) + "];\n";
    if (c_.num_clbits() > 0) out += "creg c[" + std::to_string(c_.num_clbits()) + "];\n";
    out += body_;
    return out;
  }

 private:
  [[nodiscard]] static std::string describe_op(std::size_t index, const operation& op) {
    return "operation #" + std::to_string(index) + " ('" + std::string(op.name()) + "')";
  }

  void write(std::size_t index, const operation& op) {
    std::vector<double> prm;
    for (const angle& a : op.params) {
      if (!a.is_constant())
        throw std::invalid_argument("hqml::to_qasm: " + describe_op(index, op) + " has angle " + a.to_string() +
                                    ", which depends on parameters or features; bind() the circuit first");
      prm.push_back(a.value());
      if (!std::isfinite(prm.back()))
        throw std::invalid_argument("hqml::to_qasm: " + describe_op(index, op) + " has a non-finite angle");
    }
    for (const cplx& v : op.data)
      if (!std::isfinite(v.real()) || !std::isfinite(v.imag()))
        throw std::invalid_argument("hqml::to_qasm: " + describe_op(index, op) + " has a non-finite matrix entry");
    const auto& q = op.qubits;
    switch (op.kind) {
      case gate_kind::i:
        return emit("id", {}, q);
      case gate_kind::p:
        return emit("u1", prm, q);
      case gate_kind::u:
        return emit("u3", prm, q);
      case gate_kind::cp:
        return emit("cu1", prm, q);
      case gate_kind::ryy:
        need_ryy_ = true;
        return emit("ryy", prm, q);
      case gate_kind::iswap:
        need_iswap_ = true;
        return emit("iswap", prm, q);
      case gate_kind::unitary:
        return write_unitary(op);
      case gate_kind::diagonal:
        return write_diagonal(op);
      case gate_kind::measure:
        body_ += "measure q[" + std::to_string(q[0]) + "] -> c[" + std::to_string(op.clbit) + "];\n";
        return;
      default:
        return emit(op.name(), prm, q);  // the same name in qelib1.inc
    }
  }

  void emit(std::string_view name, const std::vector<double>& prm, const std::vector<std::uint32_t>& qubits) {
    body_ += name;
    if (!prm.empty()) {
      body_ += '(';
      for (std::size_t k = 0; k < prm.size(); ++k) body_ += (k ? "," : "") + format_real(prm[k]);
      body_ += ')';
    }
    for (std::size_t k = 0; k < qubits.size(); ++k) body_ += (k ? ",q[" : " q[") + std::to_string(qubits[k]) + "]";
    body_ += ";\n";
  }
  void cx(std::uint32_t c, std::uint32_t t) { emit("cx", {}, {c, t}); }

  void write_unitary(const operation& op) {
    const std::size_t k = op.qubits.size(), d = std::size_t{1} << k;
    if (k == 1) {  // exact up to the global phase, which an uncontrolled gate cannot show
      const u3_angles a = euler_angles({op.data[0], op.data[1], op.data[2], op.data[3]});
      return emit("u3", {a.theta, a.phi, a.lambda}, op.qubits);
    }
    // Two-level (Givens) decomposition in Gray-code order: rows g(i−1), g(i) differ in one bit, so each
    // rotation is a one-qubit gate controlled by all other qubits. T_N ⋯ T_1 U = D gives U = T_1† ⋯ T_N† D.
    std::vector<cplx> m = op.data;
    auto gray = [](std::size_t i) { return i ^ (i >> 1); };
    struct rotation {
      std::size_t a, b;
      mat2 t;
    };
    std::vector<rotation> rots;
    for (std::size_t j = 0; j + 1 < d; ++j) {
      const std::size_t col = gray(j);
      for (std::size_t i = d - 1; i > j; --i) {
        const std::size_t a = gray(i - 1), b = gray(i);
        const cplx x = m[a * d + col], y = m[b * d + col];
        if (y == cplx(0.0)) continue;
        const double r = std::hypot(std::abs(x), std::abs(y));
        const mat2 t{std::conj(x) / r, std::conj(y) / r, -y / r, x / r};
        for (std::size_t c = 0; c < d; ++c) {
          const cplx ra = m[a * d + c], rb = m[b * d + c];
          m[a * d + c] = t[0] * ra + t[1] * rb;
          m[b * d + c] = t[2] * ra + t[3] * rb;
        }
        rots.push_back({a, b, t});
      }
    }
    std::vector<cplx> diag(d);
    for (std::size_t i = 0; i < d; ++i) diag[i] = m[i * d + i];
    write_phases(diag, op.qubits);
    for (auto it = rots.rbegin(); it != rots.rend(); ++it) {
      const mat2 td = adjoint2(it->t);  // on (|a⟩, |b⟩)
      const std::size_t bit = static_cast<std::size_t>(std::countr_zero(it->a ^ it->b));
      const mat2 w = (it->a >> bit) & 1 ? mat2{td[3], td[2], td[1], td[0]} : td;
      std::vector<std::pair<std::uint32_t, bool>> controls;
      for (std::size_t j = 0; j < k; ++j)
        if (j != bit) controls.emplace_back(op.qubits[j], ((it->a >> j) & 1) != 0);
      write_multi_controlled(w, op.qubits[bit], controls);
    }
  }

  // W on `target` when every control has its given value (Barenco et al. 1995, lemma 7.1): with
  // V^(2^(n−1)) = W, apply V^(±1) controlled by the parity of each non-empty control subset S,
  // + for |S| odd; the exponents add up to 2^(n−1) exactly when all controls are 1, else to 0.
  void write_multi_controlled(const mat2& w, std::uint32_t target,
                              const std::vector<std::pair<std::uint32_t, bool>>& controls) {
    for (const auto& [q, v] : controls)
      if (!v) emit("x", {}, {q});
    const std::size_t n = controls.size();
    if (n == 1) {
      write_controlled(w, controls[0].first, target);
    } else {
      const mat2 v = unitary_power(w, 1.0 / static_cast<double>(std::size_t{1} << (n - 1)));
      const mat2 vd = adjoint2(v);
      for (std::size_t s = 1; s < (std::size_t{1} << n); ++s) {
        const std::size_t top = static_cast<std::size_t>(std::bit_width(s)) - 1;
        const std::uint32_t m = controls[top].first;
        for (std::size_t j = 0; j < top; ++j)
          if ((s >> j) & 1) cx(controls[j].first, m);
        write_controlled(std::popcount(s) % 2 ? v : vd, m, target);
        for (std::size_t j = top; j-- > 0;)
          if ((s >> j) & 1) cx(controls[j].first, m);
      }
    }
    for (const auto& [q, v] : controls)
      if (!v) emit("x", {}, {q});
  }
  void write_controlled(const mat2& w, std::uint32_t control, std::uint32_t target) {
    const u3_angles a = euler_angles(w);
    emit("cu", {a.theta, a.phi, a.lambda, a.gamma}, {control, target});
  }

  void write_diagonal(const operation& op) {
    if (op.qubits.size() == 1) return emit("u1", {std::arg(op.data[1] / op.data[0])}, op.qubits);
    write_phases(op.data, op.qubits);
  }
  // diag(e^{iφ(x)}) up to global phase as parity rotations: φ(x) = Σ_S c_S (−1)^{|x∧S|} (Walsh–Hadamard
  // transform), and exp(i c Z_S) is a CX ladder onto the highest qubit of S around rz(−2c).
  void write_phases(const std::vector<cplx>& entries, const std::vector<std::uint32_t>& qubits) {
    const std::size_t d = entries.size();
    std::vector<double> c(d);
    for (std::size_t x = 0; x < d; ++x) c[x] = std::arg(entries[x]);
    for (std::size_t h = 1; h < d; h <<= 1)
      for (std::size_t i = 0; i < d; i += 2 * h)
        for (std::size_t j = i; j < i + h; ++j) {
          const double a = c[j], b = c[j + h];
          c[j] = a + b;
          c[j + h] = a - b;
        }
    for (std::size_t s = 1; s < d; ++s) {
      const double coef = c[s] / static_cast<double>(d);
      if (coef == 0.0) continue;
      const std::size_t top = static_cast<std::size_t>(std::bit_width(s)) - 1;
      for (std::size_t j = 0; j < top; ++j)
        if ((s >> j) & 1) cx(qubits[j], qubits[top]);
      emit("rz", {-2 * coef}, {qubits[top]});
      for (std::size_t j = top; j-- > 0;)
        if ((s >> j) & 1) cx(qubits[j], qubits[top]);
    }
  }

  const circuit& c_;
  std::string body_;
  bool need_ryy_ = false;
  bool need_iswap_ = false;
};

}  // namespace hqml::detail::qasm
