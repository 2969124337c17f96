#pragma once
// A quantum circuit: a list of operations on n qubits and m classical bits, with angles that may
// depend on trainable parameters and data features (see angle.hpp).

#include <hqml/angle.hpp>
#include <hqml/gate.hpp>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

namespace detail {
/// Tag for circuit::append of operations hqml built from validated ones.
struct trusted_t {
  explicit trusted_t() = default;
};
inline constexpr trusted_t trusted{};
}  // namespace detail

/// One operation of a circuit.
struct operation {
  gate_kind kind = gate_kind::i;
  std::vector<std::uint32_t> qubits;  // controls first, as in OpenQASM
  std::vector<angle> params;
  matrix data;              // unitary: dense 2^k×2^k row-major; diagonal: the 2^k diagonal entries
  std::int64_t clbit = -1;  // measure: the classical bit written

  [[nodiscard]] std::string_view name() const { return info(kind).name; }
  [[nodiscard]] bool is_parameterized() const {
    return std::any_of(params.begin(), params.end(), [](const angle& a) { return !a.is_constant(); });
  }
};

class circuit {
 public:
  static constexpr std::size_t max_qubits = 62;

  explicit circuit(std::size_t num_qubits = 0, std::size_t num_clbits = 0)
      : num_qubits_(checked_qubits(num_qubits)), num_clbits_(num_clbits) {}

  [[nodiscard]] std::size_t num_qubits() const noexcept { return num_qubits_; }
  [[nodiscard]] std::size_t num_clbits() const noexcept { return num_clbits_; }
  [[nodiscard]] const std::vector<operation>& operations() const noexcept { return ops_; }
  [[nodiscard]] std::size_t size() const noexcept { return ops_.size(); }
  [[nodiscard]] bool empty() const noexcept { return ops_.empty(); }
  [[nodiscard]] const operation& operator[](std::size_t i) const { return ops_.at(i); }

  /// Adds classical bits (for measure); returns the index of the first new one.
  std::size_t add_clbits(std::size_t count) {
    num_clbits_ += count;
    return num_clbits_ - count;
  }

  /// One past the largest θ index any angle uses.
  [[nodiscard]] std::size_t num_params() const {
    std::size_t m = 0;
    for (const auto& op : ops_)
      for (const auto& a : op.params) m = std::max(m, a.num_params());
    return m;
  }
  /// One past the largest feature index any angle uses.
  [[nodiscard]] std::size_t num_features() const {
    std::size_t m = 0;
    for (const auto& op : ops_)
      for (const auto& a : op.params) m = std::max(m, a.num_features());
    return m;
  }
  [[nodiscard]] bool is_parameterized() const {
    return std::any_of(ops_.begin(), ops_.end(), [](const operation& o) { return o.is_parameterized(); });
  }
  [[nodiscard]] bool is_unitary() const {
    return std::all_of(ops_.begin(), ops_.end(),
                       [](const operation& o) { return o.kind != gate_kind::measure && o.kind != gate_kind::reset; });
  }

  /// Appends a validated operation.
  circuit& append(operation op) {
    validate(op);
    ops_.push_back(std::move(op));
    return *this;
  }
  /// Appends an operation that hqml built from validated ones (fusion's blocks: products of unitaries),
  /// without the O(d³) unitarity check that was a third of fuse()'s time.
  circuit& append(operation op, detail::trusted_t) {
    ops_.push_back(std::move(op));
    return *this;
  }

  // Builders for the standard gate set; angles may be numbers or expressions in θ and x.
  circuit& i(std::uint32_t q) { return gate(gate_kind::i, {q}); }
  circuit& x(std::uint32_t q) { return gate(gate_kind::x, {q}); }
  circuit& y(std::uint32_t q) { return gate(gate_kind::y, {q}); }
  circuit& z(std::uint32_t q) { return gate(gate_kind::z, {q}); }
  circuit& h(std::uint32_t q) { return gate(gate_kind::h, {q}); }
  circuit& s(std::uint32_t q) { return gate(gate_kind::s, {q}); }
  circuit& sdg(std::uint32_t q) { return gate(gate_kind::sdg, {q}); }
  circuit& t(std::uint32_t q) { return gate(gate_kind::t, {q}); }
  circuit& tdg(std::uint32_t q) { return gate(gate_kind::tdg, {q}); }
  circuit& sx(std::uint32_t q) { return gate(gate_kind::sx, {q}); }
  circuit& sxdg(std::uint32_t q) { return gate(gate_kind::sxdg, {q}); }
  circuit& rx(std::uint32_t q, angle a) { return gate(gate_kind::rx, {q}, {std::move(a)}); }
  circuit& ry(std::uint32_t q, angle a) { return gate(gate_kind::ry, {q}, {std::move(a)}); }
  circuit& rz(std::uint32_t q, angle a) { return gate(gate_kind::rz, {q}, {std::move(a)}); }
  circuit& p(std::uint32_t q, angle a) { return gate(gate_kind::p, {q}, {std::move(a)}); }
  circuit& u(std::uint32_t q, angle theta, angle phi, angle lambda) {
    return gate(gate_kind::u, {q}, {std::move(theta), std::move(phi), std::move(lambda)});
  }
  circuit& cx(std::uint32_t c, std::uint32_t t) { return gate(gate_kind::cx, {c, t}); }
  circuit& cy(std::uint32_t c, std::uint32_t t) { return gate(gate_kind::cy, {c, t}); }
  circuit& cz(std::uint32_t c, std::uint32_t t) { return gate(gate_kind::cz, {c, t}); }
  circuit& ch(std::uint32_t c, std::uint32_t t) { return gate(gate_kind::ch, {c, t}); }
  circuit& swap(std::uint32_t a, std::uint32_t b) { return gate(gate_kind::swap, {a, b}); }
  circuit& iswap(std::uint32_t a, std::uint32_t b) { return gate(gate_kind::iswap, {a, b}); }
  circuit& crx(std::uint32_t c, std::uint32_t t, angle a) { return gate(gate_kind::crx, {c, t}, {std::move(a)}); }
  circuit& cry(std::uint32_t c, std::uint32_t t, angle a) { return gate(gate_kind::cry, {c, t}, {std::move(a)}); }
  circuit& crz(std::uint32_t c, std::uint32_t t, angle a) { return gate(gate_kind::crz, {c, t}, {std::move(a)}); }
  circuit& cp(std::uint32_t c, std::uint32_t t, angle a) { return gate(gate_kind::cp, {c, t}, {std::move(a)}); }
  circuit& rxx(std::uint32_t a, std::uint32_t b, angle th) { return gate(gate_kind::rxx, {a, b}, {std::move(th)}); }
  circuit& ryy(std::uint32_t a, std::uint32_t b, angle th) { return gate(gate_kind::ryy, {a, b}, {std::move(th)}); }
  circuit& rzz(std::uint32_t a, std::uint32_t b, angle th) { return gate(gate_kind::rzz, {a, b}, {std::move(th)}); }
  circuit& ccx(std::uint32_t c0, std::uint32_t c1, std::uint32_t t) { return gate(gate_kind::ccx, {c0, c1, t}); }
  circuit& cswap(std::uint32_t c, std::uint32_t a, std::uint32_t b) { return gate(gate_kind::cswap, {c, a, b}); }

  /// An arbitrary unitary on the given qubits (bit j of the matrix index is qubits[j]); checked to 1e-8.
  circuit& unitary(std::vector<std::uint32_t> qubits, matrix m) {
    operation op{gate_kind::unitary, std::move(qubits), {}, std::move(m), -1};
    return append(std::move(op));
  }
  /// A diagonal unitary given by its 2^k diagonal entries.
  circuit& diagonal(std::vector<std::uint32_t> qubits, matrix d) {
    operation op{gate_kind::diagonal, std::move(qubits), {}, std::move(d), -1};
    return append(std::move(op));
  }
  circuit& measure(std::uint32_t q, std::size_t clbit) {
    operation op{gate_kind::measure, {q}, {}, {}, static_cast<std::int64_t>(clbit)};
    return append(std::move(op));
  }
  /// Measures every qubit i into a new classical bit (Qiskit's measure_all).
  circuit& measure_all() {
    const std::size_t first = add_clbits(num_qubits_);
    for (std::uint32_t q = 0; q < num_qubits_; ++q) measure(q, first + q);
    return *this;
  }
  circuit& reset(std::uint32_t q) { return gate(gate_kind::reset, {q}); }
  circuit& barrier(std::vector<std::uint32_t> qubits = {}) {
    if (qubits.empty())
      for (std::uint32_t q = 0; q < num_qubits_; ++q) qubits.push_back(q);
    return gate(gate_kind::barrier, std::move(qubits));
  }

  /// Generic builder: gate kind, qubits, angles.
  circuit& gate(gate_kind k, std::vector<std::uint32_t> qubits, std::vector<angle> params = {}) {
    operation op{k, std::move(qubits), std::move(params), {}, -1};
    return append(std::move(op));
  }

  /// Appends `other`, its qubit j mapped to qubit_map[j] (identity when empty) and its clbits shifted by clbit_offset.
  circuit& compose(const circuit& other, std::span<const std::uint32_t> qubit_map = {}, std::size_t clbit_offset = 0) {
    if (!qubit_map.empty() && qubit_map.size() != other.num_qubits())
      throw std::invalid_argument("hqml::circuit::compose: qubit map has " + std::to_string(qubit_map.size()) +
                                  " entries for a circuit of " + std::to_string(other.num_qubits()) + " qubits");
    if (qubit_map.empty() && other.num_qubits() > num_qubits_)
      throw std::invalid_argument("hqml::circuit::compose: circuit of " + std::to_string(other.num_qubits()) +
                                  " qubits does not fit into " + std::to_string(num_qubits_));
    num_clbits_ = std::max(num_clbits_, other.num_clbits() + clbit_offset);
    for (operation op : other.ops_) {
      if (!qubit_map.empty())
        for (auto& q : op.qubits) q = qubit_map[q];
      if (op.clbit >= 0) op.clbit += static_cast<std::int64_t>(clbit_offset);
      append(std::move(op));
    }
    return *this;
  }

  /// The adjoint circuit U^†; throws if the circuit measures or resets.
  [[nodiscard]] circuit inverse() const {
    circuit r(num_qubits_, num_clbits_);
    for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) r.ops_.push_back(inverse_of(*it));
    return r;
  }

  /// Circuit depth: the longest path of operations through shared qubits and clbits (barriers add none).
  [[nodiscard]] std::size_t depth() const {
    std::vector<std::size_t> qlevel(num_qubits_, 0), clevel(num_clbits_, 0);
    std::size_t d = 0;
    for (const auto& op : ops_) {
      std::size_t level = 0;
      for (auto q : op.qubits) level = std::max(level, qlevel[q]);
      if (op.clbit >= 0) level = std::max(level, clevel[static_cast<std::size_t>(op.clbit)]);
      if (op.kind != gate_kind::barrier) ++level;
      for (auto q : op.qubits) qlevel[q] = level;
      if (op.clbit >= 0) clevel[static_cast<std::size_t>(op.clbit)] = level;
      d = std::max(d, level);
    }
    return d;
  }

  /// Operation counts by name.
  [[nodiscard]] std::map<std::string, std::size_t> count_ops() const {
    std::map<std::string, std::size_t> m;
    for (const auto& op : ops_) ++m[std::string(op.name())];
    return m;
  }
  /// Number of operations acting on two or more qubits (barriers excluded).
  [[nodiscard]] std::size_t num_multi_qubit_gates() const {
    return static_cast<std::size_t>(std::count_if(ops_.begin(), ops_.end(), [](const operation& o) {
      return o.kind != gate_kind::barrier && o.qubits.size() >= 2;
    }));
  }

  /// The circuit with every angle evaluated at (θ, x): all angles constant.
  [[nodiscard]] circuit bind(std::span<const double> theta, std::span<const double> x = {}) const {
    circuit r(num_qubits_, num_clbits_);
    r.ops_.reserve(ops_.size());
    for (const auto& op : ops_) {
      operation b = op;
      for (auto& a : b.params) a = angle(a.evaluate(theta, x));
      r.ops_.push_back(std::move(b));
    }
    return r;
  }

 private:
  static std::size_t checked_qubits(std::size_t n) {
    if (n > max_qubits)
      throw std::invalid_argument("hqml::circuit: " + std::to_string(n) + " qubits requested; at most " +
                                  std::to_string(max_qubits) + " are supported");
    return n;
  }

  void validate(const operation& op) const {
    const gate_info& gi = info(op.kind);
    const std::string where = "hqml::circuit: gate '" + std::string(gi.name) + "'";
    if (gi.num_qubits != 0 && op.qubits.size() != gi.num_qubits)
      throw std::invalid_argument(where + " takes " + std::to_string(gi.num_qubits) + " qubits, got " +
                                  std::to_string(op.qubits.size()));
    if (op.params.size() != gi.num_params)
      throw std::invalid_argument(where + " takes " + std::to_string(gi.num_params) + " parameters, got " +
                                  std::to_string(op.params.size()));
    for (std::size_t a = 0; a < op.qubits.size(); ++a) {
      if (op.qubits[a] >= num_qubits_)
        throw std::out_of_range(where + ": qubit " + std::to_string(op.qubits[a]) +
                                " is out of range for a circuit of " + std::to_string(num_qubits_) + " qubits");
      for (std::size_t b = 0; b < a; ++b)
        if (op.qubits[a] == op.qubits[b])
          throw std::invalid_argument(where + ": qubit " + std::to_string(op.qubits[a]) + " is used twice");
    }
    if (op.kind == gate_kind::unitary || op.kind == gate_kind::diagonal) {
      const std::size_t k = op.qubits.size();
      if (k == 0 || k > max_unitary_qubits)
        throw std::invalid_argument(where + " acts on " + std::to_string(k) + " qubits; 1 to " +
                                    std::to_string(max_unitary_qubits) + " are supported");
      const std::size_t dim = std::size_t{1} << k;
      if (op.kind == gate_kind::unitary) {
        check_unitary(op.data, dim, 1e-8, where);
      } else {
        if (op.data.size() != dim)
          throw std::invalid_argument(where + ": " + std::to_string(op.data.size()) +
                                      " diagonal entries given, expected " + std::to_string(dim));
        for (const auto& v : op.data)
          if (!(std::abs(std::abs(v) - 1.0) <= 1e-8))
            throw std::invalid_argument(where + ": diagonal entry " + std::to_string(std::abs(v)) +
                                        " has modulus other than 1: not unitary");
      }
    }
    if (op.kind == gate_kind::measure) {
      if (op.clbit < 0 || static_cast<std::size_t>(op.clbit) >= num_clbits_)
        throw std::out_of_range(where + ": classical bit " + std::to_string(op.clbit) +
                                " is out of range for a circuit of " + std::to_string(num_clbits_) + " clbits");
    }
    if (op.kind == gate_kind::barrier && op.qubits.empty())
      throw std::invalid_argument(where + " needs at least one qubit");
  }

  static operation inverse_of(const operation& op) {
    operation r = op;
    if (is_rotation(op.kind)) {
      for (auto& a : r.params) a = -a;
      return r;
    }
    switch (op.kind) {
      case gate_kind::s: r.kind = gate_kind::sdg; break;
      case gate_kind::sdg: r.kind = gate_kind::s; break;
      case gate_kind::t: r.kind = gate_kind::tdg; break;
      case gate_kind::tdg: r.kind = gate_kind::t; break;
      case gate_kind::sx: r.kind = gate_kind::sxdg; break;
      case gate_kind::sxdg: r.kind = gate_kind::sx; break;
      case gate_kind::u:  // U(θ,φ,λ)^† = U(−θ,−λ,−φ)
        r.params = {-op.params[0], -op.params[2], -op.params[1]};
        break;
      case gate_kind::iswap:
        r.kind = gate_kind::unitary;
        r.data = adjoint(gate_matrix(gate_kind::iswap), 4);
        break;
      case gate_kind::unitary: {
        const std::size_t d = std::size_t{1} << op.qubits.size();
        r.data = adjoint(op.data, d);
        break;
      }
      case gate_kind::diagonal:
        for (auto& v : r.data) v = std::conj(v);
        break;
      case gate_kind::measure:
      case gate_kind::reset:
        throw std::logic_error("hqml::circuit::inverse: the circuit contains '" + std::string(op.name()) +
                               "', which has no inverse");
      default:
        if (!info(op.kind).self_inverse && op.kind != gate_kind::barrier)
          throw std::logic_error("hqml::circuit::inverse: no inverse rule for " + std::string(op.name()));
        break;
    }
    return r;
  }

  std::size_t num_qubits_;
  std::size_t num_clbits_;
  std::vector<operation> ops_;
};

}  // namespace hqml
