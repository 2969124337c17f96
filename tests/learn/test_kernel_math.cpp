// Kernel ridge regression/classification against direct solves and scikit-learn; kernel-target
// alignment against explicit centering; the geometric difference, model complexity and approximate
// dimension of Huang et al. against constructed cases and the literal matrix-square-root formulas.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <Eigen/Dense>

#include <hqml/learn/alignment.hpp>
#include <hqml/learn/kernel_ridge.hpp>
#include <hqml/learn/quantum_advantage.hpp>

#include "reference.hpp"
#include "test_data.hpp"

namespace hl = hqml::learn;

namespace {

Eigen::MatrixXd random_orthogonal(Eigen::Index n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a(n, n);
  for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = normal(rng);
  return Eigen::HouseholderQR<Eigen::MatrixXd>(a).householderQ();
}

Eigen::MatrixXd with_spectrum(const Eigen::MatrixXd& v, const Eigen::VectorXd& eig) {
  return v * eig.asDiagonal() * v.transpose();
}

// The definitions written out literally: symmetric square roots and a spectral norm.
double literal_g(const Eigen::MatrixXd& kc, const Eigen::MatrixXd& kq, double lambda) {
  const Eigen::MatrixXd sq = hl::psd_sqrt(kq);
  Eigen::MatrixXd m;
  if (lambda == 0) {
    m = sq * kc.inverse() * sq;
  } else {
    const Eigen::MatrixXd sc = hl::psd_sqrt(kc);
    Eigen::MatrixXd reg = kc;
    reg.diagonal().array() += lambda;
    const Eigen::MatrixXd inv = reg.inverse();
    m = sq * sc * inv * inv * sc * sq;
  }
  return std::sqrt(Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues()(0));
}

}  // namespace

TEST_CASE("kernel ridge regression equals a direct solve and scikit-learn", "[krr]") {
  const auto& r = hqml_test::sklearn_reference().at("kernel_ridge");
  const Eigen::MatrixXd k = hqml::test::matrix_of(r.at("k")), kt = hqml::test::matrix_of(r.at("k_test"));
  const Eigen::VectorXd y = hqml::test::vector_of(r.at("y"));
  const double lambda = r.at("alpha").get<double>();
  const auto m = hl::kernel_ridge_regressor::fit(k, y, lambda);
  Eigen::MatrixXd a = k;
  a.diagonal().array() += lambda;
  const Eigen::VectorXd direct = a.fullPivLu().solve(y);
  CHECK((m.dual_coef().col(0) - direct).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((m.dual_coef().col(0) - hqml::test::vector_of(r.at("dual_coef"))).cwiseAbs().maxCoeff() < 1e-9);
  CHECK((m.predict(kt).col(0) - hqml::test::vector_of(r.at("predict"))).cwiseAbs().maxCoeff() < 1e-9);

  // An indefinite (but nonsingular) system: Cholesky fails, LDLT must take over and still solve it.
  Eigen::MatrixXd ind = with_spectrum(random_orthogonal(12, 3), (Eigen::VectorXd(12) << -0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11).finished());
  const Eigen::VectorXd yi = Eigen::VectorXd::LinSpaced(12, -1, 1);
  const auto mi = hl::kernel_ridge_regressor::fit(ind, yi, 0.1);
  CHECK((ind * mi.dual_coef().col(0) + 0.1 * mi.dual_coef().col(0) - yi).cwiseAbs().maxCoeff() < 1e-10);
  // Singular without regularization: reported, not answered with garbage.
  CHECK_THROWS_AS(hl::kernel_ridge_regressor::fit(Eigen::MatrixXd::Ones(5, 5), Eigen::VectorXd::Ones(5), 0.0),
                  std::runtime_error);
  CHECK_THROWS_AS(m.predict(Eigen::MatrixXd::Zero(2, 3)), std::invalid_argument);
}

TEST_CASE("kernel ridge classification", "[krr]") {
  const auto train = hqml_test::make_blobs(120, 2, {3, 8, 5}, 4.0, 41);
  const auto test = hqml_test::make_blobs(60, 2, {3, 8, 5}, 4.0, 41);  // same centres (same seed), same points
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(train.x, train.x, 0.5);
  const auto c = hl::kernel_ridge_classifier::fit(k, train.labels, 0.1);
  CHECK(c.classes() == std::vector<int>{3, 5, 8});
  // One-vs-rest targets: column c is +1 for class c and -1 elsewhere, solved directly.
  Eigen::MatrixXd y = Eigen::MatrixXd::Constant(120, 3, -1.0);
  for (int i = 0; i < 120; ++i) y(i, train.labels[static_cast<std::size_t>(i)] == 3 ? 0 : (train.labels[static_cast<std::size_t>(i)] == 5 ? 1 : 2)) = 1;
  Eigen::MatrixXd a = k;
  a.diagonal().array() += 0.1;
  CHECK((c.dual_coef() - a.fullPivLu().solve(y)).cwiseAbs().maxCoeff() < 1e-9);
  const auto pred = c.predict(hqml_test::rbf_kernel(test.x, train.x, 0.5));
  int hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += pred[i] == test.labels[i];
  CHECK(hits >= 55);
  // Binary: one score column, positive for the larger label.
  const auto bin = hqml_test::make_blobs(80, 2, {-1, 1}, 4.0, 42);
  const auto cb = hl::kernel_ridge_classifier::fit(hqml_test::rbf_kernel(bin.x, bin.x, 0.5), bin.labels, 0.1);
  const Eigen::MatrixXd s = cb.decision_function(hqml_test::rbf_kernel(bin.x, bin.x, 0.5));
  CHECK(s.cols() == 1);
  const auto pb = cb.predict(hqml_test::rbf_kernel(bin.x, bin.x, 0.5));
  for (Eigen::Index i = 0; i < s.rows(); ++i) CHECK(pb[static_cast<std::size_t>(i)] == (s(i, 0) > 0 ? 1 : -1));
}

TEST_CASE("kernel-target alignment", "[alignment]") {
  const std::vector<int> labels = {1, -1, 1, 1, -1, -1, 1, -1, -1, 1};
  Eigen::VectorXd y(10);
  for (int i = 0; i < 10; ++i) y(i) = labels[static_cast<std::size_t>(i)];
  // The ideal kernel is perfectly aligned; the identity has alignment N / (sqrt(N) N) = 1/sqrt(N).
  CHECK(hl::kernel_target_alignment(y * y.transpose(), y) == Approx(1.0));
  CHECK(hl::kernel_target_alignment(y * y.transpose(), y, true) == Approx(1.0));
  CHECK(hl::kernel_target_alignment(Eigen::MatrixXd::Identity(10, 10), y) == Approx(1 / std::sqrt(10.0)));
  // A constant kernel is unaligned with balanced labels; centering removes it entirely.
  CHECK(hl::kernel_target_alignment(Eigen::MatrixXd::Ones(10, 10), y) == Approx(0.0).margin(1e-15));
  CHECK_THROWS_AS(hl::kernel_target_alignment(Eigen::MatrixXd::Ones(10, 10), y, true), std::domain_error);

  // Against explicit H K H and the ideal label kernel, binary and multiclass.
  const auto data = hqml_test::make_blobs(40, 3, {0, 1, 2}, 1.0, 51);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.3);
  const Eigen::MatrixXd h = Eigen::MatrixXd::Identity(40, 40) - Eigen::MatrixXd::Constant(40, 40, 1.0 / 40);
  Eigen::MatrixXd ideal(40, 40);
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 40; ++j)
      ideal(i, j) = data.labels[static_cast<std::size_t>(i)] == data.labels[static_cast<std::size_t>(j)] ? 1.0 : -0.5;
  const auto cosine = [](const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a.cwiseProduct(b)).sum() / (a.norm() * b.norm()); };
  CHECK(hl::kernel_target_alignment(k, data.labels) == Approx(cosine(k, ideal)).epsilon(1e-12));
  CHECK(hl::kernel_target_alignment(k, data.labels, true) == Approx(cosine(h * k * h, h * ideal * h)).epsilon(1e-12));
  Eigen::VectorXd yb(40);
  std::vector<int> lb(40);
  for (int i = 0; i < 40; ++i) {
    lb[static_cast<std::size_t>(i)] = data.labels[static_cast<std::size_t>(i)] == 2 ? 7 : 4;
    yb(i) = lb[static_cast<std::size_t>(i)] == 7 ? 1.0 : -1.0;
  }
  CHECK(hl::kernel_target_alignment(k, yb, true) == Approx(cosine(h * k * h, h * yb * yb.transpose() * h)).epsilon(1e-12));
  CHECK(hl::kernel_target_alignment(k, lb, true) == Approx(hl::kernel_target_alignment(k, yb, true)).epsilon(1e-12));
  CHECK(hl::kernel_target_alignment(k, lb) == Approx(hl::kernel_target_alignment(k, yb)).epsilon(1e-12));

  // As an objective over an RBF width: a kernel blind to the data (gamma huge: K = I) aligns worse.
  auto objective = hl::alignment_objective([&](double g) { return hqml_test::rbf_kernel(data.x, data.x, g); }, data.labels);
  CHECK(objective(0.3) > objective(1e6));
  CHECK(objective(1e6) == Approx(hl::kernel_target_alignment(Eigen::MatrixXd::Identity(40, 40), data.labels, true)).epsilon(1e-9));
}

TEST_CASE("geometric difference", "[quantum_advantage]") {
  const auto data = hqml_test::make_blobs(30, 4, {0, 1}, 1.0, 61);
  // Well conditioned: an RBF kernel plus a ridge.
  Eigen::MatrixXd kc = hqml_test::rbf_kernel(data.x, data.x, 0.2);
  kc.diagonal().array() += 0.5;
  Eigen::MatrixXd kq = hqml_test::rbf_kernel(data.x, data.x, 1.5);
  kq.diagonal().array() += 0.1;

  CHECK(hl::geometric_difference(kc, kc) == Approx(1.0).epsilon(1e-10));
  CHECK(hl::geometric_difference(kc, 4.0 * kc) == Approx(2.0).epsilon(1e-10));
  CHECK(hl::geometric_difference(9.0 * kc, kc) == Approx(1.0 / 3).epsilon(1e-10));
  // The eigen-identity we compute by equals the literal formula with matrix square roots.
  CHECK(hl::geometric_difference(kc, kq) == Approx(literal_g(kc, kq, 0)).epsilon(1e-8));
  CHECK(hl::geometric_difference(kc, kq, 0.3) == Approx(literal_g(kc, kq, 0.3)).epsilon(1e-8));
  // g_lambda -> g as lambda -> 0, from below, monotonically.
  const double g = hl::geometric_difference(kc, kq);
  double previous = 0;
  for (double lambda : {1.0, 1e-1, 1e-2, 1e-4, 1e-6}) {
    const double gl = hl::geometric_difference(kc, kq, lambda);
    CHECK(gl < g);
    CHECK(gl > previous);
    previous = gl;
  }
  CHECK(hl::geometric_difference(kc, kq, 1e-9) == Approx(g).epsilon(1e-6));

  // Commuting kernels: g = sqrt(max q_i / c_i), regularized sqrt(max q_i c_i / (c_i + lambda)^2).
  const Eigen::MatrixXd v = random_orthogonal(8, 5);
  const Eigen::VectorXd c = (Eigen::VectorXd(8) << 3, 2, 1, 0.5, 0.4, 0.3, 0.2, 0.1).finished();
  const Eigen::VectorXd q = (Eigen::VectorXd(8) << 0.5, 1, 1, 1, 1, 1, 2, 0.5).finished();
  CHECK(hl::geometric_difference(with_spectrum(v, c), with_spectrum(v, q)) == Approx(std::sqrt(2 / 0.2)).epsilon(1e-9));
  const double lam = 0.05;
  const double expect = std::sqrt((q.array() * c.array() / (c.array() + lam).square()).maxCoeff());
  CHECK(hl::geometric_difference(with_spectrum(v, c), with_spectrum(v, q), lam) == Approx(expect).epsilon(1e-9));

  // A singular classical kernel has no unregularized g.
  CHECK_THROWS_AS(hl::geometric_difference(Eigen::MatrixXd::Ones(5, 5), Eigen::MatrixXd::Identity(5, 5)), std::domain_error);
  CHECK(std::isfinite(hl::geometric_difference(Eigen::MatrixXd::Ones(5, 5), Eigen::MatrixXd::Identity(5, 5), 1e-3)));
  CHECK_THROWS_AS(hl::geometric_difference(kc, Eigen::MatrixXd::Identity(3, 3)), std::invalid_argument);
}

TEST_CASE("model complexity and approximate dimension", "[quantum_advantage]") {
  const auto data = hqml_test::make_blobs(25, 3, {-1, 1}, 1.0, 71);
  Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.4);
  k.diagonal().array() += 0.2;
  Eigen::VectorXd y(25);
  for (int i = 0; i < 25; ++i) y(i) = data.labels[static_cast<std::size_t>(i)];
  CHECK(hl::model_complexity(k, y) == Approx(y.dot(k.fullPivLu().solve(y))).epsilon(1e-10));
  Eigen::MatrixXd a = k;
  a.diagonal().array() += 0.1;
  const Eigen::MatrixXd ai = a.inverse();
  CHECK(hl::model_complexity(k, y, 0.1) == Approx(y.dot(ai * k * ai * y)).epsilon(1e-10));
  CHECK(hl::model_complexity(k, y, 1e-10) == Approx(hl::model_complexity(k, y)).epsilon(1e-6));
  CHECK_THROWS_AS(hl::model_complexity(Eigen::MatrixXd::Ones(25, 25), y), std::domain_error);

  // d = N for the identity, 1 for rank one, and unchanged by scaling.
  CHECK(hl::approximate_dimension(Eigen::MatrixXd::Identity(20, 20)) == Approx(20.0));
  CHECK(hl::approximate_dimension(Eigen::MatrixXd::Ones(20, 20)) == Approx(1.0).epsilon(1e-9));
  CHECK(hl::approximate_dimension(7.0 * k) == Approx(hl::approximate_dimension(k)).epsilon(1e-12));
  // Two equal eigenvalues N/2, rest zero: terms 1/N * N + 1/(N-1) * N/2.
  const Eigen::MatrixXd v = random_orthogonal(10, 9);
  Eigen::VectorXd two = Eigen::VectorXd::Zero(10);
  two(0) = two(1) = 5;
  CHECK(hl::approximate_dimension(with_spectrum(v, two)) == Approx(1.0 + 5.0 / 9).epsilon(1e-9));
}

TEST_CASE("quantum-versus-classical recommendation", "[quantum_advantage]") {
  const Eigen::Index n = 40;
  const Eigen::MatrixXd v = random_orthogonal(n, 77);
  Eigen::VectorXd c = Eigen::VectorXd::Constant(n, 1.0), q = Eigen::VectorXd::Constant(n, 1.0);
  // Direction 0 is tiny for the classical kernel and large for the quantum one; direction 1 the reverse.
  c(0) = 1e-3;
  q(0) = 20;
  c(1) = 20;
  q(1) = 1e-3;
  const Eigen::MatrixXd kc = with_spectrum(v, c), kq = with_spectrum(v, q);
  const Eigen::VectorXd y_quantum = std::sqrt(static_cast<double>(n)) * v.col(0);
  const Eigen::VectorXd y_classical = std::sqrt(static_cast<double>(n)) * v.col(1);

  const auto easy_for_q = hl::assess_kernels(kc, kq, y_quantum);
  CHECK(easy_for_q.verdict == hl::kernel_verdict::quantum_worth_trying);
  CHECK(easy_for_q.quantum_worth_trying());
  CHECK(easy_for_q.complexity_classical > 100 * easy_for_q.complexity_quantum);
  CHECK(easy_for_q.geometric_difference > 10);
  CHECK(easy_for_q.explanation.find("worth trying") != std::string::npos);

  const auto easy_for_c = hl::assess_kernels(kc, kq, y_classical);
  CHECK(easy_for_c.verdict == hl::kernel_verdict::quantum_unlikely_to_generalize);  // s_Q ~ N / (tiny eigenvalue)

  // Identical kernels: g = 1 and no advantage for any labels.
  const auto same = hl::assess_kernels(kc, kc, y_quantum);
  CHECK(same.verdict == hl::kernel_verdict::classical_suffices);
  CHECK(same.geometric_difference <= 1.0 + 1e-9);

  // A quantum kernel near the identity (high dimension) cannot learn smooth labels from N samples.
  const auto data = hqml_test::make_blobs(static_cast<int>(n), 2, {0, 1}, 2.0, 81);
  const auto near_identity = hl::assess_kernels(hqml_test::rbf_kernel(data.x, data.x, 0.5),
                                                hqml_test::rbf_kernel(data.x, data.x, 1e4), data.labels);
  CHECK(near_identity.verdict == hl::kernel_verdict::quantum_unlikely_to_generalize);
  CHECK(near_identity.dimension_quantum == Approx(static_cast<double>(n)).margin(0.05));
  CHECK(near_identity.explanation.find("identity") != std::string::npos);
}
