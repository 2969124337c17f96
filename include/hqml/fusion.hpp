#pragma once
// Gate fusion: merges runs of gates acting on few qubits into dense (or diagonal) k-qubit unitaries,
// so a circuit sweeps the state vector fewer times.

#include <hqml/circuit.hpp>
#include <hqml/fusion_costs.hpp>
#include <hqml/gate.hpp>

#include <algorithm>
#include <array>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// The price of one operation under a backend's cost table, in passes of a one-qubit gate.
[[nodiscard]] inline double cost_of(const fusion_costs& costs, const operation& op) {
  const std::size_t k = op.qubits.size();
  if (op.kind == gate_kind::unitary) return costs.dense[k];
  if (op.kind == gate_kind::diagonal) return costs.diagonal[k];
  const gate_info& g = info(op.kind);
  if (g.cls == gate_class::permutation) return costs.permutation;
  if (g.num_qubits == 1) return 1;
  if (g.num_controls > 0) return g.cls == gate_class::diagonal ? costs.controlled_phase : costs.controlled;
  return costs.two_qubit;
}

struct fusion_options {
  /// Largest block, in qubits (1..max_unitary_qubits). 4 balances arithmetic against memory sweeps on CPUs.
  unsigned max_qubits = 4;
  /// When set, a block is fused only where that is cheaper than its gates one by one; when null, every
  /// block of more than one gate is fused unless it holds only permutations.
  const fusion_costs* costs = nullptr;
};

/// The matrix of a constant unitary operation on its own qubits (bit j of the index = op.qubits[j]).
[[nodiscard]] inline matrix operation_matrix(const operation& op) {
  if (op.kind == gate_kind::unitary) return op.data;
  const std::size_t d = std::size_t{1} << op.qubits.size();
  if (op.kind == gate_kind::diagonal) {
    matrix m(d * d, 0.0);
    for (std::size_t i = 0; i < d; ++i) m[i * d + i] = op.data[i];
    return m;
  }
  double v[3] = {0, 0, 0};
  for (std::size_t i = 0; i < op.params.size(); ++i) v[i] = op.params[i].value();
  return gate_matrix(op.kind, v);
}

/// Whether an operation is diagonal in the computational basis.
[[nodiscard]] inline bool is_diagonal(const operation& op) { return info(op.kind).cls == gate_class::diagonal; }

namespace detail {

// Left-multiplies the block matrix `block` (over block qubits `bq`, dimension d) by gate `g` on `gq`.
// Whole rows at a time, in real arithmetic: this runs for every gate of every fused circuit, and row
// by row with std::complex products it was half of fuse()'s time.
inline void multiply_into_block(matrix& block, const std::vector<std::uint32_t>& bq, const matrix& g,
                                const std::vector<std::uint32_t>& gq) {
  const std::size_t d = std::size_t{1} << bq.size();
  const std::size_t gd = std::size_t{1} << gq.size();
  std::size_t gmask = 0, loc[std::size_t{1} << max_unitary_qubits] = {};
  for (std::size_t j = 0; j < gq.size(); ++j) {
    const auto p = static_cast<std::size_t>(std::find(bq.begin(), bq.end(), gq[j]) - bq.begin());
    gmask |= std::size_t{1} << p;
    for (std::size_t l = 0; l < gd; ++l)
      if ((l >> j) & 1u) loc[l] |= std::size_t{1} << p;
  }
  std::vector<double> rows(2 * gd * d);  // the gd rows the gate mixes, (re, im) interleaved
  for (std::size_t rest = 0; rest < d; ++rest) {
    if (rest & gmask) continue;
    for (std::size_t m = 0; m < gd; ++m) {
      const std::complex<double>* src = block.data() + (rest | loc[m]) * d;
      for (std::size_t col = 0; col < d; ++col) {
        rows[2 * (m * d + col)] = src[col].real();
        rows[2 * (m * d + col) + 1] = src[col].imag();
      }
    }
    for (std::size_t l = 0; l < gd; ++l) {
      std::complex<double>* dst = block.data() + (rest | loc[l]) * d;
      for (std::size_t col = 0; col < d; ++col) {
        double re = 0, im = 0;
        for (std::size_t m = 0; m < gd; ++m) {
          const double gr = g[l * gd + m].real(), gi = g[l * gd + m].imag();
          const double xr = rows[2 * (m * d + col)], xi = rows[2 * (m * d + col) + 1];
          re += gr * xr - gi * xi;
          im += gr * xi + gi * xr;
        }
        dst[col] = {re, im};
      }
    }
  }
}

}  // namespace detail

/// Fuses a circuit whose angles are all constant (bind() it first). Non-unitary operations and
/// barriers are kept, and fusion never moves a gate across them.
[[nodiscard]] inline circuit fuse(const circuit& c, const fusion_options& opt = {}) {
  if (opt.max_qubits < 1 || opt.max_qubits > max_unitary_qubits)
    throw std::invalid_argument("hqml::fuse: max_qubits = " + std::to_string(opt.max_qubits) + " must be in 1.." +
                                std::to_string(max_unitary_qubits));
  if (c.is_parameterized())
    throw std::invalid_argument("hqml::fuse: the circuit has unbound parameters; call bind() first");

  struct block {
    std::vector<std::uint32_t> qubits;  // ascending
    std::vector<std::size_t> ops;       // indices into c
    bool alive = true;
  };
  std::vector<block> blocks;
  std::vector<long> open(c.num_qubits(), -1);  // qubit → open block
  circuit out(c.num_qubits(), c.num_clbits());
  const auto& ops = c.operations();

  auto emit = [&](std::size_t b) {
    block& bl = blocks[b];
    bl.alive = false;
    for (auto q : bl.qubits) open[q] = -1;
    const bool diag = std::all_of(bl.ops.begin(), bl.ops.end(), [&](std::size_t i) { return is_diagonal(ops[i]); });
    bool separate = bl.ops.size() == 1;
    if (!separate && opt.costs) {
      double each = 0;
      for (std::size_t i : bl.ops) each += cost_of(*opt.costs, ops[i]);
      const std::size_t k = bl.qubits.size();
      separate = (diag ? opt.costs->diagonal[k] : opt.costs->dense[k]) >= each;
    } else if (!separate) {
      // Only permutations (CX ladders): their own kernels move less data than a dense block computes.
      separate = std::all_of(bl.ops.begin(), bl.ops.end(),
                             [&](std::size_t i) { return info(ops[i].kind).cls == gate_class::permutation; });
    }
    if (separate) {
      for (std::size_t i : bl.ops) out.append(ops[i]);
      return;
    }
    const std::size_t d = std::size_t{1} << bl.qubits.size();
    matrix m(d * d, 0.0);
    for (std::size_t i = 0; i < d; ++i) m[i * d + i] = 1.0;
    for (std::size_t i : bl.ops) detail::multiply_into_block(m, bl.qubits, operation_matrix(ops[i]), ops[i].qubits);
    operation f;
    f.qubits = bl.qubits;
    if (diag) {
      f.kind = gate_kind::diagonal;
      f.data.resize(d);
      for (std::size_t i = 0; i < d; ++i) f.data[i] = m[i * d + i];
    } else {
      f.kind = gate_kind::unitary;
      f.data = std::move(m);
    }
    out.append(std::move(f), detail::trusted);
  };

  for (std::size_t i = 0; i < ops.size(); ++i) {
    const operation& op = ops[i];
    if (!is_unitary(op.kind)) {
      for (auto q : op.qubits)
        if (open[q] >= 0) emit(static_cast<std::size_t>(open[q]));
      out.append(op);
      continue;
    }
    if (op.kind == gate_kind::i) continue;
    if (op.qubits.size() > opt.max_qubits) {
      for (auto q : op.qubits)
        if (open[q] >= 0) emit(static_cast<std::size_t>(open[q]));
      out.append(op);
      continue;
    }
    // Blocks this gate touches, largest first: flush the largest until the union fits.
    std::vector<std::size_t> touched;
    for (auto q : op.qubits)
      if (open[q] >= 0 && std::find(touched.begin(), touched.end(), static_cast<std::size_t>(open[q])) == touched.end())
        touched.push_back(static_cast<std::size_t>(open[q]));
    std::sort(touched.begin(), touched.end(),
              [&](std::size_t a, std::size_t b) { return blocks[a].qubits.size() > blocks[b].qubits.size(); });
    auto union_size = [&](std::size_t from) {
      std::vector<std::uint32_t> u(op.qubits.begin(), op.qubits.end());
      for (std::size_t t = from; t < touched.size(); ++t) u.insert(u.end(), blocks[touched[t]].qubits.begin(),
                                                                   blocks[touched[t]].qubits.end());
      std::sort(u.begin(), u.end());
      return static_cast<std::size_t>(std::unique(u.begin(), u.end()) - u.begin());
    };
    std::size_t first_kept = 0;
    while (first_kept < touched.size() && union_size(first_kept) > opt.max_qubits) emit(touched[first_kept++]);
    // Merge the kept blocks and the gate into one block.
    block nb;
    nb.qubits.assign(op.qubits.begin(), op.qubits.end());
    std::vector<std::size_t> merged_ops;
    for (std::size_t t = first_kept; t < touched.size(); ++t) {
      block& bl = blocks[touched[t]];
      nb.qubits.insert(nb.qubits.end(), bl.qubits.begin(), bl.qubits.end());
      merged_ops.insert(merged_ops.end(), bl.ops.begin(), bl.ops.end());
      bl.alive = false;
    }
    // Ops of disjoint blocks commute, so program order among them is enough.
    std::sort(merged_ops.begin(), merged_ops.end());
    merged_ops.push_back(i);
    std::sort(nb.qubits.begin(), nb.qubits.end());
    nb.qubits.erase(std::unique(nb.qubits.begin(), nb.qubits.end()), nb.qubits.end());
    nb.ops = std::move(merged_ops);
    blocks.push_back(std::move(nb));
    for (auto q : blocks.back().qubits) open[q] = static_cast<long>(blocks.size() - 1);
  }
  // Flush what is left in program order of each block's first operation.
  std::vector<std::size_t> rest;
  for (std::size_t b = 0; b < blocks.size(); ++b)
    if (blocks[b].alive) rest.push_back(b);
  std::sort(rest.begin(), rest.end(), [&](std::size_t a, std::size_t b) { return blocks[a].ops[0] < blocks[b].ops[0]; });
  for (std::size_t b : rest) emit(b);
  return out;
}

}  // namespace hqml
