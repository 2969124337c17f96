// GPU batched states and fidelity kernels against the CPU ones (batched.hpp, quantum_kernel.hpp). Compiled as
// part of test_core.cu, whose other tests' helpers share its unnamed namespace (hence gpu_tol, not tol).
#include <hqml/cuda/quantum_kernel.cuh>

#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/feature_map.hpp>
#include <hqml/quantum_kernel.hpp>

#include <random>
#include <vector>

using namespace hqml;

namespace {

Eigen::MatrixXd random_features(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  Eigen::MatrixXd x(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = u(g);
  return x;
}

gpu::feature_matrix view(const Eigen::MatrixXd& x) {
  return gpu::feature_matrix::col_major(x.data(), static_cast<std::size_t>(x.rows()), static_cast<std::size_t>(x.cols()));
}

template <class Real>
double max_state_error(const circuit& c, const Eigen::MatrixXd& x, std::span<const double> theta = {}) {
  const auto cpu = batched_states<double>(c, x, theta, 1);
  const auto got = gpu::batched_states<Real>(c, view(x), theta).to_host();
  const auto dim = static_cast<std::size_t>(cpu.cols());
  REQUIRE(got.size() == static_cast<std::size_t>(cpu.rows()) * dim);
  double err = 0;
  for (Eigen::Index i = 0; i < cpu.rows(); ++i)
    for (std::size_t k = 0; k < dim; ++k)
      err = std::max(err, std::abs(std::complex<double>(got[static_cast<std::size_t>(i) * dim + k]) -
                                   cpu(i, static_cast<Eigen::Index>(k))));
  return err;
}

template <class Real>
constexpr double gpu_tol() {
  return std::is_same_v<Real, float> ? 5e-5 : 1e-11;
}

}  // namespace

TEMPLATE_TEST_CASE("GPU batched states equal the CPU ones (shared- and global-memory paths)", "[cuda][batched]", float,
                   double) {
  using Real = TestType;
  SECTION("ZZ feature maps, n = 2..8 in shared memory") {
    for (std::size_t n : {2u, 5u, 8u}) {
      const circuit c = zz_feature_map(n, 2);
      REQUIRE(max_state_error<Real>(c, random_features(70, static_cast<Eigen::Index>(n), n)) < gpu_tol<Real>());
    }
  }
  SECTION("n = 14: states built in global memory") {
    const circuit c = zz_feature_map(14, 1, "linear");
    REQUIRE(max_state_error<Real>(c, random_features(3, 14, 9)) < gpu_tol<Real>());
  }
  SECTION("every gate kind, trainable parameters and features") {
    circuit c(4);
    for (std::uint32_t q = 0; q < 4; ++q) c.h(q).ry(q, param(q) + feature(q));
    c.u(0, feature(1), param(0), 0.3).cx(0, 1).cy(1, 2).ch(2, 3).crx(3, 0, feature(2)).cry(0, 2, param(1));
    c.crz(1, 3, feature(0) * feature(3)).cp(2, 0, param(2)).rxx(0, 3, feature(1)).ryy(1, 2, param(3));
    c.rzz(0, 2, 2.0 * (pi - feature(0)) * (pi - feature(2))).iswap(1, 3).swap(0, 2).ccx(0, 1, 3).cswap(3, 2, 0);
    c.sx(1).sxdg(2).s(0).t(3).tdg(1).sdg(2).y(3).z(0).cz(1, 2);
    c.unitary({2, 0}, hqml::test::random_unitary(2, 4)).unitary({1, 3, 0}, hqml::test::random_unitary(3, 5));
    const std::vector<double> theta{0.3, -0.9, 1.7, 2.4};
    REQUIRE(max_state_error<Real>(c, random_features(50, 4, 2), theta) < gpu_tol<Real>());
  }
  SECTION("errors name the problem") {
    circuit m(2, 1);
    m.h(0).measure(0, 0);
    const Eigen::MatrixXd x = random_features(2, 2, 1);
    REQUIRE_THROWS_WITH(gpu::batched_states<Real>(m, view(x)), Catch::Contains("unitary circuit"));
    REQUIRE_THROWS_WITH(gpu::batched_states<Real>(zz_feature_map(3), view(x)), Catch::Contains("x[2]"));
  }
}

TEMPLATE_TEST_CASE("GPU fidelity kernels equal the CPU ones, tiled or not", "[cuda][kernel]", float, double) {
  using Real = TestType;
  const circuit c = zz_feature_map(5, 2);
  const Eigen::MatrixXd x = random_features(37, 5, 3), y = random_features(23, 5, 4);
  const Eigen::MatrixXd k_xx = fidelity_kernel<double>(c, x), k_yx = fidelity_kernel<double>(c, y, x);
  const auto sx = gpu::batched_states<Real>(c, view(x));
  const auto sy = gpu::batched_states<Real>(c, view(y));
  for (std::size_t tile : {0u, 8u, 37u, 5u}) {
    const gpu::gram_options opt{tile};
    const std::vector<double> g_xx = gpu::fidelity_kernel(sx, opt);
    const std::vector<double> g_yx = gpu::fidelity_kernel(sy, sx, opt);
    // Column-major, like Eigen::MatrixXd.
    REQUIRE((Eigen::Map<const Eigen::MatrixXd>(g_xx.data(), 37, 37) - k_xx).cwiseAbs().maxCoeff() < 10 * gpu_tol<Real>());
    REQUIRE((Eigen::Map<const Eigen::MatrixXd>(g_yx.data(), 23, 37) - k_yx).cwiseAbs().maxCoeff() < 10 * gpu_tol<Real>());
  }
  REQUIRE_THROWS_WITH(gpu::fidelity_kernel(sx, gpu::batched_states<Real>(zz_feature_map(4), view(x))),
                      Catch::Contains("5 and 4 qubits"));
}
