#pragma once
// Peephole optimization of circuits: cancels adjacent inverse pairs (H·H, CX·CX, S·S†, ...) and merges
// consecutive rotations about the same axis on the same qubits (RZ(a)·RZ(b) = RZ(a+b)), symbolically, so
// parameterized circuits stay parameterized. "Adjacent" means no other operation touches those qubits in between.

#include <hqml/circuit.hpp>

#include <optional>
#include <vector>

namespace hqml {

namespace detail {

// Gates whose qubits may be given in any order without changing the gate.
inline bool is_symmetric(gate_kind k) {
  return k == gate_kind::cz || k == gate_kind::swap || k == gate_kind::cp || k == gate_kind::rxx ||
         k == gate_kind::ryy || k == gate_kind::rzz;
}

inline bool same_qubits(const operation& a, const operation& b) {
  if (a.qubits == b.qubits) return true;
  if (!is_symmetric(a.kind) || a.qubits.size() != 2 || b.qubits.size() != 2) return false;
  return a.qubits[0] == b.qubits[1] && a.qubits[1] == b.qubits[0];
}

// The kind that undoes k (for fixed gates), if any.
inline std::optional<gate_kind> inverse_kind(gate_kind k) {
  switch (k) {
    case gate_kind::s: return gate_kind::sdg;
    case gate_kind::sdg: return gate_kind::s;
    case gate_kind::t: return gate_kind::tdg;
    case gate_kind::tdg: return gate_kind::t;
    case gate_kind::sx: return gate_kind::sxdg;
    case gate_kind::sxdg: return gate_kind::sx;
    default:
      if (info(k).self_inverse && is_unitary(k) && info(k).num_params == 0) return k;
      return std::nullopt;
  }
}

}  // namespace detail

struct optimize_stats {
  std::size_t cancelled_pairs = 0;
  std::size_t merged_rotations = 0;
  std::size_t removed_identities = 0;  // identity gates and rotations whose angle became exactly 0
};

/// Cancels adjacent inverse pairs and merges consecutive same-axis rotations until nothing changes.
[[nodiscard]] inline circuit optimize(const circuit& c, optimize_stats* stats = nullptr) {
  optimize_stats st;
  std::vector<operation> ops(c.operations().begin(), c.operations().end());
  bool changed = true;
  while (changed) {
    changed = false;
    std::vector<operation> out;
    out.reserve(ops.size());
    // last[q]: index in `out` of the last operation touching qubit q (or -1).
    std::vector<long> last(c.num_qubits(), -1);
    std::vector<bool> removed;
    for (operation& op : ops) {
      if (op.kind == gate_kind::i) {
        ++st.removed_identities;
        changed = true;
        continue;
      }
      // The previous operation must be the last one on every qubit of this one, and act on the same qubits.
      long prev = op.qubits.empty() ? -1 : last[op.qubits[0]];
      for (auto q : op.qubits)
        if (last[q] != prev) prev = -1;
      if (prev >= 0 && !removed[static_cast<std::size_t>(prev)] && is_unitary(op.kind) &&
          op.kind != gate_kind::barrier) {
        operation& p = out[static_cast<std::size_t>(prev)];
        if (p.qubits.size() == op.qubits.size() && detail::same_qubits(p, op)) {
          const auto inv = detail::inverse_kind(p.kind);
          if (inv && *inv == op.kind && (op.kind != gate_kind::unitary && op.kind != gate_kind::diagonal)) {
            removed[static_cast<std::size_t>(prev)] = true;
            for (auto q : op.qubits) last[q] = -2;  // nothing to pair with until the next operation
            ++st.cancelled_pairs;
            changed = true;
            continue;
          }
          if (p.kind == op.kind && is_rotation(op.kind)) {
            p.params[0] = p.params[0] + op.params[0];
            ++st.merged_rotations;
            changed = true;
            if (p.params[0].terms().empty()) {  // the angle became exactly zero: identity
              removed[static_cast<std::size_t>(prev)] = true;
              for (auto q : op.qubits) last[q] = -2;
              ++st.removed_identities;
            }
            continue;
          }
        }
      }
      out.push_back(std::move(op));
      removed.push_back(false);
      for (auto q : out.back().qubits) last[q] = static_cast<long>(out.size() - 1);
    }
    ops.clear();
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!removed[i]) ops.push_back(std::move(out[i]));
  }
  circuit r(c.num_qubits(), c.num_clbits());
  for (auto& op : ops) r.append(std::move(op));
  if (stats) *stats = st;
  return r;
}

}  // namespace hqml
