// Circuit structure: angle algebra, validation, inverse, depth and counts, composition, fusion shape.
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/circuit.hpp>
#include <hqml/fusion.hpp>
#include <hqml/optimize.hpp>

#include <random>

using namespace hqml;

TEST_CASE("angles are polynomials in parameters and features", "[angle]") {
  const std::vector<double> theta{0.5, -2.0}, x{0.25, 1.5, 3.0};
  const angle a = 2.0 * (pi - feature(0)) * (pi - feature(1));
  REQUIRE(a.evaluate(theta, x) == Approx(2.0 * (pi - 0.25) * (pi - 1.5)));
  REQUIRE(a.num_features() == 2);
  REQUIRE(a.num_params() == 0);
  REQUIRE_FALSE(a.is_constant());
  const angle b = param(1) * feature(2) + 0.5 - param(1) * feature(2);
  REQUIRE(b.is_constant());
  REQUIRE(b.value() == 0.5);
  const angle c = param(0) * param(0) * 3.0 + feature(1);
  REQUIRE(c.evaluate(theta, x) == Approx(3 * 0.25 + 1.5));
  REQUIRE(c.derivative({variable::source::param, 0}).evaluate(theta, x) == Approx(6 * 0.5));
  REQUIRE(c.derivative({variable::source::param, 1}).terms().empty());
  REQUIRE(angle(1.0) + angle(2.0) == angle(3.0));
  REQUIRE(param(0) + feature(0) == feature(0) + param(0));
  REQUIRE_THROWS_WITH(param(3).evaluate(theta, x), Catch::Contains("theta[3]") && Catch::Contains("2 were given"));
  REQUIRE_THROWS_WITH(feature(0).value(), Catch::Contains("not constant"));
  REQUIRE(param(2).to_string() == "theta[2]");
}

TEST_CASE("circuits validate their operations", "[circuit]") {
  circuit c(3, 1);
  REQUIRE_THROWS_WITH(c.h(3), Catch::Contains("qubit 3 is out of range"));
  REQUIRE_THROWS_WITH(c.cx(1, 1), Catch::Contains("used twice"));
  REQUIRE_THROWS_WITH(c.gate(gate_kind::rx, {0}), Catch::Contains("takes 1 parameters"));
  REQUIRE_THROWS_WITH(c.gate(gate_kind::cx, {0}), Catch::Contains("takes 2 qubits"));
  REQUIRE_THROWS_WITH(c.measure(0, 1), Catch::Contains("classical bit 1"));
  REQUIRE_THROWS_WITH(c.unitary({0}, {1, 2, 3, 4}), Catch::Contains("not unitary"));
  REQUIRE_THROWS_WITH(c.unitary({0, 1}, {1, 0, 0, 1}), Catch::Contains("expected 16"));
  REQUIRE_THROWS_WITH(c.diagonal({0}, {1.0, 2.0}), Catch::Contains("not unitary"));
  REQUIRE_THROWS_WITH(circuit(63), Catch::Contains("at most 62"));
  REQUIRE(c.empty());
}

TEST_CASE("depth, counts, composition and inverse", "[circuit]") {
  circuit c(3, 3);
  c.h(0).cx(0, 1).barrier().rz(2, param(0)).cx(1, 2).measure(2, 2);
  REQUIRE(c.depth() == 5);  // the barrier adds no layer but aligns qubit 2 with the others, as in Qiskit
  const auto counts = c.count_ops();
  REQUIRE(counts.at("cx") == 2);
  REQUIRE(counts.at("barrier") == 1);
  REQUIRE(c.num_multi_qubit_gates() == 2);
  REQUIRE(c.num_params() == 1);
  REQUIRE_THROWS_WITH(c.inverse(), Catch::Contains("measure"));

  circuit a(2);
  a.s(0).t(1).rx(0, 0.3).u(1, 0.1, 0.2, 0.3);
  const circuit inv = a.inverse();
  REQUIRE(inv[0].kind == gate_kind::u);
  REQUIRE(inv[0].params[1].value() == -0.3);
  REQUIRE(inv[0].params[2].value() == -0.2);
  REQUIRE(inv[1].params[0].value() == -0.3);
  REQUIRE(inv[2].kind == gate_kind::tdg);
  REQUIRE(inv[3].kind == gate_kind::sdg);

  circuit big(4);
  const std::vector<std::uint32_t> map{3, 1};
  big.compose(a, map);
  REQUIRE(big[0].qubits[0] == 3);
  REQUIRE(big[1].qubits[0] == 1);
  REQUIRE_THROWS_WITH(big.compose(a, std::vector<std::uint32_t>{0}), Catch::Contains("1 entries"));

  // Full reference check: U followed by U^† is the identity operator.
  circuit u(3);
  u.h(0).cry(0, 2, 0.4).iswap(1, 2).ryy(0, 1, 0.9).sx(2).ch(2, 0).cswap(1, 0, 2);
  circuit uu = u;
  uu.compose(u.inverse());
  const auto psi = hqml::test::random_state(3, 1);
  REQUIRE((hqml::test::reference_run(uu, psi) - psi).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("fusion merges gates on few qubits and respects non-unitary operations", "[fusion]") {
  circuit c(4, 1);
  for (std::uint32_t q = 0; q < 4; ++q) c.rx(q, 0.1).rz(q, 0.2);
  for (std::uint32_t q = 0; q < 4; ++q) c.cx(q, (q + 1) % 4);
  const circuit f = fuse(c, {4});
  REQUIRE(f.size() == 1);
  REQUIRE(f[0].kind == gate_kind::unitary);
  REQUIRE(f[0].qubits.size() == 4);

  circuit d(2);
  d.rz(0, 0.3).cz(0, 1).p(1, 0.2).rzz(0, 1, 0.1);
  const circuit fd = fuse(d, {2});
  REQUIRE(fd.size() == 1);
  REQUIRE(fd[0].kind == gate_kind::diagonal);

  circuit m(2, 1);
  m.h(0).measure(0, 0).h(0).h(1);
  const circuit fm = fuse(m, {2});
  REQUIRE(fm.size() == 4);  // nothing moves across the measurement, singletons stay as they are
  REQUIRE(fm[1].kind == gate_kind::measure);

  circuit p(1);
  p.rx(0, param(0));
  REQUIRE_THROWS_WITH(fuse(p), Catch::Contains("bind"));
  REQUIRE_THROWS_WITH(fuse(c, {7}), Catch::Contains("max_qubits"));
}

TEST_CASE("optimize cancels adjacent inverse pairs and merges rotations without changing the unitary", "[optimize]") {
  circuit c(3, 1);
  c.h(0).h(0);                      // cancels
  c.s(1).cx(0, 2).sdg(1);           // cancels across a gate on other qubits
  c.rz(2, param(0)).rz(2, 0.5);     // merges symbolically
  c.cz(0, 1).cz(1, 0);              // symmetric gate: cancels
  c.rzz(0, 2, 0.3).rzz(2, 0, -0.3); // merges to zero: removed
  c.x(1).barrier().x(1);            // a barrier blocks cancellation
  c.cx(0, 1).h(1).cx(0, 1);         // not adjacent: stays
  c.t(0).measure(0, 0).tdg(0);      // a measurement blocks cancellation
  optimize_stats st;
  const circuit o = optimize(c, &st);
  REQUIRE(st.cancelled_pairs == 3);
  REQUIRE(st.merged_rotations == 2);
  REQUIRE(st.removed_identities == 1);
  const auto counts = o.count_ops();
  REQUIRE(counts.count("h") == 1);
  REQUIRE(counts.at("x") == 2);
  REQUIRE(counts.at("rz") == 1);
  REQUIRE(counts.count("rzz") == 0);
  REQUIRE(counts.count("cz") == 0);
  REQUIRE(counts.at("cx") == 3);
  const auto& rz = *std::find_if(o.operations().begin(), o.operations().end(),
                                 [](const operation& op) { return op.kind == gate_kind::rz; });
  REQUIRE(rz.params[0] == param(0) + 0.5);

  // Random circuits: the optimized circuit has the same unitary (on the unitary part).
  std::mt19937_64 rng(11);
  const gate_kind kinds[] = {gate_kind::h,  gate_kind::x,  gate_kind::s,  gate_kind::sdg, gate_kind::t,
                             gate_kind::tdg, gate_kind::rz, gate_kind::rx, gate_kind::cx,  gate_kind::cz,
                             gate_kind::rzz, gate_kind::swap, gate_kind::sx, gate_kind::sxdg};
  for (int trial = 0; trial < 20; ++trial) {
    circuit r(3);
    for (int g = 0; g < 60; ++g) {
      const gate_kind k = kinds[rng() % std::size(kinds)];
      std::vector<std::uint32_t> qs{static_cast<std::uint32_t>(rng() % 3)};
      if (info(k).num_qubits == 2) qs.push_back((qs[0] + 1 + static_cast<std::uint32_t>(rng() % 2)) % 3);
      std::vector<angle> prm;
      if (info(k).num_params) prm.emplace_back(double(rng() % 4) * 0.25);
      r.gate(k, qs, prm);
    }
    optimize_stats s;
    const circuit o2 = optimize(r, &s);
    REQUIRE(o2.size() <= r.size());
    const auto psi = hqml::test::random_state(3, 40 + static_cast<std::uint64_t>(trial));
    REQUIRE((hqml::test::reference_run(o2, psi) - hqml::test::reference_run(r, psi)).cwiseAbs().maxCoeff() < 1e-12);
  }
}
