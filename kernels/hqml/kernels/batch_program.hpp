#pragma once
// A circuit lowered for batched simulation: one flat program that a GPU block (or a host loop) runs
// for each sample, binding the angles from that sample's features x and the shared parameters θ.
//
// Every gate becomes one of three operations: a 2×2 matrix on a target with control bits (all
// one-qubit gates, CX, CY, CH, CRX, CRY, CCX), a diagonal (RZ, P, CZ, CP, CRZ, RZZ, ...) or a dense
// matrix on up to 3 qubits (SWAP, iSWAP, RXX, RYY, CSWAP, small unitaries). A parameterized entry is
// Σ_b c_b f_b(a) over f = (1, cos a/2, sin a/2, cos a, sin a), a the gate's angle: every standard
// one-angle gate has that form, and the coefficients are fitted on the host from gate_matrix_into,
// so the device needs no table of gate definitions. U(θ, φ, λ) is lowered to P(λ) RY(θ) P(φ).
// The host part needs no CUDA; the per-sample part is HQML_HOST_DEVICE and runs on either side.

#include <hqml/circuit.hpp>
#include <hqml/config.hpp>
#include <hqml/gate.hpp>
#include <hqml/kernels/index.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml::kernels {

enum class batch_op_kind : std::uint8_t { controlled_1q, diagonal, dense };

/// Largest gate a batch program holds (dense 8×8: 64 entries).
inline constexpr unsigned batch_max_qubits = 3;
inline constexpr unsigned batch_max_entries = 64;
/// Functions of the angle the parameterized entries are linear in: 1, cos a/2, sin a/2, cos a, sin a.
inline constexpr unsigned batch_basis = 5;

struct batch_op {
  batch_op_kind kind;
  std::uint8_t k;              // qubits of the matrix (controlled_1q: 1, the target)
  std::uint32_t qubits[3];     // bit j of the local matrix index is qubit qubits[j]
  std::uint32_t sorted[3];     // the same, ascending (enumerates the index groups)
  index_t control;             // controlled_1q: bits that must be set, else 0
  std::int32_t slot;           // angle slot, or -1 for a constant matrix
  std::uint32_t coef;          // first (re, im) pair of this op's coefficients in batch_program::coef
};

struct batch_term {
  double coefficient;
  std::uint32_t var_begin, var_end;  // variables of the product, in batch_program::vars
};
struct batch_slot {
  std::uint32_t term_begin, term_end;
};

/// Trivially copyable view of a program whose arrays live in one memory space (device or host).
struct batch_program_ref {
  const batch_op* ops;
  std::uint32_t num_ops;
  const double* coef;  // (re, im) pairs: constant op e → coef[op.coef + 2e]; parameterized → 2(e·5 + b)
  const batch_slot* slots;
  const batch_term* terms;
  const std::int32_t* vars;  // feature i as i, parameter θ_k as −(k + 1)
};

/// Owning host form of a batch program.
struct batch_program {
  std::vector<batch_op> ops;
  std::vector<double> coef;
  std::vector<batch_slot> slots;
  std::vector<batch_term> terms;
  std::vector<std::int32_t> vars;
  unsigned num_qubits = 0;
  std::size_t num_features = 0;
  std::size_t num_params = 0;

  [[nodiscard]] batch_program_ref ref() const noexcept {
    return {ops.data(), static_cast<std::uint32_t>(ops.size()), coef.data(), slots.data(), terms.data(), vars.data()};
  }
};

HQML_HOST_DEVICE HQML_FORCE_INLINE unsigned batch_entries(const batch_op& op) {
  return op.kind == batch_op_kind::controlled_1q ? 4u
         : op.kind == batch_op_kind::diagonal    ? (1u << op.k)
                                                 : (1u << (2 * op.k));
}

/// Value of an angle slot for one sample.
HQML_HOST_DEVICE HQML_FORCE_INLINE double batch_angle(const batch_program_ref& p, std::int32_t slot, const double* x,
                                                      const double* theta) {
  const batch_slot s = p.slots[slot];
  double sum = 0.0;
  for (std::uint32_t t = s.term_begin; t < s.term_end; ++t) {
    const batch_term term = p.terms[t];
    double v = term.coefficient;
    for (std::uint32_t j = term.var_begin; j < term.var_end; ++j) {
      const std::int32_t var = p.vars[j];
      v *= var >= 0 ? x[var] : theta[-var - 1];
    }
    sum += v;
  }
  return sum;
}

/// Writes entries first, first + step, … of op's matrix for one sample as (re, im) Real pairs into m.
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE void batch_matrix(const batch_program_ref& p, const batch_op& op, const double* x,
                                                     const double* theta, Real* m, unsigned first, unsigned step) {
  const unsigned entries = batch_entries(op);
  if (first >= entries) return;
  const double* c = p.coef + op.coef;
  if (op.slot < 0) {
    for (unsigned e = first; e < entries; e += step) {
      m[2 * e] = Real(c[2 * e]);
      m[2 * e + 1] = Real(c[2 * e + 1]);
    }
    return;
  }
  const double a = batch_angle(p, op.slot, x, theta);
  double s2, c2;
#if defined(__CUDA_ARCH__)
  sincos(0.5 * a, &s2, &c2);
#else
  s2 = std::sin(0.5 * a);
  c2 = std::cos(0.5 * a);
#endif
  const double f[batch_basis] = {1.0, c2, s2, c2 * c2 - s2 * s2, 2.0 * s2 * c2};
  for (unsigned e = first; e < entries; e += step) {
    double re = 0.0, im = 0.0;
    for (unsigned b = 0; b < batch_basis; ++b) {
      re += c[2 * (e * batch_basis + b)] * f[b];
      im += c[2 * (e * batch_basis + b) + 1] * f[b];
    }
    m[2 * e] = Real(re);
    m[2 * e + 1] = Real(im);
  }
}

/// Applies op (matrix m from batch_matrix) to the n-qubit state a, index groups first, first + step, ….
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE void batch_apply(const batch_op& op, const Real* m, Real* a, unsigned n,
                                                    index_t first, index_t step) {
  switch (op.kind) {
    case batch_op_kind::controlled_1q: {
      const unsigned t = op.qubits[0];
      const index_t pairs = index_t{1} << (n - 1), off = index_t{1} << t;
      for (index_t j = first; j < pairs; j += step) {
        const index_t i0 = insert_zero(j, t);
        if ((i0 & op.control) != op.control) continue;
        const index_t i1 = i0 | off;
        const Real ar = a[2 * i0], ai = a[2 * i0 + 1], br = a[2 * i1], bi = a[2 * i1 + 1];
        a[2 * i0] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
        a[2 * i0 + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
        a[2 * i1] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
        a[2 * i1 + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
      }
      return;
    }
    case batch_op_kind::diagonal: {
      const index_t size = index_t{1} << n;
      for (index_t i = first; i < size; i += step) {
        const unsigned l = gather_bits(i, op.qubits, op.k);
        const Real xr = a[2 * i], xi = a[2 * i + 1];
        a[2 * i] = m[2 * l] * xr - m[2 * l + 1] * xi;
        a[2 * i + 1] = m[2 * l] * xi + m[2 * l + 1] * xr;
      }
      return;
    }
    case batch_op_kind::dense: {
      const unsigned k = op.k, dim = 1u << k;
      const index_t groups = index_t{1} << (n - k);
      index_t offset[8];
      for (unsigned l = 0; l < dim; ++l) {
        index_t o = 0;
        for (unsigned j = 0; j < k; ++j) o |= index_t((l >> j) & 1u) << op.qubits[j];
        offset[l] = o;
      }
      for (index_t g = first; g < groups; g += step) {
        const index_t base = insert_zeros(g, op.sorted, k);
        Real in_re[8], in_im[8];
        for (unsigned c = 0; c < dim; ++c) {
          in_re[c] = a[2 * (base + offset[c])];
          in_im[c] = a[2 * (base + offset[c]) + 1];
        }
        for (unsigned r = 0; r < dim; ++r) {
          Real re = 0, im = 0;
          for (unsigned c = 0; c < dim; ++c) {
            const Real mr = m[2 * (r * dim + c)], mi = m[2 * (r * dim + c) + 1];
            re += mr * in_re[c] - mi * in_im[c];
            im += mr * in_im[c] + mi * in_re[c];
          }
          a[2 * (base + offset[r])] = re;
          a[2 * (base + offset[r]) + 1] = im;
        }
      }
      return;
    }
  }
}

namespace batch_detail {

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

inline void append_op(batch_program& p, const std::vector<std::uint32_t>& qubits, const std::vector<cmat>& m,
                      std::int32_t slot) {
  const auto k = static_cast<unsigned>(qubits.size());
  const std::size_t d = std::size_t{1} << k;
  auto nonzero = [&](std::size_t r, std::size_t c) {
    for (const auto& mb : m)
      if (std::abs(mb[r * d + c]) > 1e-14) return true;
    return false;
  };
  // Entry (r, c) as Σ_b; only component 0 may be nonzero for an identity row.
  auto is_one = [&](std::size_t r) {
    if (std::abs(m[0][r * d + r] - 1.0) > 1e-14) return false;
    for (std::size_t b = 1; b < m.size(); ++b)
      if (std::abs(m[b][r * d + r]) > 1e-14) return false;
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

inline void append_gate(batch_program& p, gate_kind kind, const std::vector<std::uint32_t>& qubits, const angle* a) {
  const std::size_t d = std::size_t{1} << qubits.size();
  if (a == nullptr || a->is_constant()) {
    const double prm[3] = {a ? a->value() : 0.0, 0.0, 0.0};
    cmat m(d * d);
    gate_matrix_into(kind, prm, m.data());
    append_op(p, qubits, {m}, -1);
  } else {
    append_op(p, qubits, fit_one_angle(kind, d), add_slot(p, *a));
  }
}

}  // namespace batch_detail

/// Lowers a unitary circuit for batched simulation. Throws std::invalid_argument for measurements,
/// resets and unitary/diagonal blocks on more than batch_max_qubits qubits.
[[nodiscard]] inline batch_program compile_batch_program(const circuit& c) {
  batch_program p;
  p.num_qubits = static_cast<unsigned>(c.num_qubits());
  p.num_features = c.num_features();
  p.num_params = c.num_params();
  for (const operation& op : c.operations()) {
    const auto nq = op.qubits.size();
    switch (op.kind) {
      case gate_kind::barrier:
      case gate_kind::i: continue;
      case gate_kind::measure:
      case gate_kind::reset:
        throw std::invalid_argument("hqml: batched simulation needs a unitary circuit ('" + std::string(op.name()) +
                                    "' found)");
      case gate_kind::unitary:
      case gate_kind::diagonal: {
        if (nq > batch_max_qubits)
          throw std::invalid_argument("hqml: batched GPU simulation takes " + std::string(op.name()) +
                                      " blocks on at most " + std::to_string(batch_max_qubits) + " qubits, got " +
                                      std::to_string(nq));
        const std::size_t d = std::size_t{1} << nq;
        batch_detail::cmat m(d * d);
        if (op.kind == gate_kind::unitary) m = op.data;
        else
          for (std::size_t l = 0; l < d; ++l) m[l * d + l] = op.data[l];
        batch_detail::append_op(p, op.qubits, {m}, -1);
        continue;
      }
      case gate_kind::u: {
        if (!op.is_parameterized()) break;
        // U(θ, φ, λ) = P(φ) · RY(θ) · P(λ): applied as P(λ), then RY(θ), then P(φ).
        batch_detail::append_gate(p, gate_kind::p, op.qubits, &op.params[2]);
        batch_detail::append_gate(p, gate_kind::ry, op.qubits, &op.params[0]);
        batch_detail::append_gate(p, gate_kind::p, op.qubits, &op.params[1]);
        continue;
      }
      default: break;
    }
    if (op.params.size() > 1) {
      // Constant multi-angle gates (u with constant angles) are plain matrices.
      double prm[3] = {0, 0, 0};
      for (std::size_t j = 0; j < op.params.size(); ++j) prm[j] = op.params[j].value();
      const std::size_t d = std::size_t{1} << nq;
      batch_detail::cmat m(d * d);
      gate_matrix_into(op.kind, prm, m.data());
      batch_detail::append_op(p, op.qubits, {m}, -1);
      continue;
    }
    batch_detail::append_gate(p, op.kind, op.qubits, op.params.empty() ? nullptr : &op.params[0]);
  }
  return p;
}

/// Runs a batch program on the host for one sample: the reference the GPU kernel is checked against,
/// and the same code path (the device runs these functions with first = thread, step = block size).
template <class Real>
void run_batch_program_host(const batch_program& p, const double* x, const double* theta, Real* a) {
  const index_t size = index_t{1} << p.num_qubits;
  for (index_t i = 0; i < 2 * size; ++i) a[i] = Real(0);
  a[0] = Real(1);
  const batch_program_ref r = p.ref();
  Real m[2 * batch_max_entries];
  for (const batch_op& op : p.ops) {
    batch_matrix(r, op, x, theta, m, 0, 1);
    batch_apply(op, m, a, p.num_qubits, 0, 1);
  }
}

}  // namespace hqml::kernels
