// The Lanczos ground state against dense diagonalization, a closed form (the periodic transverse-field
// Ising chain) and published molecular energies; the state operations it uses against the dense reference.
#include "common/backends.hpp"
#include "common/reference.hpp"
#include "variational/molecules.hpp"

#include <catch2/catch.hpp>

#include <hqml/eigensolver.hpp>
#include <hqml/hamiltonians.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace eigensolver_test {

using namespace hqml;
using hqml::test::cmat;
using hqml::test::cvec;

/// Pfeuty (1970): the periodic chain −J Σ Z_i Z_{i+1} − h Σ X_i of N sites has ground energy
/// −Σ_{m=0}^{N−1} √(J² + h² − 2Jh cos((2m + 1)π/N)) (the even-parity sector, which holds the ground state).
inline double tfim_periodic_ground(std::size_t n, double j, double h) {
  double e = 0;
  for (std::size_t m = 0; m < n; ++m)
    e -= std::sqrt(j * j + h * h - 2 * j * h * std::cos((2.0 * double(m) + 1) * std::numbers::pi / double(n)));
  return e;
}

template <class State>
double energy_tolerance() {
  return std::is_same_v<typename State::real_type, float> ? 5e-4 : 1e-9;
}

}  // namespace eigensolver_test

using namespace eigensolver_test;

TEMPLATE_LIST_TEST_CASE("add_scaled and scale are the vector-space operations of the dense reference",
                        "[state][eigensolver]", hqml::test::state_types) {
  using state = TestType;
  const double tol = hqml::test::tolerance<state>();
  const cvec a = hqml::test::random_state(5, 1), b = hqml::test::random_state(5, 2);
  state sa(5), sb(5);
  hqml::test::from_eigen(sa, a);
  hqml::test::from_eigen(sb, b);
  const std::complex<double> c(0.3, -1.2);
  sa.add_scaled(c, sb);
  REQUIRE((hqml::test::to_eigen(sa) - (a + c * b)).cwiseAbs().maxCoeff() < 10 * tol);
  sa.add_scaled(2.0, sa);  // this += 2·this
  REQUIRE((hqml::test::to_eigen(sa) - 3.0 * (a + c * b)).cwiseAbs().maxCoeff() < 10 * tol);
  sb.scale(c);
  REQUIRE((hqml::test::to_eigen(sb) - c * b).cwiseAbs().maxCoeff() < 10 * tol);
  state other(4);
  REQUIRE_THROWS_WITH(sa.add_scaled(1.0, other), Catch::Contains("add_scaled"));
}

TEMPLATE_LIST_TEST_CASE("the Lanczos ground energy and state equal dense diagonalization", "[eigensolver]",
                        hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  const double tol = energy_tolerance<state>();
  const std::size_t n = 6;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const pauli_sum h = hqml::test::random_observable(n, 20, seed);
    const Eigen::SelfAdjointEigenSolver<cmat> dense(hqml::test::dense_observable(h, n));
    lanczos_options o;
    o.compute_state = true;
    o.seed = seed;
    const auto r = lanczos_ground_state<real, typename state::backend_type>(h, n, o);
    INFO("seed " << seed << ": Lanczos " << r.energy << " after " << r.iterations << ", dense "
                 << dense.eigenvalues()(0));
    REQUIRE(r.converged);
    REQUIRE(r.iterations < 64);  // fewer products than the dimension
    REQUIRE(std::abs(r.energy - dense.eigenvalues()(0)) < tol * (1 + std::abs(r.energy)));
    REQUIRE(r.residual.has_value());
    REQUIRE(*r.residual < (std::is_same_v<real, float> ? 5e-3 : 1e-6));
    // The random spectra have a simple ground state: the Ritz vector is it, up to a phase.
    REQUIRE(dense.eigenvalues()(1) - dense.eigenvalues()(0) > 1e-3);
    const cvec v = hqml::test::to_eigen(*r.state);
    REQUIRE(std::abs(std::abs(dense.eigenvectors().col(0).dot(v)) - 1) < (std::is_same_v<real, float> ? 1e-4 : 1e-9));
  }
}

TEMPLATE_LIST_TEST_CASE("the Lanczos ground energy of the periodic transverse-field Ising chain is Pfeuty's",
                        "[eigensolver]", hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  for (const auto& [j, hx] : std::vector<std::pair<double, double>>{{1.0, 1.0}, {1.0, 0.5}, {0.7, 1.3}}) {
    const std::size_t n = 12;
    const auto r = lanczos_ground_state<real, typename state::backend_type>(transverse_field_ising(n, j, hx, true), n);
    INFO("J = " << j << ", h = " << hx << ": " << r.iterations << " iterations");
    REQUIRE(r.converged);
    REQUIRE(r.energy == Approx(tfim_periodic_ground(n, j, hx)).epsilon(energy_tolerance<state>()));
  }
}

TEMPLATE_LIST_TEST_CASE("molecular ground energies: H2 and LiH against FCI, from a random start and from Hartree-Fock",
                        "[eigensolver][chemistry]", hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  const double tol = energy_tolerance<state>();
  // Qubits 0..k−1 hold the alpha orbitals, k..2k−1 the beta ones (qiskit-nature's Jordan-Wigner order);
  // Hartree-Fock fills the lowest orbital of each spin.
  for (const auto& [name, hf_index] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"h2_sto3g_0.735", 0b0101}, {"lih_sto3g_1.6_as2e3o", 0b001001}}) {
    INFO(name);
    const hqml::test::molecule_data m = hqml::test::molecule(name);
    const auto global = lanczos_ground_state<real, typename state::backend_type>(m.h, m.n);
    REQUIRE(global.converged);
    REQUIRE(global.energy == Approx(m.qubit_ground).margin(tol));
    state hf(m.n);
    hf.set_basis_state(hf_index);
    REQUIRE(hf.expectation(m.h) + m.constant == Approx(m.hf).margin(tol));
    const auto sector = lanczos_ground_state(m.h, hf);
    REQUIRE(sector.converged);
    REQUIRE(sector.energy + m.constant == Approx(m.fci).margin(tol));
  }
  // The published H2/STO-3G value at 0.735 Å (Qiskit textbook, VQE chapter): −1.137306 Ha.
  REQUIRE(hqml::test::molecule("h2_sto3g_0.735").fci == Approx(-1.137306).margin(5e-7));
}

// CPU-only cases; the GPU twin (tests/cuda/test_core.cu) runs the templated ones on its backend.
#if !defined(HQML_TEST_CUDA)
TEST_CASE("Lanczos refuses bad input and reports a closed Krylov space as exact", "[eigensolver]") {
  const pauli_sum h = transverse_field_ising(4);
  REQUIRE_THROWS_WITH(lanczos_ground_state(h, 3), Catch::Contains("acts on qubit 3 of a 3-qubit state"));
  lanczos_options o;
  o.max_iterations = 0;
  REQUIRE_THROWS_WITH(lanczos_ground_state(h, 4, o), Catch::Contains("max_iterations"));
  state_vector<double> zero(4);
  zero.scale(0.0);
  REQUIRE_THROWS_WITH(lanczos_ground_state(h, zero), Catch::Contains("no norm"));
  // Z0 from |+0…⟩: the Krylov space is two-dimensional, closed after two steps, exact.
  pauli_sum z;
  z.add(1.0, "Z");
  state_vector<double> plus(1);
  plus.apply(circuit(1).h(0));
  const auto r = lanczos_ground_state(z, plus);
  REQUIRE(r.converged);
  REQUIRE(r.iterations == 2);
  REQUIRE(r.energy == Approx(-1.0).margin(1e-14));
  // A budget too small to converge says so.
  o.max_iterations = 3;
  const auto partial = lanczos_ground_state(transverse_field_ising(10, 1.0, 1.0, true), 10, o);
  REQUIRE_FALSE(partial.converged);
  REQUIRE(partial.iterations == 3);
  REQUIRE(partial.energy > tfim_periodic_ground(10, 1.0, 1.0));  // an upper bound (Ritz values are)
}

#endif
