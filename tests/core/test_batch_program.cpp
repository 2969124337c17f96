// The batch program (kernels/hqml/kernels/batch_program.hpp) that the GPU runs once per sample, run here
// on the host through the same functions, against state_vector on the bound circuit.
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/batch_compile.hpp>
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
// `threads` > 1 replays a GPU block's division of each step among its threads.
template <class Real>
double max_error(const circuit& c, const std::vector<double>& theta, const std::vector<double>& x,
                 unsigned threads = 1) {
  const auto prog = compile_batch_program(c);
  std::vector<std::complex<Real>> got(std::size_t{1} << c.num_qubits());
  kernels::run_batch_program_host(prog, x.data(), theta.data(), reinterpret_cast<Real*>(got.data()), threads);
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
    REQUIRE(max_error<double>(c, theta, x, 32) < 1e-12);
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

TEST_CASE("batch programs fold CX-diagonal-CX into diagonals and run diagonal stretches as one step", "[batch]") {
  SECTION("the ZZ map of 8 qubits: per rep 8 H steps and one diagonal step, the first H layer folded") {
    const circuit c = zz_feature_map(8, 2);
    const auto prog = compile_batch_program(c);
    REQUIRE(c.size() == 200);
    REQUIRE(prog.ops.size() == 2 * (8 + 8 + 28) - 8);
    REQUIRE(prog.steps.size() == 2 * (8 + 1) - 8);
    REQUIRE(prog.initial.size() == 2 * 256);
    std::vector<double> x(8);
    for (std::size_t i = 0; i < 8; ++i) x[i] = 0.4 * double(i) - 1.3;
    for (unsigned threads : {1u, 8u, 32u, 96u, 128u}) {
      REQUIRE(max_error<double>(c, {}, x, threads) < 1e-12);
      REQUIRE(max_error<float>(c, {}, x, threads) < 2e-5);
    }
  }
  SECTION("above batch_fold_max_qubits every sample starts from |0>") {
    const circuit c = zz_feature_map(kernels::batch_fold_max_qubits + 1, 1, "linear");
    const auto prog = compile_batch_program(c);
    REQUIRE(prog.initial.empty());
    std::vector<double> x(c.num_qubits(), 0.7);
    REQUIRE(max_error<double>(c, {}, x, 64) < 1e-12);
  }
  SECTION("a circuit of constant gates only is folded whole") {
    circuit c(3);
    c.h(0).cx(0, 1).rz(1, 0.3).cx(0, 1).swap(1, 2);
    const auto prog = compile_batch_program(c);
    REQUIRE(prog.ops.empty());
    REQUIRE(prog.steps.empty());
    REQUIRE(max_error<double>(c, {}, {}) < 1e-12);
  }
  SECTION("nested CX ladders (ZZZ terms) fold from the inside out, up to three qubits") {
    const circuit c = pauli_feature_map(5, 1, "full", 2.0, {"Z", "ZZ", "ZZZ"});
    const auto prog = compile_batch_program(c);
    REQUIRE(prog.ops.size() == 5 + 10 + 10);
    REQUIRE(prog.steps.size() == 1);
    std::vector<double> x{0.3, -0.9, 1.4, 0.2, -0.5};
    for (unsigned threads : {1u, 32u, 40u}) REQUIRE(max_error<double>(c, {}, x, threads) < 1e-12);
  }
  SECTION("random CX-sandwiches: folded where they may be, left alone where they may not") {
    std::mt19937_64 rng(23);
    std::uniform_int_distribution<std::uint32_t> q(0, 4);
    std::uniform_int_distribution<int> pick(0, 7);
    for (int trial = 0; trial < 30; ++trial) {
      circuit c(5);
      for (std::uint32_t k = 0; k < 5; ++k) c.h(k).ry(k, 0.3 * k + 0.1);
      std::size_t plain = c.size();
      for (int g = 0; g < 12; ++g) {
        const std::uint32_t a = q(rng);
        std::uint32_t b = q(rng), other = q(rng);
        while (b == a) b = q(rng);
        while (other == b) other = q(rng);
        c.cx(a, b);
        switch (pick(rng)) {  // the middle: diagonal on b (maybe with `other`), or something that is not
          case 0: c.rz(b, param(0) * 0.7 + feature(0)); break;
          case 1: c.p(b, 2.0 * (pi - feature(1)) * (pi - feature(2))); break;
          case 2: c.cp(other, b, param(1)); break;
          case 3: c.rzz(b, other, 0.9); break;
          case 4: c.t(b); break;
          case 5: c.rz(other, param(0)); break;          // diagonal, but not on the target
          case 6: c.rx(b, feature(3)); break;            // not diagonal
          default: c.cx(a, b).rz(b, feature(0)); break;  // cancelling pair, then a fold
        }
        c.cx(a, b);
        plain += 3;
      }
      const auto prog = compile_batch_program(c);
      REQUIRE(prog.ops.size() < plain);
      const std::vector<double> theta{0.4, -1.3}, x{0.1, -0.7, 1.9, 0.5};
      REQUIRE(max_error<double>(c, theta, x) < 1e-12);
      REQUIRE(max_error<double>(c, theta, x, 64) < 1e-12);
      REQUIRE(max_error<float>(c, theta, x) < 2e-5);
    }
  }
}

TEST_CASE("batch programs refuse what they cannot run", "[batch]") {
  circuit m(2, 1);
  m.h(0).measure(0, 0);
  REQUIRE_THROWS_WITH(compile_batch_program(m), Catch::Contains("unitary circuit"));
  circuit big(4);
  big.unitary({0, 1, 2, 3}, hqml::test::random_unitary(4, 1));
  REQUIRE_THROWS_WITH(compile_batch_program(big), Catch::Contains("at most 3 qubits"));
}
