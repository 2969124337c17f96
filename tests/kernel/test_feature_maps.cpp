// Feature maps and fidelity kernels against Qiskit / qiskit-machine-learning values
// (tests/reference/kernel_reference.json, made by tests/reference/make_kernel_reference.py).
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/feature_map.hpp>
#include <hqml/quantum_kernel.hpp>

#include "common/json_data.hpp"

#include <nlohmann/json.hpp>

#include <complex>
#include <fstream>
#include <random>

using namespace hqml;

namespace {

circuit map_of(const nlohmann::json& c) {
  entanglement ent;
  if (c["entanglement"].is_string()) ent = entanglement(c["entanglement"].get<std::string>());
  else ent = entanglement(c["entanglement"].get<std::vector<std::vector<std::uint32_t>>>());
  return pauli_feature_map(c["num_qubits"].get<std::size_t>(), c["reps"].get<std::size_t>(), ent,
                           c["alpha"].get<double>(), c["paulis"].get<std::vector<std::string>>());
}

}  // namespace

TEMPLATE_TEST_CASE("Pauli and ZZ feature maps reproduce Qiskit's states and kernels", "[kernel][qiskit]", float,
                   double) {
  const auto ref = hqml::test::load_reference("kernel_reference.json");
  const double tol = std::is_same_v<TestType, float> ? 2e-5 : 1e-10;
  REQUIRE(ref["cases"].size() >= 8);
  for (const auto& c : ref["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    const circuit fm = map_of(c);
    const Eigen::MatrixXd x = hqml::test::matrix_of(c["x"]), y = hqml::test::matrix_of(c["y"]);
    const auto states = batched_states<TestType>(fm, x);
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      for (Eigen::Index k = 0; k < states.cols(); ++k) {
        const auto& a = c["states"][static_cast<std::size_t>(i)][static_cast<std::size_t>(k)];
        const std::complex<double> expect(a[0].get<double>(), a[1].get<double>());
        REQUIRE(std::abs(std::complex<double>(states(i, k)) - expect) < tol);
      }
    const Eigen::MatrixXd k_train = fidelity_kernel<TestType>(fm, x);
    REQUIRE((k_train - hqml::test::matrix_of(c["k_train"])).cwiseAbs().maxCoeff() < tol);
    const Eigen::MatrixXd k_test = fidelity_kernel<TestType>(fm, y, x);
    REQUIRE((k_test - hqml::test::matrix_of(c["k_test"])).cwiseAbs().maxCoeff() < tol);
  }
}

TEST_CASE("the IQP map is U_Phi H U_Phi H |0> of Havlicek et al.", "[kernel]") {
  const std::size_t n = 3;
  const std::vector<double> x{0.3, 2.2, 5.1};
  // Direct construction: U_Φ|b⟩ = exp(i [Σ x_i z_i + Σ_{i<j} (π−x_i)(π−x_j) z_i z_j]) |b⟩, z = 1 − 2b.
  hqml::test::cvec psi = hqml::test::cvec::Zero(8);
  psi[0] = 1;
  hqml::test::cmat h = hqml::test::cmat::Identity(8, 8);
  for (std::uint32_t q = 0; q < n; ++q) h = hqml::test::embed(gate_matrix(gate_kind::h), {q}, n) * h;
  hqml::test::cmat u = hqml::test::cmat::Zero(8, 8);
  for (int b = 0; b < 8; ++b) {
    double phase = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double zi = 1 - 2 * ((b >> i) & 1);
      phase += x[i] * zi;
      for (std::size_t j = i + 1; j < n; ++j) phase += (pi - x[i]) * (pi - x[j]) * zi * (1 - 2 * ((b >> j) & 1));
    }
    u(b, b) = std::polar(1.0, phase);
  }
  const hqml::test::cvec expect = u * h * u * h * psi;
  Eigen::MatrixXd xs(1, 3);
  xs << x[0], x[1], x[2];
  const auto got = batched_states<double>(iqp_feature_map(n, 2), xs);
  for (int k = 0; k < 8; ++k) REQUIRE(std::abs(got(0, k) - expect[k]) < 1e-12);
}

TEST_CASE("entanglement patterns follow Qiskit's order", "[kernel]") {
  using v = std::vector<std::vector<std::uint32_t>>;
  REQUIRE(entanglement("linear").blocks(4, 2) == v{{0, 1}, {1, 2}, {2, 3}});
  REQUIRE(entanglement("reverse_linear").blocks(4, 2) == v{{2, 3}, {1, 2}, {0, 1}});
  REQUIRE(entanglement("circular").blocks(4, 2) == v{{3, 0}, {0, 1}, {1, 2}, {2, 3}});
  REQUIRE(entanglement("full").blocks(4, 3) == v{{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}});
  REQUIRE(entanglement("pairwise").blocks(5, 2) == v{{0, 1}, {2, 3}, {1, 2}, {3, 4}});
  REQUIRE(entanglement("full").blocks(3, 1) == v{{0}, {1}, {2}});
  REQUIRE_THROWS_WITH(entanglement("sca").blocks(3, 2), Catch::Contains("unknown pattern 'sca'"));
  REQUIRE_THROWS_WITH(entanglement(v{{0, 5}}).blocks(3, 2), Catch::Contains("qubit 5 out of range"));
  REQUIRE_THROWS_WITH(pauli_feature_map(3, 1, "full", 2.0, {"ZQ"}), Catch::Contains("'Q'"));
}

TEMPLATE_TEST_CASE("batched states equal one-by-one simulation, for trainable maps too", "[kernel]", float, double) {
  const circuit fm = with_trainable_layer(zz_feature_map(4, 2, "linear"));
  REQUIRE(fm.num_params() == 4);
  const std::vector<double> theta{0.1, -0.7, 1.3, 2.0};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 2 * pi);
  Eigen::MatrixXd x(37, 4);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
  for (int threads : {1, 2}) {
    const auto states = batched_states<TestType>(fm, x, theta, threads);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      std::vector<double> row(x.row(i).data(), x.row(i).data() + 0);
      row.assign(4, 0);
      for (int j = 0; j < 4; ++j) row[static_cast<std::size_t>(j)] = x(i, j);
      state_vector<TestType> sv(4);
      sv.apply(fm, theta, row);
      const auto v = sv.to_vector();
      for (std::size_t k = 0; k < v.size(); ++k)
        REQUIRE(std::abs(std::complex<double>(states(i, static_cast<Eigen::Index>(k))) - std::complex<double>(v[k])) <
                1e-6);
    }
  }
  REQUIRE_THROWS_WITH(batched_states<TestType>(fm, x), Catch::Contains("needs 4 parameters"));
  REQUIRE_THROWS_WITH(batched_states<TestType>(fm, Eigen::MatrixXd(3, 2), theta), Catch::Contains("has 2 columns"));
}
