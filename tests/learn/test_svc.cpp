// C-SVC properties that do not need libsvm: a hand-solved problem, the KKT conditions of the dual,
// fitting on a subset, thread-count independence, probabilities and argument checks.

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <hqml/learn/svc.hpp>

#include "test_data.hpp"

using hqml::learn::svc;
using hqml::learn::svc_params;

TEST_CASE("svc solves a two-point problem by hand", "[svc]") {
  // Points +1 and -1 on a line, linear kernel: the hard-margin solution has alpha = 1/2 each, w = 1, rho = 0.
  Eigen::MatrixXd k(2, 2);
  k << 1, -1, -1, 1;
  const std::vector<int> y = {1, -1};
  svc_params p;
  p.C = 10;
  p.eps = 1e-9;
  const svc m = svc::fit(k, y, p);
  REQUIRE(m.support().size() == 2);
  CHECK(m.dual_coef()(0, 0) == Approx(0.5).margin(1e-12));
  CHECK(m.dual_coef()(0, 1) == Approx(-0.5).margin(1e-12));
  CHECK(m.rho()(0) == Approx(0.0).margin(1e-12));
  Eigen::MatrixXd kt(2, 2);  // test points x = 0.5 and x = -2
  kt << 0.5, -0.5, -2, 2;
  const Eigen::MatrixXd dec = m.decision_function(kt);
  CHECK(dec(0, 0) == Approx(0.5).margin(1e-12));
  CHECK(dec(1, 0) == Approx(-2.0).margin(1e-12));
  CHECK(m.predict(kt) == std::vector<int>{1, -1});

  // With C below 1/2 both multipliers sit at the bound.
  p.C = 0.2;
  const svc b = svc::fit(k, y, p);
  CHECK(b.dual_coef()(0, 0) == Approx(0.2));
  CHECK(b.dual_coef()(0, 1) == Approx(-0.2));
}

TEST_CASE("svc solution satisfies the KKT conditions", "[svc]") {
  const auto data = hqml_test::make_blobs(400, 5, {0, 1}, 1.0, 5);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.2);
  svc_params p;
  p.C = 3.0;
  p.eps = 1e-4;
  const svc m = svc::fit(k, data.labels, p);
  REQUIRE(m.classes() == std::vector<int>{data.labels[0], 1 - data.labels[0]});
  const double sign0 = 1.0;  // classes()[0] is the positive side
  Eigen::VectorXd alpha_y = Eigen::VectorXd::Zero(k.rows());
  for (std::size_t s = 0; s < m.support().size(); ++s) alpha_y(m.support()[s]) = m.dual_coef()(0, static_cast<Eigen::Index>(s));
  CHECK(std::fabs(alpha_y.sum()) < 1e-9);  // y^T alpha = 0
  const Eigen::VectorXd f = k * alpha_y - Eigen::VectorXd::Constant(k.rows(), m.rho()(0));
  const Eigen::MatrixXd dec = m.decision_function(k);
  CHECK((dec.col(0) - f).cwiseAbs().maxCoeff() < 1e-10);
  int free_count = 0;
  for (Eigen::Index i = 0; i < k.rows(); ++i) {
    const double yi = data.labels[static_cast<std::size_t>(i)] == m.classes()[0] ? sign0 : -sign0;
    const double a = alpha_y(i) * yi;
    const double margin = yi * f(i);
    REQUIRE(a >= -1e-12);
    REQUIRE(a <= p.C + 1e-12);
    // WSS3 stops when the maximal violation is below eps, so every condition holds to eps.
    if (a < 1e-12) {
      CHECK(margin >= 1 - p.eps);
    } else if (a > p.C - 1e-12) {
      CHECK(margin <= 1 + p.eps);
    } else {
      ++free_count;
      CHECK(std::fabs(margin - 1) <= p.eps);
    }
  }
  CHECK(free_count > 0);
}

TEST_CASE("svc on a subset equals svc on the copied sub-kernel", "[svc]") {
  const auto data = hqml_test::make_blobs(200, 3, {1, 2, 3}, 2.0, 8);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.5);
  std::vector<std::ptrdiff_t> subset;
  std::vector<int> labels;
  for (std::ptrdiff_t i = 0; i < 200; i += 3) {
    subset.push_back(i);
    labels.push_back(data.labels[static_cast<std::size_t>(i)]);
  }
  Eigen::MatrixXd sub(static_cast<Eigen::Index>(subset.size()), static_cast<Eigen::Index>(subset.size()));
  for (std::size_t a = 0; a < subset.size(); ++a)
    for (std::size_t b = 0; b < subset.size(); ++b)
      sub(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = k(subset[a], subset[b]);
  const svc m1 = svc::fit(k, labels, {}, subset);
  const svc m2 = svc::fit(sub, labels);
  CHECK(m1.support() == m2.support());
  CHECK(m1.dual_coef() == m2.dual_coef());
  CHECK(m1.rho() == m2.rho());
}

TEST_CASE("svc results do not depend on the thread count", "[svc]") {
  const auto data = hqml_test::make_blobs(240, 3, {4, 5, 6, 7}, 1.5, 9);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.4);
  svc_params p;
  p.probability = true;
  p.threads = 1;
  const svc serial = svc::fit(k, data.labels, p);
  p.threads = 2;
  const svc parallel = svc::fit(k, data.labels, p);
  CHECK(serial.support() == parallel.support());
  CHECK(serial.dual_coef() == parallel.dual_coef());
  CHECK(serial.rho() == parallel.rho());
  CHECK(serial.prob_a() == parallel.prob_a());
  CHECK(serial.prob_b() == parallel.prob_b());
  CHECK(serial.rho().size() == 6);  // 4 classes, 6 pairs
}

TEST_CASE("svc probabilities are distributions that follow the decision values", "[svc]") {
  const auto data = hqml_test::make_blobs(300, 2, {0, 1, 2}, 2.5, 10);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.5);
  svc_params p;
  p.probability = true;
  const svc m = svc::fit(k, data.labels, p);
  const Eigen::MatrixXd proba = m.predict_proba(k);
  const auto pred = m.predict(k);
  int agree = 0;
  for (Eigen::Index t = 0; t < proba.rows(); ++t) {
    CHECK(proba.row(t).sum() == Approx(1.0).margin(1e-9));
    CHECK(proba.row(t).minCoeff() >= 0.0);
    Eigen::Index best = 0;
    proba.row(t).maxCoeff(&best);
    agree += m.classes()[static_cast<std::size_t>(best)] == pred[static_cast<std::size_t>(t)];
  }
  // Argmax of probability and the vote agree except near boundaries.
  CHECK(agree >= 0.95 * static_cast<double>(proba.rows()));
  // Different seeds shuffle the folds differently, hence (slightly) different sigmoids.
  p.probability_seed = 99;
  const svc m2 = svc::fit(k, data.labels, p);
  CHECK((m2.prob_a() - m.prob_a()).cwiseAbs().maxCoeff() > 0);
  CHECK(m2.dual_coef() == m.dual_coef());  // the SVM itself does not depend on the seed
}

TEST_CASE("svc rejects bad input", "[svc]") {
  Eigen::MatrixXd k = Eigen::MatrixXd::Identity(3, 3);
  CHECK_THROWS_AS(svc::fit(k, std::vector<int>{1, 1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(svc::fit(k, std::vector<int>{1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(svc::fit(Eigen::MatrixXd::Identity(3, 2), std::vector<int>{1, 2, 1}), std::invalid_argument);
  svc_params p;
  p.C = -1;
  CHECK_THROWS_AS(svc::fit(k, std::vector<int>{1, 2, 1}, p), std::invalid_argument);
  p = {};
  p.class_weight = {{5, 2.0}};
  CHECK_THROWS_AS(svc::fit(k, std::vector<int>{1, 2, 1}, p), std::invalid_argument);
  const svc m = svc::fit(k, std::vector<int>{1, 2, 1});
  CHECK_THROWS_AS(m.decision_function(Eigen::MatrixXd::Zero(2, 4)), std::invalid_argument);
  CHECK_THROWS_AS(m.predict_proba(Eigen::MatrixXd::Zero(2, 3)), std::logic_error);
}

TEST_CASE("kernel column cache: LRU eviction, growth and index swaps", "[svc][cache]") {
  // 4 columns of length 4; a budget below two columns is raised to exactly two (8 doubles).
  hqml::learn::kernel_column_cache<double> cache(4, 1e-9);
  REQUIRE(cache.capacity() == 8);
  auto fill = [](double* d, std::ptrdiff_t from, std::ptrdiff_t to, double tag) {
    for (std::ptrdiff_t k = from; k < to; ++k) d[k] = tag * 10 + static_cast<double>(k);
  };
  auto [c0, s0] = cache.get(0, 4);
  CHECK(s0 == 0);
  fill(c0, 0, 4, 0);
  auto [c1, s1] = cache.get(1, 2);  // a prefix only
  CHECK(s1 == 0);
  fill(c1, 0, 2, 1);
  auto [c1b, s1b] = cache.get(1, 4);  // grows: the cached prefix is kept, the rest must be filled
  CHECK(s1b == 2);
  CHECK(c1b[0] == 10);
  CHECK(c1b[1] == 11);
  fill(c1b, 2, 4, 1);
  CHECK(cache.get(0, 3).second == 3);  // hit; column 0 becomes the most recently used
  auto [c2, s2] = cache.get(2, 4);     // full: evicts column 1, the least recently used
  CHECK(s2 == 0);
  fill(c2, 0, 4, 2);
  CHECK(cache.get(0, 4).second == 4);  // still cached
  CHECK(cache.get(1, 4).second == 0);  // was evicted (and now evicts column 2)

  // Swapping positions 1 and 3 swaps those entries in every column long enough to hold both.
  hqml::learn::kernel_column_cache<double> big(4, 1.0);
  for (std::ptrdiff_t c = 0; c < 3; ++c) fill(big.get(c, 4).first, 0, 4, static_cast<double>(c));
  fill(big.get(3, 2).first, 0, 2, 3);  // column 3 holds [0, 2): it covers position 1 but not 3
  big.swap_index(1, 3);
  const auto [col0, st0] = big.get(0, 4);
  CHECK(st0 == 4);
  CHECK(col0[1] == 3);
  CHECK(col0[3] == 1);
  CHECK(big.get(1, 2).second == 0);    // position 1 now holds old column 3, which was dropped by the swap
  CHECK(big.get(3, 4).second == 4);    // position 3 now holds old column 1
  CHECK(big.get(3, 4).first[0] == 10);
}

#if defined(__GLIBC__)
#include <cstdlib>
TEST_CASE("libc_rand draws what glibc's rand draws", "[svc][rand]") {
  for (unsigned seed : {0u, 1u, 7u, 123456789u, 4294967295u}) {
    std::srand(seed);
    hqml::learn::libc_rand r(seed);
    bool same = true;
    for (int i = 0; i < 20000 && same; ++i) same = std::rand() == r();
    CHECK(same);
  }
}
#endif
