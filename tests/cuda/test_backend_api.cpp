// The API's backend parameter from host code: this unit is compiled by the host compiler, not nvcc, and reaches
// the GPU only through hqml::cuda, the compiled entry points. One body per capability over both backends and
// both precisions, each against the dense CPU reference; the layouts crossing the compiled interface (strided
// Eigen views in, column-major kernels out, rows of the first argument) are what the kernel case checks, the GPU
// maths itself being tested in test_quantum_kernel.cu and test_anneal.cu.
#include <catch2/catch.hpp>

#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/batched.hpp>
#include <hqml/device.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/final_state.hpp>
#include <hqml/quantum_kernel.hpp>
#include <hqml/shots.hpp>

#include <Eigen/Core>

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace hqml;

#if !defined(HQML_CUDA_LIBRARY)
#error "test_backend_api.cpp links hqml::cuda (HQML_CUDA_LIBRARY)"
#endif

namespace {

Eigen::MatrixXd features(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  Eigen::MatrixXd x(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = u(g);
  return x;
}

template <class Real>
constexpr double tolerance = std::is_same_v<Real, float> ? 2e-5 : 1e-10;

// The backends in a template list, as device::gpu names hqml::cuda.
using cpu_float = std::tuple<float, hqml::cpu>;
using cpu_double = std::tuple<double, hqml::cpu>;
using cuda_float = std::tuple<float, hqml::cuda>;
using cuda_double = std::tuple<double, hqml::cuda>;

}  // namespace

TEST_CASE("from host code the GPU is reachable, named and described", "[cuda][device]") {
  CHECK(device_unavailable_reason(device::gpu).empty());
  CHECK(device_available(device::gpu));
  const std::string d = device_description(device::gpu);
  CHECK(d.rfind("gpu (", 0) == 0);
  CHECK(d.size() > 6);
  CHECK(with_backend(device::gpu, [](auto b) { return std::string(decltype(b)::name); }) == "cuda");
}

TEMPLATE_TEST_CASE("fidelity_kernel<Real, Backend> equals the dense reference for strided views and both shapes",
                   "[cuda][kernel]", cpu_float, cpu_double, cuda_float, cuda_double) {
  using real_type = std::tuple_element_t<0, TestType>;
  using backend_type = std::tuple_element_t<1, TestType>;
  const circuit fm = with_trainable_layer(zz_feature_map(5, 2, "full"));
  const std::vector<double> theta{0.3, -0.8, 1.1, 0.05, -1.9};
  // Rows 2.. of a wider matrix: a view whose outer stride is not its row count.
  const Eigen::MatrixXd wide = features(40, 7, 1);
  const Eigen::Ref<const Eigen::MatrixXd> a = wide.block(2, 1, 37, 5);
  const Eigen::MatrixXd b = features(11, 5, 2);
  const kernel_options opt{1, 0};

  // Reference: dense double states on the CPU, overlaps summed by hand.
  const auto state = [&](const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::Index i) {
    const Eigen::VectorXd row = x.row(i).transpose();
    return final_state<double>(fm, theta, std::span<const double>(row.data(), static_cast<std::size_t>(row.size())));
  };
  const auto reference = [&](const Eigen::Ref<const Eigen::MatrixXd>& x, const Eigen::Ref<const Eigen::MatrixXd>& y) {
    Eigen::MatrixXd k(x.rows(), y.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const auto si = state(x, i);
      for (Eigen::Index j = 0; j < y.rows(); ++j) {
        const auto sj = state(y, j);
        std::complex<double> s = 0;
        for (std::size_t t = 0; t < si.size(); ++t) s += std::conj(si[t]) * sj[t];
        k(i, j) = std::norm(s);
      }
    }
    return k;
  };
  const double tol = tolerance<real_type>;
  const Eigen::MatrixXd k_aa = fidelity_kernel<real_type, backend_type>(fm, a, theta, opt);
  REQUIRE(k_aa.rows() == 37);
  REQUIRE(k_aa.cols() == 37);
  CHECK((k_aa - reference(a, a)).cwiseAbs().maxCoeff() < tol);
  CHECK((k_aa - k_aa.transpose()).cwiseAbs().maxCoeff() == 0.0);
  // Rows of the first argument: K(b, a) is 11 × 37; a small tile splits it.
  const Eigen::MatrixXd k_ba = fidelity_kernel<real_type, backend_type>(fm, b, a, theta, kernel_options{1, 8});
  REQUIRE(k_ba.rows() == 11);
  REQUIRE(k_ba.cols() == 37);
  CHECK((k_ba - reference(b, a)).cwiseAbs().maxCoeff() < tol);
  // Too few feature columns for the map: an error, not a wrong answer.
  const Eigen::MatrixXd narrow = b.leftCols(3);
  CHECK_THROWS_AS((fidelity_kernel<real_type, backend_type>(fm, narrow, theta, opt)), std::invalid_argument);
  CHECK_THROWS_WITH((fidelity_kernel<real_type, backend_type>(fm, b, theta, kernel_options{1, -1})),
                    Catch::Contains("tile size"));
}

TEMPLATE_TEST_CASE("batched_states<Real, Backend> holds each row's final state", "[cuda][batched]", cpu_float,
                   cpu_double, cuda_float, cuda_double) {
  using real_type = std::tuple_element_t<0, TestType>;
  using backend_type = std::tuple_element_t<1, TestType>;
  const circuit fm = with_trainable_layer(zz_feature_map(4, 2, "linear"));
  const std::vector<double> theta{0.2, -0.4, 0.9, 1.3};
  const Eigen::MatrixXd wide = features(9, 6, 3);
  const Eigen::Ref<const Eigen::MatrixXd> x = wide.block(1, 2, 8, 4);  // strided rows
  const state_matrix<real_type> psi = batched_states<real_type, backend_type>(fm, x, theta);
  REQUIRE(psi.rows() == 8);
  REQUIRE(psi.cols() == 16);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::VectorXd row = x.row(i).transpose();
    const auto want = final_state<double>(fm, theta, std::span<const double>(row.data(), 4));
    for (Eigen::Index k = 0; k < 16; ++k)
      CHECK(std::abs(std::complex<double>(psi(i, k)) - want[static_cast<std::size_t>(k)]) < tolerance<real_type>);
  }
  CHECK(batched_states<real_type, backend_type>(fm, x.topRows(0), theta).rows() == 0);
  CHECK_THROWS_AS((batched_states<real_type, backend_type>(fm, x.leftCols(2), theta)), std::invalid_argument);
}

TEMPLATE_TEST_CASE("final_state and sample_counts agree with the CPU reference on every backend", "[cuda][shots]",
                   cpu_float, cpu_double, cuda_float, cuda_double) {
  using real_type = std::tuple_element_t<0, TestType>;
  using backend_type = std::tuple_element_t<1, TestType>;
  circuit c(3);
  c.h(0).cx(0, 1).ry(2, 0.7).cx(1, 2).rz(0, 0.3);
  const auto want = final_state<double>(c);
  const auto got = final_state<real_type, backend_type>(c);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    CHECK(std::abs(std::complex<double>(got[i]) - want[i]) < tolerance<real_type>);

  circuit m = c;
  m.measure_all();
  CHECK_THROWS_AS((final_state<real_type, backend_type>(m)), std::invalid_argument);
  // 20000 shots: each outcome's count within 5 standard deviations of its probability.
  const std::size_t shots = 20000;
  shot_options so;
  so.seed = 11;
  const auto counts = sample_counts<real_type, backend_type>(c, shots, so);
  std::size_t total = 0;
  for (const auto& [bits, n] : counts) {
    std::size_t index = 0;
    for (char ch : bits) index = 2 * index + static_cast<std::size_t>(ch == '1');
    const double p = std::norm(want[index]);
    REQUIRE(p > 0);
    CHECK(std::abs(static_cast<double>(n) - p * shots) < 5 * std::sqrt(p * (1 - p) * shots) + 1);
    total += n;
  }
  CHECK(total == shots);
  // The same seed, the same counts.
  CHECK(sample_counts<real_type, backend_type>(c, shots, so) == counts);
}

TEMPLATE_TEST_CASE("simulated_annealing<Backend> finds the ground state of a frustrated ring", "[cuda][anneal]",
                   hqml::cpu, hqml::cuda) {
  // An antiferromagnetic ring of 9 spins with a field: the ground state, found by enumeration, is the reference.
  std::vector<anneal::coupling> ring;
  for (std::uint32_t i = 0; i < 9; ++i) ring.push_back({i, (i + 1) % 9, 1.0});
  std::vector<double> field(9, 0.0);
  field[0] = 0.5;
  const anneal::ising_model m(9, field, ring);
  double ground = 1e300;
  std::vector<std::int8_t> s(9);
  for (unsigned bits = 0; bits < 512; ++bits) {
    for (unsigned i = 0; i < 9; ++i) s[i] = (bits >> i) & 1u ? 1 : -1;
    ground = std::min(ground, m.energy(std::span<const std::int8_t>(s)));
  }
  anneal::sa_options o;
  o.num_reads = 64;
  o.num_sweeps = 200;
  o.seed = 5;
  const anneal::sample_set r = anneal::simulated_annealing<TestType>(m, o);
  CHECK(r.num_reads == 64);
  CHECK(r.num_sweeps == 200);
  CHECK(r.best_energy() == Approx(ground));
  CHECK(m.energy(r.best_state()) == Approx(r.best_energy()));
  // The Gibbs rule (the acceptance step in kernels/anneal_step.hpp serves both backends).
  o.rule = anneal::acceptance_rule::gibbs;
  CHECK(anneal::simulated_annealing<TestType>(m, o).best_energy() == Approx(ground));
  o.rule = anneal::acceptance_rule::metropolis;
  if constexpr (std::is_same_v<TestType, hqml::cuda>) {
    // What the GPU annealer does not do is refused, never ignored.
    o.order = anneal::update_order::random;
    CHECK_THROWS_WITH(anneal::simulated_annealing<TestType>(m, o), Catch::Contains("sequential"));
    o.order = anneal::update_order::sequential;
    o.time_limit_s = 1.0;
    CHECK_THROWS_AS(anneal::simulated_annealing<TestType>(m, o), std::invalid_argument);
    o.time_limit_s = 0.0;
    o.num_reads = 0;
    CHECK_THROWS_WITH(anneal::simulated_annealing<TestType>(m, o), Catch::Contains("num_reads"));
  }
}
