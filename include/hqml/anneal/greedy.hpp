#pragma once
// Greedy descent: flip any spin that lowers the energy until none does (a single-flip local
// minimum). Used to polish annealer output, whose last sweeps at finite beta can leave a few
// spins uphill, and as a baseline solver.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/spin_kernel.hpp>

namespace hqml::anneal {

/// Sequential first-improvement sweeps on prepared fields until a sweep flips nothing.
/// Returns the energy change in units. Sequential order keeps it deterministic and cheap: after
/// an anneal almost every spin is already stable and a sweep costs one comparison per spin.
template <class Value>
double greedy_descent(const spin_problem<Value>& p, std::int8_t* s, Value* f, std::size_t* flips = nullptr) {
  double de = 0.0;
  bool changed = true;
  std::size_t count = 0;
  while (changed) {
    changed = false;
    for (std::uint32_t i = 0; i < p.n; ++i) {
      if (static_cast<Value>(s[i]) * f[i] > 0) {  // dE = -2 s_i f_i < 0
        de += static_cast<double>(flip(p, s, f, i));
        changed = true;
        ++count;
      }
    }
  }
  if (flips) *flips = count;
  return de;
}

/// Descends from one spin state in place; returns the new energy.
inline double greedy_descent(const ising_model& m, std::span<std::int8_t> spins) {
  visit_prepared(m, [&](const auto& p) {
    using value = std::remove_cvref_t<decltype(*p.h)>;
    std::vector<value> f(p.n);
    compute_fields(p, spins.data(), f.data());
    greedy_descent(p, spins.data(), f.data());
    return 0;
  });
  return m.energy(std::span<const std::int8_t>(spins));
}

/// Descends from every state of a sample set over spins; returns the polished, re-aggregated set. Reads
/// whose states the set's limits dropped still count, at their unpolished energies.
[[nodiscard]] inline sample_set greedy_descent(const ising_model& m, const sample_set& in) {
  sample_set out(in.num_variables(), vartype::spin, in.limits());
  for (std::size_t k = 0; k < in.size(); ++k) {
    std::vector<std::int8_t> s(in.state(k).begin(), in.state(k).end());
    const double e = greedy_descent(m, std::span<std::int8_t>(s));
    out.add(s, e, in.occurrences()[k]);
  }
  out.add_reads_not_kept(in);
  out.aggregate();
  out.num_reads = in.num_reads;
  out.num_sweeps = in.num_sweeps;
  out.spin_updates = in.spin_updates;
  out.time_s = in.time_s;
  out.time_to_best_s = in.time_to_best_s;
  out.stopped = in.stopped;
  return out;
}

}  // namespace hqml::anneal
