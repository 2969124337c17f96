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
// This header holds the program and the per-sample part (HQML_HOST_DEVICE: it runs on either side); the
// compiler that lowers a circuit into it is <hqml/batch_compile.hpp>, above the kernels layer.

#include <hqml/config.hpp>
#include <hqml/kernels/gate_kernels.hpp>
#include <hqml/kernels/index.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
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
      // The state vector's own 2×2 functor (gate_kernels.hpp) on each pair whose controls are set.
      const unsigned t = op.qubits[0];
      const index_t pairs = index_t{1} << (n - 1);
      const dense1_kernel<Real> gate{{m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]}, index_t{1} << t, 0};
      for (index_t j = first; j < pairs; j += step) {
        const index_t i0 = insert_zero(j, t);
        if ((i0 & op.control) == op.control) gate(a, i0);
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

/// Low qubits of the host's diagonal steps (batch_host_plan): blocks of 64 consecutive amplitudes.
inline constexpr unsigned batch_host_block_qubits = 6;

/// How the host runs one step of diagonals (batch_diagonal_step_host); fixed by the program. With
/// L = min(n, batch_host_block_qubits) "low" qubits the state is 2^(n−L) blocks of 2^L consecutive amplitudes.
/// An op on low qubits only is the same table in every block (their product is formed once per sample); one on
/// high qubits only is one number per block; one on both is, within a block, a diagonal on its low qubits, and
/// the ops on the same low qubits share one 2- or 4-entry table per block. Each amplitude is then multiplied
/// once by its block's product instead of once per op as on the device (where a step is one pass whatever its
/// op count, and a CPU core would wait out each product's latency): the 12-qubit ZZ map's 23 diagonals per
/// repetition become 3 products per amplitude with linear entanglement, 2 + 6 with full.
struct batch_host_diagonal_step {
  static constexpr unsigned block = 1u << batch_host_block_qubits;
  struct low_op {
    std::uint32_t op;                       // in batch_program::ops
    std::array<std::uint8_t, block> local;  // its local index at each amplitude of a block
  };
  struct mixed_op {
    std::uint32_t op;
    std::uint32_t low[4];  // the op's local index bits from its low qubits, by its group's local index
  };
  struct group {
    std::array<std::uint8_t, block> local;  // the group's local index (bits of its low qubits) in a block
    unsigned entries;                       // 2 or 4
    std::uint32_t begin, end;               // its ops in `mixed`
  };
  std::vector<low_op> low;
  std::vector<std::uint32_t> high;  // ops on high qubits only
  std::vector<mixed_op> mixed;
  std::vector<group> groups;
};

/// The host's plan of a program: the low-qubit count and, for each step of diagonals, its split.
struct batch_host_plan {
  unsigned low_qubits = 0;
  std::vector<batch_host_diagonal_step> steps;  // by step; empty for the other steps
};

inline batch_host_plan make_batch_host_plan(const batch_program& p) {
  using step_plan = batch_host_diagonal_step;
  batch_host_plan plan;
  const unsigned low_qubits = std::min(p.num_qubits, batch_host_block_qubits);
  const unsigned block = 1u << low_qubits;
  plan.low_qubits = low_qubits;
  plan.steps.resize(p.steps.size());
  for (std::size_t s = 0; s < p.steps.size(); ++s) {
    const batch_step& st = p.steps[s];
    if (p.ops[st.op_begin].kind != batch_op_kind::diagonal) continue;
    step_plan& d = plan.steps[s];
    // Mixed ops keyed by their low qubits (ascending, packed as q0 + 64·(q1 + 1)), then grouped by key.
    std::vector<std::pair<unsigned, step_plan::mixed_op>> mixed;
    for (std::uint32_t o = st.op_begin; o < st.op_end; ++o) {
      const batch_op& op = p.ops[o];
      unsigned low[3], low_bit[3], num_low = 0;
      for (unsigned j = 0; j < op.k; ++j)
        if (op.qubits[j] < low_qubits) {
          low[num_low] = op.qubits[j];
          low_bit[num_low++] = j;
        }
      if (num_low == op.k) {
        step_plan::low_op lo{o, {}};
        for (unsigned i = 0; i < block; ++i) lo.local[i] = static_cast<std::uint8_t>(gather_bits(i, op.qubits, op.k));
        d.low.push_back(lo);
      } else if (num_low == 0) {
        d.high.push_back(o);
      } else {
        if (num_low == 2 && low[0] > low[1]) {
          std::swap(low[0], low[1]);
          std::swap(low_bit[0], low_bit[1]);
        }
        step_plan::mixed_op mo{o, {}};
        for (unsigned g = 0; g < (1u << num_low); ++g)
          for (unsigned u = 0; u < num_low; ++u) mo.low[g] |= ((g >> u) & 1u) << low_bit[u];
        mixed.emplace_back(num_low == 1 ? low[0] : low[0] + 64 * (low[1] + 1), mo);
      }
    }
    std::stable_sort(mixed.begin(), mixed.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (std::size_t j = 0; j < mixed.size(); ++j) {
      const unsigned key = mixed[j].first;
      if (j == 0 || key != mixed[j - 1].first) {
        const unsigned qs[2] = {key % 64, key / 64 - 1};
        const unsigned k = key < 64 ? 1u : 2u;
        step_plan::group g{{}, 1u << k, static_cast<std::uint32_t>(j), 0};
        for (unsigned i = 0; i < block; ++i) g.local[i] = static_cast<std::uint8_t>(gather_bits(i, qs, k));
        d.groups.push_back(g);
      }
      d.groups.back().end = static_cast<std::uint32_t>(j + 1);
      d.mixed.push_back(mixed[j].second);
    }
  }
  return plan;
}

/// Host form of batch_step_apply for a step of diagonals on the whole n-qubit state, one worker, by its split d
/// (batch_host_plan, `low_qubits` from it); m holds the step's matrices from batch_step_matrices. Reads the
/// amplitudes from `in` and writes them to a (in may be a, or a start state, which saves copying it first).
template <class Real>
void batch_diagonal_step_host(const batch_program_ref& p, const batch_host_diagonal_step& d, unsigned low_qubits,
                              const Real* m, const Real* in, Real* a, unsigned n) {
  constexpr unsigned max_block = batch_host_diagonal_step::block;
  const index_t block = index_t{1} << low_qubits, blocks = index_t{1} << (n - low_qubits);
  Real low_re[max_block], low_im[max_block];
  for (index_t i = 0; i < block; ++i) {
    low_re[i] = Real(1);
    low_im[i] = Real(0);
  }
  for (const auto& lo : d.low) {
    const Real* e = m + 2 * p.ops[lo.op].mat;
    for (index_t i = 0; i < block; ++i) {
      const Real dr = e[2 * lo.local[i]], di = e[2 * lo.local[i] + 1], re = low_re[i];
      low_re[i] = dr * re - di * low_im[i];
      low_im[i] = dr * low_im[i] + di * re;
    }
  }
  for (index_t b = 0; b < blocks; ++b) {
    const index_t first = b << low_qubits;  // its low bits are 0: gather_bits reads an op's high qubits only
    Real fr = Real(1), fi = Real(0);
    for (const std::uint32_t o : d.high) {
      const batch_op op = p.ops[o];
      const unsigned l = op.mat + gather_bits(first, op.qubits, op.k);
      const Real dr = m[2 * l], di = m[2 * l + 1], t = dr * fr - di * fi;
      fi = dr * fi + di * fr;
      fr = t;
    }
    Real re[max_block], im[max_block];
    for (index_t i = 0; i < block; ++i) {
      re[i] = fr * low_re[i] - fi * low_im[i];
      im[i] = fr * low_im[i] + fi * low_re[i];
    }
    for (const auto& g : d.groups) {
      Real tr[4] = {1, 1, 1, 1}, ti[4] = {0, 0, 0, 0};
      for (std::uint32_t j = g.begin; j < g.end; ++j) {
        const auto& mo = d.mixed[j];
        const batch_op op = p.ops[mo.op];
        const unsigned base = op.mat + gather_bits(first, op.qubits, op.k);
        for (unsigned e = 0; e < g.entries; ++e) {
          const unsigned l = base + mo.low[e];
          const Real dr = m[2 * l], di = m[2 * l + 1], t = dr * tr[e] - di * ti[e];
          ti[e] = dr * ti[e] + di * tr[e];
          tr[e] = t;
        }
      }
      for (index_t i = 0; i < block; ++i) {
        const Real dr = tr[g.local[i]], di = ti[g.local[i]], t = dr * re[i] - di * im[i];
        im[i] = dr * im[i] + di * re[i];
        re[i] = t;
      }
    }
    const Real* x = in + 2 * first;
    Real* y = a + 2 * first;
    for (index_t i = 0; i < block; ++i) {
      const Real xr = x[2 * i], xi = x[2 * i + 1];
      y[2 * i] = re[i] * xr - im[i] * xi;
      y[2 * i + 1] = re[i] * xi + im[i] * xr;
    }
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

}  // namespace hqml::kernels
