#pragma once
// A dense-matrix reference simulator for tests: every gate becomes the full 2^n × 2^n operator
// (built entry by entry from its definition, independently of hqml's kernels) and is applied by a
// matrix-vector product with Eigen.

#include <hqml/circuit.hpp>
#include <hqml/fusion.hpp>
#include <hqml/gate.hpp>
#include <hqml/pauli.hpp>

#include <Eigen/Dense>

#include <complex>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace hqml::test {

using cvec = Eigen::VectorXcd;
using cmat = Eigen::MatrixXcd;

/// The bits of basis index i on `qubits` as a local index (bit j from qubits[j]).
inline std::size_t local_index(std::size_t i, const std::vector<std::uint32_t>& qubits) {
  std::size_t l = 0;
  for (std::size_t j = 0; j < qubits.size(); ++j) l |= ((i >> qubits[j]) & 1u) << j;
  return l;
}
/// The basis-index bits of `qubits`.
inline std::size_t qubit_mask(const std::vector<std::uint32_t>& qubits) {
  std::size_t mask = 0;
  for (auto q : qubits) mask |= std::size_t{1} << q;
  return mask;
}

/// Full operator of a k-qubit matrix g acting on `qubits` of an n-qubit register.
inline cmat embed(const matrix& g, const std::vector<std::uint32_t>& qubits, std::size_t n) {
  const std::size_t dim = std::size_t{1} << n;
  const std::size_t gd = std::size_t{1} << qubits.size(), mask = qubit_mask(qubits);
  auto sub = [&](std::size_t i) { return local_index(i, qubits); };
  cmat f = cmat::Zero(static_cast<Eigen::Index>(dim), static_cast<Eigen::Index>(dim));
  for (std::size_t r = 0; r < dim; ++r)
    for (std::size_t c = 0; c < dim; ++c)
      if ((r & ~mask) == (c & ~mask)) f(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = g[sub(r) * gd + sub(c)];
  return f;
}

/// Final state of a unitary circuit (bound with θ, x) applied to `psi`.
inline cvec reference_run(const circuit& c, cvec psi, std::span<const double> theta = {}, std::span<const double> x = {}) {
  const circuit b = c.is_parameterized() ? c.bind(theta, x) : c;
  for (const auto& op : b.operations()) {
    if (op.kind == gate_kind::barrier) continue;
    psi = embed(operation_matrix(op), op.qubits, c.num_qubits()) * psi;
  }
  return psi;
}

/// A random normalized state with a fixed seed.
inline cvec random_state(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd;
  cvec v(static_cast<Eigen::Index>(std::size_t{1} << n));
  for (auto& a : v) a = {nd(g), nd(g)};
  return v / v.norm();
}

/// A random k-qubit unitary (QR of a complex Gaussian matrix).
inline matrix random_unitary(std::size_t k, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd;
  const auto d = static_cast<Eigen::Index>(std::size_t{1} << k);
  cmat a(d, d);
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = 0; j < d; ++j) a(i, j) = {nd(g), nd(g)};
  Eigen::HouseholderQR<cmat> qr(a);
  cmat q = qr.householderQ();
  matrix m(static_cast<std::size_t>(d * d));
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = 0; j < d; ++j) m[static_cast<std::size_t>(i * d + j)] = q(i, j);
  return m;
}

template <class State>
cvec to_eigen(const State& s) {
  const auto v = s.to_vector();
  cvec e(static_cast<Eigen::Index>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) e[static_cast<Eigen::Index>(i)] = std::complex<double>(v[i]);
  return e;
}
template <class State>
void from_eigen(State& s, const cvec& e) {
  std::vector<std::complex<typename State::real_type>> v(static_cast<std::size_t>(e.size()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::complex<typename State::real_type>(e[static_cast<Eigen::Index>(i)]);
  s.set_amplitudes(v);
}

/// Tolerance for comparing a State's amplitudes with the double reference.
template <class State>
constexpr double tolerance() {
  return std::is_same_v<typename State::real_type, float> ? 2e-5 : 1e-12;
}

/// The dense operator of a Pauli sum, qubit by qubit from the 2 × 2 matrices.
inline cmat dense_observable(const pauli_sum& h, std::size_t n) {
  const auto dim = static_cast<Eigen::Index>(std::size_t{1} << n);
  cmat out = cmat::Zero(dim, dim);
  for (const auto& [c, p] : h.terms) {
    cmat op = cmat::Identity(dim, dim);
    for (std::uint32_t q = 0; q < n; ++q) {
      const char l = p.at(q);
      if (l == 'I') continue;
      const gate_kind k = l == 'X' ? gate_kind::x : l == 'Y' ? gate_kind::y : gate_kind::z;
      op = hqml::test::embed(gate_matrix(k), {q}, n) * op;
    }
    out += c * op;
  }
  return out;
}

inline pauli_sum random_observable(std::size_t n, int terms, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  const char letters[] = {'I', 'X', 'Y', 'Z'};
  pauli_sum h;
  for (int t = 0; t < terms; ++t) {
    std::string label(n, 'I');
    for (auto& ch : label) ch = letters[g() % 4];
    h.add(u(g), label);
  }
  return h;
}

}  // namespace hqml::test
