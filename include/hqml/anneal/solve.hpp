#pragma once
// The CPU annealers by name: one enum, one table of names (what a program offers as choices and parses), and
// solve(), which runs the solver named with its own options. QAOA (hqml/qaoa.hpp) is not here: it needs the
// state-vector simulator, and it returns its optimized angles besides the samples.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/parallel_tempering.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/anneal/tabu.hpp>
#include <hqml/name_table.hpp>

namespace hqml::anneal {

enum class solver : std::uint8_t { sa, pt, tabu };

/// Every solver and its name, in the order a program lists them.
inline constexpr name_table<solver, 3> solver_names{{
    {solver::sa, "sa"},
    {solver::pt, "pt"},
    {solver::tabu, "tabu"},
}};

[[nodiscard]] constexpr std::string_view to_string(solver s) {
  return name_in(solver_names, s, "hqml::anneal::to_string", "solver");
}

/// The solver called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline solver parse_solver(std::string_view name) {
  return parse_in(solver_names, name, "hqml::anneal::parse_solver", "solver");
}

/// Each solver's options; solve() reads only those of the solver it runs.
struct solve_options {
  sa_options sa;
  pt_options pt;
  tabu_options tabu;
};

/// Runs solver s on m with its options in opt: simulated_annealing, parallel_tempering or tabu_search.
[[nodiscard]] inline sample_set solve(const ising_model& m, solver s, const solve_options& opt = {}) {
  switch (s) {
    case solver::sa:
      return simulated_annealing(m, opt.sa);
    case solver::pt:
      return parallel_tempering(m, opt.pt);
    case solver::tabu:
      return tabu_search(m, opt.tabu);
  }
  throw std::invalid_argument("hqml::anneal::solve: solver value " + std::to_string(static_cast<int>(s)) +
                              " is none of solver_names");
}

/// The same on a QUBO (solved in Ising form); samples are bits, energies the QUBO's.
[[nodiscard]] inline sample_set solve(const qubo_model& q, solver s, const solve_options& opt = {}) {
  return to_binary(solve(to_ising(q), s, opt), &q);
}

}  // namespace hqml::anneal
