// The hybrid pipeline: the ad hoc dataset, run_pipeline end to end, model save/load/predict.
#include <catch2/catch.hpp>

#include <hqml/app/pipeline.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

using namespace hqml;

TEST_CASE("ad hoc data: sizes, ranges, seeds", "[pipeline][datasets]") {
  const ad_hoc_dataset a = ad_hoc_data(20, 5, 2, 0.3, 7), b = ad_hoc_data(20, 5, 2, 0.3, 7),
                       c = ad_hoc_data(20, 5, 2, 0.3, 8);
  REQUIRE(a.train.x.rows() == 40);
  REQUIRE(a.test.x.rows() == 10);
  REQUIRE(a.train.y.sum() == 20);
  REQUIRE(a.test.y.sum() == 5);
  REQUIRE(a.train.x == b.train.x);
  REQUIRE(a.train.x != c.train.x);
  REQUIRE(a.train.x.minCoeff() >= 0.0);
  REQUIRE(a.train.x.maxCoeff() < 2 * pi);
  REQUIRE(a.draws > 50);  // the gap rejects some points
  REQUIRE_THROWS_WITH(ad_hoc_data(5, 5, 2, 1.5, 0), Catch::Contains("gap"));
  REQUIRE_THROWS_WITH(ad_hoc_data(5, 5, 0, 0.3, 0), Catch::Contains("n = 0"));
}

TEST_CASE("the ZZ-kernel SVM learns the ad hoc data a classical RBF kernel cannot", "[pipeline]") {
  // The tutorial's setting: n = 2, gap = 0.3, 20 training and 5 test points per class, ZZ map reps 2.
  // Havlicek et al. / qiskit-machine-learning report test accuracy 1.0 for their draw; with 10 test points a
  // single error gives 0.9, so each draw must reach 0.8, the draws 0.9 on average, and the quantum kernel
  // must beat the RBF kernel on every draw.
  double sum = 0;
  const std::uint64_t seeds[] = {1, 2, 3, 4};
  for (std::uint64_t seed : seeds) {
    pipeline_config cfg;
    cfg.map.kind = feature_map_kind::zz;
    cfg.map.num_qubits = 2;
    cfg.seed = seed;
    cfg.adhoc_train_per_class = 20;
    cfg.adhoc_test_per_class = 5;
    cfg.scale_grid = {1.0};
    const pipeline_result r = run_pipeline(cfg);
    INFO("seed " << seed);
    REQUIRE(r.quantum.test_accuracy >= 0.8);
    REQUIRE(r.quantum.test_accuracy > r.classical.test_accuracy);
    sum += r.quantum.test_accuracy;
    REQUIRE(r.k_quantum_train.rows() == 40);
    const auto m = metrics_json(r);
    REQUIRE(m["quantum"]["test_accuracy"].get<double>() == r.quantum.test_accuracy);
    REQUIRE(m["classical"].contains("test_accuracy"));
    REQUIRE(m["assessment"].contains("geometric_difference"));
    REQUIRE_FALSE(m.contains("timings"));  // metrics.json is the same for the same run; timings are not
    REQUIRE(timings_json(r)["timings"].size() == 8);  // the serving routes are a stage too
    REQUIRE(m["threads"].get<int>() >= 1);
  }
  REQUIRE(sum / 4 >= 0.9);
}

TEST_CASE("pipeline on CSV data: preprocessing, model files, predictions", "[pipeline]") {
  const auto dir = std::filesystem::temp_directory_path() / "hqml_pipeline_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Two Gaussian blobs in 5 dimensions with string labels.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  {
    std::ofstream f(dir / "data.csv");
    f << "a,b,species,c,d,e\n";
    for (int i = 0; i < 60; ++i) {
      const bool pos = i % 2;
      for (int j = 0; j < 5; ++j) {
        if (j == 2) f << (pos ? "setosa" : "virginica") << ",";
        f << (pos ? 1.5 : -1.5) + nd(rng) << (j == 4 ? "\n" : ",");
      }
    }
  }
  pipeline_config cfg;
  cfg.data = dir / "data.csv";
  cfg.label = io::label_column::named("species");
  cfg.map.kind = feature_map_kind::zz;
  cfg.map.num_qubits = 3;
  cfg.map.reps = 1;
  cfg.folds = 3;
  const pipeline_result r = run_pipeline(cfg);
  REQUIRE(r.x_train.cols() == 3);  // PCA 5 → 3
  REQUIRE(r.x_train.minCoeff() >= -1e-12);
  REQUIRE(r.x_train.maxCoeff() <= pi + 1e-12);
  REQUIRE(r.class_names == std::vector<std::string>{"setosa", "virginica"});
  REQUIRE(r.classical.test_accuracy >= 0.9);
  REQUIRE(r.quantum.test_accuracy >= 0.6);  // a ZZ kernel fits Gaussian blobs less well than an RBF; well above chance

  // Baselines on all five standardized features; the binary positive class is the greater label.
  REQUIRE(r.classical.n_features_seen == 5);
  REQUIRE(r.quantum.n_features_seen == 3);
  REQUIRE(r.logistic.test_accuracy >= 0.9);
  REQUIRE(r.majority.single_class);
  REQUIRE(r.positive_class == 1);
  REQUIRE(r.comparisons.size() == 3);
  // hqml serve's routes on the held-out rows, recomputed here from the two models' probabilities.
  REQUIRE(r.routes.size() == 6);
  REQUIRE(r.routes[0].route == "quantum");
  REQUIRE(r.routes[0].test_accuracy == r.quantum.test_accuracy);
  REQUIRE(r.routes[1].route == "classical");
  REQUIRE(r.routes[1].test_accuracy == r.classical.test_accuracy);
  REQUIRE(r.routes[1].quantum_rows == 0);
  for (std::size_t k = 2; k < 5; ++k) {
    const double t = std::stod(r.routes[k].route.substr(11));
    std::size_t unsure = 0, right = 0;
    for (std::size_t i = 0; i < r.y_test.size(); ++i) {
      const auto row = r.classical_test_proba.row(static_cast<Eigen::Index>(i));
      const bool to_quantum = std::abs(row(0) - row(1)) < t;  // two classes: the margin is |p0 - p1|
      unsure += to_quantum;
      right += (to_quantum ? r.quantum.predictions[i] : r.classical.predictions[i]) == r.y_test[i];
    }
    REQUIRE(r.routes[k].quantum_rows == unsure);
    REQUIRE(r.routes[k].test_accuracy == Approx(static_cast<double>(right) / static_cast<double>(r.y_test.size())));
  }
  REQUIRE(r.routes[5].route == "ensemble:0.5");
  {
    std::size_t right = 0;
    for (std::size_t i = 0; i < r.y_test.size(); ++i) {
      const double p1 = 0.5 * (r.quantum_test_proba(static_cast<Eigen::Index>(i), 1) +
                               r.classical_test_proba(static_cast<Eigen::Index>(i), 1));
      right += (p1 > 0.5 ? 1 : 0) == r.y_test[i];
    }
    REQUIRE(r.routes[5].test_accuracy == Approx(static_cast<double>(right) / static_cast<double>(r.y_test.size())));
  }
  for (const auto& rr : r.routes) REQUIRE(rr.ms_per_row > 0);
  const auto metrics = metrics_json(r);
  REQUIRE(metrics["serving_routes"].size() == 6);
  REQUIRE_FALSE(metrics["serving_routes"][0].contains("ms_per_row"));  // it varies: timings.json has it
  REQUIRE(timings_json(r)["serving_routes"][0]["ms_per_row"].get<double>() == r.routes[0].ms_per_row);
  REQUIRE(metrics["task"]["positive_label"] == "virginica");
  REQUIRE(metrics["split"]["test_rows"].size() == r.y_test.size());
  REQUIRE(metrics["baselines"]["majority"]["predicts_single_class"] == true);
  // The same run again gives the same metrics.json, byte for byte.
  REQUIRE(metrics_json(run_pipeline(cfg)).dump(2) == metrics.dump(2));

  save_pipeline_model(dir / "model", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                      r.class_names);
  const pipeline_model m = pipeline_model::load(dir / "model");
  const io::labeled_dataset d = io::read_csv_dataset(dir / "data.csv", io::label_column::named("species"));
  const auto [pred, dec] = m.predict(d.features);
  // The loaded model reproduces the in-memory model on the held-out rows.
  const auto split = learn::stratified_train_test_split(d.labels, cfg.test_fraction, cfg.seed);
  for (std::size_t t = 0; t < split.test.size(); ++t)
    REQUIRE(pred[static_cast<std::size_t>(split.test[t])] == r.quantum.predictions[t]);
  REQUIRE_FALSE(m.classical);  // not asked for: hqml train's models hold the quantum model only

  // hqml run keeps the classical model and the training statistics beside it (hqml serve reads both).
  serving_parts serving;
  serving.classical = &r.classical_model;
  std::tie(serving.train_mean, serving.train_std) = column_mean_std(r.raw_train);
  save_pipeline_model(dir / "served", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                      r.class_names, {}, nullptr, false, &serving);
  const pipeline_model served = pipeline_model::load(dir / "served");
  REQUIRE(served.classical);
  REQUIRE(served.n_features() == 5);
  const Eigen::MatrixXd test_raw = learn::take_rows(d.features, split.test);
  const Eigen::MatrixXd kc = served.classical->support_kernel(test_raw);
  REQUIRE(served.classical->model.predict_sv(kc) == r.classical.predictions);  // as the run scored it
  const Eigen::MatrixXd pc = served.classical->model.predict_proba_sv(kc);
  for (Eigen::Index i = 0; i < pc.rows(); ++i) REQUIRE(pc.row(i).sum() == Approx(1.0));
  // The statistics are those of the training rows, against numpy's mean and (population) std.
  REQUIRE(served.train_mean.size() == 5);
  const Eigen::MatrixXd train_raw = learn::take_rows(d.features, split.train);
  for (Eigen::Index c = 0; c < 5; ++c) {
    const double mean = train_raw.col(c).mean();
    REQUIRE(served.train_mean(c) == Approx(mean).epsilon(1e-12));
    REQUIRE(served.train_std(c) == Approx(std::sqrt((train_raw.col(c).array() - mean).square().mean())).epsilon(1e-12));
  }
  REQUIRE_THROWS_WITH(served.classical->support_kernel(test_raw.leftCols(4)), Catch::Contains("4 feature columns"));

  // A corrupted model is a clear error naming the file.
  {
    std::ofstream f(dir / "model" / "model.json", std::ios::trunc);
    f << "{\"format_version\": 99}";
  }
  REQUIRE_THROWS_WITH(pipeline_model::load(dir / "model"), Catch::Contains("model.json") && Catch::Contains("99"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("pipeline on three classes with missing cells: multiclass metrics, imputation, grid extension",
          "[pipeline]") {
  const auto dir = std::filesystem::temp_directory_path() / "hqml_pipeline_multiclass";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd;
  {
    std::ofstream f(dir / "three.csv");
    f << "id;a;b;c;kind\n";  // ';' separated, an id column to drop
    for (int i = 0; i < 90; ++i) {
      const int k = i % 3;
      f << i << ";";
      for (int j = 0; j < 3; ++j) {
        if (i == 17 && j == 1)
          f << "NA;";
        else
          f << (j == k ? 2.0 : 0.0) + 0.6 * nd(rng) << ";";
      }
      f << (k == 0 ? "red" : k == 1 ? "green" : "blue") << "\n";
    }
  }
  pipeline_config cfg;
  cfg.data = dir / "three.csv";
  cfg.label = io::label_column::named("kind");
  cfg.csv.drop = {"id"};
  cfg.map.num_qubits = 3;
  cfg.map.reps = 1;
  cfg.folds = 3;
  // A missing cell is refused by default, with its place.
  REQUIRE_THROWS_WITH(run_pipeline(cfg), Catch::Contains("three.csv:19"));
  cfg.csv.allow_missing = true;
  cfg.scale_grid = {4.0};  // far too large: the search must walk down from it
  const pipeline_result r = run_pipeline(cfg);
  REQUIRE(r.class_names == std::vector<std::string>{"blue", "green", "red"});
  REQUIRE(r.missing_cells == 1);
  REQUIRE(r.pre.imputes());
  REQUIRE(r.positive_class == -1);
  REQUIRE(r.quantum.search->extended);
  REQUIRE(r.quantum.search->grid.front() < 4.0);
  REQUIRE(r.classical.test_accuracy >= 0.85);
  REQUIRE(r.logistic.test_accuracy >= 0.85);
  REQUIRE(r.quantum.confusion.counts.rows() == 3);
  REQUIRE(r.quantum.confusion.counts.sum() == static_cast<std::int64_t>(r.y_test.size()));
  REQUIRE(r.assessed);
  const auto m = metrics_json(r);
  REQUIRE(m["task"]["type"] == "multiclass");
  REQUIRE(m["task"]["positive_label"].is_null());
  REQUIRE(m["quantum"]["per_class"].size() == 3);
  REQUIRE(m["quantum"]["micro"]["f1"].get<double>() == Approx(r.quantum.test_accuracy));
  REQUIRE(m["dataset"]["separator"] == ";");
  REQUIRE(m["dataset"]["feature_names"] == std::vector<std::string>{"a", "b", "c"});
  // The kept classical model imputes as the run did and scores the test rows (one has a missing cell) as it did.
  serving_parts serving;
  serving.classical = &r.classical_model;
  save_pipeline_model(dir / "model", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                      r.class_names, {}, nullptr, false, &serving);
  const pipeline_model served = pipeline_model::load(dir / "model");
  REQUIRE(served.classical);
  REQUIRE(served.classical->imputer.fitted());
  REQUIRE(served.train_mean.size() == 0);  // not given
  REQUIRE(served.classical->model.predict_sv(served.classical->support_kernel(r.raw_test)) == r.classical.predictions);
  REQUIRE(served.classical->model.predict_proba_sv(served.classical->support_kernel(r.raw_test)).cols() == 3);
  cfg.positive_label = "red";
  REQUIRE_THROWS_WITH(run_pipeline(cfg), Catch::Contains("two-class"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the positive class is named, not taken from row order", "[pipeline]") {
  const auto dir = std::filesystem::temp_directory_path() / "hqml_pipeline_poslabel";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd;
  std::vector<std::string> lines;
  for (int i = 0; i < 80; ++i) {
    const bool pos = i % 3 == 0;  // imbalanced: "malignant" is the minority
    lines.push_back(std::to_string((pos ? 1.0 : -0.3) + nd(rng)) + "," + std::to_string(nd(rng)) + "," +
                    (pos ? "malignant" : "benign"));
  }
  const auto write = [&](const std::string& name, bool reversed) {
    std::ofstream f(dir / name);
    f << "x,y,diagnosis\n";
    if (reversed)
      for (auto it = lines.rbegin(); it != lines.rend(); ++it) f << *it << "\n";
    else
      for (const auto& l : lines) f << l << "\n";
  };
  write("a.csv", false);
  write("b.csv", true);
  pipeline_config cfg;
  cfg.label = io::label_column::named("diagnosis");
  cfg.map.num_qubits = 2;
  cfg.map.reps = 1;
  cfg.assess = false;
  cfg.data = dir / "a.csv";
  const auto a = run_pipeline(cfg);
  REQUIRE(a.class_names[static_cast<std::size_t>(a.positive_class)] == "malignant");
  // The recall of "malignant" from the confusion matrix, whatever the row order of the file.
  const auto recall = [](const pipeline_result& r) {
    const auto& c = r.classical.confusion.counts;
    return static_cast<double>(c(1, 1)) / static_cast<double>(c.row(1).sum());
  };
  REQUIRE(a.classical.scores.recall == Approx(recall(a)));
  cfg.data = dir / "b.csv";
  const auto b = run_pipeline(cfg);
  REQUIRE(b.classical.scores.recall == Approx(recall(b)));
  cfg.positive_label = "benign";
  const auto c = run_pipeline(cfg);
  REQUIRE(c.positive_class == 0);
  const auto& cm = c.classical.confusion.counts;
  REQUIRE(c.classical.scores.recall == Approx(static_cast<double>(cm(0, 0)) / static_cast<double>(cm.row(0).sum())));
  cfg.positive_label = "nope";
  REQUIRE_THROWS_WITH(run_pipeline(cfg), Catch::Contains("--pos-label 'nope'") && Catch::Contains("benign"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("feature map specs validate and round-trip", "[pipeline]") {
  feature_map_spec s;
  s.kind = feature_map_kind::pauli;
  s.num_qubits = 3;
  s.paulis = {"Y", "XX"};
  s.entanglement = "circular";
  const auto back = feature_map_spec::from_json(s.to_json());
  REQUIRE(back.to_json() == s.to_json());
  REQUIRE(back.kind == feature_map_kind::pauli);
  REQUIRE(back.build().size() == s.build().size());
  // A model file names the kind as the --feature-map option does, and every kind reads back as itself.
  for (const auto& [kind, name] : feature_map_kind_names) {
    CAPTURE(name);
    s.kind = kind;
    nlohmann::json j = s.to_json();
    REQUIRE(j.at("kind") == std::string(name));
    REQUIRE(feature_map_spec::from_json(j).kind == kind);
  }
  nlohmann::json bad = s.to_json();
  bad["kind"] = "nope";
  REQUIRE_THROWS_WITH(
      feature_map_spec::from_json(bad),
      Catch::Contains("feature map: unknown kind 'nope'; valid names: zz, pauli, iqp, angle, angle_ladder"));
  s.kind = static_cast<feature_map_kind>(9);
  REQUIRE_THROWS_WITH(s.build(), Catch::Contains("is none of feature_map_kind_names"));
}

TEST_CASE("preprocessing refuses more PCA components than directions the training rows span", "[pipeline]") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd;
  const auto gaussian = [&](Eigen::Index rows, Eigen::Index cols) {
    Eigen::MatrixXd m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
      for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = nd(rng);
    return m;
  };

  SECTION("4 rows x 30 features at 4 qubits: centered, 4 rows span 3 directions") {
    const Eigen::MatrixXd x = gaussian(4, 30);
    REQUIRE_THROWS_AS(preprocessing(4, pi).fit(x), std::invalid_argument);
    REQUIRE_THROWS_WITH(preprocessing(4, pi).fit(x), Catch::Contains("span 3 independent directions") &&
                                                         Catch::Contains("lower --qubits to at most 3"));
    // hqml run's and hqml train's path.
    feature_map_spec spec;
    spec.kind = feature_map_kind::zz;
    spec.num_qubits = 4;
    REQUIRE_THROWS_WITH(fit_preprocessing(spec, x), Catch::Contains("lower --qubits to at most 3"));
    // Fewer rows than components: refused the same way, not by PCA's generic message.
    REQUIRE_THROWS_WITH(preprocessing(4, pi).fit(x.topRows(3)), Catch::Contains("lower --qubits to at most 2"));
    // At the span it is fitted, and new rows stay near the angle range (not at ~1e16).
    preprocessing ok(3, pi);
    REQUIRE_NOTHROW(ok.fit(x));
    REQUIRE(ok.reduces());
    const Eigen::MatrixXd angles = ok.transform(gaussian(20, 30));
    REQUIRE(angles.allFinite());
    REQUIRE(angles.cwiseAbs().maxCoeff() < 100.0);
  }

  SECTION("exactly collinear columns") {
    // Columns a, 2a, b, 1 - 3b: 4 columns spanning 2 directions.
    const Eigen::MatrixXd ab = gaussian(40, 2);
    Eigen::MatrixXd x(40, 4);
    x.col(0) = ab.col(0);
    x.col(1) = 2.0 * ab.col(0);
    x.col(2) = ab.col(1);
    x.col(3) = (1.0 - 3.0 * ab.col(1).array()).matrix();
    REQUIRE_THROWS_WITH(preprocessing(3, pi).fit(x), Catch::Contains("span 2 independent directions") &&
                                                         Catch::Contains("lower --qubits to at most 2"));
    REQUIRE_NOTHROW(preprocessing(2, pi).fit(x));
    // Two collinear columns and as many qubits as columns: no PCA, so nothing is stretched; each column is
    // scaled on its own and the duplicated direction gives equal angles.
    Eigen::MatrixXd y(40, 2);
    y.col(0) = ab.col(0);
    y.col(1) = 2.0 * ab.col(0);
    preprocessing same(2, pi);
    REQUIRE_NOTHROW(same.fit(y));
    REQUIRE_FALSE(same.reduces());
    const Eigen::MatrixXd t = same.transform(y);
    REQUIRE((t.col(0) - t.col(1)).cwiseAbs().maxCoeff() < 1e-12);
    // Three collinear columns, at the column count less one: PCA asked for 2 of a 1-direction span.
    Eigen::MatrixXd w(40, 3);
    w << y, -ab.col(0);
    REQUIRE_THROWS_WITH(preprocessing(2, pi).fit(w), Catch::Contains("span 1 independent direction ") &&
                                                         Catch::Contains("lower --qubits to at most 1"));
  }

  SECTION("all training rows equal") {
    const Eigen::MatrixXd x = Eigen::MatrixXd::Constant(5, 4, 2.5);
    REQUIRE_THROWS_WITH(preprocessing(2, pi).fit(x), Catch::Contains("span 0 independent directions"));
  }

  SECTION("the built-in data: fitted as before, against a covariance-eigenvector reference") {
    // ad hoc data with 3 features, reduced to 2: standardize (population sd), project on the covariance's top
    // eigenvectors (largest-magnitude entry positive), min-max to [0, pi] on the training rows.
    const ad_hoc_dataset d = ad_hoc_data(20, 5, 3, 0.3, 7);
    feature_map_spec spec;
    spec.kind = feature_map_kind::zz;
    spec.num_qubits = 2;
    const preprocessing pre = fit_preprocessing(spec, d.train.x);
    REQUIRE(spec.num_qubits == 2);
    REQUIRE(pre.reduces());

    const Eigen::MatrixXd& x = d.train.x;
    const auto n = static_cast<double>(x.rows());
    const Eigen::RowVectorXd mean = x.colwise().mean();
    const Eigen::MatrixXd centered = x.rowwise() - mean;
    const Eigen::RowVectorXd sd = (centered.colwise().squaredNorm() / n).cwiseSqrt();
    const auto standardize = [&](const Eigen::MatrixXd& m) {
      return Eigen::MatrixXd((m.rowwise() - mean).array().rowwise() / sd.array());
    };
    const Eigen::MatrixXd s = standardize(x);
    const Eigen::MatrixXd cov = s.transpose() * s / (n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);  // ascending eigenvalues
    REQUIRE(eig.eigenvalues()(1) > 1e-6 * eig.eigenvalues()(2));
    Eigen::MatrixXd v(3, 2);
    for (int c = 0; c < 2; ++c) {
      Eigen::VectorXd e = eig.eigenvectors().col(2 - c);
      Eigen::Index at = 0;
      e.cwiseAbs().maxCoeff(&at);
      v.col(c) = e(at) < 0 ? Eigen::VectorXd(-e) : e;
    }
    const Eigen::MatrixXd scores = s * v;
    const Eigen::RowVectorXd lo = scores.colwise().minCoeff(), hi = scores.colwise().maxCoeff();
    const auto angles = [&](const Eigen::MatrixXd& m) {
      const Eigen::MatrixXd p = standardize(m) * v;
      return Eigen::MatrixXd(((p.rowwise() - lo).array().rowwise() / (hi - lo).array()) * pi);
    };
    REQUIRE((pre.transform(x) - angles(x)).cwiseAbs().maxCoeff() < 1e-9);
    REQUIRE((pre.transform(d.test.x) - angles(d.test.x)).cwiseAbs().maxCoeff() < 1e-9);
  }
}
