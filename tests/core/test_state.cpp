// State-vector capabilities: identities, sampling statistics, measurement, observables, errors.
#include "common/backends.hpp"
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/state_vector.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <random>

using namespace hqml;
using hqml::test::cvec;

namespace {
template <class State>
double tol() {
  return hqml::test::tolerance<State>();
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("textbook identities", "[state]", hqml::test::state_types) {
  using state = TestType;
  SECTION("HZH = X on every qubit") {
    for (std::uint32_t q = 0; q < 5; ++q) {
      circuit a(5), b(5);
      a.h(q).z(q).h(q);
      b.x(q);
      const cvec psi = hqml::test::random_state(5, q);
      state s1(5), s2(5);
      hqml::test::from_eigen(s1, psi);
      hqml::test::from_eigen(s2, psi);
      s1.apply(a);
      s2.apply(b);
      REQUIRE((hqml::test::to_eigen(s1) - hqml::test::to_eigen(s2)).cwiseAbs().maxCoeff() < tol<state>());
    }
  }
  SECTION("GHZ state") {
    for (std::size_t n : {2u, 5u, 13u}) {
      circuit c(n);
      c.h(0);
      for (std::uint32_t q = 0; q + 1 < n; ++q) c.cx(q, q + 1);
      state sv(n);
      sv.apply(c);
      const auto v = sv.to_vector();
      const double r = 1 / std::sqrt(2.0);
      for (std::size_t i = 0; i < v.size(); ++i) {
        const double expect = (i == 0 || i == v.size() - 1) ? r : 0.0;
        REQUIRE(std::abs(std::complex<double>(v[i]) - expect) < tol<state>());
      }
    }
  }
  SECTION("Toffoli truth table") {
    for (std::uint64_t in = 0; in < 8; ++in) {
      state sv(3);
      sv.set_basis_state(in);
      circuit c(3);
      c.ccx(0, 1, 2);
      sv.apply(c);
      const std::uint64_t out = (in & 3) == 3 ? in ^ 4 : in;
      REQUIRE(std::abs(std::complex<double>(sv.amplitude(out)) - 1.0) < tol<state>());
    }
  }
  SECTION("QFT of basis states is the discrete Fourier transform") {
    const std::size_t n = 5, dim = 32;
    circuit qft(n);
    for (std::size_t j = n; j-- > 0;) {
      qft.h(static_cast<std::uint32_t>(j));
      for (std::size_t k = j; k-- > 0;)
        qft.cp(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(j), pi / static_cast<double>(1u << (j - k)));
    }
    for (std::size_t a = 0; a < n / 2; ++a)
      qft.swap(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(n - 1 - a));
    for (std::uint64_t x : {0u, 1u, 6u, 19u, 31u}) {
      state sv(n);
      sv.set_basis_state(x);
      sv.apply(qft);
      for (std::uint64_t y = 0; y < dim; ++y) {
        const auto expect = std::polar(1 / std::sqrt(double(dim)), 2 * pi * double(x * y) / double(dim));
        REQUIRE(std::abs(std::complex<double>(sv.amplitude(y)) - expect) < 10 * tol<state>());
      }
    }
  }
  SECTION("inverse circuits undo the circuit") {
    circuit c(6);
    for (std::uint32_t q = 0; q < 6; ++q) c.u(q, 0.3 * q, 1.1, -0.2).rxx(q, (q + 1) % 6, 0.7).iswap(q, (q + 2) % 6);
    c.unitary({1, 4}, hqml::test::random_unitary(2, 3)).cswap(0, 2, 5);
    state sv(6);
    const cvec psi = hqml::test::random_state(6, 99);
    hqml::test::from_eigen(sv, psi);
    sv.apply(c).apply(c.inverse());
    REQUIRE((hqml::test::to_eigen(sv) - psi).cwiseAbs().maxCoeff() < 10 * tol<state>());
  }
}

TEMPLATE_LIST_TEST_CASE("sampling follows the Born rule (chi-squared over 1e5 shots)", "[state][sampling]",
                        hqml::test::state_types) {
  using state = TestType;
  const std::size_t n = 4, shots = 100000;
  state sv(n);
  hqml::test::from_eigen(sv, hqml::test::random_state(n, 2024));
  const auto p = sv.probabilities();
  const auto draws = sv.sample(shots, 12345);
  std::vector<double> counts(p.size(), 0.0);
  for (auto i : draws) counts.at(i) += 1;
  double chi2 = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] * double(shots);
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  // 15 degrees of freedom: P(chi2 > 37.7) = 0.001.
  REQUIRE(chi2 < 37.7);
  // Same seed, same draws; whatever the thread count.
  REQUIRE(sv.sample(shots, 12345) == draws);
  state one(n);
  one.set_threads(1);
  hqml::test::from_eigen(one, hqml::test::random_state(n, 2024));
  REQUIRE(one.sample(shots, 12345) == draws);
  REQUIRE(sv.sample(shots, 54321) != draws);
}

TEMPLATE_LIST_TEST_CASE("sampling is thread-count independent on large states", "[state][sampling]",
                        hqml::test::state_types) {
  using state = TestType;
  const std::size_t n = 16;
  circuit c(n);
  for (std::uint32_t q = 0; q < n; ++q) c.ry(q, 0.1 + 0.2 * q);
  state a(n), b(n);
  a.set_threads(1);
  b.set_threads(2);
  a.apply(c);
  b.apply(c);
  const auto da = a.sample(20000, 9), db = b.sample(20000, 9);
  REQUIRE(da == db);
  // Marginal of each qubit agrees with sin²(θ/2).
  for (std::uint32_t q = 0; q < n; ++q) {
    double ones = 0;
    for (auto i : da) ones += double((i >> q) & 1u);
    const double p1 = std::pow(std::sin((0.1 + 0.2 * q) / 2), 2);
    REQUIRE(ones / 20000 == Approx(p1).margin(5 * std::sqrt(p1 * (1 - p1) / 20000) + 1e-3));
  }
}

TEMPLATE_LIST_TEST_CASE("mid-circuit measurement collapses and reset returns to zero", "[state][measure]",
                        hqml::test::state_types) {
  using state = TestType;
  circuit c(2, 2);
  c.h(0).cx(0, 1).measure(0, 0).measure(1, 1);
  int ones = 0;
  for (std::uint64_t s = 0; s < 400; ++s) {
    state sv(2);
    sv.seed(s);
    sv.apply(c);
    REQUIRE(sv.clbits()[0] == sv.clbits()[1]);  // Bell pair: correlated outcomes
    ones += sv.clbits()[0];
    REQUIRE(sv.norm_squared() == Approx(1.0).margin(1e-6));
    const auto expect = sv.clbits()[0] ? 3u : 0u;
    REQUIRE(std::abs(std::complex<double>(sv.amplitude(expect))) == Approx(1.0).margin(1e-6));
  }
  REQUIRE(ones > 140);
  REQUIRE(ones < 260);
  circuit r(3);
  r.h(0).x(1).ry(2, 1.0).reset(0).reset(1).reset(2);
  state sv(3);
  sv.apply(r);
  REQUIRE(std::abs(std::complex<double>(sv.amplitude(0))) == Approx(1.0).margin(1e-6));
}

TEMPLATE_LIST_TEST_CASE("Pauli expectations, reduced density matrices and overlaps", "[state][observables]",
                        hqml::test::state_types) {
  using state = TestType;
  const std::size_t n = 5;
  const cvec psi = hqml::test::random_state(n, 4242);
  state sv(n);
  hqml::test::from_eigen(sv, psi);
  std::mt19937_64 rng(3);
  const char letters[] = {'I', 'X', 'Y', 'Z'};
  const matrix pm[4] = {gate_matrix(gate_kind::i), gate_matrix(gate_kind::x), gate_matrix(gate_kind::y),
                        gate_matrix(gate_kind::z)};
  pauli_sum h;
  double h_expect = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::string label(n, 'I');
    hqml::test::cmat op = hqml::test::cmat::Identity(32, 32);
    for (std::uint32_t q = 0; q < n; ++q) {
      const int l = static_cast<int>(rng() % 4);
      label[n - 1 - q] = letters[l];
      op = hqml::test::embed(pm[l], {q}, n) * op;
    }
    const double expect = (psi.adjoint() * op * psi)(0, 0).real();
    const auto ps = pauli_string::from_label(label);
    REQUIRE(ps.label(n) == label);
    REQUIRE(sv.expectation(ps) == Approx(expect).margin(100 * tol<state>()));
    h.add(0.5 + trial, ps);
    h_expect += (0.5 + trial) * expect;
  }
  REQUIRE(sv.expectation(h) == Approx(h_expect).margin(1e4 * tol<state>()));

  for (std::uint32_t q = 0; q < n; ++q) {
    const auto rho = sv.reduced_density_matrix(q);
    std::complex<double> ref[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < 32; ++i)
      for (std::size_t j = 0; j < 32; ++j)
        if ((i & ~(std::size_t{1} << q)) == (j & ~(std::size_t{1} << q)))
          ref[((i >> q) & 1) * 2 + ((j >> q) & 1)] += psi[Eigen::Index(i)] * std::conj(psi[Eigen::Index(j)]);
    for (int e = 0; e < 4; ++e) REQUIRE(std::abs(rho[e] - ref[e]) < 100 * tol<state>());
  }

  const cvec phi = hqml::test::random_state(n, 77);
  state other(n);
  hqml::test::from_eigen(other, phi);
  REQUIRE(std::abs(overlap(sv, other) - psi.dot(phi)) < 100 * tol<state>());
  REQUIRE(std::abs(overlap(sv, sv) - 1.0) < 100 * tol<state>());
}

TEMPLATE_LIST_TEST_CASE("bad input raises clear errors", "[state][errors]", hqml::test::state_types) {
  using state = TestType;
  state sv(3);
  REQUIRE_THROWS_WITH(sv.probability_one(3), Catch::Contains("qubit 3 out of range"));
  REQUIRE_THROWS_WITH(sv.set_basis_state(8), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(sv.set_amplitudes(std::vector<typename state::complex_type>(5)), Catch::Contains("5 amplitudes"));
  REQUIRE_THROWS_WITH(sv.apply_matrix(std::vector<std::uint32_t>{0}, matrix{1, 1, 1, 1}), Catch::Contains("not unitary"));
  REQUIRE_THROWS_WITH(sv.apply_matrix(std::vector<std::uint32_t>{1, 1}, gate_matrix(gate_kind::cx)),
                      Catch::Contains("repeated"));
  REQUIRE_THROWS_WITH(sv.expectation(pauli_string::from_label("XIII")), Catch::Contains("qubit 3"));
  circuit big(4);
  big.h(3);
  REQUIRE_THROWS_WITH(sv.apply(big), Catch::Contains("4 qubits"));
  state other(4);
  REQUIRE_THROWS_WITH(overlap(sv, other), Catch::Contains("3 and 4"));
  REQUIRE_THROWS_AS(state(40), hqml::out_of_memory);
  try {
    state too_big(40);
  } catch (const hqml::out_of_memory& e) {
    REQUIRE(e.bytes() == (std::size_t{1} << 40) * sizeof(typename state::complex_type));
    REQUIRE_THAT(e.what(), Catch::Contains("40 qubits") && Catch::Contains("bytes"));
  }
  REQUIRE_THROWS_AS(state(63), hqml::out_of_memory);
}
