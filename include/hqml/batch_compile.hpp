#pragma once
// Lowers a circuit to a batch program (<hqml/kernels/batch_program.hpp>): the host half of batched
// simulation, which reads circuits and gate definitions and so sits above the kernels layer.

#include <hqml/circuit.hpp>
#include <hqml/config.hpp>
#include <hqml/gate.hpp>
#include <hqml/kernels/batch_program.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

namespace batch_detail {

using namespace hqml::kernels;

using cmat = std::vector<std::complex<double>>;  // d × d row-major

inline std::array<double, batch_basis> basis_at(double a) {
  return {1.0, std::cos(a / 2), std::sin(a / 2), std::cos(a), std::sin(a)};
}

/// Fits a one-angle gate's matrix as Σ_b C_b f_b(a); throws when the gate is not of that form.
inline std::vector<cmat> fit_one_angle(gate_kind kind, std::size_t d) {
  constexpr double at[batch_basis] = {0.3, 1.1, 2.0, 2.9, 4.4};
  // Gauss-Jordan inverse of F[s][b] = f_b(at[s]).
  double f[batch_basis][2 * batch_basis] = {};
  for (unsigned s = 0; s < batch_basis; ++s) {
    const auto row = basis_at(at[s]);
    for (unsigned b = 0; b < batch_basis; ++b) f[s][b] = row[b];
    f[s][batch_basis + s] = 1.0;
  }
  for (unsigned col = 0; col < batch_basis; ++col) {
    unsigned piv = col;
    for (unsigned r = col + 1; r < batch_basis; ++r)
      if (std::abs(f[r][col]) > std::abs(f[piv][col])) piv = r;
    for (unsigned j = 0; j < 2 * batch_basis; ++j) std::swap(f[col][j], f[piv][j]);
    const double inv = 1.0 / f[col][col];
    for (unsigned j = 0; j < 2 * batch_basis; ++j) f[col][j] *= inv;
    for (unsigned r = 0; r < batch_basis; ++r)
      if (r != col) {
        const double factor = f[r][col];
        for (unsigned j = 0; j < 2 * batch_basis; ++j) f[r][j] -= factor * f[col][j];
      }
  }
  std::vector<cmat> samples(batch_basis, cmat(d * d));
  for (unsigned s = 0; s < batch_basis; ++s) gate_matrix_into(kind, &at[s], samples[s].data());
  std::vector<cmat> coef(batch_basis, cmat(d * d));
  for (unsigned b = 0; b < batch_basis; ++b)
    for (std::size_t e = 0; e < d * d; ++e)
      for (unsigned s = 0; s < batch_basis; ++s) coef[b][e] += f[b][batch_basis + s] * samples[s][e];
  // The fit must reproduce the gate at angles it was not fitted on.
  for (double a : {0.77, -2.5, 5.9}) {
    cmat want(d * d);
    gate_matrix_into(kind, &a, want.data());
    const auto fb = basis_at(a);
    for (std::size_t e = 0; e < d * d; ++e) {
      std::complex<double> got = 0;
      for (unsigned b = 0; b < batch_basis; ++b) got += coef[b][e] * fb[b];
      if (std::abs(got - want[e]) > 1e-12)
        throw std::invalid_argument("hqml: gate '" + std::string(info(kind).name) +
                                    "' is not supported by batched GPU simulation (its matrix is not linear in "
                                    "1, cos a/2, sin a/2, cos a, sin a)");
    }
  }
  return coef;
}

/// fit_one_angle(kind), made once per gate kind: the CPU's batched states compile their circuit at every call.
inline const std::vector<cmat>& one_angle_fit(gate_kind kind) {
  static const auto fits = [] {
    std::array<std::vector<cmat>, num_gate_kinds> t;
    for (std::size_t k = 0; k < num_gate_kinds; ++k) {
      const auto g = static_cast<gate_kind>(k);
      if (info(g).num_params != 1 || info(g).num_qubits == 0) continue;
      try {
        t[k] = fit_one_angle(g, std::size_t{1} << info(g).num_qubits);
      } catch (const std::invalid_argument&) {
        // left empty: lower_gate fits it again, which throws the message
      }
    }
    return t;
  }();
  return fits[static_cast<std::size_t>(kind)];
}

inline void append_op(batch_program& p, const std::vector<std::uint32_t>& qubits, const std::vector<cmat>& m,
                      std::int32_t slot) {
  const auto k = static_cast<unsigned>(qubits.size());
  const std::size_t d = std::size_t{1} << k;
  auto nonzero = [&](std::size_t r, std::size_t c) {
    for (const auto& mb : m)
      if (std::norm(mb[r * d + c]) > 1e-28) return true;  // |z| > 1e-14 without a square root
    return false;
  };
  // Entry (r, c) as Σ_b; only component 0 may be nonzero for an identity row.
  auto is_one = [&](std::size_t r) {
    if (std::norm(m[0][r * d + r] - 1.0) > 1e-28) return false;
    for (std::size_t b = 1; b < m.size(); ++b)
      if (std::norm(m[b][r * d + r]) > 1e-28) return false;
    return true;
  };
  batch_op op{};
  op.k = static_cast<std::uint8_t>(k);
  for (unsigned j = 0; j < k; ++j) op.qubits[j] = op.sorted[j] = qubits[j];
  std::sort(op.sorted, op.sorted + k);
  op.slot = slot;
  op.coef = static_cast<std::uint32_t>(p.coef.size());
  std::vector<std::pair<std::size_t, std::size_t>> entries;  // (r, c) in the order the device reads them

  bool diagonal = true;
  for (std::size_t r = 0; r < d && diagonal; ++r)
    for (std::size_t c = 0; c < d; ++c)
      if (r != c && nonzero(r, c)) {
        diagonal = false;
        break;
      }
  int target = -1;
  if (!diagonal && k > 1) {
    // A one-qubit block on rows whose other bits are all set, identity elsewhere: a controlled gate.
    for (unsigned t = 0; t < k && target < 0; ++t) {
      const std::size_t others = (d - 1) & ~(std::size_t{1} << t);
      bool ok = true;
      for (std::size_t r = 0; r < d && ok; ++r)
        for (std::size_t c = 0; c < d && ok; ++c) {
          const bool in_block = (r & others) == others && (c & others) == others;
          if (in_block) continue;
          if (r == c ? !is_one(r) : nonzero(r, c)) ok = false;
        }
      if (ok) target = static_cast<int>(t);
    }
  }
  if (diagonal) {
    op.kind = batch_op_kind::diagonal;
    for (std::size_t l = 0; l < d; ++l) entries.emplace_back(l, l);
  } else if (k == 1 || target >= 0) {
    const unsigned t = k == 1 ? 0u : static_cast<unsigned>(target);
    const std::size_t others = (d - 1) & ~(std::size_t{1} << t), one = std::size_t{1} << t;
    op.kind = batch_op_kind::controlled_1q;
    op.k = 1;
    op.qubits[0] = op.sorted[0] = qubits[t];
    for (unsigned j = 0; j < k; ++j)
      if (j != t) op.control |= index_t{1} << qubits[j];
    for (std::size_t r : {others, others | one})
      for (std::size_t c : {others, others | one}) entries.emplace_back(r, c);
  } else {
    op.kind = batch_op_kind::dense;
    for (std::size_t r = 0; r < d; ++r)
      for (std::size_t c = 0; c < d; ++c) entries.emplace_back(r, c);
  }
  for (const auto& [r, c] : entries)
    for (const auto& mb : m) {  // constant: one component; parameterized: batch_basis, entry-major
      p.coef.push_back(mb[r * d + c].real());
      p.coef.push_back(mb[r * d + c].imag());
    }
  p.ops.push_back(op);
}

inline std::int32_t add_slot(batch_program& p, const angle& a) {
  batch_slot s{static_cast<std::uint32_t>(p.terms.size()), 0};
  for (const auto& t : a.terms()) {
    batch_term bt{t.coefficient, static_cast<std::uint32_t>(p.vars.size()), 0};
    for (const variable& v : t.vars)
      p.vars.push_back(v.kind == variable::source::feature ? static_cast<std::int32_t>(v.index)
                                                           : -static_cast<std::int32_t>(v.index) - 1);
    bt.var_end = static_cast<std::uint32_t>(p.vars.size());
    p.terms.push_back(bt);
  }
  s.term_end = static_cast<std::uint32_t>(p.terms.size());
  p.slots.push_back(s);
  return static_cast<std::int32_t>(p.slots.size() - 1);
}

/// A gate before it becomes an op: its matrix as one constant or batch_basis coefficient matrices of
/// its angle `a` (null when constant), and whether it is a plain constant CX (for the rewrite below).
struct lowered_gate {
  std::vector<std::uint32_t> qubits;
  std::vector<cmat> m;
  const angle* a = nullptr;
  bool is_cx = false;

  [[nodiscard]] bool is_diagonal() const {
    const std::size_t d = std::size_t{1} << qubits.size();
    for (const auto& mb : m)
      for (std::size_t r = 0; r < d; ++r)
        for (std::size_t c = 0; c < d; ++c)
          if (r != c && std::norm(mb[r * d + c]) > 1e-28) return false;
    return true;
  }
};

inline lowered_gate lower_gate(gate_kind kind, const std::vector<std::uint32_t>& qubits, const angle* a) {
  const std::size_t d = std::size_t{1} << qubits.size();
  lowered_gate g{qubits, {}, nullptr, kind == gate_kind::cx};
  if (a == nullptr || a->is_constant()) {
    const double prm[3] = {a ? a->value() : 0.0, 0.0, 0.0};
    cmat m(d * d);
    gate_matrix_into(kind, prm, m.data());
    g.m = {std::move(m)};
  } else {
    const auto& fit = one_angle_fit(kind);
    g.m = fit.empty() ? fit_one_angle(kind, d) : fit;
    g.a = a;
  }
  return g;
}

/// CX(c, t) · D · CX(c, t) for a diagonal D whose qubits hold t: the diagonal D'(b) = D(b with b_t ^= b_c)
/// on D's qubits and c. False (and nothing done) when the union would exceed kernels::batch_max_qubits.
inline bool conjugate_by_cx(const lowered_gate& cx, const lowered_gate& diag, lowered_gate& out) {
  const std::uint32_t c = cx.qubits[0], t = cx.qubits[1];
  const auto t_at = std::find(diag.qubits.begin(), diag.qubits.end(), t);
  if (t_at == diag.qubits.end()) return false;
  std::vector<std::uint32_t> qs = diag.qubits;
  if (std::find(qs.begin(), qs.end(), c) == qs.end()) qs.push_back(c);
  if (qs.size() > kernels::batch_max_qubits) return false;
  const auto jt = static_cast<unsigned>(t_at - diag.qubits.begin());
  const auto jc = static_cast<unsigned>(std::find(qs.begin(), qs.end(), c) - qs.begin());
  const std::size_t d_in = std::size_t{1} << diag.qubits.size(), d_out = std::size_t{1} << qs.size();
  out = lowered_gate{qs, std::vector<cmat>(diag.m.size(), cmat(d_out * d_out)), diag.a, false};
  for (std::size_t l = 0; l < d_out; ++l) {
    // diag's qubits are the first entries of qs, so l's low bits index diag once b_t ^= b_c is applied.
    const std::size_t src = (l ^ (((l >> jc) & 1u) << jt)) & (d_in - 1);
    for (std::size_t b = 0; b < diag.m.size(); ++b) out.m[b][l * d_out + l] = diag.m[b][src * d_in + src];
  }
  return true;
}

/// Appends g, folding CX·D·CX patterns as they complete (nested ladders fold from the inside out).
inline void push_folded(std::vector<lowered_gate>& list, lowered_gate g) {
  list.push_back(std::move(g));
  while (list.size() >= 3) {
    const lowered_gate& a = list[list.size() - 3];
    const lowered_gate& mid = list[list.size() - 2];
    const lowered_gate& b = list.back();
    if (!a.is_cx || !b.is_cx || a.qubits != b.qubits || mid.is_cx || !mid.is_diagonal()) return;
    lowered_gate folded;
    if (!conjugate_by_cx(a, mid, folded)) return;
    list.resize(list.size() - 3);
    list.push_back(std::move(folded));
  }
}

}  // namespace batch_detail

/// Whether compile_batch_program lowers c: a unitary circuit whose unitary and diagonal blocks have at most
/// kernels::batch_max_qubits qubits (every standard gate lowers).
[[nodiscard]] inline bool batch_compilable(const circuit& c) {
  if (!c.is_unitary()) return false;
  return std::none_of(c.operations().begin(), c.operations().end(), [](const operation& op) {
    return (op.kind == gate_kind::unitary || op.kind == gate_kind::diagonal) &&
           op.qubits.size() > kernels::batch_max_qubits;
  });
}

/// Lowers a unitary circuit for batched simulation. Throws std::invalid_argument for measurements,
/// resets and unitary/diagonal blocks on more than kernels::batch_max_qubits qubits.
[[nodiscard]] inline kernels::batch_program compile_batch_program(const circuit& c) {
  kernels::batch_program p;
  p.num_qubits = static_cast<unsigned>(c.num_qubits());
  p.num_features = c.num_features();
  p.num_params = c.num_params();
  std::vector<batch_detail::lowered_gate> gates;
  for (const operation& op : c.operations()) {
    const auto nq = op.qubits.size();
    switch (op.kind) {
      case gate_kind::barrier:
      case gate_kind::i:
        continue;
      case gate_kind::measure:
      case gate_kind::reset:
        throw std::invalid_argument("hqml: batched simulation needs a unitary circuit ('" + std::string(op.name()) +
                                    "' found)");
      case gate_kind::unitary:
      case gate_kind::diagonal: {
        if (nq > kernels::batch_max_qubits)
          throw std::invalid_argument("hqml: batched GPU simulation takes " + std::string(op.name()) +
                                      " blocks on at most " + std::to_string(kernels::batch_max_qubits) +
                                      " qubits, got " + std::to_string(nq));
        const std::size_t d = std::size_t{1} << nq;
        batch_detail::cmat m(d * d);
        if (op.kind == gate_kind::unitary)
          m = op.data;
        else
          for (std::size_t l = 0; l < d; ++l) m[l * d + l] = op.data[l];
        batch_detail::push_folded(gates, {op.qubits, {std::move(m)}, nullptr, false});
        continue;
      }
      case gate_kind::u: {
        if (!op.is_parameterized()) break;
        // U(θ, φ, λ) = P(φ) · RY(θ) · P(λ): applied as P(λ), then RY(θ), then P(φ).
        batch_detail::push_folded(gates, batch_detail::lower_gate(gate_kind::p, op.qubits, &op.params[2]));
        batch_detail::push_folded(gates, batch_detail::lower_gate(gate_kind::ry, op.qubits, &op.params[0]));
        batch_detail::push_folded(gates, batch_detail::lower_gate(gate_kind::p, op.qubits, &op.params[1]));
        continue;
      }
      default:
        break;
    }
    if (op.params.size() > 1) {
      // Constant multi-angle gates (u with constant angles) are plain matrices.
      double prm[3] = {0, 0, 0};
      for (std::size_t j = 0; j < op.params.size(); ++j) prm[j] = op.params[j].value();
      const std::size_t d = std::size_t{1} << nq;
      batch_detail::cmat m(d * d);
      gate_matrix_into(op.kind, prm, m.data());
      batch_detail::push_folded(gates, {op.qubits, {std::move(m)}, nullptr, false});
      continue;
    }
    batch_detail::push_folded(
        gates, batch_detail::lower_gate(op.kind, op.qubits, op.params.empty() ? nullptr : &op.params[0]));
  }
  // The leading constant gates (a feature map's first H layer, say) run once here rather than per sample.
  std::size_t prefix = 0;
  if (p.num_qubits <= kernels::batch_fold_max_qubits)
    while (prefix < gates.size() && gates[prefix].a == nullptr) ++prefix;
  if (prefix > 0) {
    kernels::batch_program pre;
    pre.num_qubits = p.num_qubits;
    for (std::size_t k = 0; k < prefix; ++k) batch_detail::append_op(pre, gates[k].qubits, gates[k].m, -1);
    kernels::batch_detail::build_steps(pre);
    p.initial.resize(std::size_t{2} << p.num_qubits);
    kernels::run_batch_program_host<double>(pre, nullptr, nullptr, p.initial.data());
  }
  for (std::size_t k = prefix; k < gates.size(); ++k) {
    const auto& g = gates[k];
    batch_detail::append_op(p, g.qubits, g.m, g.a ? batch_detail::add_slot(p, *g.a) : -1);
  }
  kernels::batch_detail::build_steps(p);
  return p;
}

}  // namespace hqml
