// anneal::solve and the solver name table: solve() runs the solver named with that solver's own options (the
// same samples as calling it directly), and every name parses back to its solver.
#include <catch2/catch.hpp>

#include "brute_force.hpp"

#include <hqml/anneal/solve.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace hqml::anneal;

namespace {

/// Every field a solver's result is fixed by (the timings are not).
void check_same_samples(const sample_set& got, const sample_set& want) {
  CHECK(got.type() == want.type());
  CHECK(got.num_variables() == want.num_variables());
  CHECK(std::ranges::equal(got.energies(), want.energies()));
  CHECK(std::ranges::equal(got.occurrences(), want.occurrences()));
  CHECK(std::ranges::equal(got.states(), want.states()));
  CHECK(got.energy_counts() == want.energy_counts());
  CHECK(got.num_reads == want.num_reads);
  CHECK(got.num_sweeps == want.num_sweeps);
  CHECK(got.spin_updates == want.spin_updates);
  CHECK(got.stopped == want.stopped);
}

/// Short runs with a different seed and length for each solver, so that handing a solver another's options, or
/// running another solver, gives other samples.
solve_options short_runs() {
  solve_options o;
  o.sa.num_reads = 12;
  o.sa.num_sweeps = 3;
  o.sa.seed = 11;
  o.pt.num_reads = 6;
  o.pt.num_sweeps = 5;
  o.pt.num_replicas = 4;
  o.pt.seed = 12;
  o.tabu.num_reads = 5;
  o.tabu.num_iterations = 7;
  o.tabu.num_restarts = 2;
  o.tabu.seed = 13;
  return o;
}

}  // namespace

TEST_CASE("solve runs the solver named with its own options", "[anneal][solve]") {
  const ising_model m = testing::random_glass(12, 0.5, 5, false);
  const solve_options o = short_runs();
  const sample_set sa = solve(m, solver::sa, o);
  check_same_samples(sa, simulated_annealing(m, o.sa));
  const sample_set pt = solve(m, solver::pt, o);
  check_same_samples(pt, parallel_tempering(m, o.pt));
  const sample_set tabu = solve(m, solver::tabu, o);
  check_same_samples(tabu, tabu_search(m, o.tabu));
  // The three runs differ, so the checks above tell the solvers apart.
  CHECK(std::set<std::size_t>{sa.num_sweeps, pt.num_sweeps, tabu.num_sweeps}.size() == 3);
  CHECK(std::set<std::size_t>{sa.num_reads, pt.num_reads, tabu.num_reads}.size() == 3);
}

TEST_CASE("solve on a QUBO gives bits and the QUBO's energies, as each solver does", "[anneal][solve]") {
  const qubo_model q(4, {1.0, -2.0, 0.5, -1.0}, {{0, 1, 3.0}, {1, 2, -1.5}, {2, 3, 2.0}, {0, 3, -0.5}}, 0.25);
  const solve_options o = short_runs();
  const sample_set sa = solve(q, solver::sa, o);
  CHECK(sa.type() == vartype::binary);
  check_same_samples(sa, simulated_annealing(q, o.sa));
  check_same_samples(solve(q, solver::pt, o), parallel_tempering(q, o.pt));
  check_same_samples(solve(q, solver::tabu, o), tabu_search(q, o.tabu));
}

TEST_CASE("solver names: one per solver, each parses back", "[anneal][solve]") {
  std::set<std::string_view> names;
  for (const auto& [s, name] : solver_names) {
    CHECK(to_string(s) == name);
    CHECK(parse_solver(name) == s);
    names.insert(name);
  }
  CHECK(names.size() == solver_names.size());
  CHECK(to_string(solver::sa) == "sa");
  CHECK(to_string(solver::pt) == "pt");
  CHECK(to_string(solver::tabu) == "tabu");
}

TEST_CASE("parse_solver refuses an unknown name and lists the valid ones", "[anneal][solve]") {
  for (const char* bad : {"simplex", "", "SA", "sa ", "qaoa"}) {
    CAPTURE(bad);
    try {
      (void)parse_solver(bad);
      FAIL("parse_solver accepted '" << bad << "'");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK(what.find("'" + std::string(bad) + "'") != std::string::npos);
      CHECK(what.find("valid names: sa, pt, tabu") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(to_string(static_cast<solver>(7)), std::invalid_argument);
}
