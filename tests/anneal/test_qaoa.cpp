// QAOA on Ising models against published optima (Farhi, Goldstone & Gutmann 2014), exhaustive search, and the
// model's own energies; BFGS on a textbook function.
#include <catch2/catch.hpp>

#include "brute_force.hpp"
#include "common/backends.hpp"

#include <hqml/qaoa.hpp>

#include <cmath>
#include <vector>

namespace qaoa_test {

using namespace hqml;

inline anneal::ising_model ring(std::uint32_t n) {
  std::vector<anneal::coupling> e;
  for (std::uint32_t i = 0; i < n; ++i) e.push_back({i, (i + 1) % n, 1.0});
  return {n, {}, e};
}

/// The 3-cube: 3-regular, 8 vertices, 12 edges, no triangles.
inline anneal::ising_model cube() {
  std::vector<anneal::coupling> e;
  for (std::uint32_t v = 0; v < 8; ++v)
    for (std::uint32_t b = 0; b < 3; ++b)
      if (v < (v ^ (1u << b))) e.push_back({v, v ^ (1u << b), 1.0});
  return {8, {}, e};
}

template <class State>
double qaoa_tolerance() {
  return std::is_same_v<typename State::real_type, float> ? 2e-4 : 1e-8;
}

}  // namespace qaoa_test

using namespace qaoa_test;

// CPU-only cases; the GPU twin (tests/cuda/test_anneal.cu) runs the templated one on its backend.
#if !defined(HQML_TEST_CUDA)
TEST_CASE("the QAOA cost Hamiltonian is the model's energy on every basis state", "[qaoa]") {
  const anneal::ising_model m = anneal::testing::random_glass(7, 0.6, 11, false);
  const anneal::ising_model shifted(7, std::vector<double>(m.linear().begin(), m.linear().end()),
                                    std::vector<anneal::coupling>(m.couplings().begin(), m.couplings().end()), 2.5);
  const pauli_sum h = ising_hamiltonian(shifted);
  state_vector<double> psi(7);
  std::vector<std::int8_t> s(7);
  for (std::uint64_t b = 0; b < 128; ++b) {
    psi.set_basis_state(b);
    for (std::size_t i = 0; i < 7; ++i) s[i] = ((b >> i) & 1u) ? std::int8_t{-1} : std::int8_t{1};
    REQUIRE(psi.expectation(h) == Approx(shifted.energy(s)).margin(1e-12));
  }
  const circuit c = qaoa_circuit(m, 2);
  REQUIRE(c.num_qubits() == 7);
  REQUIRE(c.num_params() == 4);
}

#endif

TEMPLATE_LIST_TEST_CASE("QAOA reaches the published optima of the ring and the 3-cube", "[qaoa]",
                        hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  using backend = typename state::backend_type;
  const double tol = qaoa_tolerance<state>();
  // Ring of disagrees (Max-Cut of an n-cycle, n > 2p + 1): the optimal expected cut is n(2p + 1)/(2p + 2),
  // i.e. ⟨H_C⟩ = Σ ⟨Z_i Z_j⟩ = −n p/(p + 1).
  qaoa_options o;
  o.layers = 3;
  const auto r = qaoa_solve<real, backend>(ring(10), o);
  REQUIRE(r.layer_expectations.size() == 3);
  for (std::size_t p = 1; p <= 3; ++p) {
    INFO("p = " << p);
    REQUIRE(r.layer_expectations[p - 1] == Approx(-10.0 * double(p) / double(p + 1)).margin(tol));
  }
  REQUIRE(r.expectation == r.layer_expectations.back());
  REQUIRE(r.gamma.size() == 3);
  REQUIRE(r.beta.size() == 3);
  // The angles reproduce the expectation.
  state psi(10);
  std::vector<double> theta(r.gamma);
  theta.insert(theta.end(), r.beta.begin(), r.beta.end());
  psi.apply(qaoa_circuit(ring(10), 3), theta);
  REQUIRE(psi.expectation(ising_hamiltonian(ring(10))) == Approx(r.expectation).margin(10 * tol));
  // p = 1 on a triangle-free 3-regular graph: 1/2 + 1/(3√3) of the edges cut in expectation.
  const auto c = qaoa_solve<real, backend>(cube(), {});
  REQUIRE(c.expectation == Approx(-12.0 * 2.0 / (3.0 * std::sqrt(3.0))).margin(tol));
  REQUIRE(c.gradient_evaluations < (std::is_same_v<real, float> ? 200u : 40u));  // BFGS on exact gradients
}

#if !defined(HQML_TEST_CUDA)
TEST_CASE("QAOA samples are scored by the model and find the ground state of a small glass", "[qaoa]") {
  const anneal::ising_model m = anneal::testing::random_glass(8, 0.7, 5, false);
  const double ground = anneal::testing::ground_energy(m);
  qaoa_options o;
  o.layers = 4;
  o.shots = 2000;
  o.seed = 9;
  const auto r = qaoa_solve(m, o);
  REQUIRE(r.expectation >= ground - 1e-12);  // variational bound
  for (std::size_t p = 1; p < r.layer_expectations.size(); ++p)
    REQUIRE(r.layer_expectations[p] <= r.layer_expectations[p - 1] + 1e-9);  // INTERP starts from the last optimum
  REQUIRE(r.samples.total_occurrences() == 2000);
  REQUIRE(r.samples.num_reads == 2000);
  for (std::size_t k = 0; k < r.samples.size(); ++k)
    REQUIRE(r.samples.energies()[k] == Approx(m.energy(r.samples.state(k))));
  REQUIRE(r.samples.best_energy() == Approx(ground));
  // The samples follow the state: their mean energy is ⟨H_C⟩ within sampling error.
  double var = 0;
  for (std::size_t k = 0; k < r.samples.size(); ++k)
    var += double(r.samples.occurrences()[k]) * std::pow(r.samples.energies()[k] - r.expectation, 2);
  const double stderr_mean = std::sqrt(var / 2000.0 / 2000.0);
  REQUIRE(std::abs(r.samples.mean_energy() - r.expectation) < 5 * stderr_mean);
  // Same seed, same samples.
  const auto again = qaoa_solve(m, o);
  REQUIRE(std::vector<double>(again.samples.energies().begin(), again.samples.energies().end()) ==
          std::vector<double>(r.samples.energies().begin(), r.samples.energies().end()));
}

TEST_CASE("QAOA refuses bad input", "[qaoa][errors]") {
  REQUIRE_THROWS_WITH(qaoa_circuit(ring(4), 0), Catch::Contains("layers must be at least 1"));
  REQUIRE_THROWS_WITH(qaoa_circuit(anneal::ising_model(0, {}, {}), 1), Catch::Contains("0 variables"));
  qaoa_options o;
  o.grid = 0;
  REQUIRE_THROWS_WITH(qaoa_solve(ring(4), o), Catch::Contains("grid must be at least 1"));
  o.grid = 4;
  o.layers = 0;
  REQUIRE_THROWS_WITH(qaoa_solve(ring(4), o), Catch::Contains("layers must be at least 1"));
  REQUIRE_THROWS_WITH(ising_hamiltonian(anneal::ising_model(70, {}, {{0, 69, 1.0}})), Catch::Contains("70 variables"));
  REQUIRE_THROWS_AS(qaoa_solve(anneal::ising_model(50, {}, {{0, 49, 1.0}})), hqml::out_of_memory);
  // A model without terms: every angle is optimal, every sample has the offset's energy.
  const auto flat = qaoa_solve(anneal::ising_model(3, {}, {}, 1.5));
  REQUIRE(flat.expectation == Approx(1.5));
  REQUIRE(flat.samples.best_energy() == 1.5);
}

TEST_CASE("BFGS minimizes the Rosenbrock function from the textbook start", "[optimizers]") {
  const auto fg = [](std::span<const double> x, Eigen::VectorXd* g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    if (g) {
      g->resize(2);
      (*g)(0) = -2 * a - 400 * x[0] * b;
      (*g)(1) = 200 * b;
    }
    return a * a + 100 * b * b;
  };
  minimize_options mo;
  mo.max_iterations = 200;
  const auto r = bfgs_minimize(fg, std::vector<double>{-1.2, 1.0}, {}, mo);
  REQUIRE(r.converged);
  REQUIRE(r.x[0] == Approx(1.0).margin(1e-7));
  REQUIRE(r.x[1] == Approx(1.0).margin(1e-7));
  REQUIRE(r.iterations < 100);
  REQUIRE(r.history.front() == Approx(24.2));
  bfgs_options bad;
  bad.armijo = 1.5;
  REQUIRE_THROWS_WITH(bfgs_minimize(fg, std::vector<double>{0, 0}, bad), Catch::Contains("armijo"));
  REQUIRE_THROWS_WITH(bfgs_minimize(fg, std::vector<double>{}), Catch::Contains("no parameters"));
}
#endif
