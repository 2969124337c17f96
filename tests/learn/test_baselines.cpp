// The honest-comparison parts of hqml run: logistic regression against scikit-learn's fitted coefficients,
// McNemar's exact test against SciPy's binomtest, the paired bootstrap, and the multiclass averages against
// scikit-learn's precision_recall_fscore_support. Reference numbers were computed with scikit-learn 1.x and
// SciPy on the data written out below (LogisticRegression(C=0.7, tol=1e-12)).
#include <catch2/catch.hpp>

#include <hqml/learn/logistic_regression.hpp>
#include <hqml/learn/metrics.hpp>
#include <hqml/learn/quantum_advantage.hpp>
#include <hqml/learn/significance.hpp>

#include <vector>

namespace hl = hqml::learn;

namespace {

Eigen::MatrixXd reference_x() {
  const double v[30][2] = {{0.0, 2.0},
                           {0.744217687237691, 0.4849976572491747},
                           {1.18544972998846, -1.8137775067378947},
                           {1.163209366648874, -1.6018646084002799},
                           {0.7349881501559051, 0.7370333426007543},
                           {0.14921677231038016, 1.703175251456047},
                           {-0.27157577241358766, -0.19208915887470232},
                           {-0.2824526126243325, -2.245443204262224},
                           {0.16873336212767842, -1.5219685148544575},
                           {0.9168139004843497, 0.8451926773077547},
                           {1.656986598718789, 1.3148935629003924},
                           {2.0881682338770005, -0.8742288729994365},
                           {2.0545989080882814, -2.5883552503676306},
                           {1.6190983623493522, -1.3895365277263396},
                           {1.0335208707480734, 0.8927049405838462},
                           {0.62030424002833, 0.8416299396278881},
                           {0.6208222708486827, -1.5411866516752828},
                           {1.0818628877629655, -2.8381630618585234},
                           {1.8336230472211368, -1.2224759286483708},
                           {2.5695697621966014, 0.8656391955123904},
                           {2.9906073556948702, 0.2938386446572807},
                           {2.9457468311429342, -2.1734385517623},
                           {2.5031183567457043, -2.9948756379135153},
                           {1.9179285828159944, -1.0403154752999642},
                           {1.5124329664184974, 0.7535566016645234},
                           {1.5243739945318424, -0.3145363195058528},
                           {1.995167177593716, -2.7530857241584688},
                           {2.7504226878068114, -3.062861138701144},
                           {3.481963620068133, -0.8632909722398067},
                           {3.892766405835907, 0.5499992111773326}};
  Eigen::MatrixXd x(30, 2);
  for (int i = 0; i < 30; ++i) x.row(i) << v[i][0], v[i][1];
  return x;
}

}  // namespace

TEST_CASE("logistic regression matches scikit-learn's optimum, binary and multinomial", "[learn][baselines]") {
  const Eigen::MatrixXd x = reference_x();
  hl::logistic_regression_params p;
  p.C = 0.7;
  SECTION("two classes: one weight vector, sigmoid") {
    const std::vector<int> y = {1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1,
                                1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const auto m = hl::logistic_regression::fit(x, y, p);
    REQUIRE(m.converged());
    REQUIRE(m.coef().cols() == 1);
    CHECK(m.coef()(0, 0) == Approx(1.5617094595394458).epsilon(1e-7));
    CHECK(m.coef()(1, 0) == Approx(0.8141847624279674).epsilon(1e-7));
    CHECK(m.intercept()(0) == Approx(0.5843892732717787).epsilon(1e-7));
    const Eigen::MatrixXd pr = m.predict_proba(x.topRows(3));
    CHECK(pr(0, 1) == Approx(0.9013894185174562).epsilon(1e-8));
    CHECK(pr(2, 0) == Approx(0.27708500185181273).epsilon(1e-8));
  }
  SECTION("three classes: softmax over one weight vector per class") {
    const std::vector<int> y = {0, 1, 2, 0, 1, 2, 0, 1, 1, 0, 1, 2, 1, 1, 2,
                                0, 1, 2, 0, 1, 1, 0, 1, 2, 1, 1, 2, 0, 1, 2};
    const auto m = hl::logistic_regression::fit(x, y, p);
    REQUIRE(m.converged());
    const double coef[3][2] = {{-0.1895079549151775, 0.008640523287176538},
                               {0.06358319467237125, 0.01821418219817517},
                               {0.12592476024280652, -0.02685470548535211}};
    for (int k = 0; k < 3; ++k)
      for (int j = 0; j < 2; ++j) CHECK(m.coef()(j, k) == Approx(coef[k][j]).margin(1e-7));
    // The intercepts are defined up to a common shift (unpenalized); sklearn's sum to zero.
    const Eigen::VectorXd b = m.intercept().array() - m.intercept().mean();
    CHECK(b(0) == Approx(0.09239946259227223).margin(1e-7));
    CHECK(b(2) == Approx(-0.39185228872671657).margin(1e-7));
    const Eigen::MatrixXd pr = m.predict_proba(x.topRows(2));
    CHECK(pr(0, 1) == Approx(0.44339938376987476).epsilon(1e-7));
    CHECK(pr(1, 2) == Approx(0.235094934614007).epsilon(1e-7));
    CHECK(pr.rowwise().sum().isApproxToConstant(1.0, 1e-12));
  }
  SECTION("labels need not be 0..k-1; bad input is refused") {
    std::vector<int> y(30);
    for (int i = 0; i < 30; ++i) y[static_cast<std::size_t>(i)] = x(i, 0) > 1.5 ? 7 : -3;
    const auto m = hl::logistic_regression::fit(x, y, p);
    REQUIRE(m.classes() == std::vector<int>{-3, 7});
    const auto pred = m.predict(x);
    CHECK(hl::accuracy(y, pred) >= 0.9);
    REQUIRE_THROWS_WITH(hl::logistic_regression::fit(x, std::vector<int>(30, 1), p),
                        Catch::Contains("two or more classes"));
    Eigen::MatrixXd bad = x;
    bad(3, 1) = std::nan("");
    REQUIRE_THROWS_WITH(hl::logistic_regression::fit(bad, y, p), Catch::Contains("NaN"));
    p.C = -1;
    REQUIRE_THROWS_WITH(hl::logistic_regression::fit(x, y, p), Catch::Contains("C must be"));
  }
}

TEST_CASE("McNemar's exact test and the paired bootstrap", "[learn][baselines]") {
  // SciPy: binomtest(3, 13).pvalue, binomtest(0, 5).pvalue, binomtest(20, 50).pvalue
  CHECK(hl::binomial_two_sided_p(3, 13) == Approx(0.09228515625).epsilon(1e-12));
  CHECK(hl::binomial_two_sided_p(10, 13) == Approx(0.09228515625).epsilon(1e-12));
  CHECK(hl::binomial_two_sided_p(0, 5) == Approx(0.0625).epsilon(1e-12));
  CHECK(hl::binomial_two_sided_p(20, 50) == Approx(0.20263875106454066).epsilon(1e-10));
  CHECK(hl::binomial_two_sided_p(0, 0) == 1.0);
  CHECK(hl::binomial_two_sided_p(2000, 4000) == 1.0);  // large n stays finite

  // a right on 3 rows b misses, b right on 10 rows a misses, 87 agree.
  std::vector<int> truth(100, 1), a(100, 1), b(100, 1);
  for (int i = 0; i < 3; ++i) b[static_cast<std::size_t>(i)] = 0;
  for (int i = 3; i < 13; ++i) a[static_cast<std::size_t>(i)] = 0;
  for (int i = 13; i < 20; ++i) a[static_cast<std::size_t>(i)] = b[static_cast<std::size_t>(i)] = 0;
  const auto c = hl::compare_classifiers(truth, a, b);
  CHECK(c.a_only_right == 3);
  CHECK(c.b_only_right == 10);
  CHECK(c.difference == Approx(-0.07));
  CHECK(c.p_value == Approx(0.09228515625).epsilon(1e-12));
  CHECK_FALSE(c.significant());
  CHECK(c.ci_low < c.difference);
  CHECK(c.ci_high > c.difference);
  CHECK(c.ci_low < -0.1);  // sd of the mean difference is about sqrt(13)/100
  CHECK(c.ci_high > -0.05);
  // Seeded: the same interval every time.
  const auto again = hl::compare_classifiers(truth, a, b);
  CHECK(again.ci_low == c.ci_low);
  hl::comparison_options o;
  o.resamples = 0;  // no bootstrap: the interval collapses onto the observed difference
  const auto point = hl::compare_classifiers(truth, a, b, o);
  CHECK(point.ci_low == point.difference);
  CHECK(point.p_value == c.p_value);
  // One row of difference is never significant; 20 one-sided rows are.
  std::vector<int> one = truth;
  one[0] = 0;
  CHECK_FALSE(hl::compare_classifiers(truth, truth, one).significant());
  std::vector<int> many = truth;
  for (int i = 0; i < 20; ++i) many[static_cast<std::size_t>(i)] = 0;
  const auto m = hl::compare_classifiers(truth, truth, many);
  CHECK(m.significant());
  CHECK(m.p_value == Approx(2 * std::pow(0.5, 20)));
  CHECK(m.ci_low > 0);
}

TEST_CASE("multiclass averages match scikit-learn's precision_recall_fscore_support", "[learn][metrics]") {
  const std::vector<int> yt = {0, 1, 2, 2, 1, 0, 0, 2}, yp = {0, 2, 2, 2, 0, 0, 1, 1};
  const std::vector<int> labels = {0, 1, 2};
  const auto s = hl::classification_scores(yt, yp, labels);
  REQUIRE(s.per_class.size() == 3);
  CHECK(s.per_class[0].precision == Approx(2.0 / 3));
  CHECK(s.per_class[1].f1 == 0.0);
  CHECK(s.per_class[2].support == 3);
  CHECK(s.macro.precision == Approx(0.4444444444444444));
  CHECK(s.micro.f1 == Approx(0.5));
  CHECK(s.weighted.recall == Approx(0.5));
  // Classes absent from both y_true and y_pred are outside sklearn's default label set (class 2 here).
  const std::vector<int> yt2 = {0, 1, 1, 3}, yp2 = {0, 1, 0, 1}, labels2 = {0, 1, 2, 3};
  const auto s2 = hl::classification_scores(yt2, yp2, labels2);
  CHECK(s2.per_class.size() == 4);
  CHECK(s2.macro.precision == Approx(0.3333333333333333));
  CHECK(s2.macro.recall == Approx(0.5));
  CHECK(s2.macro.f1 == Approx(0.38888888888888884));
  CHECK(s2.weighted.precision == Approx(0.375));
  CHECK(s2.weighted.f1 == Approx(0.41666666666666663));
  // The confusion matrix over every class of the task, absent ones included.
  const auto cm = hl::confusion_matrix(yt2, yp2, labels2);
  REQUIRE(cm.counts.rows() == 4);
  CHECK(cm.counts(1, 0) == 1);
  CHECK(cm.counts(3, 1) == 1);
  CHECK(cm.counts.row(2).sum() == 0);
  REQUIRE_THROWS_WITH(hl::confusion_matrix(yt2, std::vector<int>{0, 1, 0, 9}, labels2), Catch::Contains("not among"));
}

TEST_CASE("the kernel assessment's fast path agrees with the eigendecomposition formulas", "[learn][assessment]") {
  // Two RBF kernels of different widths on fixed points, three classes (one-vs-rest targets averaged).
  const Eigen::MatrixXd x = reference_x();
  const auto rbf = [&](double gamma) {
    Eigen::MatrixXd k(x.rows(), x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      for (Eigen::Index j = 0; j < x.rows(); ++j) k(i, j) = std::exp(-gamma * (x.row(i) - x.row(j)).squaredNorm());
    return k;
  };
  const Eigen::MatrixXd kc = rbf(0.3), kq = rbf(3.0);
  std::vector<int> y(30);
  for (int i = 0; i < 30; ++i) y[static_cast<std::size_t>(i)] = i % 3;
  hl::assessment_options o;
  o.lambda = 1e-3;
  const auto a = hl::assess_kernels(kc, kq, y, o);
  const Eigen::MatrixXd nc = hl::normalize_trace(kc), nq = hl::normalize_trace(kq);
  CHECK(a.geometric_difference == Approx(hl::geometric_difference(nc, nq, 1e-3)).epsilon(1e-6));
  const Eigen::MatrixXd t = hl::class_targets(y);
  REQUIRE(t.cols() == 3);
  double sc = 0, sq = 0;
  for (Eigen::Index j = 0; j < 3; ++j) {
    sc += hl::model_complexity(nc, t.col(j), 1e-3) / 3;
    sq += hl::model_complexity(nq, t.col(j), 1e-3) / 3;
  }
  CHECK(a.complexity_classical == Approx(sc).epsilon(1e-9));
  CHECK(a.complexity_quantum == Approx(sq).epsilon(1e-9));
  CHECK(a.dimension_classical == Approx(hl::approximate_dimension(kc)).epsilon(1e-9));
  CHECK(a.dimension_quantum == Approx(hl::approximate_dimension(kq)).epsilon(1e-9));
  // Binary labels: one +1/-1 column, +1 for the greater label.
  const auto b = hl::class_targets(std::vector<int>{4, 9, 9, 4});
  REQUIRE(b.cols() == 1);
  CHECK(b(1, 0) == 1.0);
  CHECK(b(0, 0) == -1.0);
}
