#pragma once
// Parallel tempering (replica exchange Monte Carlo) with an adaptive temperature set.
//
// R replicas sweep at fixed betas beta_0 < ... < beta_{R-1}; after every round neighbouring
// temperatures swap configurations with probability min(1, exp((b_k - b_{k+1})(E_k - E_{k+1}))),
// even pairs on even rounds and odd pairs on odd rounds. During the first part of the run the
// inner betas move so that every pair's swap rate tends to the same value (a pair that rarely
// swaps has too wide a gap), then they freeze, so the production part is a plain, correct
// replica-exchange chain. Each read returns the lowest-energy state any replica visited.
//
// Determinism: replica r of read t draws from xoshiro256ss(seed, t * 2^16 + r) and swaps from
// stream t * 2^16 + 0xFFFF, so replicas may sweep on different threads with the same result.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include <hqml/anneal/beta_schedule.hpp>
#include <hqml/anneal/greedy.hpp>
#include <hqml/anneal/model.hpp>
#include <hqml/anneal/read_driver.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/spin_kernel.hpp>

namespace hqml::anneal {

struct pt_options : run_options {
  std::size_t num_replicas = 16;
  std::size_t num_sweeps = 1000;        // rounds; each replica sweeps once per round
  std::optional<beta_range> betas;      // default: default_beta_range(model)
  bool adaptive = true;
  double adapt_fraction = 0.25;         // share of the rounds during which betas adapt
  std::size_t adapt_window = 20;        // rounds between two adjustments
  acceptance_rule rule = acceptance_rule::metropolis;
  bool greedy_postprocess = false;
};

/// Moves the inner betas of `betas` (sorted, ends fixed) so that pairs with low swap rates get
/// narrower gaps, in log-beta space. Exposed for testing.
inline void adapt_betas(std::vector<double>& betas, std::span<const double> swap_rate) {
  const std::size_t r = betas.size();
  if (r < 3) return;
  std::vector<double> gap(r - 1);
  double total = 0.0, new_total = 0.0;
  for (std::size_t k = 0; k + 1 < r; ++k) {
    gap[k] = std::log(betas[k + 1] / betas[k]);
    total += gap[k];
    // The floor keeps a pair that never swapped from collapsing to zero width in one step.
    gap[k] *= std::max(swap_rate[k], 0.0) + 0.05;
    new_total += gap[k];
  }
  if (!(new_total > 0.0)) return;
  double acc = std::log(betas.front());
  for (std::size_t k = 0; k + 2 < r; ++k) {
    acc += gap[k] * total / new_total;
    betas[k + 1] = std::exp(acc);
  }
}

namespace detail {

template <acceptance_rule Rule, class Value>
read_result tempering_read(const ising_model& m, const spin_problem<Value>& p, const pt_options& opt, beta_range range,
                           [[maybe_unused]] int inner_threads, read_control& control) {  // unused without OpenMP
  const std::size_t R = opt.num_replicas;
  const std::size_t n = p.n;
  const std::uint64_t base = static_cast<std::uint64_t>(control.read()) << 16;
  std::vector<double> betas = make_beta_schedule(range, R, schedule_kind::geometric);
  if (R == 1) betas[0] = range.cold;

  struct replica {
    std::vector<std::int8_t> s;
    std::vector<Value> f;
    double energy = 0.0;
    xoshiro256ss rng;
  };
  std::vector<replica> reps(R);
  for (std::size_t r = 0; r < R; ++r) {
    reps[r].rng = xoshiro256ss(opt.seed, base + r);
    reps[r].s.resize(n);
    reps[r].f.resize(n);
    random_spins(reps[r].rng, std::span<std::int8_t>(reps[r].s));
    compute_fields(p, reps[r].s.data(), reps[r].f.data());
    reps[r].energy = m.energy(std::span<const std::int8_t>(reps[r].s));
  }
  xoshiro256ss swap_rng(opt.seed, base + 0xFFFF);
  std::vector<std::size_t> at(R);  // at[k]: replica currently at temperature k
  std::iota(at.begin(), at.end(), std::size_t{0});
  std::vector<acceptor<Rule, Value>> accept;
  accept.reserve(R);
  for (std::size_t k = 0; k < R; ++k) {
    accept.emplace_back(p.max_field, p.unit);
    accept.back().set_beta(betas[k]);
  }

  read_result out;
  std::size_t best_rep = 0;
  for (std::size_t r = 1; r < R; ++r)
    if (reps[r].energy < reps[best_rep].energy) best_rep = r;
  out.state = reps[best_rep].s;
  double best = reps[best_rep].energy;

  const auto adapt_rounds =
      opt.adaptive ? static_cast<std::size_t>(opt.adapt_fraction * static_cast<double>(opt.num_sweeps)) : 0;
  std::vector<double> tried(R, 0.0), swapped(R, 0.0);
  std::size_t rounds = 0;
  const auto nrep = static_cast<std::ptrdiff_t>(R);
  bool stop = control.should_stop(best);
  for (std::size_t round = 0; round < opt.num_sweeps && !stop; ++round) {
#pragma omp parallel for num_threads(inner_threads) schedule(static) if (inner_threads > 1)
    for (std::ptrdiff_t k = 0; k < nrep; ++k) {
      replica& rep = reps[at[static_cast<std::size_t>(k)]];
      rep.energy += p.unit * sweep<Rule, update_order::sequential>(p, rep.s.data(), rep.f.data(),
                                                                   accept[static_cast<std::size_t>(k)], rep.rng);
    }
    ++rounds;
    bool improved = false;
    for (std::size_t r = 0; r < R; ++r)
      if (reps[r].energy < best) {
        best = reps[r].energy;
        out.state = reps[r].s;
        improved = true;
      }
    if (improved) control.report(best);
    for (std::size_t k = round % 2; k + 1 < R; k += 2) {
      const double x = (betas[k] - betas[k + 1]) * (reps[at[k]].energy - reps[at[k + 1]].energy);
      const bool ok = x >= 0.0 || swap_rng.uniform() < std::exp(x);
      tried[k] += 1.0;
      if (ok) {
        swapped[k] += 1.0;
        std::swap(at[k], at[k + 1]);
      }
    }
    if (round < adapt_rounds && (round + 1) % std::max<std::size_t>(opt.adapt_window, 2) == 0) {
      std::vector<double> rate(R - 1, 0.0);
      for (std::size_t k = 0; k + 1 < R; ++k) rate[k] = tried[k] > 0 ? swapped[k] / tried[k] : 0.0;
      adapt_betas(betas, rate);
      for (std::size_t k = 0; k < R; ++k) accept[k].set_beta(betas[k]);
      std::fill(tried.begin(), tried.end(), 0.0);
      std::fill(swapped.begin(), swapped.end(), 0.0);
    }
    stop = control.should_stop(best);
  }
  if (opt.greedy_postprocess) {
    std::vector<Value> f(n);
    compute_fields(p, out.state.data(), f.data());
    greedy_descent(p, out.state.data(), f.data());
  }
  out.energy = m.energy(std::span<const std::int8_t>(out.state));
  out.spin_updates = rounds * R * n;
  return out;
}

}  // namespace detail

/// Parallel tempering on an Ising model; one sample (the best state seen) per read.
[[nodiscard]] inline sample_set parallel_tempering(const ising_model& m, const pt_options& opt = {}) {
  if (opt.num_replicas == 0 || opt.num_replicas > 0xFFFE)
    throw std::invalid_argument("hqml::anneal: parallel tempering needs 1 to 65534 replicas");
  const beta_range range = opt.betas ? *opt.betas : default_beta_range(m);
  if (!(range.hot > 0.0 && range.cold > 0.0)) throw std::invalid_argument("hqml::anneal: betas must be positive");
  const int threads = resolve_threads(opt.num_threads);
  // Spread threads over reads when there are enough of them, otherwise over the replicas of each
  // read (one read at a time); either way the arithmetic of every read is the same.
  const bool over_reads = opt.num_reads == 0 || opt.num_reads >= static_cast<std::size_t>(threads);
  pt_options outer = opt;
  outer.num_threads = over_reads ? threads : 1;
  const int inner = over_reads ? 1 : threads;
  return visit_prepared(m, [&](const auto& p) {
    using value = std::remove_cvref_t<decltype(*p.h)>;
    return run_reads(m.num_variables(), outer, opt.num_sweeps, [&](std::size_t, read_control& c) {
      if (opt.rule == acceptance_rule::metropolis)
        return detail::tempering_read<acceptance_rule::metropolis, value>(m, p, opt, range, inner, c);
      return detail::tempering_read<acceptance_rule::gibbs, value>(m, p, opt, range, inner, c);
    });
  });
}

[[nodiscard]] inline sample_set parallel_tempering(const qubo_model& q, const pt_options& opt = {}) {
  return to_binary(parallel_tempering(to_ising(q), opt), &q);
}

}  // namespace hqml::anneal
