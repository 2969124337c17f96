// The batch program (kernels/hqml/kernels/batch_program.hpp) that the GPU runs once per sample, run here
// on the host through the same functions, against state_vector on the bound circuit.
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/feature_map.hpp>
#include <hqml/kernels/batch_program.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

using namespace hqml;

namespace {

// Max |difference| between the batch program's state and state_vector's for (θ, x).
template <class Real>
double max_error(const circuit& c, const std::vector<double>& theta, const std::vector<double>& x) {
  const auto prog = kernels::compile_batch_program(c);
  std::vector<std::complex<Real>> got(std::size_t{1} << c.num_qubits());
  kernels::run_batch_program_host(prog, x.data(), theta.data(), reinterpret_cast<Real*>(got.data()));
  state_vector<double> sv(c.num_qubits());
  sv.apply(c, theta, x, apply_options{.fusion = false});
  double err = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    err = std::max(err, std::abs(std::complex<double>(got[i]) - sv.amplitude(i)));
  return err;
}

}  // namespace

TEST_CASE("batch programs reproduce every gate kind with constant and bound angles", "[batch]") {
  const std::vector<gate_kind> kinds = {
      gate_kind::i,  gate_kind::x,     gate_kind::y,    gate_kind::z,   gate_kind::h,    gate_kind::s,
      gate_kind::sdg, gate_kind::t,    gate_kind::tdg,  gate_kind::sx,  gate_kind::sxdg, gate_kind::rx,
      gate_kind::ry, gate_kind::rz,    gate_kind::p,    gate_kind::u,   gate_kind::cx,   gate_kind::cy,
      gate_kind::cz, gate_kind::ch,    gate_kind::swap, gate_kind::iswap, gate_kind::crx, gate_kind::cry,
      gate_kind::crz, gate_kind::cp,   gate_kind::rxx,  gate_kind::ryy, gate_kind::rzz,  gate_kind::ccx,
      gate_kind::cswap};
  std::mt19937_64 rng(7);
  const std::size_t n = 5;
  for (int trial = 0; trial < 20; ++trial) {
    circuit c(n);
    for (std::uint32_t q = 0; q < n; ++q) c.h(q);
    for (gate_kind k : kinds) {
      std::vector<std::uint32_t> qs(n);
      std::iota(qs.begin(), qs.end(), 0u);
      std::shuffle(qs.begin(), qs.end(), rng);
      qs.resize(info(k).num_qubits);
      std::vector<angle> prm;
      for (unsigned j = 0; j < info(k).num_params; ++j) {
        switch ((trial + j) % 3) {
          case 0: prm.emplace_back(0.37 * (j + 1) + trial); break;
          case 1: prm.push_back(param(j) * 1.5 + 0.2); break;
          default: prm.push_back(2.0 * (pi - feature(j)) * (pi - feature(j + 1))); break;
        }
      }
      c.gate(k, qs, prm);
    }
    c.unitary({1, 3}, hqml::test::random_unitary(2, 11 + trial)).unitary({0, 2, 4}, hqml::test::random_unitary(3, trial));
    c.diagonal({4, 0}, {1.0, std::polar(1.0, 0.3), std::polar(1.0, -1.2), std::polar(1.0, 2.0)});
    const std::vector<double> theta{0.4, -1.3, 2.2}, x{0.1, -0.7, 1.9, 0.5};
    REQUIRE(max_error<double>(c, theta, x) < 1e-12);
    REQUIRE(max_error<float>(c, theta, x) < 2e-5);
  }
}

TEST_CASE("batch programs of feature maps match state_vector", "[batch]") {
  for (std::size_t n : {2u, 4u, 6u}) {
    const circuit c = zz_feature_map(n, 2);
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = 0.3 * double(i) - 0.8;
    REQUIRE(max_error<double>(c, {}, x) < 1e-12);
  }
}

TEST_CASE("batch programs refuse what they cannot run", "[batch]") {
  circuit m(2, 1);
  m.h(0).measure(0, 0);
  REQUIRE_THROWS_WITH(kernels::compile_batch_program(m), Catch::Contains("unitary circuit"));
  circuit big(4);
  big.unitary({0, 1, 2, 3}, hqml::test::random_unitary(4, 1));
  REQUIRE_THROWS_WITH(kernels::compile_batch_program(big), Catch::Contains("at most 3 qubits"));
}
