// hqml serve's scoring engine without HTTP: a model of the pipeline saved and loaded as the server loads it, then
// every route, the cache, the fallback and its breaker, and the model swap, against the models' own answers.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <hqml/app/pipeline.hpp>
#include <hqml/serve/engine.hpp>

#include <cmath>
#include <filesystem>
#include <memory>
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
