#pragma once
// The variational quantum eigensolver (Peruzzo et al., Nat. Commun. 5:4213, 2014) on the exact state-vector
// simulator: minimize E(θ) = ⟨ψ(θ)|H|ψ(θ)⟩ over the parameters of an ansatz circuit, by BFGS or Adam on
// exact adjoint gradients (one forward and one backward sweep per step, whatever the parameter count), or
// by SPSA on energies alone, from one or more starting points; the lowest energy found is kept.
// By the variational principle every E(θ) bounds the ground energy from above; lanczos_ground_state
// (eigensolver.hpp) gives the exact value to compare with.

#include <hqml/circuit.hpp>
#include <hqml/gradient.hpp>
#include <hqml/kernel_training/optimizers.hpp>
#include <hqml/name_table.hpp>
#include <hqml/pauli.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hqml {

enum class vqe_optimizer : std::uint8_t { bfgs, adam, spsa };

/// Every VQE optimizer and its name, in the order a program lists them.
inline constexpr name_table<vqe_optimizer, 3> vqe_optimizer_names{{
    {vqe_optimizer::bfgs, "bfgs"},
    {vqe_optimizer::adam, "adam"},
    {vqe_optimizer::spsa, "spsa"},
}};

[[nodiscard]] constexpr std::string_view to_string(vqe_optimizer o) {
  return name_in(vqe_optimizer_names, o, "hqml::to_string", "VQE optimizer");
}

/// The optimizer called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline vqe_optimizer parse_vqe_optimizer(std::string_view name) {
  return parse_in(vqe_optimizer_names, name, "hqml::parse_vqe_optimizer", "VQE optimizer");
}

struct vqe_options {
  vqe_optimizer optimizer = vqe_optimizer::bfgs;
  /// Per start: BFGS and Adam iterations (one gradient each, BFGS's line search may add some), SPSA steps.
  std::size_t max_iterations = 1000;
  /// Stop a start when the energy changed by at most this over one iteration (0: the optimizer's own tests).
  double tolerance = 0;
  bfgs_options bfgs{};
  gradient_options adam{};
  spsa_options spsa{};
  /// The first start; empty: drawn like the others, uniformly from [−initial_range, initial_range]^P.
  std::vector<double> initial_point;
  double initial_range = std::numbers::pi;
  /// Starting points; the lowest energy over all of them is the result.
  std::size_t starts = 1;
  std::uint64_t seed = 0;
  /// Threads of the state operations (0: all).
  int threads = 0;
  /// How the circuit runs forward (gate fusion on wide states).
  apply_options forward{};
  /// Called after every iteration of every start with (iteration, θ, E(θ)); iterations count from 1 per start.
  iteration_callback callback;
};

struct vqe_result {
  double energy = 0;               // the lowest E(θ) found
  std::vector<double> parameters;  // θ there
  std::vector<double> history;     // E(θ_k), k = 0, 1, ..., of the start that found it
  std::size_t best_start = 0;
  std::vector<double> start_energies;    // the best energy of each start
  std::size_t iterations = 0;            // over all starts
  std::size_t energy_evaluations = 0;    // E(θ) evaluations, with or without a gradient
  std::size_t gradient_evaluations = 0;  // adjoint sweeps
  bool converged = false;                // the best start stopped by a convergence test
  double time_s = 0;
};

/// Minimizes ⟨ψ(θ)|H|ψ(θ)⟩ over θ, with |ψ(θ)⟩ = ansatz(θ)|0…0⟩. The ansatz has trainable angles only
/// (bind feature-driven angles first); an initial state other than |0…0⟩ is a few gates at its front.
template <class Real = double, class Backend = cpu>
[[nodiscard]] vqe_result vqe_solve(const circuit& ansatz, const pauli_sum& h, const vqe_options& opt = {}) {
  static constexpr const char* where = "hqml::vqe_solve";
  const auto start_time = std::chrono::steady_clock::now();
  const std::size_t n = ansatz.num_qubits(), dim = ansatz.num_params();
  if (n == 0) throw std::invalid_argument(std::string(where) + ": the ansatz has no qubits");
  if (ansatz.num_features() > 0)
    throw std::invalid_argument(std::string(where) + ": the ansatz has " + std::to_string(ansatz.num_features()) +
                                " feature-driven angles (x); VQE optimizes trainable angles θ only");
  if (!ansatz.is_unitary())
    throw std::invalid_argument(std::string(where) + ": the ansatz measures or resets; VQE needs a unitary circuit");
  if (dim == 0) throw std::invalid_argument(std::string(where) + ": the ansatz has no trainable parameters");
  if (h.terms.empty()) throw std::invalid_argument(std::string(where) + ": the Hamiltonian has no terms");
  if (h.support_size() > n)
    throw std::invalid_argument(std::string(where) + ": the Hamiltonian acts on qubit " +
                                std::to_string(h.support_size() - 1) + " but the ansatz has " + std::to_string(n) +
                                " qubits");
  for (std::size_t t = 0; t < h.terms.size(); ++t)
    if (!std::isfinite(h.terms[t].first))
      throw std::invalid_argument(std::string(where) + ": the coefficient of term " + std::to_string(t) +
                                  " is not finite");
  if (!opt.initial_point.empty() && opt.initial_point.size() != dim)
    throw std::invalid_argument(std::string(where) + ": initial_point has " + std::to_string(opt.initial_point.size()) +
                                " values; the ansatz has " + std::to_string(dim) + " parameters");
  for (std::size_t k = 0; k < opt.initial_point.size(); ++k)
    if (!std::isfinite(opt.initial_point[k]))
      throw std::invalid_argument(std::string(where) + ": initial_point[" + std::to_string(k) + "] is not finite");
  if (opt.starts == 0) throw std::invalid_argument(std::string(where) + ": starts must be at least 1");
  if (!(opt.initial_range > 0) || !std::isfinite(opt.initial_range))
    throw std::invalid_argument(std::string(where) + ": initial_range must be positive and finite");

  vqe_result r;
  adjoint_options ao;
  ao.forward = opt.forward;
  std::optional<adjoint_differentiator<Real, Backend>> diff;
  std::optional<state_vector<Real, Backend>> psi;
  if (opt.optimizer == vqe_optimizer::spsa) {
    psi.emplace(n);
    psi->set_threads(opt.threads);
  } else {
    diff.emplace(ansatz, std::vector<pauli_sum>{h}, ao);
    diff->set_threads(opt.threads);
  }
  const auto energy = [&](std::span<const double> t) {
    ++r.energy_evaluations;
    psi->set_basis_state(0);
    psi->apply(ansatz, t, {}, opt.forward);
    return psi->expectation(h);
  };
  const auto energy_gradient = [&](std::span<const double> t, Eigen::VectorXd* grad) {
    ++r.energy_evaluations;
    const expectation_jacobian j = diff->evaluate(t);
    ++r.gradient_evaluations;
    if (grad) *grad = Eigen::Map<const Eigen::VectorXd>(j.jacobian.data(), static_cast<Eigen::Index>(dim));
    return j.values[0];
  };

  minimize_options mo;
  mo.max_iterations = opt.max_iterations;
  mo.tolerance = opt.tolerance;
  mo.callback = opt.callback;
  xoshiro256 rng(opt.seed);
  std::vector<double> x0(dim);
  for (std::size_t s = 0; s < opt.starts; ++s) {
    if (s == 0 && !opt.initial_point.empty()) {
      x0 = opt.initial_point;
    } else {
      for (auto& v : x0) v = (2 * rng.uniform() - 1) * opt.initial_range;
    }
    minimize_result m;
    switch (opt.optimizer) {
      case vqe_optimizer::bfgs:
        m = bfgs_minimize(energy_gradient, x0, opt.bfgs, mo);
        break;
      case vqe_optimizer::adam: {
        gradient_options g = opt.adam;
        g.adam = true;
        m = gradient_minimize(energy_gradient, x0, g, mo);
        break;
      }
      case vqe_optimizer::spsa: {
        spsa_options sp = opt.spsa;
        sp.seed = opt.spsa.seed ^ rng();  // a fresh perturbation stream per start and per seed
        m = spsa_minimize(energy, x0, sp, mo);
        break;
      }
    }
    r.iterations += m.iterations;
    r.start_energies.push_back(m.value);
    if (s == 0 || m.value < r.energy) {
      r.energy = m.value;
      r.parameters = std::move(m.x);
      r.history = std::move(m.history);
      r.best_start = s;
      r.converged = m.converged;
    }
  }
  r.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return r;
}

}  // namespace hqml
