// Kernel matrices: tiling and symmetry against brute-force overlaps, the projected kernel against reduced
// density matrices, classical kernels, shot noise, PSD projection, streaming to .npy, quantum features.
#include <catch2/catch.hpp>

#include <hqml/feature_map.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Eigenvalues>

#include <filesystem>
#include <random>

using namespace hqml;

namespace {
Eigen::MatrixXd uniform_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed, double hi = 2 * pi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, hi);
  Eigen::MatrixXd x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
  return x;
}
}  // namespace

TEMPLATE_TEST_CASE("fidelity kernels equal brute-force overlaps for every tile size", "[kernel]", float, double) {
  const circuit fm = zz_feature_map(3, 2, "full");
  const Eigen::MatrixXd x = uniform_data(23, 3, 1), y = uniform_data(9, 3, 2);
  const auto sx = batched_states<TestType>(fm, x), sy = batched_states<TestType>(fm, y);
  Eigen::MatrixXd brute(23, 23), brute_xy(9, 23);
  for (Eigen::Index i = 0; i < 23; ++i)
    for (Eigen::Index j = 0; j < 23; ++j) {
      std::complex<double> s = 0;
      for (Eigen::Index k = 0; k < sx.cols(); ++k) s += std::conj(std::complex<double>(sx(i, k))) * std::complex<double>(sx(j, k));
      brute(i, j) = std::norm(s);
    }
  for (Eigen::Index i = 0; i < 9; ++i)
    for (Eigen::Index j = 0; j < 23; ++j) {
      std::complex<double> s = 0;
      for (Eigen::Index k = 0; k < sx.cols(); ++k) s += std::conj(std::complex<double>(sy(i, k))) * std::complex<double>(sx(j, k));
      brute_xy(i, j) = std::norm(s);
    }
  const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-13;
  for (Eigen::Index tile : {0, 1, 4, 7, 256})  // 0: the backend's default
    for (int threads : {1, 2}) {
      const kernel_options opt{threads, tile};
      const Eigen::MatrixXd k = fidelity_kernel<TestType>(fm, x, {}, opt);
      REQUIRE((k - brute).cwiseAbs().maxCoeff() < tol);
      REQUIRE((k - k.transpose()).cwiseAbs().maxCoeff() == 0.0);
      REQUIRE((k.diagonal().array() - 1.0).abs().maxCoeff() < 10 * tol);
      REQUIRE((fidelity_kernel<TestType>(fm, y, x, {}, opt) - brute_xy).cwiseAbs().maxCoeff() < tol);
    }
  REQUIRE_THROWS_WITH(fidelity_kernel<TestType>(sx, kernel_options{0, -1}), Catch::Contains("tile size"));
  REQUIRE_THROWS_WITH(fidelity_kernel<TestType>(fm, x, {}, kernel_options{0, -1}), Catch::Contains("tile size"));
}

TEST_CASE("the projected kernel is exp(-gamma sum_q ||rho_q - rho_q'||_F^2)", "[kernel]") {
  const circuit fm = pauli_feature_map(3, 2, "linear", 2.0, {"Y", "XZ"});
  const Eigen::MatrixXd x = uniform_data(7, 3, 3), y = uniform_data(5, 3, 4);
  const double gamma = 0.8;
  const Eigen::MatrixXd k = projected_kernel<double>(fm, y, x, gamma);
  for (Eigen::Index i = 0; i < 5; ++i)
    for (Eigen::Index j = 0; j < 7; ++j) {
      state_vector<double> a(3), b(3);
      const std::vector<double> ya{y(i, 0), y(i, 1), y(i, 2)}, xb{x(j, 0), x(j, 1), x(j, 2)};
      a.apply(fm, {}, ya);
      b.apply(fm, {}, xb);
      double d = 0;
      for (std::uint32_t q = 0; q < 3; ++q) {
        const auto ra = a.reduced_density_matrix(q), rb = b.reduced_density_matrix(q);
        for (int e = 0; e < 4; ++e) d += std::norm(ra[e] - rb[e]);
      }
      REQUIRE(k(i, j) == Approx(std::exp(-gamma * d)).epsilon(1e-12));
    }
  REQUIRE_THROWS_WITH(projected_kernel<double>(fm, y, x, -1.0), Catch::Contains("gamma"));
}

TEST_CASE("classical kernels", "[kernel]") {
  const Eigen::MatrixXd x = uniform_data(6, 4, 5, 1.0), y = uniform_data(3, 4, 6, 1.0);
  const Eigen::MatrixXd r = rbf_kernel(y, x, 0.7), l = linear_kernel(y, x), p = polynomial_kernel(y, x, 0.5, 1.0, 3);
  for (Eigen::Index i = 0; i < 3; ++i)
    for (Eigen::Index j = 0; j < 6; ++j) {
      REQUIRE(r(i, j) == Approx(std::exp(-0.7 * (y.row(i) - x.row(j)).squaredNorm())).epsilon(1e-12));
      REQUIRE(l(i, j) == Approx(y.row(i).dot(x.row(j))).epsilon(1e-12));
      REQUIRE(p(i, j) == Approx(std::pow(0.5 * y.row(i).dot(x.row(j)) + 1.0, 3)).epsilon(1e-12));
    }
  REQUIRE_THROWS_WITH(rbf_kernel(x, Eigen::MatrixXd(2, 3), 1.0), Catch::Contains("different feature counts"));
}

TEST_CASE("shot noise is binomial and seeded, PSD projection clips negative eigenvalues", "[kernel]") {
  const circuit fm = zz_feature_map(2, 2, "full");
  const Eigen::MatrixXd x = uniform_data(30, 2, 8);
  const Eigen::MatrixXd k = fidelity_kernel<double>(fm, x);
  Eigen::MatrixXd a = k, b = k;
  add_shot_noise(a, 1000, 42, true);
  add_shot_noise(b, 1000, 42, true);
  REQUIRE(a == b);
  REQUIRE((a - a.transpose()).cwiseAbs().maxCoeff() == 0.0);
  REQUIRE(a.diagonal().isOnes());
  // Each entry is a multiple of 1/shots within 5 standard deviations of the exact value.
  for (Eigen::Index i = 0; i < 30; ++i)
    for (Eigen::Index j = 0; j < 30; ++j) {
      const double sd = std::sqrt(k(i, j) * (1 - k(i, j)) / 1000) + 1e-9;
      REQUIRE(std::abs(a(i, j) - k(i, j)) <= 5 * sd + 1e-3);
      REQUIRE(std::abs(a(i, j) * 1000 - std::round(a(i, j) * 1000)) < 1e-9);
    }
  Eigen::MatrixXd c = k;
  add_shot_noise(c, 1000, 43, true);
  REQUIRE(c != a);
  const Eigen::MatrixXd psd = project_psd(a);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(psd);
  REQUIRE(es.eigenvalues().minCoeff() > -1e-10);
  REQUIRE((project_psd(k) - k).cwiseAbs().maxCoeff() < 1e-10);  // already PSD: unchanged
  // Expressions and single precision are taken as they are; the result is the projection of their value.
  REQUIRE((project_psd(0.5 * (a + a.transpose())) - psd).cwiseAbs().maxCoeff() < 1e-12);
  REQUIRE((project_psd(a.cast<float>()) - psd).cwiseAbs().maxCoeff() < 1e-5);
  REQUIRE_THROWS_WITH(project_psd(Eigen::MatrixXd(2, 3)), Catch::Contains("square"));
}

TEST_CASE("kernels stream to .npy row block by row block", "[kernel][npy]") {
  const circuit fm = zz_feature_map(3, 1, "linear");
  const Eigen::MatrixXd x = uniform_data(50, 3, 9), y = uniform_data(20, 3, 10);
  const auto dir = std::filesystem::temp_directory_path() / "hqml_kernel_stream_test";
  std::filesystem::create_directories(dir);
  fidelity_kernel_to_npy<double>(fm, x, nullptr, dir / "k.npy", {}, {}, 7);
  const Eigen::MatrixXd k = io::read_npy_matrix<double>(dir / "k.npy");
  REQUIRE((k - fidelity_kernel<double>(fm, x)).cwiseAbs().maxCoeff() < 1e-13);
  fidelity_kernel_to_npy<double>(fm, x, &y, dir / "kxy.npy", {}, {}, 16);
  REQUIRE((io::read_npy_matrix<double>(dir / "kxy.npy") - fidelity_kernel<double>(fm, x, y)).cwiseAbs().maxCoeff() <
          1e-13);
  std::filesystem::remove_all(dir);
}

TEST_CASE("angle-ladder quantum features: exact probabilities and seeded measurements", "[kernel]") {
  const circuit fm = angle_ladder_map(5, 3, 2);
  REQUIRE(fm.num_features() == 5);
  const Eigen::MatrixXd x = uniform_data(12, 5, 11, 1.0);
  const Eigen::MatrixXd p = batched_qubit_probabilities<double>(fm, x);
  for (Eigen::Index i = 0; i < 12; ++i) {
    state_vector<double> sv(3);
    std::vector<double> row(5);
    for (int j = 0; j < 5; ++j) row[static_cast<std::size_t>(j)] = x(i, j);
    sv.apply(fm, {}, row);
    for (std::uint32_t q = 0; q < 3; ++q) REQUIRE(p(i, q) == Approx(sv.probability_one(q)).margin(1e-12));
  }
  const Eigen::MatrixXd m1 = batched_measurements<double>(fm, x, 4000, 7, {}, 1);
  const Eigen::MatrixXd m2 = batched_measurements<double>(fm, x, 4000, 7, {}, 2);
  REQUIRE(m1 == m2);
  REQUIRE((m1 - p).cwiseAbs().maxCoeff() < 0.04);
  const Eigen::MatrixXd one = batched_measurements<double>(fm, x, 1, 3);
  REQUIRE(((one.array() == 0.0) || (one.array() == 1.0)).all());
  REQUIRE_THROWS_WITH(angle_embedding(4, 3), Catch::Contains("4 features for 3 qubits"));
}
