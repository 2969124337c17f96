// Metrics against hand-computed values and scikit-learn's (tests/reference), stratified splitting,
// cross-validation and grid search.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include <hqml/learn/cross_validation.hpp>
#include <hqml/learn/grid_search.hpp>
#include <hqml/learn/metrics.hpp>

#include "reference.hpp"
#include "test_data.hpp"

namespace hl = hqml::learn;

TEST_CASE("metrics by hand", "[metrics]") {
  const std::vector<int> y = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  const std::vector<int> p = {1, 1, 1, 0, 1, 1, 0, 0, 0, 0};
  // tp = 3, fn = 1, fp = 2, tn = 4.
  CHECK(hl::accuracy(y, p) == Approx(0.7));
  CHECK(hl::balanced_accuracy(y, p) == Approx((3.0 / 4 + 4.0 / 6) / 2));
  const auto b = hl::binary_scores(y, p, 1);
  CHECK(b.precision == Approx(3.0 / 5));
  CHECK(b.recall == Approx(3.0 / 4));
  CHECK(b.f1 == Approx(2 * 0.6 * 0.75 / (0.6 + 0.75)));
  const auto cm = hl::confusion_matrix(y, p);
  CHECK(cm.labels == std::vector<int>{0, 1});
  CHECK(cm.counts(0, 0) == 4);
  CHECK(cm.counts(0, 1) == 2);
  CHECK(cm.counts(1, 0) == 1);
  CHECK(cm.counts(1, 1) == 3);
  const auto m = hl::macro_scores(y, p);
  CHECK(m.recall == Approx(hl::balanced_accuracy(y, p)));  // equal when every class occurs in y
  CHECK(m.precision == Approx((0.8 + 0.6) / 2));

  // AUC by counting pairs: ties between a positive and a negative count 1/2.
  const std::vector<int> yt = {1, 0, 1, 0, 1};
  const std::vector<double> s = {0.9, 0.9, 0.5, 0.1, 0.1};
  // pairs (pos, neg): (0.9,0.9)=.5 (0.9,0.1)=1 (0.5,0.9)=0 (0.5,0.1)=1 (0.1,0.9)=0 (0.1,0.1)=.5 -> 3/6
  CHECK(hl::roc_auc(yt, s, 1) == Approx(0.5));
  const std::vector<double> perfect = {3, 0, 2, -1, 1};
  CHECK(hl::roc_auc(yt, perfect, 1) == Approx(1.0));
  CHECK(hl::roc_auc(yt, perfect, 0) == Approx(1.0 - 1.0).margin(1e-15));
  CHECK_THROWS_AS(hl::roc_auc(std::vector<int>{1, 1}, std::vector<double>{0.1, 0.2}, 1), std::invalid_argument);
  CHECK_THROWS_AS(hl::accuracy(std::vector<int>{1}, std::vector<int>{1, 2}), std::invalid_argument);
}

TEST_CASE("metrics match scikit-learn", "[metrics][sklearn]") {
  const auto& ref = hqml_test::sklearn_reference();
  for (const auto& c : ref.at("classification")) {
    INFO(c.at("name").get<std::string>());
    const auto y = c.at("y_true").get<std::vector<int>>();
    const auto p = c.at("y_pred").get<std::vector<int>>();
    CHECK(hl::accuracy(y, p) == Approx(c.at("accuracy").get<double>()).epsilon(1e-12));
    CHECK(hl::balanced_accuracy(y, p) == Approx(c.at("balanced_accuracy").get<double>()).epsilon(1e-12));
    const auto cm = hl::confusion_matrix(y, p);
    CHECK(cm.labels == c.at("labels").get<std::vector<int>>());
    const auto cm_ref = c.at("confusion_matrix").get<std::vector<std::vector<long long>>>();
    for (std::size_t i = 0; i < cm_ref.size(); ++i)
      for (std::size_t j = 0; j < cm_ref.size(); ++j)
        CHECK(cm.counts(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) == cm_ref[i][j]);
    const auto per = hl::per_class_scores(y, p);
    for (std::size_t k = 0; k < per.size(); ++k) {
      CHECK(per[k].precision == Approx(c.at("per_class_precision")[k].get<double>()).epsilon(1e-12));
      CHECK(per[k].recall == Approx(c.at("per_class_recall")[k].get<double>()).epsilon(1e-12));
      CHECK(per[k].f1 == Approx(c.at("per_class_f1")[k].get<double>()).epsilon(1e-12));
    }
    const auto m = hl::macro_scores(y, p);
    CHECK(m.precision == Approx(c.at("macro_precision").get<double>()).epsilon(1e-12));
    CHECK(m.recall == Approx(c.at("macro_recall").get<double>()).epsilon(1e-12));
    CHECK(m.f1 == Approx(c.at("macro_f1").get<double>()).epsilon(1e-12));
    const auto b = hl::binary_scores(y, p, c.at("pos_label").get<int>());
    CHECK(b.precision == Approx(c.at("binary_precision").get<double>()).epsilon(1e-12));
    CHECK(b.recall == Approx(c.at("binary_recall").get<double>()).epsilon(1e-12));
    CHECK(b.f1 == Approx(c.at("binary_f1").get<double>()).epsilon(1e-12));
  }
  for (const auto& c : ref.at("roc")) {
    INFO(c.at("name").get<std::string>());
    const auto y = c.at("y_true").get<std::vector<int>>();
    const auto s = c.at("scores").get<std::vector<double>>();
    const int pos = c.at("pos_label").get<int>();
    const auto curve = hl::roc_curve(y, s, pos);
    const auto fpr = c.at("fpr").get<std::vector<double>>();
    const auto tpr = c.at("tpr").get<std::vector<double>>();
    REQUIRE(curve.fpr.size() == fpr.size());
    for (std::size_t k = 0; k < fpr.size(); ++k) {
      CHECK(curve.fpr[k] == Approx(fpr[k]).margin(1e-15));
      CHECK(curve.tpr[k] == Approx(tpr[k]).margin(1e-15));
      const auto& t = c.at("thresholds")[k];
      if (t.is_string()) CHECK(curve.thresholds[k] == std::numeric_limits<double>::infinity());
      else CHECK(curve.thresholds[k] == t.get<double>());
    }
    const auto all = hl::roc_curve(y, s, pos, false);
    CHECK(all.fpr == c.at("fpr_all").get<std::vector<double>>());
    CHECK(all.tpr == c.at("tpr_all").get<std::vector<double>>());
    CHECK(hl::roc_auc(y, s, pos) == Approx(c.at("auc").get<double>()).epsilon(1e-12));
  }
  const auto& ovr = ref.at("roc_ovr");
  const auto yo = ovr.at("y_true").get<std::vector<int>>();
  const std::vector<int> classes = {0, 1, 2};
  CHECK(hl::roc_auc_ovr(yo, hqml::test::matrix_of(ovr.at("scores")), classes) ==
        Approx(ovr.at("auc").get<double>()).epsilon(1e-12));
}

TEST_CASE("stratified k-fold partitions and stratifies", "[cv]") {
  std::vector<int> labels;
  for (int i = 0; i < 103; ++i) labels.push_back(i % 7 == 0 ? 2 : (i % 3 == 0 ? 1 : 0));
  const auto folds = hl::stratified_k_fold(labels, 5, 42);
  REQUIRE(folds.size() == 5);
  std::vector<int> seen(labels.size(), 0);
  std::map<int, int> total;
  for (int l : labels) ++total[l];
  for (const auto& f : folds) {
    CHECK(f.train.size() + f.test.size() == labels.size());
    CHECK((f.test.size() == 20 || f.test.size() == 21));
    CHECK(std::is_sorted(f.test.begin(), f.test.end()));
    std::set<std::ptrdiff_t> train(f.train.begin(), f.train.end());
    std::map<int, int> per;
    for (auto i : f.test) {
      ++seen[static_cast<std::size_t>(i)];
      CHECK(train.count(i) == 0);
      ++per[labels[static_cast<std::size_t>(i)]];
    }
    for (const auto& [label, n] : total) {
      CHECK(per[label] >= n / 5);
      CHECK(per[label] <= (n + 4) / 5);
    }
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int v) { return v == 1; }));
  // Same seed, same folds; another seed, other folds.
  CHECK(hl::stratified_k_fold(labels, 5, 42)[3].test == folds[3].test);
  CHECK(hl::stratified_k_fold(labels, 5, 43)[3].test != folds[3].test);
  CHECK_THROWS_AS(hl::stratified_k_fold(labels, 1, 0), std::invalid_argument);
}

TEST_CASE("stratified train/test split keeps class proportions", "[cv]") {
  std::vector<int> labels(60, 0);
  for (int i = 0; i < 20; ++i) labels[static_cast<std::size_t>(i * 3)] = 1;  // 20 ones, 40 zeros
  const auto s = hl::stratified_train_test_split(labels, 0.25, 7);
  CHECK(s.test.size() == 15);
  CHECK(s.train.size() == 45);
  const auto ones = std::count_if(s.test.begin(), s.test.end(), [&](auto i) { return labels[static_cast<std::size_t>(i)] == 1; });
  CHECK(ones == 5);
  CHECK(hl::stratified_train_test_split(labels, 0.25, 7).test == s.test);
  CHECK(hl::stratified_train_test_split(labels, 0.25, 8).test != s.test);
}

TEST_CASE("cross-validation and grid search", "[cv][grid]") {
  const auto data = hqml_test::make_blobs(150, 2, {0, 1}, 1.0, 31);
  const auto folds = hl::stratified_k_fold(data.labels, 5, 1);

  // cross_validate_svc equals fitting and scoring each fold by hand on copied sub-kernels.
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 1.0);
  hl::svc_params p;
  p.C = 2.0;
  const auto cv = hl::cross_validate_svc(k, data.labels, p, folds);
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const auto ytr = hl::take(data.labels, folds[f].train), yte = hl::take(data.labels, folds[f].test);
    const auto m = hl::svc::fit(hl::submatrix(k, folds[f].train, folds[f].train), ytr, p);
    const auto pred = m.predict(hl::submatrix(k, folds[f].test, folds[f].train));
    CHECK(cv.fold_scores[f] == Approx(hl::accuracy(yte, pred)).epsilon(1e-15));
  }
  CHECK(cv.mean > 0.6);
  const auto auc = hl::cross_validate_svc(k, data.labels, p, folds, hl::score_metric::roc_auc);
  CHECK(auc.mean > 0.6);
  const auto krr = hl::cross_validate_kernel_ridge(k, data.labels, 0.1, folds, hl::score_metric::balanced_accuracy);
  CHECK(krr.mean > 0.6);

  // Grid over an RBF width through the Gram callback: a far too narrow kernel (every sample only
  // similar to itself) must lose to a sensible one.
  int calls = 0;
  const auto gram = [&](double gamma) {
    ++calls;
    return hqml_test::rbf_kernel(data.x, data.x, gamma);
  };
  const std::vector<double> gammas = {1e4, 0.5}, cs = {0.5, 4.0};
  hl::grid_search_options opt;
  opt.seed = 1;
  const auto g = hl::grid_search(gram, data.labels, gammas, cs, opt);
  CHECK(calls == 2);
  REQUIRE(g.points.size() == 4);
  CHECK(g.best().hyperparameter == 0.5);
  for (const auto& pt : g.points) {
    if (pt.hyperparameter != 0.5 || pt.regularization != 4.0) continue;
    hl::svc_params q;
    q.C = 4.0;
    const auto direct = hl::cross_validate_svc(hqml_test::rbf_kernel(data.x, data.x, 0.5), data.labels, q, folds);
    CHECK(pt.scores.mean == Approx(direct.mean).epsilon(1e-15));
  }
  opt.estimator = hl::grid_estimator::kernel_ridge;
  const auto gk = hl::grid_search(gram, data.labels, gammas, std::vector<double>{0.01, 1.0}, opt);
  CHECK(gk.best().hyperparameter == 0.5);
  CHECK_THROWS_AS(hl::grid_search([&](double) { return Eigen::MatrixXd(3, 3); }, data.labels, gammas, cs, opt),
                  std::invalid_argument);
}
