#pragma once
// Dense matrices of small circuits for the QASM tests: an independent reference (no simulator of
// hqml's is used), built by applying each operation's matrix (hqml::gate_matrix, bit j of an index =
// qubit j, qubit 0 least significant) to every basis state.

#include <hqml/circuit.hpp>

#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace qasm_test {

using cplx = std::complex<double>;

/// The matrix of one unitary operation on its own qubits.
inline hqml::matrix op_matrix(const hqml::operation& op) {
  if (op.kind == hqml::gate_kind::unitary) return op.data;
  if (op.kind == hqml::gate_kind::diagonal) {
    const std::size_t d = op.data.size();
    hqml::matrix m(d * d, 0.0);
    for (std::size_t i = 0; i < d; ++i) m[i * d + i] = op.data[i];
    return m;
  }
  std::vector<double> prm;
  for (const auto& a : op.params) prm.push_back(a.value());
  return hqml::gate_matrix(op.kind, prm.data());
}

/// Applies op, whose matrix is g, to an n-qubit state in place.
inline void apply(std::vector<cplx>& state, const hqml::operation& op, const hqml::matrix& g) {
  const std::size_t k = op.qubits.size(), d = std::size_t{1} << k;
  std::size_t mask = 0;
  for (auto q : op.qubits) mask |= std::size_t{1} << q;
  std::vector<std::size_t> idx(d);
  std::vector<cplx> in(d);
  for (std::size_t base = 0; base < state.size(); ++base) {
    if (base & mask) continue;
    for (std::size_t s = 0; s < d; ++s) {
      std::size_t i = base;
      for (std::size_t j = 0; j < k; ++j)
        if ((s >> j) & 1) i |= std::size_t{1} << op.qubits[j];
      idx[s] = i;
      in[s] = state[i];
    }
    for (std::size_t r = 0; r < d; ++r) {
      cplx acc = 0.0;
      for (std::size_t c = 0; c < d; ++c) acc += g[r * d + c] * in[c];
      state[idx[r]] = acc;
    }
  }
}

/// Applies op to an n-qubit state in place.
inline void apply(std::vector<cplx>& state, const hqml::operation& op) {
  if (op.kind == hqml::gate_kind::barrier) return;
  if (op.kind == hqml::gate_kind::measure || op.kind == hqml::gate_kind::reset)
    throw std::invalid_argument("qasm_test::apply: not unitary: " + std::string(op.name()));
  apply(state, op, op_matrix(op));
}

/// The 2^n × 2^n row-major unitary of a circuit without measurements or resets.
inline hqml::matrix unitary_of(const hqml::circuit& c) {
  const std::size_t d = std::size_t{1} << c.num_qubits();
  hqml::matrix u(d * d);
  std::vector<cplx> col(d);
  for (std::size_t j = 0; j < d; ++j) {
    std::fill(col.begin(), col.end(), cplx(0.0));
    col[j] = 1.0;
    for (const auto& op : c.operations()) apply(col, op);
    for (std::size_t i = 0; i < d; ++i) u[i * d + j] = col[i];
  }
  return u;
}

/// max |a − b|.
inline double max_diff(const hqml::matrix& a, const hqml::matrix& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// max |a − e^{iφ} b| with φ chosen from the largest entry of b.
inline double max_diff_up_to_phase(const hqml::matrix& a, const hqml::matrix& b) {
  if (a.size() != b.size()) return INFINITY;
  std::size_t best = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    if (std::abs(b[i]) > std::abs(b[best])) best = i;
  const cplx ph = a[best] / b[best];
  hqml::matrix bb = b;
  for (auto& v : bb) v *= ph / std::abs(ph);
  return max_diff(a, bb);
}

/// The matrix of `u` (2×2) on `target`, applied when all `controls` are 1, on n qubits.
inline hqml::matrix controlled(std::size_t n, const std::vector<std::size_t>& controls, std::size_t target,
                               const hqml::matrix& u) {
  const std::size_t d = std::size_t{1} << n;
  hqml::matrix m(d * d, 0.0);
  std::size_t cmask = 0;
  for (auto c : controls) cmask |= std::size_t{1} << c;
  for (std::size_t col = 0; col < d; ++col) {
    if ((col & cmask) != cmask) {
      m[col * d + col] = 1.0;
      continue;
    }
    const std::size_t b = (col >> target) & 1;
    for (std::size_t r = 0; r < 2; ++r) {
      const std::size_t row = (col & ~(std::size_t{1} << target)) | (r << target);
      m[row * d + col] = u[r * 2 + b];
    }
  }
  return m;
}

/// The d × d identity.
inline hqml::matrix identity(std::size_t d) {
  hqml::matrix m(d * d, 0.0);
  for (std::size_t i = 0; i < d; ++i) m[i * d + i] = 1.0;
  return m;
}

/// e^{iγ} U3(θ, φ, λ).
inline hqml::matrix u3(double theta, double phi, double lambda, double gamma = 0.0) {
  const double c = std::cos(theta / 2), s = std::sin(theta / 2);
  const cplx g = std::polar(1.0, gamma);
  return {g * c, -g * std::polar(s, lambda), g * std::polar(s, phi), g * std::polar(c, phi + lambda)};
}

/// A random unitary (QR of a complex Gaussian matrix by Gram–Schmidt).
inline hqml::matrix random_unitary(std::size_t d, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  hqml::matrix m(d * d);
  for (auto& v : m) v = cplx(nd(rng), nd(rng));
  for (std::size_t c = 0; c < d; ++c) {
    for (std::size_t p = 0; p < c; ++p) {
      cplx dot = 0.0;
      for (std::size_t r = 0; r < d; ++r) dot += std::conj(m[r * d + p]) * m[r * d + c];
      for (std::size_t r = 0; r < d; ++r) m[r * d + c] -= dot * m[r * d + p];
    }
    double nrm = 0.0;
    for (std::size_t r = 0; r < d; ++r) nrm += std::norm(m[r * d + c]);
    nrm = std::sqrt(nrm);
    for (std::size_t r = 0; r < d; ++r) m[r * d + c] /= nrm;
  }
  return m;
}

}  // namespace qasm_test
