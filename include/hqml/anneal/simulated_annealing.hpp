#pragma once
// Simulated annealing by single spin flips: Metropolis or Gibbs acceptance, sequential or random
// update order, geometric or linear beta schedule (default range as dwave-samplers computes it).
// Reads run in parallel over OpenMP threads; see read_driver.hpp for why results depend on the
// seed only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <hqml/anneal/beta_schedule.hpp>
#include <hqml/anneal/greedy.hpp>
#include <hqml/anneal/model.hpp>
#include <hqml/anneal/read_driver.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/spin_kernel.hpp>
#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>

namespace hqml::anneal {

struct sa_options : run_options {
  std::size_t num_sweeps = 1000;      // per read
  std::size_t sweeps_per_beta = 1;
  schedule_kind schedule = schedule_kind::geometric;
  std::optional<beta_range> betas;    // default: default_beta_range(model)
  std::vector<double> beta_schedule;  // if set: used as is, num_sweeps = size * sweeps_per_beta
  acceptance_rule rule = acceptance_rule::metropolis;
  update_order order = update_order::sequential;
  bool greedy_postprocess = false;    // descend to a local minimum after the anneal
};

namespace detail {

/// One read of annealing on a prepared problem: random start, then the schedule.
template <acceptance_rule Rule, update_order Order, class Value>
read_result anneal_read(const ising_model& m, const spin_problem<Value>& p, const beta_sequence& betas,
                        const sa_options& opt, read_control& control) {
  xoshiro256ss rng(opt.seed, control.read());
  read_result out;
  out.state.resize(p.n);
  random_spins(rng, std::span<std::int8_t>(out.state));
  std::vector<Value> f(p.n);
  compute_fields(p, out.state.data(), f.data());
  const double unit = p.unit;
  double energy = m.energy(std::span<const std::int8_t>(out.state));
  acceptor<Rule, Value> accept(p.max_field, p.unit);
  std::size_t sweeps = 0;
  bool stop = control.should_stop(energy);
  for (std::size_t b = 0; b < betas.size() && !stop; ++b) {
    accept.set_beta(betas[b]);
    for (std::size_t k = 0; k < opt.sweeps_per_beta; ++k) {
      energy += unit * sweep<Rule, Order>(p, out.state.data(), f.data(), accept, rng);
      ++sweeps;
      if (control.should_stop(energy)) {
        stop = true;
        break;
      }
    }
  }
  if (opt.greedy_postprocess) greedy_descent(p, out.state.data(), f.data());
  out.energy = m.energy(std::span<const std::int8_t>(out.state));  // exact, free of drift
  out.spin_updates = sweeps * p.n;
  return out;
}

template <class Value>
sample_set anneal_prepared(const ising_model& m, const spin_problem<Value>& p, const beta_sequence& betas,
                           const sa_options& opt) {
  auto run = [&](auto rule, auto order) {
    constexpr acceptance_rule R = decltype(rule)::value;
    constexpr update_order O = decltype(order)::value;
    return run_reads(m.num_variables(), opt, betas.size() * opt.sweeps_per_beta,
                     [&](std::size_t, read_control& c) { return anneal_read<R, O, Value>(m, p, betas, opt, c); });
  };
  using metropolis = std::integral_constant<acceptance_rule, acceptance_rule::metropolis>;
  using gibbs = std::integral_constant<acceptance_rule, acceptance_rule::gibbs>;
  using sequential = std::integral_constant<update_order, update_order::sequential>;
  using random = std::integral_constant<update_order, update_order::random>;
  if (opt.rule == acceptance_rule::metropolis)
    return opt.order == update_order::sequential ? run(metropolis{}, sequential{}) : run(metropolis{}, random{});
  return opt.order == update_order::sequential ? run(gibbs{}, sequential{}) : run(gibbs{}, random{});
}

/// The beta schedule a run with these options uses on this model, computed as the sweeps ask for it (a
/// view of opt.beta_schedule when that is given).
[[nodiscard]] inline beta_sequence resolve_beta_sequence(const ising_model& m, const sa_options& opt) {
  if (opt.sweeps_per_beta == 0) throw std::invalid_argument("hqml::anneal: sweeps_per_beta must be positive");
  if (!opt.beta_schedule.empty()) {
    for (double b : opt.beta_schedule)
      if (!(b >= 0.0)) throw std::invalid_argument("hqml::anneal: beta schedule values must be non-negative");
    return beta_sequence(std::span<const double>(opt.beta_schedule));
  }
  if (opt.num_sweeps % opt.sweeps_per_beta != 0)
    throw std::invalid_argument("hqml::anneal: num_sweeps must be a multiple of sweeps_per_beta");
  const beta_range range = opt.betas ? *opt.betas : default_beta_range(m);
  return {range, opt.num_sweeps / opt.sweeps_per_beta, opt.schedule};
}

}  // namespace detail

/// The beta schedule a run with these options uses on this model, one value per beta (num_sweeps /
/// sweeps_per_beta of them).
[[nodiscard]] inline std::vector<double> resolve_beta_schedule(const ising_model& m, const sa_options& opt) {
  const beta_sequence seq = detail::resolve_beta_sequence(m, opt);
  std::vector<double> betas(seq.size());
  for (std::size_t k = 0; k < betas.size(); ++k) betas[k] = seq[k];
  return betas;
}

/// Simulated annealing on an Ising model; samples are spins. The schedule is never stored, so memory does
/// not grow with num_sweeps.
[[nodiscard]] inline sample_set simulated_annealing(const ising_model& m, const sa_options& opt = {}) {
  const beta_sequence betas = detail::resolve_beta_sequence(m, opt);
  return visit_prepared(m, [&](const auto& p) { return detail::anneal_prepared(m, p, betas, opt); });
}

/// Simulated annealing on a QUBO (solved in Ising form); samples are bits, energies the QUBO's.
[[nodiscard]] inline sample_set simulated_annealing(const qubo_model& q, const sa_options& opt = {}) {
  return to_binary(simulated_annealing(to_ising(q), opt), &q);
}

namespace detail {

/// The CUDA backend's simulated annealing for host code: declared here, defined in <hqml/cuda/anneal.cuh> and
/// compiled into hqml::cuda. (A template only so that every nvcc unit of a header-only user may define it.)
template <class = void>
struct cuda_simulated_annealing {
  static sample_set run(const ising_model& m, const sa_options& opt);
};

}  // namespace detail

/// Simulated annealing on Backend. hqml::cpu is simulated_annealing(m, opt) above. hqml::cuda (host code links
/// hqml::cuda) anneals one GPU replica per read, every sweep of each (hqml::gpu::simulated_annealing): it needs
/// num_reads > 0 and runs either acceptance rule (the CPU's flip decision, <hqml/kernels/anneal_step.hpp>) in
/// sequential order without greedy post-processing, no time limit or target energy; other options are refused
/// with std::invalid_argument, never ignored. on_improvement and on_progress are called once, when all replicas
/// have finished.
template <class Backend>
[[nodiscard]] sample_set simulated_annealing(const ising_model& m, const sa_options& opt = {}) {
  if constexpr (std::is_same_v<Backend, cuda>) {
    return detail::cuda_simulated_annealing<>::run(m, opt);
  } else {
    static_assert(std::is_same_v<Backend, cpu>, "simulated_annealing: the backend is hqml::cpu or hqml::cuda");
    return simulated_annealing(m, opt);
  }
}

/// The same on a QUBO (solved in Ising form); samples are bits, energies the QUBO's.
template <class Backend>
[[nodiscard]] sample_set simulated_annealing(const qubo_model& q, const sa_options& opt = {}) {
  return to_binary(simulated_annealing<Backend>(to_ising(q), opt), &q);
}

}  // namespace hqml::anneal
