#pragma once
// The hybrid pipeline behind `hqml run` and the stage subcommands: data → preprocessing → quantum
// feature map → kernel → cross-validated SVM → held-out evaluation, the same with a classical RBF
// baseline, and the quantum-versus-classical assessment. Everything here is library code; the program
// only parses options and prints.

#include <hqml/datasets.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/csv.hpp>
#include <hqml/learn.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// A feature map by name and settings; what a model file records to rebuild the circuit.
struct feature_map_spec {
  std::string kind = "zz";  // zz, pauli, iqp, angle (RY angle embedding), angle_ladder
  std::size_t num_qubits = 2;
  std::size_t reps = 2;
  std::string entanglement = "linear";
  double alpha = 2.0;
  std::vector<std::string> paulis = {"Z", "ZZ"};
  std::size_t num_features = 0;  // angle maps: features read (0: one per qubit)
  bool trainable = false;        // prepend RY(θ_q) on every qubit (with_trainable_layer): num_qubits parameters θ

  static constexpr const char* kinds = "zz, pauli, iqp, angle, angle_ladder";

  [[nodiscard]] circuit build() const {
    if (num_qubits < 1 || num_qubits > 24)
      throw std::invalid_argument("feature map: num_qubits = " + std::to_string(num_qubits) + " must be in 1..24");
    const std::size_t nf = num_features ? num_features : num_qubits;
    circuit map;
    if (kind == "zz") map = zz_feature_map(num_qubits, reps, entanglement, alpha);
    else if (kind == "pauli") map = pauli_feature_map(num_qubits, reps, entanglement, alpha, paulis);
    else if (kind == "iqp") map = iqp_feature_map(num_qubits, reps);
    else if (kind == "angle") map = angle_embedding(nf, num_qubits, 'Y');
    else if (kind == "angle_ladder") map = angle_ladder_map(nf, num_qubits, reps);
    else throw std::invalid_argument("feature map: unknown kind '" + kind + "' (one of " + kinds + ")");
    return trainable ? with_trainable_layer(map) : map;
  }
  /// Trainable parameters θ the built map reads.
  [[nodiscard]] std::size_t num_params() const { return trainable ? num_qubits : 0; }
  /// Features the map reads per sample.
  [[nodiscard]] std::size_t features_read() const {
    return (kind == "angle" || kind == "angle_ladder") && num_features ? num_features : num_qubits;
  }
  [[nodiscard]] nlohmann::json to_json() const {
    return {{"kind", kind},   {"num_qubits", num_qubits}, {"reps", reps},
            {"entanglement", entanglement}, {"alpha", alpha}, {"paulis", paulis}, {"num_features", num_features},
            {"trainable", trainable}};
  }
  static feature_map_spec from_json(const nlohmann::json& j) {
    feature_map_spec s;
    s.kind = j.at("kind").get<std::string>();
    s.num_qubits = j.at("num_qubits").get<std::size_t>();
    s.reps = j.at("reps").get<std::size_t>();
    s.entanglement = j.at("entanglement").get<std::string>();
    s.alpha = j.at("alpha").get<double>();
    s.paulis = j.at("paulis").get<std::vector<std::string>>();
    s.num_features = j.value("num_features", std::size_t{0});
    s.trainable = j.value("trainable", false);  // absent in models written before trainable maps
    (void)s.build();  // validates the settings
    return s;
  }
};

/// Standardize, optionally reduce by PCA, then min-max scale into [0, angle_max]: features become angles.
class preprocessing {
 public:
  preprocessing() = default;
  preprocessing(std::size_t max_features, double angle_max) : max_features_(max_features), angle_max_(angle_max) {}

  preprocessing& fit(const Eigen::MatrixXd& x) {
    Eigen::MatrixXd z = standard_.fit_transform(x);
    if (max_features_ && static_cast<std::size_t>(z.cols()) > max_features_) {
      pca_.emplace(static_cast<Eigen::Index>(max_features_));
      z = pca_->fit_transform(z);
    }
    minmax_ = learn::min_max_scaler(0.0, angle_max_);
    minmax_.fit(z);
    fitted_ = true;
    return *this;
  }
  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::MatrixXd& x) const {
    if (!fitted_) return x;
    Eigen::MatrixXd z = standard_.transform(x);
    if (pca_) z = pca_->transform(z);
    return minmax_.transform(z);
  }
  [[nodiscard]] bool identity() const noexcept { return !fitted_; }
  [[nodiscard]] nlohmann::json describe() const {
    if (!fitted_) return {{"steps", nlohmann::json::array()}};
    nlohmann::json steps = {"standardize"};
    if (pca_) steps.push_back("pca");
    steps.push_back("min_max");
    return {{"steps", steps}, {"angle_max", angle_max_}, {"max_features", max_features_}};
  }
  void save(learn::model_writer& w) const {
    w.json()["preprocessing"] = describe();
    if (!fitted_) return;
    learn::save(w, standard_, "standardize");
    if (pca_) learn::save(w, *pca_, "pca");
    learn::save(w, minmax_, "min_max");
  }
  static preprocessing load(const learn::model_reader& r) {
    preprocessing p;
    const auto& d = r.block("preprocessing");
    const auto steps = d.at("steps").get<std::vector<std::string>>();
    if (steps.empty()) return p;
    p.angle_max_ = d.at("angle_max").get<double>();
    p.max_features_ = d.at("max_features").get<std::size_t>();
    p.standard_ = learn::load_standard_scaler(r, "standardize");
    if (std::find(steps.begin(), steps.end(), "pca") != steps.end()) p.pca_ = learn::load_pca(r, "pca");
    p.minmax_ = learn::load_min_max_scaler(r, "min_max");
    p.fitted_ = true;
    return p;
  }

 private:
  std::size_t max_features_ = 0;
  double angle_max_ = pi;
  learn::standard_scaler standard_;
  std::optional<learn::pca> pca_;
  learn::min_max_scaler minmax_;
  bool fitted_ = false;
};

/// Fits the preprocessing `spec` needs on the raw features x and fits `spec` to what comes out: angle maps
/// read every feature (or spec.num_features of them, reduced by PCA), the other maps one per qubit, with the
/// qubit count lowered when there are fewer features than qubits.
inline preprocessing fit_preprocessing(feature_map_spec& spec, const Eigen::MatrixXd& x, double angle_max = pi) {
  const bool angle = spec.kind == "angle" || spec.kind == "angle_ladder";
  const auto cols = static_cast<std::size_t>(x.cols());
  const std::size_t keep = angle ? (spec.num_features ? spec.num_features : cols) : spec.num_qubits;
  preprocessing pre(keep, angle_max);
  pre.fit(x);
  const std::size_t out = std::min(keep, cols);
  if (angle) spec.num_features = out;
  else spec.num_qubits = std::min(spec.num_qubits, out);
  return pre;
}

/// The quantum-versus-classical assessment as JSON (metrics.json and hqml assess print the same fields).
[[nodiscard]] inline nlohmann::json assessment_json(const learn::kernel_assessment& a) {
  return {{"n", a.n},
          {"geometric_difference", a.geometric_difference},
          {"complexity_classical", a.complexity_classical},
          {"complexity_quantum", a.complexity_quantum},
          {"dimension_classical", a.dimension_classical},
          {"dimension_quantum", a.dimension_quantum},
          {"lambda", a.lambda},
          {"verdict", learn::to_string(a.verdict)},
          {"quantum_worth_trying", a.quantum_worth_trying()},
          {"explanation", a.explanation}};
}

/// Settings of one pipeline run.
struct pipeline_config {
  std::filesystem::path data;            // CSV with a header row; empty: the built-in ad hoc dataset
  io::label_column label = io::label_column::named("label");
  feature_map_spec map;                  // num_qubits 0: from the data (at most 8 by default)
  double test_fraction = 0.3;
  std::uint64_t seed = 0;
  int folds = 5;
  int threads = 0;
  double angle_max = pi;                 // CSV features are scaled into [0, angle_max]
  std::vector<double> c_grid = {0.1, 1.0, 10.0, 100.0};
  std::vector<double> scale_grid = {0.5, 1.0};       // quantum: features multiplied by s
  std::vector<double> gamma_grid = {0.1, 0.3, 1.0, 3.0};  // classical RBF, in units of 1 / num_features
  // Built-in dataset: Havlíček et al.'s ad hoc data.
  std::size_t adhoc_train_per_class = 40, adhoc_test_per_class = 20;
  double adhoc_gap = 0.3;
  /// Called at the start of every stage with (stage name, index, count).
  std::function<void(const std::string&, int, int)> progress;
  /// Computes the quantum kernels in place of fidelity_kernel<double> on `threads` CPU threads:
  /// K(a, b), rows of a against rows of b, or K(a, a) when b is null. The hqml program sets it for
  /// --device gpu (the library's pipeline itself needs no CUDA).
  std::function<Eigen::MatrixXd(const circuit&, const Eigen::MatrixXd&, const Eigen::MatrixXd*)> quantum_kernel;
  /// Where quantum_kernel runs, for metrics.json and the report ("cpu" when it is empty).
  std::string device = "cpu";
};

/// What one model (quantum or classical) achieved.
struct model_report {
  std::string kernel;
  learn::grid_search_result grid;
  double best_hyperparameter = 0, best_c = 0;
  std::vector<int> predictions;
  Eigen::MatrixXd decision;  // test × pairs
  double test_accuracy = 0, balanced_accuracy = 0;
  learn::precision_recall_f1 scores;
  double roc_auc = std::nan("");
  learn::roc_curve_result roc;
  learn::confusion_matrix_result confusion;
  std::size_t n_support = 0;
};

struct pipeline_result {
  std::string dataset_name, dataset_source;
  std::vector<std::string> class_names;
  Eigen::MatrixXd x_train, x_test;  // after preprocessing
  std::vector<int> y_train, y_test;
  std::size_t raw_features = 0;
  feature_map_spec map;
  preprocessing pre;
  model_report quantum, classical;
  learn::svc quantum_model;
  Eigen::MatrixXd k_quantum_train, k_classical_train;
  learn::kernel_assessment assessment;
  std::vector<std::pair<std::string, double>> timings;
  int threads = 0;
  std::string device = "cpu";  // where the quantum kernels ran
  std::uint64_t seed = 0;
};

namespace detail {

inline model_report evaluate_model(std::string kernel, learn::grid_search_result grid, double h, double c,
                                   const learn::svc& m, const Eigen::MatrixXd& k_test_train,
                                   const std::vector<int>& y_test) {
  model_report r;
  r.kernel = std::move(kernel);
  r.grid = std::move(grid);
  r.best_hyperparameter = h;
  r.best_c = c;
  r.predictions = m.predict(k_test_train);
  r.decision = m.decision_function(k_test_train);
  r.test_accuracy = learn::accuracy(y_test, r.predictions);
  r.balanced_accuracy = learn::balanced_accuracy(y_test, r.predictions);
  r.confusion = learn::confusion_matrix(y_test, r.predictions);
  r.n_support = m.support().size();
  if (m.classes().size() == 2) {
    const std::vector<double> s(r.decision.col(0).data(), r.decision.col(0).data() + r.decision.rows());
    r.scores = learn::binary_scores(y_test, r.predictions, m.classes()[1]);
    const bool both = std::count(y_test.begin(), y_test.end(), m.classes()[0]) > 0 &&
                      std::count(y_test.begin(), y_test.end(), m.classes()[0]) < static_cast<long>(y_test.size());
    if (both) {
      // libsvm's binary decision value is positive for classes()[0].
      r.roc = learn::roc_curve(y_test, s, m.classes()[0]);
      r.roc_auc = learn::roc_auc(y_test, s, m.classes()[0]);
    }
  } else {
    r.scores = learn::macro_scores(y_test, r.predictions);
  }
  return r;
}

inline nlohmann::json model_json(const model_report& r, const char* hyper_name) {
  nlohmann::json cv = nlohmann::json::array();
  for (const auto& p : r.grid.points)
    cv.push_back({{"hyperparameter", p.hyperparameter}, {"C", p.regularization}, {"mean", p.scores.mean},
                  {"std", p.scores.stddev}, {"folds", p.scores.fold_scores}});
  nlohmann::json cm = {{"labels", r.confusion.labels}, {"matrix", nlohmann::json::array()}};
  for (Eigen::Index i = 0; i < r.confusion.counts.rows(); ++i) {
    std::vector<std::int64_t> row(static_cast<std::size_t>(r.confusion.counts.cols()));
    for (Eigen::Index j = 0; j < r.confusion.counts.cols(); ++j) row[static_cast<std::size_t>(j)] = r.confusion.counts(i, j);
    cm["matrix"].push_back(row);
  }
  nlohmann::json j = {{"kernel", r.kernel},
                      {"hyperparameter_name", hyper_name},
                      {"test_accuracy", r.test_accuracy},
                      {"balanced_accuracy", r.balanced_accuracy},
                      {"precision", r.scores.precision},
                      {"recall", r.scores.recall},
                      {"f1", r.scores.f1},
                      {"confusion_matrix", cm},
                      {"cv", cv},
                      {"best", {{"hyperparameter", r.best_hyperparameter}, {"C", r.best_c},
                                {"cv_mean", r.grid.points.empty() ? 0.0 : r.grid.best().scores.mean}}},
                      {"n_support", r.n_support}};
  if (!std::isnan(r.roc_auc)) {
    j["roc_auc"] = r.roc_auc;
    j["roc_curve"] = {{"fpr", r.roc.fpr}, {"tpr", r.roc.tpr}};
  }
  return j;
}

}  // namespace detail

/// Runs the whole pipeline in memory.
[[nodiscard]] inline pipeline_result run_pipeline(const pipeline_config& cfg) {
  if (cfg.c_grid.empty() || cfg.scale_grid.empty() || cfg.gamma_grid.empty())
    throw std::invalid_argument("hqml run: empty hyperparameter grid");
  if (!(cfg.test_fraction > 0 && cfg.test_fraction < 1))
    throw std::invalid_argument("hqml run: --test-fraction must be in (0, 1)");
  pipeline_result res;
  res.threads = cfg.threads;
  res.device = cfg.quantum_kernel ? cfg.device : "cpu";
  res.seed = cfg.seed;
  const int stages = 5;
  int stage = 0;
  auto clock = std::chrono::steady_clock::now();
  auto begin = [&](const std::string& name) {
    if (cfg.progress) cfg.progress(name, stage, stages);
    ++stage;
  };
  auto done = [&](const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    res.timings.emplace_back(name, std::chrono::duration<double>(now - clock).count());
    clock = now;
  };

  begin("load data");
  res.map = cfg.map;
  if (cfg.data.empty()) {
    const std::size_t n = cfg.map.num_qubits ? cfg.map.num_qubits : 2;
    const ad_hoc_dataset d = ad_hoc_data(cfg.adhoc_train_per_class, cfg.adhoc_test_per_class, n, cfg.adhoc_gap, cfg.seed);
    res.dataset_name = "ad hoc (Havlicek et al. 2019), " + std::to_string(n) + " features, gap " +
                       std::to_string(cfg.adhoc_gap).substr(0, 4);
    res.dataset_source = "built-in";
    res.x_train = d.train.x;
    res.x_test = d.test.x;
    res.y_train.assign(d.train.y.data(), d.train.y.data() + d.train.y.size());
    res.y_test.assign(d.test.y.data(), d.test.y.data() + d.test.y.size());
    res.class_names = {"A", "B"};
    res.raw_features = n;
    res.map.num_qubits = n;
  } else {
    const io::labeled_dataset d = io::read_csv_dataset(cfg.data, cfg.label);
    if (d.class_names.size() < 2)
      throw std::invalid_argument(cfg.data.string() + ": the label column has one class only; nothing to learn");
    res.dataset_name = cfg.data.filename().string();
    res.dataset_source = cfg.data.string();
    res.class_names = d.class_names;
    res.raw_features = static_cast<std::size_t>(d.features.cols());
    const auto split = learn::stratified_train_test_split(d.labels, cfg.test_fraction, cfg.seed);
    res.x_train = learn::take_rows(d.features, split.train);
    res.x_test = learn::take_rows(d.features, split.test);
    res.y_train = learn::take(d.labels, split.train);
    res.y_test = learn::take(d.labels, split.test);
    if (!res.map.num_qubits) res.map.num_qubits = std::min<std::size_t>(res.raw_features, 8);
    res.pre = fit_preprocessing(res.map, res.x_train, cfg.angle_max);
    res.x_train = res.pre.transform(res.x_train);
    res.x_test = res.pre.transform(res.x_test);
  }
  done("load and preprocess");

  begin("quantum kernel");
  const circuit fm = res.map.build();
  const int nt = cfg.threads;
  const kernel_options kopt{nt, 256};
  auto quantum_kernel = [&](const Eigen::MatrixXd& a, const Eigen::MatrixXd* b) -> Eigen::MatrixXd {
    if (cfg.quantum_kernel) return cfg.quantum_kernel(fm, a, b);
    return b ? fidelity_kernel<double>(fm, a, *b, {}, kopt) : fidelity_kernel<double>(fm, a, {}, kopt);
  };
  auto quantum_gram = [&](double s) { return quantum_kernel(s * res.x_train, nullptr); };
  learn::grid_search_options gopt;
  gopt.folds = cfg.folds;
  gopt.seed = cfg.seed;
  gopt.threads = nt;
  // One kernel per feature scale, computed once and reused by every fold and C of the grid search.
  std::vector<Eigen::MatrixXd> q_cache;
  for (double s : cfg.scale_grid) q_cache.push_back(quantum_gram(s));
  auto cached_quantum = [&](double s) {
    const auto at = std::find(cfg.scale_grid.begin(), cfg.scale_grid.end(), s) - cfg.scale_grid.begin();
    return q_cache[static_cast<std::size_t>(at)];
  };
  done("quantum kernel");

  begin("quantum SVM (cross-validated grid search)");
  auto qgrid = learn::grid_search(cached_quantum, res.y_train, cfg.scale_grid, cfg.c_grid, gopt);
  const double qs = qgrid.best().hyperparameter, qc = qgrid.best().regularization;
  res.k_quantum_train = cached_quantum(qs);
  learn::svc_params sp;
  sp.C = qc;
  sp.threads = nt;
  res.quantum_model = learn::svc::fit(res.k_quantum_train, res.y_train, sp);
  const Eigen::MatrixXd x_train_scaled = qs * res.x_train;
  const Eigen::MatrixXd kq_test = quantum_kernel(qs * res.x_test, &x_train_scaled);
  res.quantum = detail::evaluate_model("fidelity", std::move(qgrid), qs, qc, res.quantum_model, kq_test, res.y_test);
  done("quantum SVM");

  begin("classical RBF SVM (cross-validated grid search)");
  const double unit = 1.0 / static_cast<double>(res.x_train.cols());
  auto classical_gram = [&](double g) { return rbf_kernel(res.x_train, res.x_train, g * unit); };
  auto cgrid = learn::grid_search(classical_gram, res.y_train, cfg.gamma_grid, cfg.c_grid, gopt);
  const double cg = cgrid.best().hyperparameter, cc = cgrid.best().regularization;
  res.k_classical_train = classical_gram(cg);
  sp.C = cc;
  const learn::svc cmodel = learn::svc::fit(res.k_classical_train, res.y_train, sp);
  const Eigen::MatrixXd kc_test = rbf_kernel(res.x_test, res.x_train, cg * unit);
  res.classical = detail::evaluate_model("rbf", std::move(cgrid), cg * unit, cc, cmodel, kc_test, res.y_test);
  done("classical SVM");

  begin("assessment");
  res.assessment = learn::assess_kernels(res.k_classical_train, res.k_quantum_train, res.y_train);
  done("assessment");
  return res;
}

/// metrics.json contents for a result.
[[nodiscard]] inline nlohmann::json metrics_json(const pipeline_result& r) {
  nlohmann::json timings = nlohmann::json::array();
  for (const auto& [name, s] : r.timings) timings.push_back({{"stage", name}, {"seconds", s}});
  const auto& a = r.assessment;
  return {{"format_version", 1},
          {"hqml_version", "0.1.0"},
          {"dataset",
           {{"name", r.dataset_name},
            {"source", r.dataset_source},
            {"n_train", r.y_train.size()},
            {"n_test", r.y_test.size()},
            {"n_features", r.raw_features},
            {"n_features_used", r.x_train.cols()},
            {"class_names", r.class_names}}},
          {"preprocessing", r.pre.describe()},
          {"feature_map", r.map.to_json()},
          {"quantum", detail::model_json(r.quantum, "feature_scale")},
          {"classical", detail::model_json(r.classical, "gamma")},
          {"assessment", assessment_json(a)},
          {"timings", timings},
          {"threads", r.threads},
          {"device", r.device},
          {"seed", r.seed}};
}

/// Saves the quantum model: feature map, kernel settings (with the trained θ of a trainable map), preprocessing,
/// the support vectors' features and the SVM, as one versioned directory written atomically.
inline void save_pipeline_model(const std::filesystem::path& dir, const feature_map_spec& map, double feature_scale,
                                const preprocessing& pre, const learn::svc& model, const Eigen::MatrixXd& x_train,
                                const std::vector<std::string>& class_names, std::span<const double> theta = {}) {
  if (theta.size() != map.num_params())
    throw std::invalid_argument("save_pipeline_model: theta has " + std::to_string(theta.size()) +
                                " values; the feature map has " + std::to_string(map.num_params()) + " parameters");
  learn::model_writer w("hqml-quantum-kernel-svc");
  w.json()["feature_map"] = map.to_json();
  w.json()["kernel"] = {{"type", "fidelity"}, {"feature_scale", feature_scale}};
  if (!theta.empty()) w.json()["kernel"]["theta"] = std::vector<double>(theta.begin(), theta.end());
  w.json()["class_names"] = class_names;
  pre.save(w);
  // Prediction needs the training samples that are support vectors only.
  std::vector<std::ptrdiff_t> sv(model.support().begin(), model.support().end());
  w.add_array("support_x", learn::take_rows(x_train, sv));
  learn::save(w, model, "svc");
  w.save(dir);
}

/// A loaded quantum-kernel SVM that predicts on raw (unpreprocessed) features.
struct pipeline_model {
  feature_map_spec map;
  double feature_scale = 1;
  std::vector<double> theta;  // trained parameters of a trainable feature map (empty otherwise)
  preprocessing pre;
  learn::svc model;
  Eigen::MatrixXd support_x;
  std::vector<std::string> class_names;

  static pipeline_model load(const std::filesystem::path& dir) {
    const learn::model_reader r(dir);
    if (r.kind() != "hqml-quantum-kernel-svc")
      throw learn::model_error(dir / "model.json", "kind '" + r.kind() + "' is not an hqml quantum-kernel SVC model");
    pipeline_model m;
    try {
      m.map = feature_map_spec::from_json(r.block("feature_map"));
      m.feature_scale = r.block("kernel").at("feature_scale").get<double>();
      m.theta = r.block("kernel").value("theta", std::vector<double>{});
      m.class_names = r.block("class_names").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      throw learn::model_error(dir / "model.json", std::string("malformed block: ") + e.what());
    }
    if (m.theta.size() != m.map.num_params())
      throw learn::model_error(dir / "model.json", "kernel.theta has " + std::to_string(m.theta.size()) +
                                                       " values; the feature map has " +
                                                       std::to_string(m.map.num_params()) + " parameters");
    m.pre = preprocessing::load(r);
    m.support_x = r.matrix<double>("support_x");
    m.model = learn::load_svc(r, "svc");
    return m;
  }
  /// Decision values and predicted class ids for raw feature rows.
  [[nodiscard]] std::pair<std::vector<int>, Eigen::MatrixXd> predict(const Eigen::MatrixXd& raw, int threads = 0) const {
    const Eigen::MatrixXd x = pre.transform(raw);
    if (static_cast<std::size_t>(x.cols()) < map.features_read())
      throw std::invalid_argument("the data has " + std::to_string(raw.cols()) + " feature columns; the model needs " +
                                  std::to_string(map.features_read()) + " after preprocessing");
    const Eigen::MatrixXd k = fidelity_kernel<double>(map.build(), feature_scale * x, feature_scale * support_x, theta,
                                                      kernel_options{threads, 256});
    return {model.predict_sv(k), model.decision_function_sv(k)};
  }
};

}  // namespace hqml
