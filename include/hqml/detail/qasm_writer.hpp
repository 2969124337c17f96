#pragma once
// The OpenQASM 2.0 exporter and the decompositions it needs for gates qelib1.inc lacks.
// Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/qasm_writer.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <hqml/circuit.hpp>
#include <hqml/detail/unitary_synthesis.hpp>

#include <charconv>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hqml::detail::qasm {

using cplx = std::complex<double>;
using synth::euler_angles;
using synth::u3_angles;

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

  void write_unitary(const operation& op) {
    if (op.qubits.size() == 1) {  // exact up to the global phase, which an uncontrolled gate cannot show
      const u3_angles a = euler_angles({op.data[0], op.data[1], op.data[2], op.data[3]});
      return emit("u3", {a.theta, a.phi, a.lambda}, op.qubits);
    }
    write_gates(synth::unitary_gates(op.qubits, op.data));
  }

  void write_diagonal(const operation& op) {
    if (op.qubits.size() == 1) return emit("u1", {std::arg(op.data[1] / op.data[0])}, op.qubits);
    write_gates(synth::diagonal_gates(op.qubits, op.data));
  }

  void write_gates(const std::vector<synth::elementary_gate>& gates) {
    using type = synth::elementary_gate::type;
    for (const auto& g : gates) switch (g.kind) {
        case type::cx:
          emit("cx", {}, {g.q0, g.q1});
          break;
        case type::cz:
          emit("cz", {}, {g.q0, g.q1});
          break;
        case type::rz:
          emit("rz", {g.angle}, {g.q0});
          break;
        case type::u3: {
          const u3_angles a = euler_angles(g.m);
          emit("u3", {a.theta, a.phi, a.lambda}, {g.q0});
          break;
        }
      }
  }

  const circuit& c_;
  std::string body_;
  bool need_ryy_ = false;
  bool need_iswap_ = false;
};

}  // namespace hqml::detail::qasm
