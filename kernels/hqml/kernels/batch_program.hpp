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
// Three rewrites cut the per-sample work, which is one barrier-separated pass over the state per step:
// CX·D·CX with D diagonal (the ZZ and Pauli feature maps' entanglers) becomes one diagonal on the union
// of the qubits; consecutive diagonals form one step whose matrices are evaluated together and applied
// in a single pass; and the leading constant gates (a feature map's first H layer) run once at compile
// time, every sample starting from their state.
// The host part needs no CUDA; the per-sample part is HQML_HOST_DEVICE and runs on either side.

#include <hqml/circuit.hpp>
#include <hqml/config.hpp>
#include <hqml/gate.hpp>
#include <hqml/kernels/gate_kernels.hpp>
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
/// Matrix entries one step evaluates at once (the scratch a GPU block keeps in shared memory).
inline constexpr unsigned batch_step_entries = 512;
/// Up to this many qubits, the leading constant gates are applied once at compile time and every
/// sample starts from their state (2^n amplitudes kept with the program) instead of |0⟩.
inline constexpr unsigned batch_fold_max_qubits = 14;
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
  std::uint32_t mat;           // first entry of this op's matrix in its step's scratch
  // Diagonal runs read this one word per op and amplitude: qubits[0..2] in bits 0-23, k in 24-31, mat above.
  std::uint64_t packed;
};

/// Ops [op_begin, op_end) run as one pass: a single op, or consecutive diagonals (`entries` in all).
struct batch_step {
  std::uint32_t op_begin, op_end;
  std::uint32_t entries;
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
  const batch_step* steps;
  std::uint32_t num_steps;
  const double* initial;  // (re, im) pairs of the start state, or null for |0⟩
  const double* coef;  // (re, im) pairs: constant op e → coef[op.coef + 2e]; parameterized → 2(e·5 + b)
  const batch_slot* slots;
  const batch_term* terms;
  const std::int32_t* vars;  // feature i as i, parameter θ_k as −(k + 1)
};

/// Owning host form of a batch program.
struct batch_program {
  std::vector<batch_op> ops;
  std::vector<batch_step> steps;
  std::vector<double> initial;  // empty: |0⟩
  std::vector<double> coef;
  std::vector<batch_slot> slots;
  std::vector<batch_term> terms;
  std::vector<std::int32_t> vars;
  unsigned num_qubits = 0;
  std::size_t num_features = 0;
  std::size_t num_params = 0;

  [[nodiscard]] batch_program_ref ref() const noexcept {
    return {ops.data(),   static_cast<std::uint32_t>(ops.size()),
            steps.data(), static_cast<std::uint32_t>(steps.size()),
            initial.empty() ? nullptr : initial.data(),
            coef.data(),  slots.data(),
            terms.data(), vars.data()};
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
        const amp<Real> x = load_amp<Real>(a, i0), y = load_amp<Real>(a, i1);
        store_amp(a, i0, m[0] * x.re - m[1] * x.im + m[2] * y.re - m[3] * y.im,
                  m[0] * x.im + m[1] * x.re + m[2] * y.im + m[3] * y.re);
        store_amp(a, i1, m[4] * x.re - m[5] * x.im + m[6] * y.re - m[7] * y.im,
                  m[4] * x.im + m[5] * x.re + m[6] * y.im + m[7] * y.re);
      }
      return;
    }
    case batch_op_kind::diagonal: {
      const index_t size = index_t{1} << n;
      for (index_t i = first; i < size; i += step) {
        const unsigned l = gather_bits(i, op.qubits, op.k);
        const amp<Real> x = load_amp<Real>(a, i);
        store_amp(a, i, m[2 * l] * x.re - m[2 * l + 1] * x.im, m[2 * l] * x.im + m[2 * l + 1] * x.re);
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
          const amp<Real> x = load_amp<Real>(a, base + offset[c]);
          in_re[c] = x.re;
          in_im[c] = x.im;
        }
        for (unsigned r = 0; r < dim; ++r) {
          Real re = 0, im = 0;
          for (unsigned c = 0; c < dim; ++c) {
            const Real mr = m[2 * (r * dim + c)], mi = m[2 * (r * dim + c) + 1];
            re += mr * in_re[c] - mi * in_im[c];
            im += mr * in_im[c] + mi * in_re[c];
          }
          store_amp(a, base + offset[r], re, im);
        }
      }
      return;
    }
  }
}

/// Evaluates the matrices of every op in step st for one sample into m (op o's at m + 2·o.mat), entries
/// spread over `threads` workers. A diagonal run's ops (at most 8 entries each) get 8 workers apiece, so
/// they are evaluated side by side rather than one after another.
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE void batch_step_matrices(const batch_program_ref& p, const batch_step& st,
                                                            const double* x, const double* theta, Real* m,
                                                            unsigned thread, unsigned threads) {
  if (st.op_end - st.op_begin > 1 && threads >= 8) {
    const unsigned groups = threads / 8;
    if (thread >= 8 * groups) return;
    for (std::uint32_t j = st.op_begin + thread / 8; j < st.op_end; j += groups) {
      const batch_op op = p.ops[j];
      batch_matrix(p, op, x, theta, m + 2 * op.mat, thread % 8, 8u);
    }
    return;
  }
  for (std::uint32_t j = st.op_begin; j < st.op_end; ++j) {
    const batch_op op = p.ops[j];
    batch_matrix(p, op, x, theta, m + 2 * op.mat, thread, threads);
  }
}

/// Applies step st (matrices from batch_step_matrices) to the n-qubit state a, indices first, first + step, ….
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE void batch_step_apply(const batch_program_ref& p, const batch_step& st,
                                                         const Real* m, Real* a, unsigned n, index_t first,
                                                         index_t step) {
  if (st.op_end - st.op_begin == 1) {
    const batch_op op = p.ops[st.op_begin];
    batch_apply(op, m + 2 * op.mat, a, n, first, step);
    return;
  }
  // A run of diagonals: each amplitude once, times every op's entry.
  const index_t size = index_t{1} << n;
  for (index_t i = first; i < size; i += step) {
    const amp<Real> x = load_amp<Real>(a, i);
    Real re = x.re, im = x.im;
    for (std::uint32_t j = st.op_begin; j < st.op_end; ++j) {
      const std::uint64_t d = p.ops[j].packed;
      const auto k = static_cast<unsigned>((d >> 24) & 0xffu);
      unsigned l = static_cast<unsigned>(d >> 32);
      for (unsigned b = 0; b < k; ++b) l += static_cast<unsigned>((i >> ((d >> (8 * b)) & 0xffu)) & 1u) << b;
      const Real dr = m[2 * l], di = m[2 * l + 1];
      const Real t = dr * re - di * im;
      im = dr * im + di * re;
      re = t;
    }
    store_amp(a, i, re, im);
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
          if (r != c && std::abs(mb[r * d + c]) > 1e-14) return false;
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
    g.m = fit_one_angle(kind, d);
    g.a = a;
  }
  return g;
}

/// CX(c, t) · D · CX(c, t) for a diagonal D whose qubits hold t: the diagonal D'(b) = D(b with b_t ^= b_c)
/// on D's qubits and c. False (and nothing done) when the union would exceed batch_max_qubits.
inline bool conjugate_by_cx(const lowered_gate& cx, const lowered_gate& diag, lowered_gate& out) {
  const std::uint32_t c = cx.qubits[0], t = cx.qubits[1];
  const auto t_at = std::find(diag.qubits.begin(), diag.qubits.end(), t);
  if (t_at == diag.qubits.end()) return false;
  std::vector<std::uint32_t> qs = diag.qubits;
  if (std::find(qs.begin(), qs.end(), c) == qs.end()) qs.push_back(c);
  if (qs.size() > batch_max_qubits) return false;
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

/// Runs a batch program on the host for one sample: the reference the GPU kernel is checked against, and
/// the same code path. With `threads` > 1 it replays the device's division of the work: each phase of a
/// step run by workers 0 … threads − 1 in turn, as a GPU block runs them between its barriers.
template <class Real>
void run_batch_program_host(const batch_program& p, const double* x, const double* theta, Real* a,
                            unsigned threads = 1) {
  const index_t size = index_t{1} << p.num_qubits;
  for (index_t i = 0; i < 2 * size; ++i) a[i] = p.initial.empty() ? Real(i == 0 ? 1 : 0) : Real(p.initial[i]);
  const batch_program_ref r = p.ref();
  std::vector<Real> m(2 * batch_step_entries);
  for (const batch_step& st : p.steps) {
    for (unsigned t = 0; t < threads; ++t) batch_step_matrices(r, st, x, theta, m.data(), t, threads);
    for (unsigned t = 0; t < threads; ++t) batch_step_apply(r, st, m.data(), a, p.num_qubits, t, threads);
  }
}

namespace batch_detail {

/// Groups p's ops into steps: each non-diagonal op alone; consecutive diagonals together while their
/// entries fit the scratch.
inline void build_steps(batch_program& p) {
  p.steps.clear();
  for (std::uint32_t o = 0; o < p.ops.size(); ++o) {
    batch_op& op = p.ops[o];
    const unsigned entries = batch_entries(op);
    bool joined = false;
    if (!p.steps.empty() && op.kind == batch_op_kind::diagonal) {
      batch_step& last = p.steps.back();
      if (p.ops[last.op_end - 1].kind == batch_op_kind::diagonal && last.entries + entries <= batch_step_entries) {
        op.mat = last.entries;
        last.entries += entries;
        last.op_end = o + 1;
        joined = true;
      }
    }
    if (!joined) {
      op.mat = 0;
      p.steps.push_back({o, o + 1, entries});
    }
    op.packed = std::uint64_t{op.k} << 24 | std::uint64_t{op.mat} << 32;
    for (unsigned j = 0; j < op.k; ++j) op.packed |= std::uint64_t{op.qubits[j]} << (8 * j);
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
  std::vector<batch_detail::lowered_gate> gates;
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
      default: break;
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
    batch_detail::push_folded(gates,
                              batch_detail::lower_gate(op.kind, op.qubits, op.params.empty() ? nullptr : &op.params[0]));
  }
  // The leading constant gates (a feature map's first H layer, say) run once here rather than per sample.
  std::size_t prefix = 0;
  if (p.num_qubits <= batch_fold_max_qubits)
    while (prefix < gates.size() && gates[prefix].a == nullptr) ++prefix;
  if (prefix > 0) {
    batch_program pre;
    pre.num_qubits = p.num_qubits;
    for (std::size_t k = 0; k < prefix; ++k) batch_detail::append_op(pre, gates[k].qubits, gates[k].m, -1);
    batch_detail::build_steps(pre);
    p.initial.resize(std::size_t{2} << p.num_qubits);
    run_batch_program_host<double>(pre, nullptr, nullptr, p.initial.data());
  }
  for (std::size_t k = prefix; k < gates.size(); ++k) {
    const auto& g = gates[k];
    batch_detail::append_op(p, g.qubits, g.m, g.a ? batch_detail::add_slot(p, *g.a) : -1);
  }
  batch_detail::build_steps(p);
  return p;
}

}  // namespace hqml::kernels
