// The hqml program's --device gpu kernels (examples/hqml/gpu_kernel.hpp, built from gpu/gpu_kernel.cu) against
// the CPU's fidelity_kernel: the layouts crossing that interface (column-major features in, column-major kernel
// out, rows of the first argument) are what this checks, the GPU maths being tested in test_quantum_kernel.cu.
#include "gpu_kernel.hpp"

#include <catch2/catch.hpp>

#include <hqml/feature_map.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Core>

#include <random>
#include <vector>

using namespace hqml;

namespace {

Eigen::MatrixXd cli_features(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  Eigen::MatrixXd x(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = u(g);
  return x;
}

double max_difference(const std::vector<double>& got, const Eigen::MatrixXd& want) {
  REQUIRE(got.size() == static_cast<std::size_t>(want.size()));
  double d = 0;
  for (Eigen::Index c = 0; c < want.cols(); ++c)
    for (Eigen::Index r = 0; r < want.rows(); ++r)
      d = std::max(d, std::abs(got[static_cast<std::size_t>(r + c * want.rows())] - want(r, c)));
  return d;
}

}  // namespace

TEST_CASE("the hqml program's GPU fidelity kernels equal the CPU's", "[cuda][cli]") {
  REQUIRE(cli::gpu_unavailable_reason().empty());
  REQUIRE_FALSE(cli::gpu_device_name().empty());
  const circuit fm = with_trainable_layer(zz_feature_map(5, 2, "full"));
  const std::vector<double> theta{0.3, -0.8, 1.1, 0.05, -1.9};
  const Eigen::MatrixXd a = cli_features(37, 5, 1), b = cli_features(11, 5, 2);
  const kernel_options cpu{1, 256};

  const Eigen::MatrixXd k_aa = fidelity_kernel<double>(fm, a, theta, cpu);
  REQUIRE(max_difference(cli::gpu_fidelity_kernel(fm, a.data(), 37, nullptr, 0, 5, theta, false), k_aa) < 1e-10);
  REQUIRE(max_difference(cli::gpu_fidelity_kernel(fm, a.data(), 37, nullptr, 0, 5, theta, true), k_aa) < 1e-5);

  // Rows of the first argument: K(b, a) is 11 × 37.
  const Eigen::MatrixXd k_ba = fidelity_kernel<double>(fm, b, a, theta, cpu);
  REQUIRE(max_difference(cli::gpu_fidelity_kernel(fm, b.data(), 11, a.data(), 37, 5, theta, false), k_ba) < 1e-10);

  // Too few feature columns for the map: the GPU path's own error, not a wrong answer.
  const Eigen::MatrixXd narrow = a.leftCols(3);
  REQUIRE_THROWS_AS(cli::gpu_fidelity_kernel(fm, narrow.data(), 37, nullptr, 0, 3, theta, false),
                    std::invalid_argument);
}
