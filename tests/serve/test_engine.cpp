// hqml serve's scoring engine without HTTP: a model of the pipeline saved and loaded as the server loads it, then
// every route, the cache, the fallback and its breaker, and the model swap, against the models' own answers; the
// routes' shared semantics (route.hpp) against a plain computation; rows preprocessed once per request against
// the models scoring raw rows.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <hqml/app/pipeline.hpp>
#include <hqml/serve/engine.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace hqml;
using namespace hqml::serve;

namespace {

struct saved_models {
  std::filesystem::path dir;
  pipeline_result run;
  saved_models() = default;
  saved_models(saved_models&& o) noexcept : dir(std::exchange(o.dir, {})), run(std::move(o.run)) {}
  ~saved_models() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// The built-in ad hoc data through the pipeline; "with" keeps the classical model, "without" is hqml train's kind.
const saved_models& models() {
  static const saved_models m = [] {
    saved_models s;
    // Per process: ctest runs the test cases as separate processes, side by side.
    s.dir = std::filesystem::temp_directory_path() / ("hqml_test_engine_" + std::to_string(::getpid()));
    std::filesystem::remove_all(s.dir);
    std::filesystem::create_directories(s.dir);
    pipeline_config cfg;
    cfg.map.kind = feature_map_kind::zz;
    cfg.map.num_qubits = 2;
    cfg.seed = 2;
    cfg.adhoc_train_per_class = 20;
    cfg.adhoc_test_per_class = 10;
    cfg.scale_grid = {1.0};
    cfg.folds = 3;
    s.run = run_pipeline(cfg);
    serving_parts serving;
    serving.classical = &s.run.classical_model;
    std::tie(serving.train_mean, serving.train_std) = column_mean_std(s.run.raw_train);
    const auto& r = s.run;
    save_pipeline_model(s.dir / "with", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                        r.class_names, {}, nullptr, false, &serving);
    save_pipeline_model(s.dir / "without", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                        r.class_names);
    return s;
  }();
  return m;
}

// hqml run on CSV blobs in 5 dimensions with missing cells: a model that imputes and reduces by PCA (5 -> 3), whose
// classical model is sure of most held-out rows and unsure of a few.
const saved_models& blob_models() {
  static const saved_models m = [] {
    saved_models s;
    s.dir = std::filesystem::temp_directory_path() / ("hqml_test_engine_blobs_" + std::to_string(::getpid()));
    std::filesystem::remove_all(s.dir);
    std::filesystem::create_directories(s.dir);
    std::mt19937_64 rng(13);
    std::normal_distribution<double> nd;
    {
      std::ofstream f(s.dir / "data.csv");
      f << "a,b,species,c,d,e\n";
      for (int i = 0; i < 120; ++i) {
        const bool pos = i % 2;
        for (int j = 0; j < 5; ++j) {
          if (j == 2) f << (pos ? "versicolor" : "setosa") << ",";
          if (i % 23 != 7 || j != 1) f << (pos ? 1.2 : -1.2) + nd(rng);  // an empty cell: missing
          f << (j == 4 ? "\n" : ",");
        }
      }
    }
    pipeline_config cfg;
    cfg.data = s.dir / "data.csv";
    cfg.label = io::label_column::named("species");
    cfg.csv.allow_missing = true;
    cfg.map.kind = feature_map_kind::zz;
    cfg.map.num_qubits = 3;
    cfg.map.reps = 1;
    cfg.folds = 3;
    s.run = run_pipeline(cfg);
    serving_parts serving;
    serving.classical = &s.run.classical_model;
    std::tie(serving.train_mean, serving.train_std) = column_mean_std(s.run.raw_train);
    const auto& r = s.run;
    save_pipeline_model(s.dir / "with", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                        r.class_names, {}, nullptr, false, &serving);
    return s;
  }();
  return m;
}

engine_options options(const std::string& route) {
  engine_options o;
  o.route = route_policy::parse(route);
  o.batching.max_delay = std::chrono::microseconds(0);
  o.breaker_failures = 2;
  o.breaker_open_for = std::chrono::hours(1);
  return o;
}

std::vector<std::string> names(const std::vector<int>& ids, const std::vector<std::string>& classes) {
  std::vector<std::string> out;
  for (int i : ids) out.push_back(classes[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace

TEST_CASE("engine: the quantum and classical routes answer as the saved models do", "[serve][engine]") {
  const auto& m = models();
  const Eigen::MatrixXd& x = m.run.raw_test;
  const auto model = served_model::load(m.dir / "with");
  REQUIRE(model->version().size() == 8);
  REQUIRE(model->has_classical());
  REQUIRE(model->n_features() == 2);

  metrics::registry reg;
  engine eq(options("quantum"), reg);
  eq.install(model);
  const engine_answer a = eq.score(eq.current(), x);
  // The run's held-out answers: its votes, and its calibrated probabilities in class order.
  REQUIRE(a.rows.labels == names(m.run.quantum.predictions, m.run.class_names));
  REQUIRE(a.model_version == model->version());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    REQUIRE(a.rows.served_by[static_cast<std::size_t>(i)] == "quantum");
    for (Eigen::Index j = 0; j < 2; ++j)
      REQUIRE(a.rows.probabilities(i, j) == Approx(m.run.quantum_test_proba(i, j)).margin(1e-12));
  }

  metrics::registry reg2;
  engine ec(options("classical"), reg2);
  ec.install(model);
  const engine_answer c = ec.score(ec.current(), x);
  REQUIRE(c.rows.labels == names(m.run.classical.predictions, m.run.class_names));
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < 2; ++j)
      REQUIRE(c.rows.probabilities(i, j) == Approx(m.run.classical_test_proba(i, j)).margin(1e-12));
  REQUIRE(reg2.render().find("hqml_rows_total{served_by=\"classical\"} 20") != std::string::npos);

  // This model's scaler leaves 1.7e308 finite, but the classical RBF kernel's squared distance overflows: still
  // the client's error (400) on every route that reads the classical model, not a failure of the model.
  Eigen::MatrixXd huge = x.topRows(3);
  huge.row(2).setConstant(1.7e308);
  for (const char* name : {"classical", "confidence:0.25", "ensemble:0.5"}) {
    INFO(name);
    metrics::registry r;
    engine e(options(name), r);
    e.install(model);
    try {
      (void)e.score(e.current(), huge);
      FAIL("no error for a row of 1.7e308");
    } catch (const request_error& err) {
      REQUIRE(err.status() == 400);
      REQUIRE_THAT(err.what(), Catch::StartsWith("row 2: values too large"));
    }
  }
}

TEST_CASE("engine: confidence and ensemble routes combine the two models exactly", "[serve][engine]") {
  const auto& m = models();
  const Eigen::MatrixXd& x = m.run.raw_test;
  const auto model = served_model::load(m.dir / "with");
  const Eigen::MatrixXd &pq = m.run.quantum_test_proba, &pc = m.run.classical_test_proba;
  metrics::registry reg;
  engine conf(options("confidence:0.5"), reg);
  conf.install(model);
  const engine_answer a = conf.score(conf.current(), x);
  std::size_t to_quantum = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    const bool unsure = std::abs(pc(i, 0) - pc(i, 1)) < 0.5;
    to_quantum += unsure;
    REQUIRE(a.rows.served_by[k] == (unsure ? "quantum" : "classical"));
    REQUIRE(a.rows.labels[k] == m.run.class_names[static_cast<std::size_t>(unsure ? m.run.quantum.predictions[k]
                                                                                  : m.run.classical.predictions[k])]);
  }
  // The pipeline's report of the same route on the same rows.
  REQUIRE(m.run.routes[4].route == "confidence:0.5");
  REQUIRE(m.run.routes[4].quantum_rows == to_quantum);

  metrics::registry reg2;
  engine ens(options("ensemble:0.25"), reg2);
  ens.install(model);
  const engine_answer e = ens.score(ens.current(), x);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::RowVector2d p = 0.25 * pq.row(i) + 0.75 * pc.row(i);
    REQUIRE(e.rows.served_by[static_cast<std::size_t>(i)] == "ensemble");
    REQUIRE(e.rows.probabilities(i, 0) == Approx(p(0)).margin(1e-12));
    REQUIRE(e.rows.labels[static_cast<std::size_t>(i)] == m.run.class_names[p(1) > p(0) ? 1 : 0]);
  }
}

TEST_CASE("engine: the cache answers repeated rows, keyed by model version and route", "[serve][engine]") {
  const auto& m = models();
  const Eigen::MatrixXd x = m.run.raw_test.topRows(6);
  const auto model = served_model::load(m.dir / "with");
  lru_cache cache(1 << 20);
  metrics::registry reg;
  engine q(options("quantum"), reg, &cache);
  q.install(model);
  const engine_answer first = q.score(q.current(), x);
  const engine_answer again = q.score(q.current(), x);
  for (std::size_t i = 0; i < 6; ++i) {
    REQUIRE(first.rows.served_by[i] == "quantum");
    REQUIRE(again.rows.served_by[i] == "cache");
  }
  REQUIRE(again.rows.probabilities == first.rows.probabilities);
  REQUIRE(again.rows.labels == first.rows.labels);
  // Another route sharing the cache does not receive the quantum route's answers.
  metrics::registry reg2;
  engine c(options("classical"), reg2, &cache);
  c.install(model);
  const engine_answer other = c.score(c.current(), x);
  for (const auto& who : other.rows.served_by) REQUIRE(who == "classical");
  REQUIRE(reg.render().find("hqml_cache_hits_total 6") != std::string::npos);
}

TEST_CASE("engine: failures fall back to the classical model and open the breaker", "[serve][engine]") {
  const auto& m = models();
  const Eigen::MatrixXd x = m.run.raw_test.topRows(3);
  for (const char* fault : {"error", "nan"}) {
    INFO(fault);
    auto o = options("quantum");
    o.fault = fault_injection::parse(fault);
    metrics::registry reg;
    engine e(o, reg);
    e.install(served_model::load(m.dir / "with"));
    for (int k = 0; k < 4; ++k) {
      const engine_answer a = e.score(e.current(), x);
      for (std::size_t i = 0; i < 3; ++i) {
        REQUIRE(a.rows.served_by[i] == "classical");
        REQUIRE(a.rows.labels[i] == m.run.class_names[static_cast<std::size_t>(m.run.classical.predictions[i])]);
      }
    }
    REQUIRE(e.breaker() == breaker_state::open);  // after 2 failures; the next 2 requests did not try
    const std::string text = reg.render();
    REQUIRE(text.find(std::string("hqml_quantum_failures_total{reason=\"") + fault + "\"} 2") != std::string::npos);
    REQUIRE(text.find("hqml_quantum_failures_total{reason=\"breaker_open\"} 2") != std::string::npos);
    REQUIRE(text.find("hqml_fallback_rows_total 12") != std::string::npos);
  }
  // Without a classical model there is nothing to fall back on.
  auto o = options("quantum");
  o.fault = fault_injection::parse("error");
  metrics::registry reg;
  engine bare(o, reg);
  bare.install(served_model::load(m.dir / "without"));
  REQUIRE_THROWS_AS(bare.score(bare.current(), x), unavailable_error);
  metrics::registry reg2;
  engine needs(options("ensemble:0.5"), reg2);
  REQUIRE_THROWS_WITH(needs.install(served_model::load(m.dir / "without")), Catch::Contains("classical"));
  REQUIRE_THROWS_WITH(fault_injection::parse("slow:-1"), Catch::Contains("slow:MS"));
  REQUIRE_THROWS_WITH(route_policy::parse("confidence:x"), Catch::Contains("[0, 1]"));
}

TEST_CASE("engine: a request keeps the model it started with across a swap", "[serve][engine]") {
  const auto& m = models();
  const Eigen::MatrixXd x = m.run.raw_test.topRows(4);
  metrics::registry reg;
  engine e(options("quantum"), reg);
  e.install(served_model::load(m.dir / "with"));
  const auto before = e.current();
  e.install(served_model::load(m.dir / "without"));  // another model.json: another version
  const auto after = e.current();
  REQUIRE(before->model->version() != after->model->version());
  // The snapshot taken before the swap still answers, with its own model and batcher.
  REQUIRE(e.score(before, x).model_version == before->model->version());
  REQUIRE(e.score(after, x).model_version == after->model->version());
  e.install(served_model::load(m.dir / "with"));  // the first is retired now; its holder still scores
  REQUIRE(e.score(after, x).model_version == after->model->version());
  REQUIRE(reg.render().find("hqml_model_reloads_total{result=\"ok\"} 2") != std::string::npos);
}

namespace {

// A row's margin written plainly: NaN entries left out, the others sorted; fewer than two: 1.
double plain_margin(const Eigen::Ref<const Eigen::RowVectorXd>& p) {
  std::vector<double> v;
  for (Eigen::Index j = 0; j < p.size(); ++j)
    if (!std::isnan(p(j))) v.push_back(p(j));
  std::sort(v.begin(), v.end(), [](double a, double b) { return a > b; });
  return v.size() < 2 ? 1.0 : v[0] - v[1];
}

}  // namespace

TEST_CASE("routes: route_answers and quantum_rows against a plain computation on random probability rows",
          "[serve][engine][route]") {
  std::mt19937_64 rng(97);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const std::size_t k : {std::size_t{2}, std::size_t{3}, std::size_t{5}}) {
    INFO("classes " << k);
    const auto kk = static_cast<Eigen::Index>(k);
    // 200 random rows, then rows on the edges (dyadic values: their differences are exact): top minus runner-up
    // exactly 0.125, 0.25 and 0.5 (each threshold tried below), the top two equal, one class certain, and a
    // quantum/classical pair whose 0.5-ensemble ties between the first two classes.
    const Eigen::Index random_rows = 200, n = random_rows + 6;
    Eigen::MatrixXd c(n, kk), q(n, kk);
    for (Eigen::Index i = 0; i < random_rows; ++i)
      for (Eigen::Index j = 0; j < kk; ++j) {
        c(i, j) = u(rng);
        q(i, j) = u(rng);
      }
    c.topRows(random_rows).array().colwise() /= c.topRows(random_rows).rowwise().sum().array();
    q.topRows(random_rows).array().colwise() /= q.topRows(random_rows).rowwise().sum().array();
    const auto edge = [&](Eigen::Index i, double top, double second) {
      c.row(i).setConstant(second / 4);
      c(i, (i + 1) % kk) = top;
      c(i, i % kk) = second;
      q.row(i).setConstant(1.0 / static_cast<double>(k));
    };
    edge(random_rows + 0, 0.375 + 0.125, 0.375);  // margin 0.125
    edge(random_rows + 1, 0.25 + 0.25, 0.25);     // margin 0.25
    edge(random_rows + 2, 0.5 + 0.25, 0.25);      // margin 0.5
    edge(random_rows + 3, 0.375, 0.375);          // the top two equal: margin 0
    c.row(random_rows + 4).setZero();
    c(random_rows + 4, kk - 1) = 1;  // certain: margin 1
    q.row(random_rows + 4).setConstant(0.5);
    c.row(random_rows + 5).setConstant(0.0625);
    q.row(random_rows + 5).setConstant(0.0625);
    c(random_rows + 5, 0) = 0.25;
    c(random_rows + 5, 1) = 0.75;
    q(random_rows + 5, 0) = 0.75;
    q(random_rows + 5, 1) = 0.25;  // 0.5 q + 0.5 c = (0.5, 0.5, ...): class 0, the first of the highest
    std::vector<int> cl(static_cast<std::size_t>(n)), ql(static_cast<std::size_t>(n));
    std::uniform_int_distribution<int> pick(0, static_cast<int>(k) - 1);
    for (auto& l : cl) l = pick(rng);  // labels are the models' own (their votes): copied, never recomputed
    for (auto& l : ql) l = pick(rng);
    const class_scores classical{c, cl};

    std::vector<route_policy> routes = {route_policy::parse("quantum"), route_policy::parse("classical")};
    for (const char* t : {"0", "0.125", "0.25", "0.5", "1"})
      routes.push_back(route_policy::parse(std::string("confidence:") + t));
    for (const char* w : {"0", "0.25", "0.5", "0.75", "1"})
      routes.push_back(route_policy::parse(std::string("ensemble:") + w));
    for (const route_policy& route : routes) {
      INFO(route.to_string());
      std::vector<std::size_t> expected;
      for (Eigen::Index i = 0; i < n; ++i) {
        const bool to_quantum = route.k == route_policy::kind::quantum || route.k == route_policy::kind::ensemble ||
                                (route.k == route_policy::kind::confidence && plain_margin(c.row(i)) < route.value);
        if (to_quantum) expected.push_back(static_cast<std::size_t>(i));
      }
      REQUIRE(route.quantum_rows(static_cast<std::size_t>(n), c) == expected);
      class_scores quantum;
      quantum.proba.resize(static_cast<Eigen::Index>(expected.size()), kk);
      for (std::size_t j = 0; j < expected.size(); ++j) {
        quantum.proba.row(static_cast<Eigen::Index>(j)) = q.row(static_cast<Eigen::Index>(expected[j]));
        quantum.label.push_back(ql[expected[j]]);
      }
      const routed_scores r = route_answers(route, static_cast<std::size_t>(n), k, classical, expected, &quantum);
      REQUIRE(r.proba.rows() == n);
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto s = static_cast<std::size_t>(i);
        const bool sent = std::find(expected.begin(), expected.end(), s) != expected.end();
        REQUIRE(r.served_by[s] != nullptr);
        if (route.k == route_policy::kind::ensemble) {
          const double w = route.value;
          int best = 0;
          for (Eigen::Index j = 0; j < kk; ++j) {
            const double pj = w * q(i, j) + (1 - w) * c(i, j);
            REQUIRE(r.proba(i, j) == Approx(pj).margin(1e-15));
            if (pj > w * q(i, best) + (1 - w) * c(i, best)) best = static_cast<int>(j);
          }
          REQUIRE(std::string(r.served_by[s]) == "ensemble");
          REQUIRE(r.label[s] == best);
        } else if (sent) {
          REQUIRE(std::string(r.served_by[s]) == "quantum");
          REQUIRE(r.label[s] == ql[s]);
          REQUIRE(r.proba.row(i) == q.row(i));
        } else {
          REQUIRE(std::string(r.served_by[s]) == "classical");
          REQUIRE(r.label[s] == cl[s]);
          REQUIRE(r.proba.row(i) == c.row(i));
        }
      }
      // The edges, spelled out: a margin equal to the threshold stays classical; equal top two go on (T > 0).
      const auto by = [&](Eigen::Index i) { return std::string(r.served_by[static_cast<std::size_t>(i)]); };
      if (route.k == route_policy::kind::confidence) {
        if (route.value == 0.25) {
          REQUIRE(by(random_rows + 0) == "quantum");
          REQUIRE(by(random_rows + 1) == "classical");
          REQUIRE(by(random_rows + 2) == "classical");
        }
        REQUIRE(by(random_rows + 3) == (route.value > 0 ? "quantum" : "classical"));
        REQUIRE(by(random_rows + 4) == "classical");  // margin 1 is below no threshold, 1 included
      }
      if (route.k == route_policy::kind::ensemble && route.value == 0.5) {
        REQUIRE(r.proba(random_rows + 5, 0) == 0.5);
        REQUIRE(r.proba(random_rows + 5, 1) == 0.5);
        REQUIRE(r.label[static_cast<std::size_t>(random_rows + 5)] == 0);
      }

      // No quantum answers (the quantum path failed): its rows are left for the caller's fallback.
      const routed_scores none = route_answers(route, static_cast<std::size_t>(n), k, classical, expected, nullptr);
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto s = static_cast<std::size_t>(i);
        const bool sent = std::find(expected.begin(), expected.end(), s) != expected.end();
        REQUIRE((none.served_by[s] == nullptr) == sent);
        if (!sent) REQUIRE(none.label[s] == cl[s]);
      }
    }
  }

  // NaN entries are passed over; a NaN margin (inf - inf) is below no threshold; answers of the wrong shape are
  // refused.
  Eigen::MatrixXd odd(4, 3);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  odd << nan, 0.45, 0.55, nan, nan, 0.5, inf, inf, 0, 0.5, 0.5, 0;
  for (Eigen::Index i = 0; i < odd.rows(); ++i) {
    const double got = class_margin(odd.row(i)), want = plain_margin(odd.row(i));
    REQUIRE(((std::isnan(got) && std::isnan(want)) || got == want));
  }
  REQUIRE(class_margin(odd.row(0)) == Approx(0.1).margin(1e-15));
  REQUIRE(route_policy::parse("confidence:1").quantum_rows(4, odd) == std::vector<std::size_t>{0, 3});
  const class_scores short_rows{odd.topRows(2), {0, 1}};
  REQUIRE_THROWS_AS(route_answers(route_policy::parse("classical"), 4, 3, short_rows, {}, nullptr),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(route_policy::parse("confidence:0.5").quantum_rows(4, odd.topRows(2)), std::invalid_argument);
}

TEST_CASE("engine: rows preprocessed once answer byte for byte as the models scoring the raw rows", "[serve][engine]") {
  const auto& m = blob_models();
  const auto model = served_model::load(m.dir / "with");
  const pipeline_model& p = model->pipeline();
  REQUIRE(p.pre.imputes());
  REQUIRE(p.pre.reduces());  // PCA 5 -> 3: the preprocessing is a matrix product, not only per-cell arithmetic
  REQUIRE(model->imputes());
  const std::size_t k = model->n_classes();
  Eigen::MatrixXd x = m.run.raw_test;
  x(1, 0) = std::nan("");  // a missing value, imputed by both models
  x(4, 3) = std::nan("");

  // The path before rows were prepared once: each model preprocessing the raw rows it was handed.
  const circuit fm = p.map.build();
  const auto support_states = batched_states<double>(fm, p.feature_scale * p.support_x, p.theta, 0);
  const auto quantum_raw = [&](const Eigen::MatrixXd& raw) {
    const Eigen::MatrixXd xs = p.feature_scale * p.pre.transform(raw);
    const Eigen::MatrixXd kq =
        fidelity_kernel<double>(batched_states<double>(fm, xs, p.theta, 0), support_states, kernel_options{0, 0});
    return svc_scores(p.model, kq, k);
  };
  const auto classical_raw = [&](const Eigen::MatrixXd& raw) {
    return svc_scores(p.classical->model, p.classical->support_kernel(raw), k);
  };
  const auto rows_of = [](const Eigen::MatrixXd& a, std::size_t from, const std::vector<std::size_t>& which) {
    std::vector<std::ptrdiff_t> r;
    for (std::size_t i : which) r.push_back(static_cast<std::ptrdiff_t>(from + i));
    return learn::take_rows(a, r);
  };
  // The answers the previous engine gave rows from..n-1 of a request (those the cache did not answer).
  const auto previous = [&](const route_policy& route, std::size_t from, std::vector<std::string>& by) {
    const auto n = static_cast<std::size_t>(x.rows()) - from;
    const Eigen::MatrixXd raw = x.bottomRows(static_cast<Eigen::Index>(n));
    Eigen::MatrixXd out(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(k));
    by.assign(n, "classical");
    if (route.k == route_policy::kind::quantum) {
      out = quantum_raw(raw).proba;
      by.assign(n, "quantum");
    } else {
      const class_scores c = classical_raw(raw);
      out = c.proba;
      if (route.k == route_policy::kind::ensemble) {
        const Eigen::MatrixXd q = quantum_raw(raw).proba;
        for (Eigen::Index i = 0; i < out.rows(); ++i)
          out.row(i) = route.value * q.row(i) + (1 - route.value) * c.proba.row(i);
        by.assign(n, "ensemble");
      } else if (route.k == route_policy::kind::confidence) {
        std::vector<std::size_t> unsure;
        for (std::size_t i = 0; i < n; ++i)
          if (plain_margin(c.proba.row(static_cast<Eigen::Index>(i))) < route.value) unsure.push_back(i);
        const Eigen::MatrixXd q = quantum_raw(rows_of(x, from, unsure)).proba;
        for (std::size_t j = 0; j < unsure.size(); ++j) {
          out.row(static_cast<Eigen::Index>(unsure[j])) = q.row(static_cast<Eigen::Index>(j));
          by[unsure[j]] = "quantum";
        }
      }
    }
    return out;
  };

  std::size_t mixed = 0;
  for (const char* name : {"quantum", "classical", "confidence:0.5", "ensemble:0.25"}) {
    INFO(name);
    const route_policy route = route_policy::parse(name);
    for (const std::size_t from : {std::size_t{0}, std::size_t{5}}) {  // 5: the first 5 rows from the cache
      INFO("cached rows " << from);
      lru_cache cache(1 << 20);
      metrics::registry reg;
      engine e(options(name), reg, from > 0 ? &cache : nullptr);
      e.install(model);
      if (from > 0) (void)e.score(e.current(), x.topRows(static_cast<Eigen::Index>(from)));
      const engine_answer a = e.score(e.current(), x);
      std::vector<std::string> by;
      const Eigen::MatrixXd want = previous(route, from, by);
      std::size_t to_quantum = 0;
      for (std::size_t i = 0; i < by.size(); ++i) {
        const auto r = static_cast<Eigen::Index>(from + i);
        REQUIRE(a.rows.served_by[from + i] == by[i]);
        REQUIRE(a.rows.probabilities.row(r) == want.row(static_cast<Eigen::Index>(i)));  // exact, bit for bit
        to_quantum += by[i] == "quantum";
      }
      for (std::size_t i = 0; i < from; ++i) REQUIRE(a.rows.served_by[i] == "cache");
      if (route.k == route_policy::kind::confidence && to_quantum > 0 && to_quantum < by.size()) ++mixed;
      if (route.k == route_policy::kind::quantum && from == 0) {
        // hqml run's own votes on the same rows (its metrics.json), the row given a missing value aside.
        for (std::size_t i = 0; i < by.size(); ++i)
          if (i != 1 && i != 4)
            REQUIRE(a.rows.labels[i] == m.run.class_names[static_cast<std::size_t>(m.run.quantum.predictions[i])]);
      }
    }
  }
  REQUIRE(mixed == 2);  // the confidence route did split the rows between the two models

  // Rows the preprocessing turns into infinities are still the client's error, on every route.
  Eigen::MatrixXd huge = x.topRows(3);
  huge.row(1).setConstant(1.7e308);
  for (const char* name : {"quantum", "classical"}) {
    metrics::registry reg;
    engine e(options(name), reg);
    e.install(model);
    try {
      (void)e.score(e.current(), huge);
      FAIL("no error for a row of 1.7e308");
    } catch (const request_error& err) {
      REQUIRE(err.status() == 400);
      REQUIRE_THAT(err.what(), Catch::StartsWith("row 1: values too large"));
    }
    REQUIRE_THROWS_AS(model->prepare(huge), request_error);
  }
}
