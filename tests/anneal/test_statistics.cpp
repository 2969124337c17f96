// Metropolis and Gibbs at fixed beta sample the Boltzmann distribution: chi-squared against the
// exact distribution of a 4-spin model, for every rule, order and number type.
#include <catch2/catch.hpp>

#include "brute_force.hpp"

#include <hqml/anneal/simulated_annealing.hpp>

#include <cmath>
#include <map>
#include <vector>

using namespace hqml::anneal;
using namespace hqml::anneal::testing;

namespace {

// Pearson's statistic over bins with expected count >= 5 (the rest pooled); returns {stat, dof}.
std::pair<double, int> chi_squared(const std::vector<double>& expected, const std::vector<double>& observed) {
  double stat = 0.0, pooled_e = 0.0, pooled_o = 0.0;
  int bins = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    if (expected[k] < 5.0) {
      pooled_e += expected[k];
      pooled_o += observed[k];
      continue;
    }
    stat += (observed[k] - expected[k]) * (observed[k] - expected[k]) / expected[k];
    ++bins;
  }
  if (pooled_e > 0.0) {
    stat += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e;
    ++bins;
  }
  return {stat, bins - 1};
}

// Upper 0.1% point of chi-squared by the Wilson-Hilferty approximation (good to ~1% here).
double chi2_critical(int dof) {
  const double z = 3.090232;  // one-sided 0.999 normal quantile
  const double k = dof;
  const double t = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * t * t * t;
}

}  // namespace

TEST_CASE("fixed-beta Metropolis and Gibbs sample the Boltzmann distribution", "[anneal][statistics]") {
  // Quarter-integer coefficients take the lattice path; the irrational twin takes the real path.
  const ising_model lattice(4, {0.25, -0.5, 0.0, 0.75}, {{0, 1, 1.0}, {1, 2, -0.75}, {2, 3, 0.5}, {0, 3, -0.25}, {0, 2, 0.5}});
  const ising_model real(4, {0.25 * std::sqrt(2.0), -0.5, 0.1, 0.7}, {{0, 1, 1.0}, {1, 2, -0.7}, {2, 3, 0.5}, {0, 3, -0.3}, {0, 2, std::sqrt(0.3)}});
  REQUIRE(lattice_unit(lattice) == 0.25);
  REQUIRE(lattice_unit(real) == 0.0);
  const double beta = 0.8;
  const std::size_t reads = 16000;
  for (const ising_model* m : {&lattice, &real}) {
    const auto energies = all_energies(*m);
    double z = 0.0;
    for (double e : energies) z += std::exp(-beta * e);
    std::vector<double> expected(energies.size());
    for (std::size_t b = 0; b < energies.size(); ++b) expected[b] = static_cast<double>(reads) * std::exp(-beta * energies[b]) / z;
    for (auto rule : {acceptance_rule::metropolis, acceptance_rule::gibbs})
      for (auto order : {update_order::sequential, update_order::random}) {
        sa_options o;
        o.num_reads = reads;
        o.beta_schedule.assign(60, beta);  // 60 sweeps at a fixed beta: random order mixes by ~50
        o.rule = rule;
        o.order = order;
        o.seed = 2024;
        const auto s = simulated_annealing(*m, o);
        std::vector<double> observed(energies.size(), 0.0);
        for (std::size_t k = 0; k < s.size(); ++k) {
          std::uint32_t b = 0;
          for (std::size_t i = 0; i < 4; ++i)
            if (s.state(k)[i] > 0) b |= 1u << i;
          observed[b] += static_cast<double>(s.occurrences()[k]);
        }
        const auto [stat, dof] = chi_squared(expected, observed);
        CAPTURE(m == &lattice, int(rule), int(order), stat, dof);
        CHECK(stat < chi2_critical(dof));
      }
  }
}

TEST_CASE("a wrong temperature is detected by the same test", "[anneal][statistics]") {
  // Guards the test itself: sampling at beta 1.2 must fail against the beta 0.8 distribution.
  const ising_model m(4, {0.25, -0.5, 0.0, 0.75}, {{0, 1, 1.0}, {1, 2, -0.75}, {2, 3, 0.5}, {0, 3, -0.25}, {0, 2, 0.5}});
  const auto energies = all_energies(m);
  double z = 0.0;
  for (double e : energies) z += std::exp(-0.8 * e);
  std::vector<double> expected(energies.size());
  for (std::size_t b = 0; b < energies.size(); ++b) expected[b] = 16000.0 * std::exp(-0.8 * energies[b]) / z;
  sa_options o;
  o.num_reads = 16000;
  o.beta_schedule.assign(60, 1.2);
  o.seed = 2024;
  const auto s = simulated_annealing(m, o);
  std::vector<double> observed(energies.size(), 0.0);
  for (std::size_t k = 0; k < s.size(); ++k) {
    std::uint32_t b = 0;
    for (std::size_t i = 0; i < 4; ++i)
      if (s.state(k)[i] > 0) b |= 1u << i;
    observed[b] += static_cast<double>(s.occurrences()[k]);
  }
  const auto [stat, dof] = chi_squared(expected, observed);
  CHECK(stat > chi2_critical(dof));
}
