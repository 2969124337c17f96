#pragma once
// The lowest eigenvalue of a Pauli-sum Hamiltonian by the Lanczos method, matrix-free: every step is one
// product H|q⟩ on the backend's state vectors, so any backend and any qubit count that holds four states
// serves, and no 2^n × 2^n matrix is ever formed. It is the exact reference a variational result (VQE,
// QAOA) is judged against.
//
// Plain Lanczos without reorthogonalization (Paige 1976): once the lowest Ritz value has converged, lost
// orthogonality only adds copies of it, so it stays accurate, and only three vectors are kept. The
// iteration stops when the residual estimate β_k |y_k| (the last entry of T_k's lowest eigenvector times the
// next off-diagonal) is below the tolerance; the ground state, when asked for, comes from a second run
// of the same recurrence that sums the Ritz vector Σ_j y_j |q_j⟩, and its true residual ‖H v − E v‖ is
// reported.

#include <hqml/backends/cpu.hpp>
#include <hqml/pauli.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

struct lanczos_options {
  /// The largest Krylov dimension (H products); the run reports converged = false if it is reached.
  std::size_t max_iterations = 500;
  /// Converged when the residual estimate is at most tolerance · max(1, |E|); raised to 100 ulps of the
  /// state's precision (about 1e-5 in float), which is as close as its rounding lets the estimate get.
  double tolerance = 1e-10;
  /// Also form the ground state (a second run of the recurrence: twice the H products).
  bool compute_state = false;
  /// Seed of the random start when none is given.
  std::uint64_t seed = 0;
  /// Threads of the state operations (0: all).
  int threads = 0;
};

template <class Real = double, class Backend = cpu>
struct ground_state_result {
  double energy = 0;               // the lowest eigenvalue found
  std::size_t iterations = 0;      // Krylov dimension reached (H products in the first run)
  bool converged = false;          // the residual estimate met the tolerance, or the Krylov space closed
  double residual_estimate = 0;    // β_k |y_k|
  std::optional<double> residual;  // ‖H v − E v‖ of the normalized state, when compute_state
  std::optional<state_vector<Real, Backend>> state;  // when compute_state
};

namespace detail {

template <class Real, class Backend>
void lanczos_start(state_vector<Real, Backend>& q, std::uint64_t seed) {
  // Gaussian amplitudes: a random direction, with a component along every eigenvector almost surely.
  xoshiro256 rng(seed);
  std::vector<std::complex<Real>> amps(q.size());
  for (auto& a : amps) {
    // Box-Muller; 1 − u lies in (0, 1], so the logarithm is finite.
    const double r = std::sqrt(-2 * std::log(1 - rng.uniform())), phi = 2 * std::numbers::pi * rng.uniform();
    a = {static_cast<Real>(r * std::cos(phi)), static_cast<Real>(r * std::sin(phi))};
  }
  q.set_amplitudes(amps);
}

}  // namespace detail

/// The lowest eigenvalue of h restricted to the Krylov space of `start` (normalized here). H conserves
/// whatever symmetry start has, so a start in a symmetry sector (a Hartree-Fock determinant: a particle
/// number) gives that sector's lowest eigenvalue, up to what rounding leaks out over the iterations.
template <class Real, class Backend>
[[nodiscard]] ground_state_result<Real, Backend> lanczos_ground_state(const pauli_sum& h,
                                                                      const state_vector<Real, Backend>& start,
                                                                      const lanczos_options& opt = {}) {
  static constexpr const char* where = "hqml::lanczos_ground_state";
  const std::size_t n = start.num_qubits();
  if (h.support_size() > n)
    throw std::invalid_argument(std::string(where) + ": the Hamiltonian acts on qubit " +
                                std::to_string(h.support_size() - 1) + " of a " + std::to_string(n) + "-qubit state");
  if (opt.max_iterations == 0) throw std::invalid_argument(std::string(where) + ": max_iterations must be positive");
  if (!(opt.tolerance >= 0)) throw std::invalid_argument(std::string(where) + ": tolerance must be non-negative");
  for (const auto& [c, p] : h.terms)
    if (!std::isfinite(c)) throw std::invalid_argument(std::string(where) + ": a coefficient is not finite");
  const double start_norm = std::sqrt(start.norm_squared());
  if (!(start_norm > 0) || !std::isfinite(start_norm))
    throw std::invalid_argument(std::string(where) + ": the start state has no norm");
  const double tolerance = std::max(opt.tolerance, 100 * double(std::numeric_limits<Real>::epsilon()));
  // A Krylov space is closed once β_k is rounding next to ‖H‖ ≤ Σ|c_k|.
  const double breakdown = 1e3 * double(std::numeric_limits<Real>::epsilon()) * std::max(1.0, h.coefficient_norm());
  const std::size_t max_k = std::min<std::size_t>(opt.max_iterations, std::size_t{1} << std::min<std::size_t>(n, 62));

  // Runs the recurrence for k steps; `visit(j, q_j)` sees each Lanczos vector. Fills alpha, beta.
  std::vector<double> alpha, beta;
  const auto run = [&](std::size_t steps, auto&& after_step, auto&& visit) {
    state_vector<Real, Backend> q = start, prev(n), w(n);
    q.set_threads(opt.threads);
    prev.set_threads(opt.threads);
    w.set_threads(opt.threads);
    q.scale(1 / start_norm);
    double b_prev = 0;
    for (std::size_t j = 0; j < steps; ++j) {
      visit(j, q);
      w.assign_product(h, q);
      const double a = overlap(q, w).real();
      w.add_scaled(-a, q);
      if (j > 0) w.add_scaled(-b_prev, prev);
      const double b = std::sqrt(w.norm_squared());
      if (!after_step(j, a, b)) break;
      prev.swap(q);  // prev = q_j
      q.swap(w);     // q = w / b
      q.scale(1 / b);
      b_prev = b;
    }
  };

  ground_state_result<Real, Backend> r;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  Eigen::VectorXd y;
  const auto solve_tridiagonal = [&](std::size_t k) {
    Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(alpha.data(), static_cast<Eigen::Index>(k));
    Eigen::VectorXd e =
        k > 1 ? Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(beta.data(), static_cast<Eigen::Index>(k - 1)))
              : Eigen::VectorXd();
    eig.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
    if (eig.info() != Eigen::Success) throw std::runtime_error(std::string(where) + ": the tridiagonal solve failed");
    r.energy = eig.eigenvalues()(0);
    y = eig.eigenvectors().col(0);
  };
  run(
      max_k,
      [&](std::size_t j, double a, double b) {
        alpha.push_back(a);
        const std::size_t k = j + 1;
        r.iterations = k;
        const bool closed = b <= breakdown;
        // The O(k³) tridiagonal solve on every step while k is small, then every fifth.
        if (closed || k == max_k || k <= 40 || k % 5 == 0) {
          solve_tridiagonal(k);
          r.residual_estimate = closed ? 0.0 : b * std::abs(y(static_cast<Eigen::Index>(k - 1)));
          if (closed || r.residual_estimate <= tolerance * std::max(1.0, std::abs(r.energy))) {
            r.converged = true;
            return false;
          }
        }
        if (k == max_k) return false;
        beta.push_back(b);
        return true;
      },
      [](std::size_t, const state_vector<Real, Backend>&) {});
  if (!opt.compute_state) return r;

  // Second run: the same vectors again, summed with the weights y_j.
  state_vector<Real, Backend> v(n);
  v.set_threads(opt.threads);
  v.scale(0.0);
  const std::size_t k = r.iterations;
  run(
      k, [&](std::size_t j, double, double) { return j + 1 < k; },
      [&](std::size_t j, const state_vector<Real, Backend>& q) { v.add_scaled(y(static_cast<Eigen::Index>(j)), q); });
  const double norm = std::sqrt(v.norm_squared());
  if (!(norm > 0)) throw std::runtime_error(std::string(where) + ": the Ritz vector vanished");
  v.scale(1 / norm);
  state_vector<Real, Backend> hv = h * v;
  hv.add_scaled(-r.energy, v);
  r.residual = std::sqrt(hv.norm_squared());
  r.state = std::move(v);
  return r;
}

/// The lowest eigenvalue of h on num_qubits qubits, from a seeded random start (every symmetry sector).
template <class Real = double, class Backend = cpu>
[[nodiscard]] ground_state_result<Real, Backend> lanczos_ground_state(const pauli_sum& h, std::size_t num_qubits,
                                                                      const lanczos_options& opt = {}) {
  state_vector<Real, Backend> start(num_qubits);
  start.set_threads(opt.threads);
  detail::lanczos_start(start, opt.seed);
  return lanczos_ground_state(h, start, opt);
}

}  // namespace hqml
