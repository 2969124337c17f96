// QAOA on Ising models against published optima (Farhi, Goldstone & Gutmann 2014), exhaustive search, the
// model's own energies, and (p = 1) a brute-force scan of the landscape computed from the energy table alone;
// BFGS on a textbook function.
#include <catch2/catch.hpp>

#include "brute_force.hpp"
#include "common/backends.hpp"

#include <hqml/anneal/formats.hpp>
#include <hqml/qaoa.hpp>

#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
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
namespace qaoa_test {

/// ⟨H_C⟩(γ, β) of the p = 1 QAOA state from the model's energy table alone, without hqml's circuits, Pauli sums
/// or state vectors: amplitudes e^{−iγE(s)}/√2^n on |+⟩^n (qubit i in |1⟩ where s_i = −1), then
/// e^{−iβX} = [[cos β, −i sin β], [−i sin β, cos β]] on every qubit, then Σ |ψ_s|² E(s).
class p1_landscape {
 public:
  explicit p1_landscape(const anneal::ising_model& m) : n_(m.num_variables()), energy_(std::size_t{1} << n_) {
    std::vector<std::int8_t> s(n_);
    for (std::size_t b = 0; b < energy_.size(); ++b) {
      for (std::size_t i = 0; i < n_; ++i) s[i] = ((b >> i) & 1u) ? std::int8_t{-1} : std::int8_t{1};
      energy_[b] = m.energy(s);
    }
    spread_ = *std::max_element(energy_.begin(), energy_.end()) - *std::min_element(energy_.begin(), energy_.end());
  }
  /// The largest energy difference: no frequency of ⟨H_C⟩ in γ exceeds it.
  [[nodiscard]] double spread() const { return spread_; }
  double operator()(double gamma, double beta) const {
    const double norm = 1.0 / std::sqrt(double(energy_.size()));
    std::vector<std::complex<double>> a(energy_.size());
    for (std::size_t b = 0; b < a.size(); ++b) a[b] = std::polar(norm, -gamma * energy_[b]);
    const std::complex<double> c(std::cos(beta), 0.0), d(0.0, -std::sin(beta));
    for (std::size_t q = 0; q < n_; ++q)
      for (std::size_t b = 0; b < a.size(); ++b)
        if (!((b >> q) & 1u)) {
          const std::complex<double> x = a[b], y = a[b | (std::size_t{1} << q)];
          a[b] = c * x + d * y;
          a[b | (std::size_t{1} << q)] = d * x + c * y;
        }
    double e = 0;
    for (std::size_t b = 0; b < a.size(); ++b) e += std::norm(a[b]) * energy_[b];
    return e;
  }

 private:
  std::size_t n_;
  std::vector<double> energy_;
  double spread_ = 0;
};

struct p1_optimum {
  double value, gamma, beta;
};

/// The global minimum of ⟨H_C⟩ over γ ∈ [g0, g1], β ∈ [0, π) by brute force: a grid with 8 points per period of
/// the fastest frequency in γ (the energy spread) and 48 in β (⟨H_C⟩ has frequencies 2 and 4 in β: 2-local
/// terms, 2 × 2 rotations), then a compass search from each of the grid's best 6 local minima.
inline p1_optimum brute_force_p1(const p1_landscape& f, double g0, double g1) {
  const auto ng = static_cast<std::size_t>(std::ceil((g1 - g0) * f.spread() / (2 * std::numbers::pi) * 8)) + 2;
  constexpr std::size_t nb = 48;
  const double dg = (g1 - g0) / double(ng - 1), db = std::numbers::pi / double(nb);
  std::vector<double> e(ng * nb);
  for (std::size_t i = 0; i < ng; ++i)
    for (std::size_t j = 0; j < nb; ++j) e[i * nb + j] = f(g0 + double(i) * dg, double(j) * db);
  std::vector<std::size_t> minima;
  for (std::size_t i = 0; i < ng; ++i)
    for (std::size_t j = 0; j < nb; ++j) {
      bool low = true;
      for (int di = -1; di <= 1; ++di)
        for (int dj = -1; dj <= 1; ++dj) {
          const auto ii = static_cast<std::ptrdiff_t>(i) + di;
          if (ii < 0 || ii >= static_cast<std::ptrdiff_t>(ng)) continue;
          const std::size_t jj = (j + nb + static_cast<std::size_t>(dj + 1) - 1) % nb;  // β is periodic
          low = low && e[i * nb + j] <= e[static_cast<std::size_t>(ii) * nb + jj];
        }
      if (low) minima.push_back(i * nb + j);
    }
  std::sort(minima.begin(), minima.end(), [&](std::size_t x, std::size_t y) { return e[x] < e[y]; });
  p1_optimum best{std::numeric_limits<double>::infinity(), 0, 0};
  for (std::size_t k = 0; k < std::min<std::size_t>(minima.size(), 6); ++k) {
    double x = g0 + double(minima[k] / nb) * dg, y = double(minima[k] % nb) * db, fx = e[minima[k]];
    for (double step = dg; step > 1e-12;) {  // compass search: move while a neighbour is lower, else halve
      bool moved = false;
      for (const auto& [sx, sy] : {std::pair{1.0, 0.0}, {-1.0, 0.0}, {0.0, 1.0}, {0.0, -1.0}}) {
        const double v = f(x + sx * step, y + sy * step * db / dg);
        if (v < fx) {
          fx = v, x += sx * step, y += sy * step * db / dg, moved = true;
          break;
        }
      }
      if (!moved) step /= 2;
    }
    if (fx < best.value) best = {fx, x, y};
  }
  return best;
}

/// Random Ising model whose weights are integers −4..4 times one real unit (0.2 to 1): energy differences are
/// multiples of 2·unit, so the p = 1 landscape has period π/unit in γ, π in β.
inline anneal::ising_model commensurate_model(std::size_t n, std::uint64_t seed, bool fields, double& unit) {
  anneal::xoshiro256ss rng(seed, 3);
  unit = 0.2 + 0.8 * rng.uniform();
  const auto k = [&] { return unit * (static_cast<double>(rng.below(9)) - 4); };
  std::vector<double> h(n);
  if (fields)
    for (auto& v : h) v = k();
  std::vector<anneal::coupling> c;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = i + 1; j < n; ++j)
      if (rng.uniform() < 0.6) c.push_back({i, j, k()});
  return {n, h, c, 0.3 * unit};
}

}  // namespace qaoa_test

TEST_CASE("QAOA p = 1 finds the optimum of the issue's two-bit QUBO at negative gamma", "[qaoa]") {
  // QUBO 0 0 -2 / 1 1 1: Ising h = (−1, 1/2), offset −1/2, no couplings. For one spin ⟨Z⟩ = sin 2β sin 2γh, so
  // ⟨H_C⟩ = −1/2 + sin 2β (sin 2γ + sin(γ)/2), lowest at β = π/4 and γ = −γ0, cos γ0 = (√129 − 1)/16 (the root
  // of 2 cos 2γ + cos(γ)/2 = 0). The scan over γ ∈ (0, π) × β ∈ (0, π/2) stopped at −1.16359 (γ 2.453).
  const anneal::problem p = anneal::parse_coo("0 0 -2\n1 1 1\n", "issue.coo");
  const anneal::ising_model m = anneal::to_ising(p.qubo);
  const double g0 = std::acos((std::sqrt(129.0) - 1) / 16);
  const double exact = -0.5 - (std::sin(2 * g0) + 0.5 * std::sin(g0));
  const auto r = qaoa_solve(m);
  REQUIRE(r.scan_full_period);
  REQUIRE(r.scan_gamma_max == Approx(std::numbers::pi));  // energy differences are integers: period 2π
  REQUIRE(r.expectation == Approx(-1.86791).margin(5e-6));
  REQUIRE(r.gamma[0] == Approx(-0.867).margin(5e-4));
  REQUIRE(r.beta[0] == Approx(std::numbers::pi / 4).margin(1e-7));
  REQUIRE(r.expectation == Approx(exact).margin(1e-12));
  REQUIRE(r.gamma[0] == Approx(-g0).margin(1e-7));
  REQUIRE(p1_landscape(m)(r.gamma[0], r.beta[0]) == Approx(r.expectation).margin(1e-12));
}

TEST_CASE("QAOA p = 1 reaches the brute-force optimum of random models over the whole period", "[qaoa]") {
  for (std::size_t n = 3; n <= 6; ++n)
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const bool fields = seed != 3;  // the third: couplings only (Max-Cut-like, β period π/2)
      double unit = 0;
      const anneal::ising_model m = commensurate_model(n, 10 * n + seed, fields, unit);
      INFO("n = " << n << ", seed = " << seed << ", unit = " << unit);
      const p1_landscape f(m);
      // The whole torus, γ ∈ [−π/(2 unit), π/(2 unit)] × β ∈ [0, π): no symmetry assumed.
      const p1_optimum ref = brute_force_p1(f, -std::numbers::pi / (2 * unit), std::numbers::pi / (2 * unit));
      const auto r = qaoa_solve(m);
      INFO("reference " << ref.value << " at (" << ref.gamma << ", " << ref.beta << "); qaoa " << r.expectation
                        << " at (" << r.gamma[0] << ", " << r.beta[0] << ")");
      CHECK(r.scan_full_period);
      CHECK(r.expectation == Approx(ref.value).epsilon(1e-9));
      CHECK(f(r.gamma[0], r.beta[0]) == Approx(r.expectation).epsilon(1e-12));  // the angles give it
      if (!fields) CHECK((r.gamma[0] >= 0 && r.beta[0] >= 0 && r.beta[0] < std::numbers::pi / 2));
      if (fields) CHECK((r.beta[0] >= 0 && r.beta[0] <= std::numbers::pi / 2));
    }
  // Weights with no common unit (uniform reals): ⟨H_C⟩ is only quasi-periodic in γ and the scan covers the
  // window its points reach, |γ| ≤ scan_gamma_max; within it, nothing is lower than what QAOA reports.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const anneal::ising_model m = anneal::testing::random_glass(3 + seed, 0.7, seed, false);
    INFO("glass seed " << seed);
    const p1_landscape f(m);
    const auto r = qaoa_solve(m);
    REQUIRE(!r.scan_full_period);
    const p1_optimum ref = brute_force_p1(f, -r.scan_gamma_max, r.scan_gamma_max);
    INFO("reference " << ref.value << " at (" << ref.gamma << ", " << ref.beta << "); qaoa " << r.expectation << " at ("
                      << r.gamma[0] << ", " << r.beta[0] << "), window " << r.scan_gamma_max);
    CHECK(r.expectation <= ref.value + 1e-9 * std::abs(ref.value));
    if (std::abs(r.gamma[0]) <= r.scan_gamma_max) CHECK(r.expectation == Approx(ref.value).epsilon(1e-9));
  }
}

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
  o.max_scan_points = 1;
  REQUIRE_THROWS_WITH(qaoa_solve(ring(4), o), Catch::Contains("max_scan_points must be at least 2"));
  o.max_scan_points = 256;
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
