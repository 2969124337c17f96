// hqml::app's tuning problem (what `hqml tune` runs): its objective against a kernel and cross-validation
// built here by hand from the same pieces, its cache, and the grid search at the full budget against an
// exhaustive scan of the space.
#include <catch2/catch.hpp>

#include <hqml/app/kernel_tuning.hpp>
#include <hqml/datasets.hpp>
#include <hqml/feature_map.hpp>

#include <algorithm>
#include <vector>

namespace {

struct data {
  Eigen::MatrixXd x;
  std::vector<int> y;
};

data ad_hoc(std::uint64_t seed) {
  const hqml::ad_hoc_dataset d = hqml::ad_hoc_data(10, 0, 2, 0.3, seed);
  return {d.train.x, std::vector<int>(d.train.y.data(), d.train.y.data() + d.train.y.size())};
}

}  // namespace

TEST_CASE("kernel SVM tuning: the space decodes to the values it names", "[app][tune]") {
  const auto& space = hqml::app::kernel_svm_tuning::space();
  REQUIRE(space.num_configurations() == 144);
  const hqml::app::kernel_svm_config c = hqml::app::kernel_svm_tuning::decode({3, 0, 2, 1});
  CHECK(c.C == 100.0);
  CHECK(c.feature_scale == 0.25);
  CHECK(c.reps == 3);
  CHECK(c.entanglement == "full");
  CHECK(hqml::app::kernel_svm_tuning::decode({0, 3, 0, 2}).entanglement == "circular");
}

TEST_CASE("kernel SVM tuning: the objective is the CV accuracy of the kernel it names", "[app][tune]") {
  const data d = ad_hoc(5);
  hqml::app::kernel_svm_tuning problem(d.x, d.y, 2, 4, 11);
  const auto folds = hqml::learn::stratified_k_fold(d.y, 4, 11);
  for (const auto& v : std::vector<std::vector<double>>{{1.0, 0.5, 2, 1}, {10.0, 2.0, 1, 0}, {0.1, 1.0, 3, 2}}) {
    const char* ent[] = {"linear", "full", "circular"};
    const Eigen::MatrixXd k = hqml::fidelity_kernel<double>(
        hqml::zz_feature_map(2, static_cast<std::size_t>(v[2]), ent[int(v[3])]), v[1] * d.x);
    hqml::learn::svc_params sp;
    sp.C = v[0];
    const double expected =
        hqml::learn::cross_validate_svc(k, d.y, sp, folds, hqml::learn::score_metric::accuracy).mean;
    CHECK(problem(v) == Approx(expected).margin(1e-12));
  }
  CHECK(problem.evaluations() == 3);
  CHECK(problem.kernels_computed() == 3);
  // Only C differs: the kernel is reused.
  (void)problem({100.0, 0.5, 2, 1});
  CHECK(problem.evaluations() == 4);
  CHECK(problem.kernels_computed() == 3);
}

TEST_CASE("kernel SVM tuning: grid search at the full budget finds the exhaustive maximum", "[app][tune]") {
  const data d = ad_hoc(9);
  hqml::app::kernel_svm_tuning problem(d.x, d.y, 2, 3, 2);
  const auto& space = hqml::app::kernel_svm_tuning::space();
  double best = -1;
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = 0; b < 4; ++b)
      for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t e = 0; e < 3; ++e) best = std::max(best, problem(space.values({a, b, r, e})));
  CHECK(problem.kernels_computed() == 36);
  const auto result = hqml::app::tune_kernel_svm(problem, 144, 3);
  CHECK(result.grid.best_score == Approx(best).margin(1e-12));
  CHECK(result.grid.history.size() == 144);
  CHECK(result.fmqa.best_score <= best + 1e-12);
  CHECK(result.random.best_score <= best + 1e-12);
  // Every reported best is the objective at its configuration.
  for (const auto* r : {&result.fmqa, &result.random, &result.grid})
    CHECK(problem(space.values(r->best_config)) == Approx(r->best_score).margin(1e-12));
  CHECK(problem.kernels_computed() == 36);
}

TEST_CASE("kernel SVM tuning: inconsistent inputs are refused", "[app][tune]") {
  const data d = ad_hoc(5);
  std::vector<int> short_y(d.y.begin(), d.y.end() - 1);
  CHECK_THROWS_WITH(hqml::app::kernel_svm_tuning(d.x, short_y, 2, 3, 0),
                    Catch::Contains("rows but") && Catch::Contains("labels"));
  CHECK_THROWS_WITH(hqml::app::kernel_svm_tuning(d.x, d.y, 3, 3, 0), Catch::Contains("3 qubits for 2 feature columns"));
  CHECK_THROWS_WITH(hqml::app::kernel_svm_tuning(d.x, d.y, 2, 1, 0), Catch::Contains("k >= 2"));
}
