// hqml::learn::svc against libsvm itself (linked into this test only): same kernel, same C, same
// tolerance; same support vectors, coefficients, rho, decision values, votes and probabilities.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include <libsvm/svm.h>

#include <hqml/learn/svc.hpp>

#include "test_data.hpp"

namespace {

using hqml::learn::svc;
using hqml::learn::svc_params;

void quiet(const char*) {}

// A libsvm problem in its precomputed-kernel format: row i is {0: i+1, 1: K(i,0), ..., n: K(i,n-1), -1}.
struct libsvm_problem {
  std::vector<std::vector<svm_node>> rows;
  std::vector<svm_node*> x;
  std::vector<double> y;
  svm_problem prob{};

  libsvm_problem(const Eigen::MatrixXd& k, const std::vector<int>& labels) {
    const auto n = static_cast<int>(k.cols());
    rows.resize(static_cast<std::size_t>(k.rows()));
    for (Eigen::Index i = 0; i < k.rows(); ++i) {
      auto& r = rows[static_cast<std::size_t>(i)];
      r.resize(static_cast<std::size_t>(n) + 2);
      r[0] = {0, static_cast<double>(i + 1)};
      for (int j = 0; j < n; ++j) r[static_cast<std::size_t>(j) + 1] = {j + 1, k(i, j)};
      r[static_cast<std::size_t>(n) + 1] = {-1, 0.0};
      x.push_back(r.data());
    }
    for (int v : labels) y.push_back(v);
    prob.l = static_cast<int>(labels.size());
    prob.y = y.data();
    prob.x = x.data();
  }
};

struct model_deleter {
  void operator()(svm_model* m) const { svm_free_and_destroy_model(&m); }
};

svm_parameter libsvm_params(const svc_params& p, std::vector<int>& wl, std::vector<double>& wv) {
  svm_parameter q{};
  q.svm_type = C_SVC;
  q.kernel_type = PRECOMPUTED;
  q.C = p.C;
  q.eps = p.eps;
  q.cache_size = p.cache_mb;
  q.shrinking = p.shrinking ? 1 : 0;
  q.probability = p.probability ? 1 : 0;
  for (const auto& [lab, w] : p.class_weight) {
    wl.push_back(lab);
    wv.push_back(w);
  }
  q.nr_weight = static_cast<int>(wl.size());
  q.weight_label = wl.empty() ? nullptr : wl.data();
  q.weight = wv.empty() ? nullptr : wv.data();
  return q;
}

bool close_rel(double a, double b, double rel = 1e-6) { return std::fabs(a - b) <= rel * std::max(1.0, std::fabs(b)); }

// Trains both on the float-exact kernel of `train` and compares everything on `test`.
void compare_with_libsvm(const hqml_test::blobs& train, const hqml_test::blobs& test, double gamma, svc_params p) {
  svm_set_print_string_function(&quiet);
  const Eigen::MatrixXd k = hqml_test::round_to_float(hqml_test::rbf_kernel(train.x, train.x, gamma));
  const Eigen::MatrixXd kt = hqml_test::round_to_float(hqml_test::rbf_kernel(test.x, train.x, gamma));

  libsvm_problem lp(k, train.labels);
  std::vector<int> wl;
  std::vector<double> wv;
  const svm_parameter lparam = libsvm_params(p, wl, wv);
  REQUIRE(svm_check_parameter(&lp.prob, &lparam) == nullptr);
  std::srand(p.probability_seed);
  std::unique_ptr<svm_model, model_deleter> ref(svm_train(&lp.prob, &lparam));

  const svc m = svc::fit(k, train.labels, p);

  // Classes and support vectors.
  const int nr_class = svm_get_nr_class(ref.get());
  REQUIRE(static_cast<int>(m.classes().size()) == nr_class);
  for (int c = 0; c < nr_class; ++c) {
    CHECK(m.classes()[static_cast<std::size_t>(c)] == ref->label[c]);
    CHECK(m.n_support()[static_cast<std::size_t>(c)] == ref->nSV[c]);
  }
  REQUIRE(static_cast<int>(m.support().size()) == ref->l);
  for (int s = 0; s < ref->l; ++s) {
    CHECK(m.support()[static_cast<std::size_t>(s)] + 1 == ref->sv_indices[s]);
    for (int r = 0; r < nr_class - 1; ++r) CHECK(close_rel(m.dual_coef()(r, s), ref->sv_coef[r][s]));
  }
  const int pairs = nr_class * (nr_class - 1) / 2;
  for (int q = 0; q < pairs; ++q) CHECK(close_rel(m.rho()(q), ref->rho[q]));

  // Decision values, votes and probabilities on unseen samples.
  const Eigen::MatrixXd dec = m.decision_function(kt);
  const std::vector<int> pred = m.predict(kt);
  libsvm_problem tp(kt, test.labels);
  std::vector<double> ldec(static_cast<std::size_t>(pairs));
  std::vector<double> lprob(static_cast<std::size_t>(nr_class));
  Eigen::MatrixXd proba;
  if (p.probability) {
    REQUIRE(svm_check_probability_model(ref.get()) == 1);
    for (int q = 0; q < pairs; ++q) {
      CHECK(close_rel(m.prob_a()(q), ref->probA[q]));
      CHECK(close_rel(m.prob_b()(q), ref->probB[q]));
    }
    proba = m.predict_proba(kt);
  }
  double max_rel = 0;
  for (Eigen::Index t = 0; t < kt.rows(); ++t) {
    const double label = svm_predict_values(ref.get(), tp.x[static_cast<std::size_t>(t)], ldec.data());
    CHECK(pred[static_cast<std::size_t>(t)] == static_cast<int>(label));
    for (int q = 0; q < pairs; ++q)
      max_rel = std::max(max_rel, std::fabs(dec(t, q) - ldec[static_cast<std::size_t>(q)]) /
                                      std::max(1.0, std::fabs(ldec[static_cast<std::size_t>(q)])));
    if (p.probability) {
      svm_predict_probability(ref.get(), tp.x[static_cast<std::size_t>(t)], lprob.data());
      for (int c = 0; c < nr_class; ++c) CHECK(close_rel(proba(t, c), lprob[static_cast<std::size_t>(c)]));
    }
  }
  INFO("max relative decision difference " << max_rel);
  CHECK(max_rel <= 1e-6);
}

}  // namespace

TEST_CASE("svc matches libsvm on a binary problem", "[svc][libsvm]") {
  // Labels -1 and +1 with -1 first exercise libsvm's rule that +1 is always the first class.
  auto train = hqml_test::make_blobs(300, 4, {-1, 1}, 1.2, 11);
  if (train.labels.front() != -1) std::swap(train.labels.front(), *std::find(train.labels.begin(), train.labels.end(), -1));
  const auto test = hqml_test::make_blobs(80, 4, {-1, 1}, 1.2, 12);
  svc_params p;
  p.C = 2.0;
  SECTION("shrinking") { compare_with_libsvm(train, test, 0.3, p); }
  SECTION("no shrinking, small cache") {
    p.shrinking = false;
    p.cache_mb = 0.01;  // two columns: every other column access is a miss
    compare_with_libsvm(train, test, 0.3, p);
  }
  SECTION("class weights") {
    p.class_weight = {{-1, 3.0}, {1, 0.5}};
    compare_with_libsvm(train, test, 0.3, p);
  }
  SECTION("probabilities") {
    p.probability = true;
    p.probability_seed = 7;
    compare_with_libsvm(train, test, 0.3, p);
  }
}

TEST_CASE("svc matches libsvm on a three-class problem", "[svc][libsvm]") {
  const auto train = hqml_test::make_blobs(270, 3, {7, 0, 2}, 1.5, 21);
  const auto test = hqml_test::make_blobs(60, 3, {7, 0, 2}, 1.5, 22);
  svc_params p;
  p.C = 5.0;
  SECTION("votes") { compare_with_libsvm(train, test, 0.5, p); }
  SECTION("large C, tight tolerance") {
    p.C = 100.0;
    p.eps = 1e-5;
    compare_with_libsvm(train, test, 0.5, p);
  }
  SECTION("probabilities") {
    p.probability = true;
    p.probability_seed = 3;
    compare_with_libsvm(train, test, 0.5, p);
  }
}
