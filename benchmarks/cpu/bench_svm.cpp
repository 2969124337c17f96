// C-SVC fit on a precomputed kernel: hqml::learn::svc against libsvm's C API (same binary, same kernel,
// same C, eps and cache size). Two overlapping Gaussian classes in 10 dimensions, RBF kernel, fixed seeds.
// Counters: n_sv (support vectors) and, on the hqml runs, max_dec_diff, the largest |decision value
// difference| against libsvm over 1000 held-out points. Set HQML_SVM_DUMP_DIR to also write the kernels,
// labels and hqml's decision values as .npy files for benchmarks/peers/svm_peers.py (scikit-learn).
//
// Run the whole comparison with benchmarks/svm.sh.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <hqml/io/npy.hpp>
#include <hqml/learn/svc.hpp>

#if defined(HQML_HAVE_LIBSVM)
#include <libsvm/svm.h>
#endif

namespace {

constexpr double svm_c = 1.0;
constexpr double svm_eps = 1e-3;
constexpr double cache_mb = 200.0;
constexpr int dims = 10;
constexpr int n_test = 1000;

struct dataset {
  Eigen::MatrixXd k;       // n x n
  Eigen::MatrixXd k_test;  // n_test x n
  std::vector<int> y, y_test;
};

Eigen::MatrixXd rbf(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double gamma) {
  const Eigen::VectorXd na = a.rowwise().squaredNorm(), nb = b.rowwise().squaredNorm();
  Eigen::MatrixXd d = (-2.0 * a * b.transpose()).eval();
  d.colwise() += na;
  d.rowwise() += nb.transpose();
  return (-gamma * d.array().max(0.0)).exp().matrix();
}

void draw(int n, std::mt19937_64& rng, Eigen::MatrixXd& x, std::vector<int>& y) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::bernoulli_distribution coin(0.5);
  x.resize(n, dims);
  y.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int label = coin(rng) ? 1 : -1;
    y[static_cast<std::size_t>(i)] = label;
    // Class means 1.6 apart along 3 of the 10 axes: about 8% of the points lie on the wrong side, so
    // the solution has many bounded support vectors, as on real data.
    for (int j = 0; j < dims; ++j) x(i, j) = normal(rng) + (j < 3 ? 0.8 * label : 0.0);
  }
}

const dataset& data(int n) {
  static std::map<int, std::unique_ptr<dataset>> cache;
  auto& slot = cache[n];
  if (!slot) {
    std::mt19937_64 rng(20240601u + static_cast<unsigned>(n));
    Eigen::MatrixXd x, xt;
    slot = std::make_unique<dataset>();
    draw(n, rng, x, slot->y);
    draw(n_test, rng, xt, slot->y_test);
    const double gamma = 1.0 / dims;
    slot->k = rbf(x, x, gamma);
    slot->k_test = rbf(xt, x, gamma);
  }
  return *slot;
}

hqml::learn::svc_params params() {
  hqml::learn::svc_params p;
  p.C = svm_c;
  p.eps = svm_eps;
  p.cache_mb = cache_mb;
  p.shrinking = true;
  return p;
}

#if defined(HQML_HAVE_LIBSVM)
void quiet(const char*) {}

struct libsvm_data {
  std::vector<svm_node> nodes;
  std::vector<svm_node*> rows;
  std::vector<double> y;
  svm_problem prob{};
};

// libsvm's precomputed format: row i is {0: i+1, 1: K(i,0), ..., n: K(i,n-1), -1}.
std::unique_ptr<libsvm_data> to_libsvm(const Eigen::MatrixXd& k, const std::vector<int>& y) {
  auto d = std::make_unique<libsvm_data>();
  const auto rows = static_cast<std::size_t>(k.rows()), cols = static_cast<std::size_t>(k.cols());
  d->nodes.resize(rows * (cols + 2));
  for (std::size_t i = 0; i < rows; ++i) {
    svm_node* r = d->nodes.data() + i * (cols + 2);
    r[0] = {0, static_cast<double>(i + 1)};
    for (std::size_t j = 0; j < cols; ++j)
      r[j + 1] = {static_cast<int>(j + 1), k(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))};
    r[cols + 1] = {-1, 0.0};
    d->rows.push_back(r);
  }
  for (int v : y) d->y.push_back(v);
  d->prob.l = static_cast<int>(rows);
  d->prob.x = d->rows.data();
  d->prob.y = d->y.data();
  return d;
}

svm_parameter libsvm_params() {
  svm_parameter q{};
  q.svm_type = C_SVC;
  q.kernel_type = PRECOMPUTED;
  q.C = svm_c;
  q.eps = svm_eps;
  q.cache_size = cache_mb;
  q.shrinking = 1;
  return q;
}

const libsvm_data& libsvm_train_data(int n) {
  static std::map<int, std::unique_ptr<libsvm_data>> cache;
  auto& slot = cache[n];
  if (!slot) slot = to_libsvm(data(n).k, data(n).y);
  return *slot;
}

// Agreement of the two solutions on held-out points (computed once per size, outside the timings).
double max_decision_difference(int n) {
  static std::map<int, double> memo;
  if (auto it = memo.find(n); it != memo.end()) return it->second;
  const auto& d = data(n);
  const auto& lp = libsvm_train_data(n);
  const svm_parameter q = libsvm_params();
  svm_set_print_string_function(&quiet);
  svm_model* ref = svm_train(&lp.prob, &q);
  const auto m = hqml::learn::svc::fit(d.k, d.y, params());
  const Eigen::MatrixXd dec = m.decision_function(d.k_test);
  const auto test = to_libsvm(d.k_test, d.y_test);
  double worst = 0;
  for (int t = 0; t < n_test; ++t) {
    double v = 0;
    svm_predict_values(ref, test->rows[static_cast<std::size_t>(t)], &v);
    worst = std::max(worst, std::fabs(v - dec(t, 0)));
  }
  svm_free_and_destroy_model(&ref);
  memo[n] = worst;
  return worst;
}
#endif

void dump_for_peers(int n, const hqml::learn::svc& m) {
  const char* dir = std::getenv("HQML_SVM_DUMP_DIR");
  if (!dir) return;
  static std::map<int, bool> done;
  if (done[n]) return;
  done[n] = true;
  const auto& d = data(n);
  const std::filesystem::path p(dir);
  std::filesystem::create_directories(p);
  const auto tag = std::to_string(n);
  hqml::io::write_npy(p / ("K_" + tag + ".npy"), d.k);
  hqml::io::write_npy(p / ("Kt_" + tag + ".npy"), d.k_test);
  hqml::io::write_npy(p / ("y_" + tag + ".npy"), std::vector<std::int32_t>(d.y.begin(), d.y.end()));
  const Eigen::VectorXd dec = m.decision_function(d.k_test).col(0);
  hqml::io::write_npy(p / ("dec_hqml_" + tag + ".npy"), dec);
}

void BM_svc_fit_hqml(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto& d = data(n);
  std::size_t n_sv = 0;
  for (auto _ : state) {
    auto m = hqml::learn::svc::fit(d.k, d.y, params());
    n_sv = m.support().size();
    benchmark::DoNotOptimize(m);
    state.PauseTiming();
    dump_for_peers(n, m);
    state.ResumeTiming();
  }
  state.counters["n_sv"] = static_cast<double>(n_sv);
#if defined(HQML_HAVE_LIBSVM)
  state.counters["max_dec_diff"] = max_decision_difference(n);
#endif
}
BENCHMARK(BM_svc_fit_hqml)->Arg(2000)->Arg(8000)->Unit(benchmark::kMillisecond)->Iterations(1);

#if defined(HQML_HAVE_LIBSVM)
void BM_svc_fit_libsvm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto& lp = libsvm_train_data(n);
  svm_set_print_string_function(&quiet);
  const svm_parameter q = libsvm_params();
  int n_sv = 0;
  for (auto _ : state) {
    svm_model* m = svm_train(&lp.prob, &q);
    n_sv = m->l;
    svm_free_and_destroy_model(&m);
  }
  state.counters["n_sv"] = n_sv;
}
BENCHMARK(BM_svc_fit_libsvm)->Arg(2000)->Arg(8000)->Unit(benchmark::kMillisecond)->Iterations(1);
#endif

}  // namespace

BENCHMARK_MAIN();
