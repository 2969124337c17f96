// Hardware-efficient ansätze against Qiskit's circuit library: the states of real_amplitudes and
// efficient_su2 for every entanglement (tests/reference/vqe_reference.json), and n_local's gate order.
#include "common/backends.hpp"
#include "common/json_data.hpp"
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/ansatz.hpp>
#include <hqml/state_vector.hpp>

#include <string>
#include <vector>

namespace ansatz_test {

using namespace hqml;

struct op_summary {
  std::string name;
  std::vector<std::uint32_t> qubits;
  long param = -1;  // θ index, −1 for none
  bool operator==(const op_summary&) const = default;
};

inline std::vector<op_summary> summary(const circuit& c) {
  std::vector<op_summary> out;
  for (const auto& op : c.operations()) {
    op_summary s{std::string(op.name()), op.qubits, -1};
    if (!op.params.empty()) {
      const auto& terms = op.params.at(0).terms();
      REQUIRE(terms.size() == 1);
      REQUIRE(terms[0].vars.size() == 1);
      REQUIRE(terms[0].coefficient == 1.0);
      s.param = static_cast<long>(terms[0].vars[0].index);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ansatz_test

using namespace ansatz_test;

TEMPLATE_LIST_TEST_CASE("real_amplitudes and efficient_su2 prepare Qiskit's states", "[ansatz]",
                        hqml::test::state_types) {
  using state = TestType;
  const double tol = hqml::test::tolerance<state>();
  const nlohmann::json data = hqml::test::load_reference("vqe_reference.json");
  REQUIRE(data.at("ansatz_states").size() >= 40);
  for (const auto& e : data.at("ansatz_states")) {
    const auto name = e.at("ansatz").get<std::string>();
    const auto n = e.at("num_qubits").get<std::size_t>();
    two_local_options o;
    o.reps = e.at("reps").get<std::size_t>();
    o.pairs = e.at("entanglement").get<std::string>();
    o.skip_final_rotation_layer = e.at("skip_final_rotation_layer").get<bool>();
    INFO(name << " n=" << n << " reps=" << o.reps << " " << o.pairs.pattern
              << (o.skip_final_rotation_layer ? " skip-final" : ""));
    const circuit c = name == "real_amplitudes" ? real_amplitudes(n, o) : efficient_su2(n, o);
    const auto theta = e.at("theta").get<std::vector<double>>();
    REQUIRE(c.num_params() == theta.size());
    state psi(n);
    psi.apply(c, theta);
    const auto re = e.at("state_re").get<std::vector<double>>(), im = e.at("state_im").get<std::vector<double>>();
    for (std::size_t i = 0; i < re.size(); ++i)
      REQUIRE(std::abs(std::complex<double>(psi.amplitude(i)) - std::complex<double>(re[i], im[i])) < 10 * tol);
  }
}

// CPU-only cases; the GPU twin (tests/cuda/test_core.cu) runs the templated ones on its backend.
#if !defined(HQML_TEST_CUDA)
TEST_CASE("n_local with a parametric entangler numbers θ as Qiskit does", "[ansatz]") {
  // Qiskit 2.6: n_local(3, ['ry', 'rx'], 'crz', 'linear', reps=2).
  two_local_options o;
  o.reps = 2;
  o.pairs = "linear";
  const circuit c = two_local(3, {gate_kind::ry, gate_kind::rx}, gate_kind::crz, o);
  std::vector<op_summary> expect;
  long k = 0;
  for (int layer = 0; layer < 3; ++layer) {
    for (const char* g : {"ry", "rx"})
      for (std::uint32_t q = 0; q < 3; ++q) expect.push_back({g, {q}, k++});
    if (layer < 2) {
      expect.push_back({"crz", {0, 1}, k++});
      expect.push_back({"crz", {1, 2}, k++});
    }
  }
  REQUIRE(summary(c) == expect);
  REQUIRE(c.num_params() == 22);
}

TEST_CASE("entangling layers follow Qiskit's layouts, and reverse_linear CX layers equal full ones", "[ansatz]") {
  const auto cx_pairs = [](std::size_t n, entanglement e) {
    two_local_options o;
    o.reps = 1;
    o.pairs = std::move(e);
    o.skip_final_rotation_layer = true;
    std::vector<std::vector<std::uint32_t>> pairs;
    const circuit c = real_amplitudes(n, o);
    for (const auto& op : c.operations())
      if (op.kind == gate_kind::cx) pairs.push_back(op.qubits);
    return pairs;
  };
  using pairs = std::vector<std::vector<std::uint32_t>>;
  REQUIRE(cx_pairs(4, "linear") == pairs{{0, 1}, {1, 2}, {2, 3}});
  REQUIRE(cx_pairs(4, "reverse_linear") == pairs{{2, 3}, {1, 2}, {0, 1}});
  REQUIRE(cx_pairs(4, "circular") == pairs{{3, 0}, {0, 1}, {1, 2}, {2, 3}});
  REQUIRE(cx_pairs(2, "circular") == pairs{{0, 1}});
  REQUIRE(cx_pairs(3, "full") == pairs{{0, 1}, {0, 2}, {1, 2}});
  REQUIRE(cx_pairs(5, "pairwise") == pairs{{0, 1}, {2, 3}, {1, 2}, {3, 4}});
  REQUIRE(cx_pairs(4, pairs{{3, 1}, {0, 2}}) == pairs{{3, 1}, {0, 2}});
  REQUIRE(cx_pairs(1, "full").empty());

  // Qiskit's documentation says reverse_linear gives full's unitary with CX entanglers; check it here.
  const std::size_t n = 5;
  two_local_options rev, full;
  rev.reps = full.reps = 2;
  full.pairs = "full";
  const circuit a = real_amplitudes(n, rev), b = real_amplitudes(n, full);
  REQUIRE(a.num_multi_qubit_gates() == 8);
  REQUIRE(b.num_multi_qubit_gates() == 20);
  std::vector<double> theta(a.num_params());
  for (std::size_t k = 0; k < theta.size(); ++k) theta[k] = 0.3 * double(k) - 1.7;
  for (std::uint64_t seed : {1u, 2u}) {
    const hqml::test::cvec start = hqml::test::random_state(n, seed);
    const hqml::test::cvec ra = hqml::test::reference_run(a, start, theta),
                           rb = hqml::test::reference_run(b, start, theta);
    REQUIRE((ra - rb).cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("ansatz builders refuse what they cannot build", "[ansatz]") {
  REQUIRE_THROWS_WITH(real_amplitudes(0), Catch::Contains("num_qubits must be 1 to"));
  REQUIRE_THROWS_WITH(two_local(3, {gate_kind::h}, gate_kind::cx), Catch::Contains("rotation gate 'h'"));
  REQUIRE_THROWS_WITH(two_local(3, {}, gate_kind::cx), Catch::Contains("no rotation gates"));
  REQUIRE_THROWS_WITH(two_local(3, {gate_kind::ry}, gate_kind::ccx), Catch::Contains("entangling gate 'ccx'"));
  REQUIRE_THROWS_WITH(two_local(3, {gate_kind::ry}, gate_kind::unitary), Catch::Contains("entangling gate 'unitary'"));
  REQUIRE_THROWS_WITH(two_local(3, {gate_kind::crx}, gate_kind::cx), Catch::Contains("rotation gate 'crx'"));
  two_local_options bad;
  bad.pairs = "ring";
  REQUIRE_THROWS_WITH(real_amplitudes(3, bad), Catch::Contains("unknown pattern 'ring'"));
  bad.pairs = std::vector<std::vector<std::uint32_t>>{{0, 3}};
  REQUIRE_THROWS_WITH(real_amplitudes(3, bad), Catch::Contains("qubit 3 out of range"));
  bad.pairs = std::vector<std::vector<std::uint32_t>>{{1, 1}};
  REQUIRE_THROWS_WITH(real_amplitudes(3, bad), Catch::Contains("two different qubits"));
  two_local_options o;
  o.reps = 0;
  REQUIRE(real_amplitudes(3, o).num_params() == 3);  // the final rotation layer alone
  o.skip_final_rotation_layer = true;
  REQUIRE(real_amplitudes(3, o).empty());
}

#endif
