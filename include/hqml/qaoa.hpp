#pragma once
// QAOA (Farhi, Goldstone & Gutmann, arXiv:1411.4028) for Ising models (QUBO through anneal::to_ising) on the
// exact state-vector simulator. The angles are optimized by BFGS on exact adjoint gradients of ⟨H_C⟩, layer
// count by layer count: p = 1 from a scan of γ over the landscape's period (β solved exactly at each γ), each
// p + 1 from the p optimum interpolated
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
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
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
  /// p = 1 starts from a scan of γ with β solved exactly at each γ (see detail::qaoa_gamma_scan): `grid` points per
  /// period of the fastest oscillation ⟨H_C⟩ can have in γ.
  std::size_t grid = 8;
  /// At most this many γ points (each costs 3 evaluations of ⟨H_C⟩, 2 without linear terms). A landscape whose
  /// period needs more (or that has none: incommensurate weights) is scanned over the γ window they reach.
  std::size_t max_scan_points = 256;
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
  /// Evaluations of ⟨H_C⟩ with its gradient (adjoint sweeps), and of ⟨H_C⟩ alone (the p = 1 scan).
  std::size_t gradient_evaluations = 0, value_evaluations = 0;
  /// The p = 1 scan saw every (γ, β) with |γ| ≤ scan_gamma_max (every β, by the symmetries in detail::qaoa_gamma_scan);
  /// scan_full_period: that is a whole period of the landscape, so it saw the global p = 1 optimum's basin.
  double scan_gamma_max = 0;
  bool scan_full_period = false;
  /// `shots` samples of the optimized state, aggregated and sorted by energy, in spins.
  anneal::sample_set samples;
};

namespace detail {

/// Where the p = 1 scan looks. Write E(s) for the model's energy and ψ(γ, β) = e^{−iβΣX} e^{−iγH_C} |+⟩^n.
///
/// γ: the amplitudes of e^{−iγH_C}|+⟩ are e^{−iγE(s)}/√2^n, so the state repeats (up to a global phase) with
/// period 2π/g, g the generator of the lattice of energy differences E(s) − E(s'). Every difference is a sum
/// of single flips, E(s^(i)) − E(s) = −2 s_i (h_i + Σ_k J_ik s_k), and with s_k = 1 − 2x_k these lie in the
/// lattice spanned by 2(h_i + Σ_k J_ik) and 4J_ik, which both are differences: g is their gcd. It exists when
/// the weights are commensurate (integers, decimals, multiples of one unit); it is found as v_min/q for the
/// smallest such q whose period still fits in max_points. Otherwise (real weights in general ⟨H_C⟩ is only
/// quasi-periodic in γ, with no finite period) the window is what max_points reach.
///
/// Symmetries that halve the torus: H_C, ΣX and |+⟩ are real, so ψ(−γ, −β) = ψ(γ, β)* and E(−γ, −β) = E(γ, β)
/// (time reversal): γ ≥ 0 suffices once β covers its whole period. That period is π (e^{−iπX} = −1); with no
/// linear terms it is π/2, since e^{−i(π/2)X} = −iX and X^{⊗n} commutes with the ZZ terms and fixes |+⟩^n.
/// So γ ∈ [0, π/g] and all β cover the torus (γ ∈ [π/g, 2π/g] is γ − 2π/g ∈ [−π/g, 0], reflected). Without
/// fields the β period is π/2 and one evaluation fewer per γ finds β (qaoa_solve); the half period π/g is then
/// short too (unweighted Max-Cut: g ≥ 2). The former scan, γ ∈ (0, π/w) × β ∈ (0, π/2) with w the largest
/// weight, was enough only where π/g ≤ π/w and β has period π/2, i.e. for couplings alone with g ≥ w (unweighted
/// Max-Cut); with fields it missed every optimum at γ < 0 (⇔ β ∈ (π/2, π)), as for the QUBO 0 0 -2 / 1 1 1.
///
/// Resolution: ⟨H_C⟩ = offset + Σ h_i ⟨Z_i⟩ + Σ J_ij ⟨Z_i Z_j⟩, and after the mixer these are ⟨Y_i⟩, ⟨Z_i Y_j⟩,
/// ⟨Y_i Y_j⟩ of e^{−iγH_C}|+⟩, whose frequencies in γ are the energy changes of flipping i, or i and j:
/// at most 2 S_i, and 2(S_i + S_j − 2|J_ij|) for coupled i, j, with S_i = |h_i| + Σ_k |J_ik|. The largest is
/// omega; γ points are 2π/(omega·grid) apart.
struct qaoa_gamma_scan {
  double gamma_max = 0;     // γ ∈ [0, gamma_max]
  std::size_t points = 1;   // evenly spaced, both ends included
  bool full_period = true;  // [0, gamma_max] is half a period (a constant model: trivially)
};

inline qaoa_gamma_scan plan_qaoa_gamma_scan(const anneal::ising_model& m, std::size_t grid, std::size_t max_points) {
  const std::size_t n = m.num_variables();
  std::vector<double> s(n), field(n);  // S_i, and h_i + Σ_k J_ik (the local field with every s_k = +1)
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = std::abs(m.linear(i));
    field[i] = m.linear(i);
  }
  for (const auto& c : m.couplings()) {
    s[c.i] += std::abs(c.value);
    s[c.j] += std::abs(c.value);
    field[c.i] += c.value;
    field[c.j] += c.value;
  }
  double omega = 0;
  for (double v : s) omega = std::max(omega, 2 * v);
  for (const auto& c : m.couplings()) omega = std::max(omega, 2 * (s[c.i] + s[c.j] - 2 * std::abs(c.value)));
  if (omega == 0) return {};  // constant: every angle is optimal
  std::vector<double> gen;
  for (double f : field) gen.push_back(std::abs(2 * f));
  for (const auto& c : m.couplings()) gen.push_back(std::abs(4 * c.value));
  const double v_max = *std::max_element(gen.begin(), gen.end());
  std::erase_if(gen, [&](double v) { return v <= 1e-12 * v_max; });  // zeros that rounding left in the sums
  const double v_min = *std::min_element(gen.begin(), gen.end());
  const double step = 2 * std::numbers::pi / (omega * double(grid));
  const double reach = step * double(max_points - 1);
  for (std::size_t q = 1;; ++q) {
    const double g = v_min / double(q), half = std::numbers::pi / g;
    if (half > reach) break;
    if (std::all_of(gen.begin(), gen.end(), [&](double v) { return std::abs(v / g - std::round(v / g)) <= 1e-8; }))
      return {half, std::min(max_points, static_cast<std::size_t>(std::ceil(half / step)) + 1), true};
  }
  return {reach, max_points, false};
}

/// argmin over β ∈ [0, π) of f(β) = a sin 2β + b sin 4β + c (1 − cos 4β): every local minimum of 64 samples
/// refined by golden section (f has at most 4 local minima).
inline std::pair<double, double> qaoa_best_beta(double a, double b, double c) {
  constexpr double pi = std::numbers::pi;
  const auto f = [&](double x) { return a * std::sin(2 * x) + b * std::sin(4 * x) + c * (1 - std::cos(4 * x)); };
  constexpr int k_samples = 64;
  std::array<double, k_samples> y{};
  for (int k = 0; k < k_samples; ++k) y[std::size_t(k)] = f(pi * k / k_samples);
  double best_x = 0, best_f = y[0];
  for (int k = 0; k < k_samples; ++k) {
    const double here = y[std::size_t(k)];
    if (here > y[std::size_t((k + 1) % k_samples)] || here > y[std::size_t((k + k_samples - 1) % k_samples)]) continue;
    double lo = pi * (k - 1) / k_samples, hi = pi * (k + 1) / k_samples;
    constexpr double r = 0.6180339887498949;
    double x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo), f1 = f(x1), f2 = f(x2);
    for (int it = 0; it < 60; ++it) {
      if (f1 < f2) {
        hi = x2, x2 = x1, f2 = f1, x1 = hi - r * (hi - lo), f1 = f(x1);
      } else {
        lo = x1, x1 = x2, f1 = f2, x2 = lo + r * (hi - lo), f2 = f(x2);
      }
    }
    const double x = 0.5 * (lo + hi), fx = f(x);
    if (fx < best_f) best_f = fx, best_x = x;
  }
  best_x = std::fmod(best_x + pi, pi);
  return {best_x, best_f};
}

}  // namespace detail

/// Runs QAOA on an Ising model: optimizes the angles for p = 1, ..., options.layers and samples the result.
template <class Real = double, class Backend = cpu>
[[nodiscard]] qaoa_result qaoa_solve(const anneal::ising_model& m, const qaoa_options& opt = {}) {
  static constexpr const char* where = "hqml::qaoa_solve";
  const auto start = std::chrono::steady_clock::now();
  if (opt.grid == 0) throw std::invalid_argument(std::string(where) + ": grid must be at least 1");
  if (opt.max_scan_points < 2) throw std::invalid_argument(std::string(where) + ": max_scan_points must be at least 2");
  const std::size_t n = m.num_variables();
  const circuit full = qaoa_circuit(m, opt.layers);  // validates n and layers
  const pauli_sum h = ising_hamiltonian(m);
  const bool fields = std::any_of(m.linear().begin(), m.linear().end(), [](double v) { return v != 0; });

  qaoa_result r;
  // p = 1: the scan (detail::qaoa_gamma_scan says where and why). At each γ, β is solved exactly: the mixer
  // turns Z_i into cos 2β Z_i + sin 2β Y_i, and ⟨Z_i⟩ = ⟨Z_i Z_j⟩ = 0 before it, so
  // ⟨H_C⟩(γ, β) = offset + a sin 2β + b sin 4β + c (1 − cos 4β), whose a, b, c three evaluations give:
  // β = π/4, 3π/4 (the same point without fields, where β has period π/2) and π/8.
  std::vector<double> theta{0.0, std::numbers::pi / 4};
  const detail::qaoa_gamma_scan plan = detail::plan_qaoa_gamma_scan(m, opt.grid, opt.max_scan_points);
  r.scan_gamma_max = plan.gamma_max;
  r.scan_full_period = plan.full_period;
  if (plan.gamma_max > 0) {
    const circuit c1 = qaoa_circuit(m, 1);
    state_vector<Real, Backend> psi(n);
    psi.set_threads(opt.threads);
    const auto energy = [&](double gamma, double beta) {
      psi.set_basis_state(0);
      psi.apply(c1, std::vector<double>{gamma, beta});
      ++r.value_evaluations;
      return psi.expectation(h);
    };
    const double off = m.offset(), rt = std::sqrt(0.5);
    const auto best_beta = [&](double gamma) {  // (β, min over β of ⟨H_C⟩(γ, β))
      const double e1 = energy(gamma, std::numbers::pi / 4);
      const double e2 = fields ? energy(gamma, 3 * std::numbers::pi / 4) : e1;
      const double e3 = energy(gamma, std::numbers::pi / 8);
      const double a = (e1 - e2) / 2, c = (e1 + e2 - 2 * off) / 4, b = e3 - off - a * rt - c;
      const auto [beta, f] = detail::qaoa_best_beta(a, b, c);
      return std::pair{beta, off + f};
    };
    const double step = plan.points > 1 ? plan.gamma_max / double(plan.points - 1) : 0.0;
    std::vector<double> profile(plan.points);
    for (std::size_t k = 0; k < plan.points; ++k) profile[k] = best_beta(double(k) * step).second;
    // The grid's local minima (γ = 0 and π/g are mirror points of the profile), best first; the best three
    // are refined by golden section on the profile, so that a basin the grid undersampled still wins.
    std::vector<std::size_t> minima;
    for (std::size_t k = 0; k < plan.points; ++k)
      if ((k == 0 || profile[k] <= profile[k - 1]) && (k + 1 == plan.points || profile[k] <= profile[k + 1]))
        minima.push_back(k);
    std::sort(minima.begin(), minima.end(), [&](std::size_t x, std::size_t y) { return profile[x] < profile[y]; });
    minima.resize(std::min<std::size_t>(minima.size(), 3));
    double best = profile[minima[0]], best_gamma = double(minima[0]) * step;
    for (const std::size_t k : minima) {
      double lo = std::max(0.0, (double(k) - 1) * step), hi = std::min(plan.gamma_max, (double(k) + 1) * step);
      constexpr double golden = 0.6180339887498949;
      double x1 = hi - golden * (hi - lo), x2 = lo + golden * (hi - lo);
      double f1 = best_beta(x1).second, f2 = best_beta(x2).second;
      for (int it = 0; it < 12; ++it) {  // the bracket shrinks to 1/200 of a grid step; BFGS does the rest
        if (f1 < f2) {
          hi = x2, x2 = x1, f2 = f1, x1 = hi - golden * (hi - lo), f1 = best_beta(x1).second;
        } else {
          lo = x1, x1 = x2, f1 = f2, x2 = lo + golden * (hi - lo), f2 = best_beta(x2).second;
        }
      }
      if (std::min(f1, f2) < best) {
        best = std::min(f1, f2);
        best_gamma = f1 < f2 ? x1 : x2;
      }
    }
    theta = {best_gamma, best_beta(best_gamma).first};
    // Report angles in the usual form: β ∈ [0, π/2) with γ ≥ 0 without fields (β has period π/2 there),
    // β ∈ [0, π/2] with either sign of γ with them (time reversal: (γ, β) ~ (−γ, π − β)).
    if (!fields)
      theta[1] = std::fmod(theta[1], std::numbers::pi / 2);
    else if (theta[1] > std::numbers::pi / 2)
      theta = {-theta[0], std::numbers::pi - theta[1]};
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
