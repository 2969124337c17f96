#pragma once
// Tabu search with one-flip moves, in the style of Palubeckis' multistart tabu search (MST,
// Ann. Oper. Res. 131:259, 2004): every move flips the variable with the best energy change
// among those not flipped in the last `tenure` moves (a tabu variable is allowed only when it
// gives a new best, the aspiration rule); a run ends after `stall` moves without improvement or
// `num_iterations` moves, and the next run starts from the best state so far with a random
// fraction of its variables flipped, so restarts explore around the elite solution instead of
// starting from scratch. Each read is an independent multistart search from a random state.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/read_driver.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/spin_kernel.hpp>

namespace hqml::anneal {

struct tabu_options : run_options {
  std::size_t num_iterations = 0;  // moves per restart; 0: 50 n, at least 10000
  std::size_t num_restarts = 10;   // tabu runs per read
  // 0: min(n / 2, max(10, n / 16)). Sparse unit-weight problems (Max-Cut) are full of zero-gain
  // plateaus that a short tenure walks in circles; n / 16 was best on Gset G14 and G22 (tried
  // n / 40 .. n / 3), and the cap keeps tiny problems from freezing.
  std::size_t tenure = 0;
  std::size_t stall = 0;           // moves without a new best that end a run; 0: 10 n, at least 2000
  double perturbation = 0.1;       // fraction of the elite state flipped before a restart
};

/// Moves per restart that these options give on n variables.
[[nodiscard]] inline std::size_t tabu_iterations(const tabu_options& opt, std::size_t n) noexcept {
  return opt.num_iterations ? opt.num_iterations : std::max<std::size_t>(10000, 50 * n);
}

namespace detail {

template <class Value>
read_result tabu_read(const ising_model& m, const spin_problem<Value>& p, const tabu_options& opt,
                      read_control& control) {
  const std::uint32_t n = p.n;
  xoshiro256ss rng(opt.seed, control.read());
  const std::size_t iterations = tabu_iterations(opt, n);
  const std::size_t tenure =
      opt.tenure ? opt.tenure : std::max<std::size_t>(1, std::min<std::size_t>(n / 2, std::max<std::size_t>(10, n / 16)));
  const std::size_t stall = opt.stall ? opt.stall : std::max<std::size_t>(2000, 10 * std::size_t(n));

  std::vector<std::int8_t> s(n);
  random_spins(rng, std::span<std::int8_t>(s));
  std::vector<Value> f(n);
  read_result out;
  out.state = s;
  double best = m.energy(std::span<const std::int8_t>(s));
  std::vector<std::size_t> tabu_until(n, 0);
  std::size_t moves = 0;
  bool stop = control.should_stop(best) || n == 0;
  for (std::size_t restart = 0; restart < opt.num_restarts && !stop; ++restart) {
    if (restart > 0) {
      s = out.state;
      for (std::uint32_t i = 0; i < n; ++i)
        if (rng.uniform() < opt.perturbation) s[i] = static_cast<std::int8_t>(-s[i]);
    }
    compute_fields(p, s.data(), f.data());
    double energy = m.energy(std::span<const std::int8_t>(s));
    std::fill(tabu_until.begin(), tabu_until.end(), 0);
    std::size_t since_best = 0;
    for (std::size_t it = 0; it < iterations && since_best < stall; ++it) {
      // Best k = s_i f_i (largest k is the most negative dE = -2 k unit); ties broken at random
      // so that plateaus are walked instead of cycled.
      const Value aspire_k = static_cast<Value>((energy - best) / (2.0 * p.unit));
      Value best_k = std::numeric_limits<Value>::lowest();
      std::uint32_t pick = n;
      std::uint32_t ties = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        const Value k = static_cast<Value>(s[i]) * f[i];
        const bool allowed = tabu_until[i] <= it || k > aspire_k;
        if (!allowed || k < best_k) continue;
        if (k > best_k) {
          best_k = k;
          pick = i;
          ties = 1;
        } else if (rng.below(++ties) == 0) {
          pick = i;
        }
      }
      if (pick == n) continue;  // everything tabu and nothing aspires: wait out the tenure
      energy += p.unit * static_cast<double>(flip(p, s.data(), f.data(), pick));
      tabu_until[pick] = it + tenure + 1;
      ++moves;
      if (energy < best) {
        best = energy;
        out.state = s;
        since_best = 0;
        control.report(best);
        if (control.should_stop(best)) {
          stop = true;
          break;
        }
      } else {
        ++since_best;
      }
      if ((it & 255) == 0 && control.should_stop(best)) {
        stop = true;
        break;
      }
    }
  }
  out.energy = m.energy(std::span<const std::int8_t>(out.state));
  out.spin_updates = moves * n;
  return out;
}

}  // namespace detail

/// Multistart tabu search on an Ising model; one sample (the best state found) per read.
[[nodiscard]] inline sample_set tabu_search(const ising_model& m, const tabu_options& opt = {}) {
  if (!(opt.perturbation >= 0.0 && opt.perturbation <= 1.0))
    throw std::invalid_argument("hqml::anneal: tabu perturbation must lie in [0, 1]");
  return visit_prepared(m, [&](const auto& p) {
    using value = std::remove_cvref_t<decltype(*p.h)>;
    return run_reads(m.num_variables(), opt, tabu_iterations(opt, m.num_variables()),
                     [&](std::size_t, read_control& c) { return detail::tabu_read<value>(m, p, opt, c); });
  });
}

[[nodiscard]] inline sample_set tabu_search(const qubo_model& q, const tabu_options& opt = {}) {
  return to_binary(tabu_search(to_ising(q), opt), &q);
}

}  // namespace hqml::anneal
