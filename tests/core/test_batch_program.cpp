// The batch program (kernels/hqml/kernels/batch_program.hpp) that the GPU runs once per sample, run here
// on the host through the same functions, against state_vector on the bound circuit; and the CPU's batched
// states (<hqml/batched.hpp>), which run it through the state vector's kernels, against final_state per row.
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/ansatz.hpp>
#include <hqml/batch_compile.hpp>
#include <hqml/batched.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/final_state.hpp>
#include <hqml/kernels/batch_program.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
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

// Every gate kind, once.
const std::vector<gate_kind> every_kind = {
    gate_kind::i,     gate_kind::x,   gate_kind::y,    gate_kind::z,    gate_kind::h,  gate_kind::s,   gate_kind::sdg,
    gate_kind::t,     gate_kind::tdg, gate_kind::sx,   gate_kind::sxdg, gate_kind::rx, gate_kind::ry,  gate_kind::rz,
    gate_kind::p,     gate_kind::u,   gate_kind::cx,   gate_kind::cy,   gate_kind::cz, gate_kind::ch,  gate_kind::swap,
    gate_kind::iswap, gate_kind::crx, gate_kind::cry,  gate_kind::crz,  gate_kind::cp, gate_kind::rxx, gate_kind::ryy,
    gate_kind::rzz,   gate_kind::ccx, gate_kind::cswap};

// Appends every gate kind on shuffled qubits; the angles cycle, by `salt`, through constants, θ-dependent
// and feature-dependent expressions so that each kind is compiled with each kind of angle across salts.
void append_every_kind(circuit& c, std::mt19937_64& rng, int salt) {
  for (gate_kind k : every_kind) {
    std::vector<std::uint32_t> qs(c.num_qubits());
    std::iota(qs.begin(), qs.end(), 0u);
    std::shuffle(qs.begin(), qs.end(), rng);
    qs.resize(info(k).num_qubits);
    std::vector<angle> prm;
    for (unsigned j = 0; j < info(k).num_params; ++j) {
      switch ((salt + j) % 3) {
        case 0:
          prm.emplace_back(0.37 * (j + 1) + salt);
          break;
        case 1:
          prm.push_back(param(j) * 1.5 + 0.2);
          break;
        default:
          prm.push_back(2.0 * (pi - feature(j)) * (pi - feature(j + 1)));
          break;
      }
    }
    c.gate(k, qs, prm);
  }
}

}  // namespace

TEST_CASE("batch programs reproduce every gate kind with constant and bound angles", "[batch]") {
  std::mt19937_64 rng(7);
  const std::size_t n = 5;
  for (int trial = 0; trial < 20; ++trial) {
    circuit c(n);
    for (std::uint32_t q = 0; q < n; ++q) c.h(q);
    append_every_kind(c, rng, trial);
    c.unitary({1, 3}, hqml::test::random_unitary(2, 11 + trial))
        .unitary({0, 2, 4}, hqml::test::random_unitary(3, trial));
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
          case 0:
            c.rz(b, param(0) * 0.7 + feature(0));
            break;
          case 1:
            c.p(b, 2.0 * (pi - feature(1)) * (pi - feature(2)));
            break;
          case 2:
            c.cp(other, b, param(1));
            break;
          case 3:
            c.rzz(b, other, 0.9);
            break;
          case 4:
            c.t(b);
            break;
          case 5:
            c.rz(other, param(0));
            break;  // diagonal, but not on the target
          case 6:
            c.rx(b, feature(3));
            break;  // not diagonal
          default:
            c.cx(a, b).rz(b, feature(0));
            break;  // cancelling pair, then a fold
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

namespace {

// Uniform features in [0, π) (the feature maps' range) and parameters in [-π, π).
Eigen::MatrixXd random_rows(Eigen::Index rows, std::size_t features, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0.0, pi);
  Eigen::MatrixXd x(rows, static_cast<Eigen::Index>(std::max<std::size_t>(features, 1)));
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = u(g);
  return x;
}
std::vector<double> random_theta(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-pi, pi);
  std::vector<double> t(count);
  for (auto& v : t) v = u(g);
  return t;
}

// Max |difference| between the CPU's batched states of X's rows, simulated as `how` says on two threads, and
// final_state<double> of each row.
template <class Real>
double batched_error(const circuit& c, const Eigen::MatrixXd& X, const std::vector<double>& theta,
                     detail::sample_simulation how) {
  state_matrix<Real> psi(X.rows(), Eigen::Index{1} << c.num_qubits());
  detail::for_each_sample_state<Real>(
      c, X, theta, 2,
      [&](Eigen::Index i, const auto& sv) {
        const auto amps = sv.data();
        for (std::size_t k = 0; k < amps.size(); ++k) psi(i, static_cast<Eigen::Index>(k)) = amps[k];
      },
      how);
  double err = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const std::vector<double> x(X.row(i).begin(), X.row(i).end());
    const auto want = final_state<double>(c, theta, x);
    for (std::size_t k = 0; k < want.size(); ++k)
      err = std::max(err, std::abs(std::complex<double>(psi(i, static_cast<Eigen::Index>(k))) - want[k]));
  }
  return err;
}

// The batch program's states in double and float against final_state.
void require_batched_states_match(const circuit& c, Eigen::Index rows = 6, std::uint64_t seed = 1) {
  INFO(c.num_qubits() << " qubits, " << c.size() << " operations, " << rows << " rows");
  const auto X = random_rows(rows, c.num_features(), seed);
  const auto theta = random_theta(c.num_params(), seed + 1);
  REQUIRE(batched_error<double>(c, X, theta, detail::sample_simulation::batch_program) < 1e-12);
  REQUIRE(batched_error<float>(c, X, theta, detail::sample_simulation::batch_program) < 1e-5);
}

}  // namespace

TEST_CASE("CPU batched states from the batch program match final_state: feature maps, every entanglement",
          "[batch][batched]") {
  // 1-3 qubits: the diagonal steps' blocks are the whole state; 7 and 8: blocks of 64 amplitudes, with ops on
  // low qubits only, high only and both (one or two low qubits: ZZ and ZZZ across qubit 6).
  for (std::size_t n : {1u, 2u, 3u, 5u, 7u, 8u})
    for (std::string_view ent : entanglement_patterns) {
      INFO("entanglement " << ent);
      require_batched_states_match(zz_feature_map(n, 2, std::string(ent)));
      if (ent != "pairwise")  // defined for two-qubit terms only
        require_batched_states_match(pauli_feature_map(n, 2, std::string(ent), 1.3, {"Z", "XY", "ZZZ"}));
    }
  for (std::size_t n : {2u, 5u, 8u}) {
    require_batched_states_match(iqp_feature_map(n, 2));
    require_batched_states_match(angle_ladder_map(n + 1, n, 2));
    require_batched_states_match(
        zz_feature_map(n, 1, std::vector<std::vector<std::uint32_t>>{{0, static_cast<std::uint32_t>(n - 1)}}));
  }
}

TEST_CASE("CPU batched states from the batch program match final_state: parameters and every gate kind",
          "[batch][batched]") {
  SECTION("trainable maps and ansätze: θ-dependent rotations, controlled and parametric entanglers") {
    for (std::size_t n : {3u, 7u}) {
      circuit c = with_trainable_layer(zz_feature_map(n, 1, "circular"));
      c.compose(real_amplitudes(n, {.reps = 2, .pairs = "full"}));
      require_batched_states_match(c);
      require_batched_states_match(two_local(n, {gate_kind::rx, gate_kind::rz}, gate_kind::crx, {.reps = 2}));
      require_batched_states_match(two_local(n, {gate_kind::ry}, gate_kind::rzz, {.reps = 2, .pairs = "pairwise"}));
      require_batched_states_match(efficient_su2(n, {.reps = 1, .pairs = "linear"}));
    }
  }
  SECTION("every gate kind with constant, θ- and feature-dependent angles, blocks, on 8 qubits") {
    std::mt19937_64 rng(5);
    const std::size_t n = 8;
    for (int trial = 0; trial < 4; ++trial) {
      circuit c(n);
      for (std::uint32_t q = 0; q < n; ++q) c.h(q);
      for (int layer = 0; layer < 2; ++layer) append_every_kind(c, rng, trial + layer);
      c.unitary({6, 1}, hqml::test::random_unitary(2, 11 + trial))
          .unitary({0, 7, 3}, hqml::test::random_unitary(3, trial));
      c.diagonal({7, 0, 5}, {1.0, std::polar(1.0, 0.3), std::polar(1.0, -1.2), std::polar(1.0, 2.0),
                             std::polar(1.0, 0.9), 1.0, std::polar(1.0, -0.4), std::polar(1.0, 2.5)});
      c.rz(2, feature(3)).cp(6, 2, param(2)).rzz(1, 7, feature(0) * param(1)).cz(0, 1);  // one step of diagonals
      require_batched_states_match(c, 5, 100 + static_cast<std::uint64_t>(trial));
    }
  }
}

TEST_CASE("CPU batched states: one row, no rows, no gates, and the automatic choice", "[batch][batched]") {
  const circuit zz = zz_feature_map(5, 2, "full");
  SECTION("one row and no rows") {
    require_batched_states_match(zz, 1);
    const Eigen::MatrixXd none(0, 5);
    for (auto how : {detail::sample_simulation::batch_program, detail::sample_simulation::automatic}) {
      int calls = 0;
      detail::for_each_sample_state<double>(
          zz, none, {}, 2, [&](Eigen::Index, const auto&) { ++calls; }, how);
      REQUIRE(calls == 0);
    }
    REQUIRE(batched_states<double>(zz, none).rows() == 0);
    REQUIRE(batched_states<float>(zz, none).cols() == 32);
  }
  SECTION("a circuit without gates leaves every row in |0…0>") {
    const circuit empty(3);
    REQUIRE(compile_batch_program(empty).steps.empty());
    require_batched_states_match(empty, 3);
    const auto psi = batched_states<double>(empty, random_rows(100, 0, 9));
    REQUIRE(psi.rows() == 100);
    REQUIRE(psi.col(0).isOnes());
    REQUIRE(psi.rightCols(7).isZero());
  }
  SECTION("large batches of folding circuits take the batch program, small ones and others the gate walk") {
    REQUIRE(detail::use_batch_program(zz, 64));
    REQUIRE(detail::use_batch_program(zz_feature_map(12, 2, "linear"), 2));
    REQUIRE_FALSE(detail::use_batch_program(zz, 1));
    REQUIRE_FALSE(detail::use_batch_program(angle_ladder_map(5, 5, 2), 1000));  // nothing folds
    circuit big(5);
    big.h(0).cz(0, 1).unitary({0, 1, 2, 3}, hqml::test::random_unitary(4, 3));
    REQUIRE_FALSE(detail::use_batch_program(big, 1000));  // a 4-qubit block does not compile
    REQUIRE(batched_error<double>(big, random_rows(1000, 0, 4), {}, detail::sample_simulation::automatic) < 1e-12);
    // Through the public entry points, on the automatic choice: states and the quantities read from them.
    const auto X = random_rows(80, 5, 3);
    const auto psi = batched_states<double>(zz, X);
    const auto probs = batched_qubit_probabilities<double>(zz, X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const std::vector<double> x(X.row(i).begin(), X.row(i).end());
      const auto want = final_state<double>(zz, {}, x);
      for (std::size_t k = 0; k < want.size(); ++k)
        REQUIRE(std::abs(psi(i, static_cast<Eigen::Index>(k)) - want[k]) < 1e-12);
      for (Eigen::Index q = 0; q < 5; ++q) {
        double p1 = 0;
        for (std::size_t k = 0; k < want.size(); ++k)
          if ((k >> q) & 1u) p1 += std::norm(want[k]);
        REQUIRE(std::abs(probs(i, q) - p1) < 1e-12);
      }
    }
  }
}
