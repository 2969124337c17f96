#pragma once
// QAOA (Farhi, Goldstone & Gutmann, arXiv:1411.4028) for Ising models (QUBO through anneal::to_ising) on the
// exact state-vector simulator. The angles are optimized by BFGS on exact adjoint gradients of ⟨H_C⟩, layer
// count by layer count: p = 1 from the best point of a grid scan, each p + 1 from the p optimum interpolated
// (INTERP, Zhou et al., Phys. Rev. X 10, 021067, 2020); then the optimized state is sampled and every
// sample scored with the model's own energy.

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/circuit.hpp>
#include <hqml/gradient.hpp>
#include <hqml/kernel_training/optimizers.hpp>
#include <hqml/pauli.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// H_C = offset + Σ h_i Z_i + Σ_{i<j} J_ij Z_i Z_j: on the basis state with qubit i in |0⟩ where s_i = +1 and in
/// |1⟩ where s_i = −1 it takes the model's energy E(s).
[[nodiscard]] inline pauli_sum ising_hamiltonian(const anneal::ising_model& m) {
  if (m.num_variables() > 64)
    throw std::invalid_argument("hqml::ising_hamiltonian: " + std::to_string(m.num_variables()) +
                                " variables; Pauli strings hold at most 64 qubits");
  pauli_sum h;
  if (m.offset() != 0) h.add(m.offset(), pauli_string{});
  for (std::uint32_t i = 0; i < m.num_variables(); ++i)
    if (m.linear(i) != 0) h.add(m.linear(i), pauli_string::from_ops({{i, 'Z'}}));
  for (const auto& c : m.couplings()) h.add(c.value, pauli_string::from_ops({{c.i, 'Z'}, {c.j, 'Z'}}));
  return h;
}

/// The QAOA ansatz with p = `layers`: |+⟩^n, then for l = 1..p the cost layer e^{−iγ_l H_C} (RZ(2γ_l h_i),
/// RZZ(2γ_l J_ij)) and the mixer e^{−iβ_l Σ X_i} (RX(2β_l)). Parameters θ = (γ_1, ..., γ_p, β_1, ..., β_p).
[[nodiscard]] inline circuit qaoa_circuit(const anneal::ising_model& m, std::size_t layers) {
  const std::size_t n = m.num_variables();
  if (n == 0 || n > circuit::max_qubits)
    throw std::invalid_argument("hqml::qaoa_circuit: " + std::to_string(n) + " variables; QAOA simulates all 2^n " +
                                "amplitudes of the state, in circuits of 1 to " + std::to_string(circuit::max_qubits) +
                                " qubits (30 variables take 16 GiB in double)");
  if (layers == 0) throw std::invalid_argument("hqml::qaoa_circuit: layers must be at least 1");
  circuit c(n);
  for (std::uint32_t q = 0; q < n; ++q) c.h(q);
  for (std::size_t l = 0; l < layers; ++l) {
    const angle gamma = angle::param(l), beta = angle::param(layers + l);
    for (std::uint32_t i = 0; i < n; ++i)
      if (m.linear(i) != 0) c.rz(i, gamma * (2 * m.linear(i)));
    for (const auto& e : m.couplings()) c.rzz(e.i, e.j, gamma * (2 * e.value));
    for (std::uint32_t q = 0; q < n; ++q) c.rx(q, beta * 2.0);
  }
  return c;
}

struct qaoa_options {
  /// p, the number of cost-and-mixer layers (optimized for 1, 2, ..., p in turn).
  std::size_t layers = 1;
  /// p = 1 starts from the best of grid × grid points (γ, β) ∈ (0, π/w) × (0, π/2), w the largest |h_i|, |J_ij|.
  std::size_t grid = 12;
  /// BFGS per layer count (exact gradients, so it converges in tens of iterations).
  bfgs_options bfgs{};
  std::size_t max_iterations = 200;
  /// Samples drawn from the optimized state.
  std::size_t shots = 1000;
  std::uint64_t seed = 0;
  /// Threads of the state operations (0: all).
  int threads = 0;
};

struct qaoa_result {
  std::vector<double> gamma, beta;  // the optimized angles, p of each
  double expectation = 0;           // ⟨H_C⟩ there
  /// The optimum ⟨H_C⟩ found for p = 1, 2, ..., layers.
  std::vector<double> layer_expectations;
  /// Evaluations of ⟨H_C⟩ with its gradient (adjoint sweeps), and of ⟨H_C⟩ alone (the grid scan).
  std::size_t gradient_evaluations = 0, value_evaluations = 0;
  /// `shots` samples of the optimized state, aggregated and sorted by energy, in spins.
  anneal::sample_set samples;
};

/// Runs QAOA on an Ising model: optimizes the angles for p = 1, ..., options.layers and samples the result.
template <class Real = double, class Backend = cpu>
[[nodiscard]] qaoa_result qaoa_solve(const anneal::ising_model& m, const qaoa_options& opt = {}) {
  static constexpr const char* where = "hqml::qaoa_solve";
  const auto start = std::chrono::steady_clock::now();
  if (opt.grid == 0) throw std::invalid_argument(std::string(where) + ": grid must be at least 1");
  const std::size_t n = m.num_variables();
  const circuit full = qaoa_circuit(m, opt.layers);  // validates n and layers
  const pauli_sum h = ising_hamiltonian(m);
  double w = 0;
  for (double v : m.linear()) w = std::max(w, std::abs(v));
  for (const auto& c : m.couplings()) w = std::max(w, std::abs(c.value));
  if (w == 0) w = 1;  // a constant model: any angle is optimal

  qaoa_result r;
  // p = 1: the grid scan.
  std::vector<double> theta(2);
  {
    const circuit c1 = qaoa_circuit(m, 1);
    state_vector<Real, Backend> psi(n);
    psi.set_threads(opt.threads);
    double best = 0;
    for (std::size_t a = 0; a < opt.grid; ++a)
      for (std::size_t b = 0; b < opt.grid; ++b) {
        const std::vector<double> t{(double(a) + 0.5) / double(opt.grid) * std::numbers::pi / w,
                                    (double(b) + 0.5) / double(opt.grid) * std::numbers::pi / 2};
        psi.set_basis_state(0);
        psi.apply(c1, t);
        const double e = psi.expectation(h);
        ++r.value_evaluations;
        if ((a == 0 && b == 0) || e < best) {
          best = e;
          theta = t;
        }
      }
  }
  minimize_options mo;
  mo.max_iterations = opt.max_iterations;
  std::vector<double> padded;  // the last optimum with a layer of zero angles added: as good as p − 1
  for (std::size_t p = 1; p <= opt.layers; ++p) {
    if (p > 1) {  // INTERP: θ'_i = ((i − 1)/(p − 1)) θ_{i−1} + ((p − i)/(p − 1)) θ_i, i = 1..p, θ_0 = θ_p = 0
      std::vector<double> next(2 * p);
      padded.assign(2 * p, 0.0);
      const std::size_t q = p - 1;
      for (std::size_t part = 0; part < 2; ++part)
        for (std::size_t i = 1; i <= p; ++i) {
          const double prev = i >= 2 ? theta[part * q + i - 2] : 0.0, cur = i <= q ? theta[part * q + i - 1] : 0.0;
          next[part * p + i - 1] = (double(i - 1) * prev + double(p - i) * cur) / double(q);
          if (i <= q) padded[part * p + i - 1] = cur;
        }
      theta = std::move(next);
    }
    adjoint_differentiator<Real, Backend> d(qaoa_circuit(m, p), {h});
    d.set_threads(opt.threads);
    const auto fg = [&](std::span<const double> t, Eigen::VectorXd* grad) {
      const expectation_jacobian j = d.evaluate(t);
      ++r.gradient_evaluations;
      if (grad) *grad = Eigen::Map<const Eigen::VectorXd>(j.jacobian.data(), static_cast<Eigen::Index>(t.size()));
      return j.values[0];
    };
    minimize_result res = bfgs_minimize(fg, theta, opt.bfgs, mo);
    // More layers are never worse: when INTERP's start led to a worse optimum than p − 1 layers reached,
    // start again from that optimum (extended by a layer of zeros) and keep the better result.
    if (p > 1 && res.value > r.layer_expectations.back()) {
      minimize_result alt = bfgs_minimize(fg, padded, opt.bfgs, mo);
      if (alt.value < res.value) res = std::move(alt);
    }
    theta = res.x;
    r.layer_expectations.push_back(res.value);
  }
  const std::size_t p = opt.layers;
  r.gamma.assign(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(p));
  r.beta.assign(theta.begin() + static_cast<std::ptrdiff_t>(p), theta.end());
  r.expectation = r.layer_expectations.back();

  state_vector<Real, Backend> psi(n);
  psi.set_threads(opt.threads);
  psi.apply(full, theta);
  anneal::sample_set s(n, anneal::vartype::spin);
  std::vector<std::int8_t> spins(n);
  for (const auto idx : psi.sample(opt.shots, opt.seed)) {
    for (std::size_t i = 0; i < n; ++i) spins[i] = ((idx >> i) & 1u) ? std::int8_t{-1} : std::int8_t{1};
    s.add(spins, m.energy(std::span<const std::int8_t>(spins)));
  }
  s.aggregate();
  s.num_reads = opt.shots;
  s.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.samples = std::move(s);
  return r;
}

}  // namespace hqml
