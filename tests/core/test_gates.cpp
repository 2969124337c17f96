// Every gate on random states, every qubit position and ordering, n = 1..8, fused and unfused,
// against the dense-matrix reference.
#include "common/backends.hpp"
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/state_vector.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace hqml;
using hqml::test::cvec;

namespace {

// All ordered k-tuples of distinct qubits out of n.
std::vector<std::vector<std::uint32_t>> orderings(std::size_t n, std::size_t k) {
  std::vector<std::vector<std::uint32_t>> out;
  std::vector<std::uint32_t> cur;
  auto rec = [&](auto&& self) -> void {
    if (cur.size() == k) {
      out.push_back(cur);
      return;
    }
    for (std::uint32_t q = 0; q < n; ++q)
      if (std::find(cur.begin(), cur.end(), q) == cur.end()) {
        cur.push_back(q);
        self(self);
        cur.pop_back();
      }
  };
  rec(rec);
  return out;
}

const std::vector<gate_kind> fixed_kinds = {
    gate_kind::i,     gate_kind::x,   gate_kind::y,    gate_kind::z,    gate_kind::h,  gate_kind::s,   gate_kind::sdg,
    gate_kind::t,     gate_kind::tdg, gate_kind::sx,   gate_kind::sxdg, gate_kind::rx, gate_kind::ry,  gate_kind::rz,
    gate_kind::p,     gate_kind::u,   gate_kind::cx,   gate_kind::cy,   gate_kind::cz, gate_kind::ch,  gate_kind::swap,
    gate_kind::iswap, gate_kind::crx, gate_kind::cry,  gate_kind::crz,  gate_kind::cp, gate_kind::rxx, gate_kind::ryy,
    gate_kind::rzz,   gate_kind::ccx, gate_kind::cswap};

}  // namespace

TEMPLATE_LIST_TEST_CASE("every gate on every qubit ordering matches the dense reference", "[gates]",
                        hqml::test::state_types) {
  using state = TestType;
  const cpu_simd simd = GENERATE(from_range(hqml::test::cpu_simd_modes()));
  const hqml::test::simd_scope scope(simd);
  INFO("CPU kernels: " << to_string(simd));
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> ang(-2 * pi, 2 * pi);
  for (std::size_t n = 1; n <= 8; ++n) {
    const cvec psi0 = hqml::test::random_state(n, 1000 + n);
    for (gate_kind k : fixed_kinds) {
      const std::size_t arity = info(k).num_qubits;
      if (arity > n) continue;
      auto ords = orderings(n, arity);
      // n = 7, 8 with three-qubit gates: every ordering that includes the top qubit or qubit 0, plus a sample.
      if (ords.size() > 120) {
        std::shuffle(ords.begin(), ords.end(), rng);
        ords.resize(120);
      }
      for (const auto& qs : ords) {
        std::vector<angle> params;
        for (int j = 0; j < info(k).num_params; ++j) params.emplace_back(ang(rng));
        circuit c(n);
        c.gate(k, qs, params);
        const cvec expect = hqml::test::reference_run(c, psi0);
        state sv(n);
        hqml::test::from_eigen(sv, psi0);
        sv.apply(c, {}, {}, apply_options{.fusion = false});
        const cvec got = hqml::test::to_eigen(sv);
        INFO("gate " << info(k).name << " n=" << n << " qubits[0]=" << qs[0]);
        REQUIRE((got - expect).cwiseAbs().maxCoeff() < hqml::test::tolerance<state>());
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("dense unitaries and diagonals on 1..6 qubits match the reference", "[gates]",
                        hqml::test::state_types) {
  using state = TestType;
  const cpu_simd simd = GENERATE(from_range(hqml::test::cpu_simd_modes()));
  const hqml::test::simd_scope scope(simd);
  INFO("CPU kernels: " << to_string(simd));
  std::mt19937_64 rng(7);
  for (std::size_t n = 1; n <= 8; ++n) {
    const cvec psi0 = hqml::test::random_state(n, 77 + n);
    for (std::size_t k = 1; k <= std::min<std::size_t>(n, 6); ++k) {
      auto ords = orderings(n, k);
      std::shuffle(ords.begin(), ords.end(), rng);
      if (ords.size() > 24) ords.resize(24);
      for (const auto& qs : ords) {
        circuit c(n);
        c.unitary(qs, hqml::test::random_unitary(k, rng()));
        matrix d(std::size_t{1} << k);
        for (auto& e : d) e = std::polar(1.0, std::uniform_real_distribution<double>(0, 2 * pi)(rng));
        c.diagonal(qs, d);
        state sv(n);
        hqml::test::from_eigen(sv, psi0);
        sv.apply(c, {}, {}, apply_options{.fusion = false});
        INFO("n=" << n << " k=" << k);
        REQUIRE((hqml::test::to_eigen(sv) - hqml::test::reference_run(c, psi0)).cwiseAbs().maxCoeff() <
                hqml::test::tolerance<state>());
      }
    }
  }
}

namespace {
circuit random_circuit(std::size_t n, std::size_t depth, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ang(-pi, pi);
  circuit c(n);
  for (std::size_t d = 0; d < depth; ++d) {
    gate_kind k = fixed_kinds[rng() % fixed_kinds.size()];
    while (info(k).num_qubits > n) k = fixed_kinds[rng() % fixed_kinds.size()];
    std::vector<std::uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(info(k).num_qubits);
    std::vector<angle> params;
    for (int j = 0; j < info(k).num_params; ++j) params.emplace_back(ang(rng));
    c.gate(k, all, params);
  }
  return c;
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("fused circuits equal unfused ones for every block size", "[fusion]", hqml::test::state_types) {
  using state = TestType;
  const cpu_simd simd = GENERATE(from_range(hqml::test::cpu_simd_modes()));
  const hqml::test::simd_scope scope(simd);
  INFO("CPU kernels: " << to_string(simd));
  for (std::size_t n = 1; n <= 8; ++n) {
    const circuit c = random_circuit(n, 12 * n, 500 + n);
    const cvec psi0 = hqml::test::random_state(n, 900 + n);
    const cvec expect = hqml::test::reference_run(c, psi0);
    for (unsigned k = 1; k <= 6; ++k) {
      const circuit f = fuse(c, fusion_options{k});
      for (const auto& op : f.operations()) REQUIRE(op.qubits.size() <= std::max<std::size_t>(k, 3));
      state sv(n);
      hqml::test::from_eigen(sv, psi0);
      sv.apply(c, {}, {}, apply_options{.fusion = true, .fusion_max_qubits = k, .fusion_min_qubits = 0});
      INFO("n=" << n << " max fused qubits=" << k);
      REQUIRE((hqml::test::to_eigen(sv) - expect).cwiseAbs().maxCoeff() < 10 * hqml::test::tolerance<state>());
      if (n >= 4 && k >= 3) REQUIRE(f.size() < c.size());
    }
  }
}

#if !defined(HQML_TEST_CUDA)  // a host-side rule; the GPU twin includes this file
TEST_CASE("fusion with costs fuses a block only where it is cheaper than its gates", "[fusion]") {
  const fusion_costs& costs = cpu_fusion_costs;
  // A CX ladder and a single RY layer: each gate's own kernel is cheaper than a dense block.
  circuit cheap(4);
  for (std::uint32_t q = 0; q < 4; ++q) cheap.ry(q, 0.1 * (q + 1));
  for (std::uint32_t q = 3; q > 0; --q) cheap.cx(q - 1, q);
  REQUIRE(fuse(cheap, {4, &costs}).size() == cheap.size());
  REQUIRE(fuse(cheap, {4, nullptr}).size() < cheap.size());  // without costs every block is fused
  // Twelve rotations on two qubits cost 12 passes against 1.6 for the fused block.
  circuit dense(2);
  for (int r = 0; r < 3; ++r) dense.rx(0, 0.3 * r).rz(1, 0.2).cx(0, 1).ry(1, 0.4).rz(0, 0.1 * r);
  const circuit f = fuse(dense, {4, &costs});
  REQUIRE(f.size() == 1);
  REQUIRE(f[0].kind == gate_kind::unitary);
  // Diagonal gates on three qubits: 1.2 for the diagonal block against 1 + 1 + 1.2 + 0.3 for the gates.
  circuit diag(3);
  diag.rz(0, 0.1).p(1, 0.2).rzz(1, 2, 0.3).cz(0, 2);
  const circuit fd = fuse(diag, {4, &costs});
  REQUIRE(fd.size() == 1);
  REQUIRE(fd[0].kind == gate_kind::diagonal);
  // The costs of single operations by class.
  REQUIRE(cost_of(costs, cheap[4]) == costs.permutation);
  REQUIRE(cost_of(costs, diag[3]) == costs.controlled_phase);
  REQUIRE(cost_of(costs, operation{gate_kind::cry, {0, 1}, {angle(0.1)}, {}, -1}) == costs.controlled);
  REQUIRE(cost_of(costs, diag[2]) == costs.two_qubit);
  REQUIRE(cost_of(costs, f[0]) == costs.dense[2]);
  REQUIRE(cost_of(costs, fd[0]) == costs.diagonal[3]);
}
#endif

TEMPLATE_LIST_TEST_CASE("norm is preserved over deep random circuits", "[gates]", hqml::test::state_types) {
  using state = TestType;
  const std::size_t n = 14;
  const circuit c = random_circuit(n, 600, 31337);
  for (bool fused : {false, true}) {
    state sv(n);
    sv.apply(c, {}, {}, apply_options{.fusion = fused});
    REQUIRE(sv.norm_squared() == Approx(1.0).margin(std::is_same_v<typename state::real_type, float> ? 1e-4 : 1e-12));
  }
}

TEMPLATE_LIST_TEST_CASE("parameterized circuits bind parameters and features per call", "[gates]",
                        hqml::test::state_types) {
  using state = TestType;
  circuit c(3);
  c.h(0).h(1).h(2);
  c.rz(0, 2.0 * feature(0)).rz(1, 2.0 * feature(1));
  c.cx(0, 1).p(1, 2.0 * (pi - feature(0)) * (pi - feature(1))).cx(0, 1);
  c.ry(2, param(0) + 0.5 * feature(2)).crx(2, 0, param(1));
  const std::vector<double> theta{0.3, -1.1}, x{0.2, 1.7, -0.4};
  // The same circuit built with numbers.
  circuit d(3);
  d.h(0).h(1).h(2).rz(0, 0.4).rz(1, 3.4).cx(0, 1).p(1, 2.0 * (pi - 0.2) * (pi - 1.7)).cx(0, 1);
  d.ry(2, 0.3 + 0.5 * -0.4).crx(2, 0, -1.1);
  const cvec expect = hqml::test::reference_run(d, hqml::test::random_state(3, 5));
  for (bool fused : {false, true}) {
    state sv(3);
    hqml::test::from_eigen(sv, hqml::test::random_state(3, 5));
    sv.apply(c, theta, x, apply_options{.fusion = fused, .fusion_min_qubits = 0});
    REQUIRE((hqml::test::to_eigen(sv) - expect).cwiseAbs().maxCoeff() < hqml::test::tolerance<state>());
  }
  state sv(3);
  REQUIRE_THROWS_WITH(sv.apply(c, std::vector<double>{0.1}, x), Catch::Contains("theta[1]"));
}

#if !defined(HQML_TEST_CUDA)  // CPU kernels only; the GPU twin includes this file
TEMPLATE_LIST_TEST_CASE("the AVX2 and portable kernels agree on large registers, threaded and not", "[gates][simd]",
                        hqml::test::state_types) {
  using state = TestType;
  if (cpu_simd_supported() != cpu_simd::avx2) {
    WARN("no AVX2 and FMA on this machine: only the portable kernels are tested");
    return;
  }
  // n = 15 puts 1-qubit gates past the parallel threshold; the default min_qubits applies.
  const std::size_t n = 15;
  const circuit c = random_circuit(n, 150, 4242);
  const cvec psi0 = hqml::test::random_state(n, 99);
  for (bool fused : {false, true}) {
    cvec got[2];
    for (cpu_simd s : {cpu_simd::none, cpu_simd::avx2}) {
      hqml::test::simd_scope scope(s);
      set_cpu_simd(s);  // the default register threshold, as users get it
      state sv(n);
      hqml::test::from_eigen(sv, psi0);
      sv.apply(c, {}, {}, apply_options{.fusion = fused});
      got[s == cpu_simd::avx2] = hqml::test::to_eigen(sv);
    }
    INFO("fused: " << fused);
    REQUIRE((got[0] - got[1]).cwiseAbs().maxCoeff() < 10 * hqml::test::tolerance<state>());
  }
}

TEST_CASE("the CPU kernel choice follows the processor, set_cpu_simd and HQML_CPU_SIMD", "[simd]") {
  // /proc/cpuinfo as the independent word on what the processor has.
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  bool avx2 = false, fma = false, seen = false;
  while (std::getline(info, line))
    if (line.rfind("flags", 0) == 0) {
      seen = true;
      avx2 = line.find(" avx2") != std::string::npos;
      fma = line.find(" fma") != std::string::npos;
      break;
    }
#if HQML_HAS_AVX2_KERNELS
  if (seen) CHECK((cpu_simd_supported() == cpu_simd::avx2) == (avx2 && fma));
#else
  CHECK(cpu_simd_supported() == cpu_simd::none);
#endif
  const cpu_simd before = cpu_simd_in_use();
  const unsigned before_min = cpu_simd_min_qubits();
  CHECK(before == cpu_simd_supported());  // the default, with HQML_CPU_SIMD unset in the tests
  {
    hqml::test::simd_scope scope(cpu_simd::none);
    CHECK(cpu_simd_in_use() == cpu_simd::none);
    CHECK(cpu_simd_min_qubits() == 0);
    if (cpu_simd_supported() != cpu_simd::avx2)
      CHECK_THROWS_WITH(set_cpu_simd(cpu_simd::avx2), Catch::Contains("no AVX2"));
  }
  CHECK(cpu_simd_in_use() == before);
  CHECK(cpu_simd_min_qubits() == before_min);

  ::setenv("HQML_CPU_SIMD", "sse9", 1);
  CHECK_THROWS_WITH(cpu_detail::simd_from_environment(), Catch::Contains("HQML_CPU_SIMD='sse9'"));
  ::setenv("HQML_CPU_SIMD", "none", 1);
  CHECK(cpu_detail::simd_from_environment() == cpu_simd::none);
  ::setenv("HQML_CPU_SIMD", "auto", 1);
  CHECK(cpu_detail::simd_from_environment() == cpu_simd_supported());
  ::unsetenv("HQML_CPU_SIMD");
  CHECK(cpu_detail::simd_from_environment() == cpu_simd_supported());
}
#endif
