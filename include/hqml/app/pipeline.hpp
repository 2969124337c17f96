#pragma once
// The hybrid pipeline behind `hqml run` and the stage subcommands: data → preprocessing → quantum
// feature map → kernel → cross-validated SVM → held-out evaluation, the same with a classical RBF
// baseline, and the quantum-versus-classical assessment. Everything here is library code; the program
// only parses options and prints.

#include <hqml/app/model_dir.hpp>
#include <hqml/app/persistence.hpp>
#include <hqml/datasets.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/csv.hpp>
#include <hqml/learn.hpp>
#include <hqml/learn/logistic_regression.hpp>
#include <hqml/learn/significance.hpp>
#include <hqml/quantum_kernel.hpp>
#include <hqml/serve/route.hpp>  // hqml serve's routes, scored on the held-out rows

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

/// A feature map by name and settings; what a model file records to rebuild the circuit.
struct feature_map_spec {
  feature_map_kind kind = feature_map_kind::zz;  // stored in a model file by its name (feature_map_kind_names)
  std::size_t num_qubits = 2;
  std::size_t reps = 2;
  std::string entanglement = "linear";
  double alpha = 2.0;
  std::vector<std::string> paulis = {"Z", "ZZ"};
  std::size_t num_features = 0;  // angle maps: features read (0: one per qubit)
  bool trainable = false;        // prepend RY(θ_q) on every qubit (with_trainable_layer): num_qubits parameters θ

  [[nodiscard]] circuit build() const {
    if (num_qubits < 1 || num_qubits > 24)
      throw std::invalid_argument("feature map: num_qubits = " + std::to_string(num_qubits) + " must be in 1..24");
    const std::size_t nf = num_features ? num_features : num_qubits;
    const circuit map = [&] {
      switch (kind) {
        case feature_map_kind::zz:
          return zz_feature_map(num_qubits, reps, entanglement, alpha);
        case feature_map_kind::pauli:
          return pauli_feature_map(num_qubits, reps, entanglement, alpha, paulis);
        case feature_map_kind::iqp:
          return iqp_feature_map(num_qubits, reps);
        case feature_map_kind::angle:
          return angle_embedding(nf, num_qubits, 'Y');
        case feature_map_kind::angle_ladder:
          return angle_ladder_map(nf, num_qubits, reps);
      }
      throw std::invalid_argument("feature map: kind value " + std::to_string(static_cast<int>(kind)) +
                                  " is none of feature_map_kind_names");
    }();
    return trainable ? with_trainable_layer(map) : map;
  }
  /// Trainable parameters θ the built map reads.
  [[nodiscard]] std::size_t num_params() const { return trainable ? num_qubits : 0; }
  /// Features the map reads per sample.
  [[nodiscard]] std::size_t features_read() const {
    return is_angle_map(kind) && num_features ? num_features : num_qubits;
  }
  [[nodiscard]] nlohmann::json to_json() const {
    return {{"kind", std::string(to_string(kind))}, {"num_qubits", num_qubits}, {"reps", reps},
            {"entanglement", entanglement},         {"alpha", alpha},           {"paulis", paulis},
            {"num_features", num_features},         {"trainable", trainable}};
  }
  static feature_map_spec from_json(const nlohmann::json& j) {
    feature_map_spec s;
    // The error names the field as the model file does: "feature map: unknown kind 'X'; valid names: ...".
    s.kind = parse_in(feature_map_kind_names, j.at("kind").get<std::string>(), "feature map", "kind");
    s.num_qubits = j.at("num_qubits").get<std::size_t>();
    s.reps = j.at("reps").get<std::size_t>();
    s.entanglement = j.at("entanglement").get<std::string>();
    s.alpha = j.at("alpha").get<double>();
    s.paulis = j.at("paulis").get<std::vector<std::string>>();
    s.num_features = j.value("num_features", std::size_t{0});
    s.trainable = j.value("trainable", false);  // absent in models written before trainable maps
    // The ranges the programs accept, so that an edited model file cannot ask for an endless or huge map.
    if (s.num_qubits < 1 || s.num_qubits > 30)
      throw std::invalid_argument("feature map: num_qubits " + std::to_string(s.num_qubits) + " is not in 1..30");
    if (s.reps < 1 || s.reps > 64)
      throw std::invalid_argument("feature map: reps " + std::to_string(s.reps) + " is not in 1..64");
    if (s.num_features > 4096)
      throw std::invalid_argument("feature map: num_features " + std::to_string(s.num_features) + " is over 4096");
    if (!std::isfinite(s.alpha)) throw std::invalid_argument("feature map: alpha is not a finite number");
    (void)s.build();  // validates the settings
    return s;
  }
};

/// Missing values (NaN) replaced by each column's median over the rows it was fitted on.
class median_imputer {
 public:
  median_imputer& fit(const Eigen::Ref<const Eigen::MatrixXd>& x, const std::vector<std::string>& names = {}) {
    medians_.resize(x.cols());
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      std::vector<double> v;
      for (Eigen::Index r = 0; r < x.rows(); ++r)
        if (!std::isnan(x(r, c))) v.push_back(x(r, c));
      if (v.empty())
        throw std::invalid_argument(
            "column '" +
            (static_cast<std::size_t>(c) < names.size() ? names[static_cast<std::size_t>(c)] : std::to_string(c)) +
            "' has no value in the training rows: nothing to impute from; drop it (--drop)");
      std::sort(v.begin(), v.end());
      const std::size_t m = v.size() / 2;
      medians_(c) = v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
    }
    return *this;
  }
  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    if (x.cols() != medians_.size())
      throw std::invalid_argument("median_imputer: fitted on " + std::to_string(medians_.size()) + " columns, got " +
                                  std::to_string(x.cols()));
    Eigen::MatrixXd out = x;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r)
        if (std::isnan(out(r, c))) out(r, c) = medians_(c);
    return out;
  }
  [[nodiscard]] bool fitted() const noexcept { return medians_.size() > 0; }
  [[nodiscard]] const Eigen::VectorXd& medians() const noexcept { return medians_; }
  static median_imputer from_medians(Eigen::VectorXd m) {
    median_imputer i;
    i.medians_ = std::move(m);
    return i;
  }

 private:
  Eigen::VectorXd medians_;
};

/// Impute (optional), standardize, optionally reduce by PCA, then min-max scale into [0, angle_max]: features
/// become angles.
class preprocessing {
 public:
  preprocessing() = default;
  preprocessing(std::size_t max_features, double angle_max) : max_features_(max_features), angle_max_(angle_max) {}

  preprocessing& fit(const Eigen::MatrixXd& x) {
    Eigen::MatrixXd z = x;
    if (!x.allFinite()) {
      imputer_.emplace();
      imputer_->fit(x);
      z = imputer_->transform(x);
    }
    z = standard_.fit_transform(z);
    if (max_features_ && static_cast<std::size_t>(z.cols()) > max_features_) {
      const auto keep = static_cast<Eigen::Index>(max_features_);
      // The training rows may span fewer directions than components asked for (n rows span at most n - 1
      // after centering; collinear columns fewer still). A component beyond that span has a singular value of
      // rounding size: its training scores are noise the min-max step would stretch to [0, angle_max], and new
      // rows would land at angles of ~1e16. So the span is measured (with at most as many components as rows,
      // all PCA can make) and too few directions refused.
      learn::pca fitted(std::min(keep, z.rows()));
      fitted.fit(z);
      const Eigen::VectorXd& var = fitted.explained_variance();  // descending
      Eigen::Index span = 0;
      while (span < var.size() && var(span) > 1e-12 * var(0)) ++span;
      if (span < keep)
        throw std::invalid_argument(
            "the " + std::to_string(z.rows()) + " training rows span " + std::to_string(span) +
            " independent direction" + (span == 1 ? "" : "s") + " of the " + std::to_string(z.cols()) +
            " standardized features, fewer than the " + std::to_string(keep) + " PCA components asked for: " +
            (span > 0 ? "lower --qubits to at most " + std::to_string(span)
                      : std::string("every training row is the same; there is nothing to reduce")));
      pca_.emplace(std::move(fitted));
      z = pca_->transform(z);
    }
    minmax_ = learn::min_max_scaler(0.0, angle_max_);
    minmax_.fit(z);
    fitted_ = true;
    return *this;
  }
  /// Uses a median imputer fitted elsewhere (the pipeline fits one for every model) instead of fitting one.
  preprocessing& fit(const Eigen::MatrixXd& x, const median_imputer& imputer) {
    fit(imputer.fitted() ? imputer.transform(x) : x);
    if (imputer.fitted()) imputer_ = imputer;
    return *this;
  }
  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::MatrixXd& x) const {
    if (!fitted_) return x;
    Eigen::MatrixXd z = imputer_ ? imputer_->transform(x) : x;
    z = standard_.transform(z);
    if (pca_) z = pca_->transform(z);
    return minmax_.transform(z);
  }
  [[nodiscard]] bool identity() const noexcept { return !fitted_; }
  /// The raw feature columns transform() reads (fitted only).
  [[nodiscard]] std::size_t input_features() const noexcept {
    return static_cast<std::size_t>(standard_.mean().size());
  }
  [[nodiscard]] bool imputes() const noexcept { return imputer_.has_value(); }
  [[nodiscard]] bool reduces() const noexcept { return pca_.has_value(); }
  [[nodiscard]] nlohmann::json describe() const {
    if (!fitted_) return {{"steps", nlohmann::json::array()}};
    nlohmann::json steps = nlohmann::json::array();
    if (imputer_) steps.push_back("impute_median");
    steps.push_back("standardize");
    if (pca_) steps.push_back("pca");
    steps.push_back("min_max");
    return {{"steps", steps}, {"angle_max", angle_max_}, {"max_features", max_features_}};
  }
  void save(learn::model_writer& w) const {
    w.json()["preprocessing"] = describe();
    if (!fitted_) return;
    if (imputer_) w.add_array("impute_median", imputer_->medians());
    learn::save(w, standard_, "standardize");
    if (pca_) learn::save(w, *pca_, "pca");
    learn::save(w, minmax_, "min_max");
  }
  static preprocessing load(const learn::model_reader& r) {
    preprocessing p;
    const auto& d = r.block("preprocessing");
    std::vector<std::string> steps;
    try {
      steps = d.at("steps").get<std::vector<std::string>>();
      if (steps.empty()) return p;
      p.angle_max_ = d.at("angle_max").get<double>();
      p.max_features_ = d.at("max_features").get<std::size_t>();
    } catch (const nlohmann::json::exception& e) {
      throw learn::model_error(r.directory() / "model.json", std::string("malformed preprocessing block: ") + e.what());
    }
    if (std::find(steps.begin(), steps.end(), "impute_median") != steps.end())
      p.imputer_ = median_imputer::from_medians(r.vector<double>("impute_median"));  // saved 1-D
    p.standard_ = learn::load_standard_scaler(r, "standardize");
    if (std::find(steps.begin(), steps.end(), "pca") != steps.end()) p.pca_ = learn::load_pca(r, "pca");
    p.minmax_ = learn::load_min_max_scaler(r, "min_max");
    p.fitted_ = true;
    return p;
  }

 private:
  std::size_t max_features_ = 0;
  double angle_max_ = pi;
  std::optional<median_imputer> imputer_;
  learn::standard_scaler standard_;
  std::optional<learn::pca> pca_;
  learn::min_max_scaler minmax_;
  bool fitted_ = false;
};

/// An SVC's calibrated probabilities with columns in class-id order (0 .. n_classes - 1, the order of the class
/// names); predict_proba's columns follow the SVC's classes(), which need not be in that order.
[[nodiscard]] inline Eigen::MatrixXd proba_in_class_order(const learn::svc& m, const Eigen::MatrixXd& proba,
                                                          std::size_t n_classes) {
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(proba.rows(), static_cast<Eigen::Index>(n_classes));
  const auto& cls = m.classes();
  for (std::size_t j = 0; j < cls.size(); ++j) {
    if (cls[j] < 0 || static_cast<std::size_t>(cls[j]) >= n_classes)
      throw std::runtime_error("the SVC's class " + std::to_string(cls[j]) + " is outside the model's classes");
    out.col(cls[j]) = proba.col(static_cast<Eigen::Index>(j));
  }
  return out;
}

/// How sure a model is of a row (top probability minus the runner-up): hqml serve's, where its routes live.
using serve::class_margin;

/// The classical RBF SVM `hqml run` fits beside the quantum model, kept with it so that one run's model folder
/// serves both (hqml serve's fallback and routing): training-row medians where cells were missing, a standard
/// scaler, the RBF kernel against its support vectors, and an SVC with Platt probabilities.
struct classical_svm {
  median_imputer imputer;  // unfitted when no training cell was missing
  learn::standard_scaler scaler;
  double gamma = 0;
  Eigen::MatrixXd support_z;  // the support vectors, standardized
  learn::svc model;

  [[nodiscard]] std::size_t n_features() const noexcept { return static_cast<std::size_t>(scaler.mean().size()); }
  /// The RBF kernel between raw feature rows and the support vectors.
  [[nodiscard]] Eigen::MatrixXd support_kernel(const Eigen::MatrixXd& raw) const {
    if (static_cast<std::size_t>(raw.cols()) != n_features())
      throw std::invalid_argument("the data has " + std::to_string(raw.cols()) +
                                  " feature columns; the classical model reads " + std::to_string(n_features()));
    if (!raw.allFinite() && !imputer.fitted())
      throw std::invalid_argument(
          "the data has missing or non-finite values, and the classical model was trained without imputation");
    return rbf_kernel(scaler.transform(imputer.fitted() ? imputer.transform(raw) : raw), support_z, gamma);
  }
  void save(learn::model_writer& w, const std::string& prefix = "classical") const {
    w.json()[prefix] = {{"type", "rbf_svc"}, {"gamma", gamma}, {"imputes", imputer.fitted()}};
    if (imputer.fitted()) w.add_array(prefix + ".impute_median", imputer.medians());
    learn::save(w, scaler, prefix + ".standardize");
    w.add_array(prefix + ".support_x", support_z);
    learn::save(w, model, prefix + ".svc");
  }
  static classical_svm load(const learn::model_reader& r, const std::string& prefix = "classical") {
    const auto& b = r.block(prefix);
    classical_svm c;
    bool imputes = false;
    try {
      if (b.at("type").get<std::string>() != "rbf_svc") throw std::invalid_argument("type is not rbf_svc");
      c.gamma = b.at("gamma").get<double>();
      imputes = b.at("imputes").get<bool>();
    } catch (const std::exception& e) {
      throw learn::model_error(r.directory() / "model.json", "malformed \"" + prefix + "\" block: " + e.what());
    }
    if (!std::isfinite(c.gamma) || !(c.gamma > 0))
      throw learn::model_error(r.directory() / "model.json", "\"" + prefix + "\".gamma must be a positive number");
    if (imputes) c.imputer = median_imputer::from_medians(r.vector<double>(prefix + ".impute_median"));
    c.scaler = learn::load_standard_scaler(r, prefix + ".standardize");
    c.support_z = r.matrix<double>(prefix + ".support_x");
    c.model = learn::load_svc(r, prefix + ".svc");
    const auto n = static_cast<Eigen::Index>(c.n_features());
    if (c.support_z.cols() != n || (imputes && c.imputer.medians().size() != n) ||
        c.support_z.rows() != static_cast<Eigen::Index>(c.model.support().size()))
      throw learn::model_error(r.directory() / "model.json",
                               "\"" + prefix + "\": the scaler, medians, support vectors and SVC disagree in size");
    return c;
  }
};

/// Fits the preprocessing `spec` needs on the raw features x and fits `spec` to what comes out: angle maps
/// read every feature (or spec.num_features of them, reduced by PCA), the other maps one per qubit, with the
/// qubit count lowered when there are fewer features than qubits (callers that must not lower it silently
/// compare spec.num_qubits before and after).
inline preprocessing fit_preprocessing(feature_map_spec& spec, const Eigen::MatrixXd& x, double angle_max = pi,
                                       const median_imputer* imputer = nullptr) {
  const bool angle = is_angle_map(spec.kind);
  const auto cols = static_cast<std::size_t>(x.cols());
  const std::size_t keep = angle ? (spec.num_features ? spec.num_features : cols) : spec.num_qubits;
  preprocessing pre(keep, angle_max);
  if (imputer)
    pre.fit(x, *imputer);
  else
    pre.fit(x);
  const std::size_t out = std::min(keep, cols);
  if (angle)
    spec.num_features = out;
  else
    spec.num_qubits = std::min(spec.num_qubits, out);
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

/// The CSV columns a data set's features come from, in order: a one-hot column "COL=LEVEL" comes from COL.
[[nodiscard]] inline std::vector<std::string> input_columns(const io::labeled_dataset& d) {
  std::vector<std::string> cols;
  for (const auto& f : d.feature_names) {
    std::string col = f;
    for (const auto& [name, levels] : d.categories)
      for (const auto& level : levels)
        if (f == name + "=" + level) col = name;
    if (cols.empty() || cols.back() != col) cols.push_back(col);
  }
  return cols;
}

/// Settings of one pipeline run.
struct pipeline_config {
  std::filesystem::path data;  // CSV with a header row; empty: the built-in ad hoc dataset
  io::label_column label = io::label_column::named("label");
  io::csv_options csv;         // columns, separator, missing values, text columns
  std::string positive_label;  // binary metrics' positive class; empty: the greater label in sorted order
  feature_map_spec map;        // num_qubits 0: from the data (at most 8 by default)
  double test_fraction = 0.3;
  std::uint64_t seed = 0;
  int folds = 5;
  int threads = 0;
  double angle_max = pi;  // CSV features are scaled into [0, angle_max]
  std::vector<double> c_grid = {0.1, 1.0, 10.0, 100.0};
  /// Quantum: features multiplied by s. A geometric grid, extended by `scale_step` past an edge where the best
  /// cross-validated point sits (up to max_extensions times per side).
  std::vector<double> scale_grid = {0.0625, 0.125, 0.25, 0.5, 1.0};
  double scale_step = 2.0;
  /// Classical RBF gamma in units of 1 / n_features (1 is scikit-learn's gamma='scale' on standardized data),
  /// extended likewise by gamma_step.
  std::vector<double> gamma_grid = {0.0316227766016838, 0.1, 0.316227766016838, 1.0, 3.16227766016838};
  double gamma_step = 3.16227766016838;
  int max_extensions = 4;
  /// Logistic regression's C, chosen by the same cross-validation folds.
  std::vector<double> logistic_c_grid = {0.01, 0.1, 1.0, 10.0, 100.0};
  bool assess = true;  // the Huang et al. kernel assessment (a few N x N eigendecompositions)
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

/// A hyperparameter search: the grid as searched (after any extension) and every cross-validated point.
struct search_report {
  std::string hyperparameter_name;  // feature_scale, gamma or C
  std::vector<double> grid, c_grid;
  bool extended = false, at_edge = false;
  learn::grid_search_result cv;
};

/// What one model achieved on the held-out rows.
struct model_report {
  std::string name, kernel;   // kernel: fidelity, rbf or empty
  std::string features_seen;  // in plain words
  std::size_t n_features_seen = 0;
  std::optional<search_report> search;
  learn::grid_search_result grid;  // = search->cv where searched (kept for older callers)
  double best_hyperparameter = 0, best_c = 0;
  nlohmann::json hyperparameters = nlohmann::json::object();
  std::vector<int> predictions;         // class ids, in test-row order
  Eigen::MatrixXd decision;             // test x pairs (SVMs), test x 1 or classes (logistic regression)
  std::vector<double> positive_scores;  // binary: a score that grows with the positive class (ROC)
  double test_accuracy = 0, balanced_accuracy = 0;
  learn::precision_recall_f1 scores;  // binary: of the positive class; multiclass: macro
  learn::classification_summary summary;
  double roc_auc = std::nan("");
  learn::roc_curve_result roc;
  learn::confusion_matrix_result confusion;
  std::size_t n_support = 0;
  bool svm = false;
  bool single_class = false;
};

/// Quantum against one other model on the test rows.
struct model_comparison {
  std::string a, b;
  learn::paired_comparison result;
};

/// One of hqml serve's routes on the held-out rows: its accuracy, how many rows the quantum model answered, and
/// the time per row when the rows are scored as the server scores a batch (timings, not metrics: it varies).
struct route_report {
  std::string route;  // as `hqml serve --route` takes it
  double test_accuracy = 0;
  std::size_t quantum_rows = 0;
  double ms_per_row = 0;
};

struct pipeline_result {
  std::string dataset_name, dataset_source, label_name;
  std::vector<std::string> class_names;
  std::vector<std::int64_t> class_counts;
  std::vector<std::string> feature_names;  // the columns the models read (after selection and one-hot)
  std::vector<std::string> input_columns;  // the CSV columns they come from
  std::map<std::string, std::vector<std::string>> categories;
  std::vector<std::string> warnings;
  char separator = ',';
  std::size_t missing_cells = 0;
  std::vector<std::ptrdiff_t> train_rows, test_rows;  // 0-based data rows
  Eigen::MatrixXd x_train, x_test;                    // after the quantum preprocessing
  Eigen::MatrixXd raw_train, raw_test;                // the features as read (NaN where missing)
  std::vector<int> y_train, y_test;
  std::size_t raw_features = 0;
  int positive_class = -1;  // binary: class id of the positive label
  feature_map_spec map;
  preprocessing pre;
  median_imputer imputer;  // fitted when cells are missing
  model_report quantum, classical, logistic, majority;
  learn::svc quantum_model;
  classical_svm classical_model;                             // the fitted RBF SVM of `classical`, kept for serving
  Eigen::MatrixXd quantum_test_proba, classical_test_proba;  // test rows x classes, class-id order
  std::vector<route_report> routes;                          // hqml serve's routes on the held-out rows
  std::vector<model_comparison> comparisons;  // quantum vs classical, logistic, majority
  std::string best_classical = "classical";
  Eigen::MatrixXd k_quantum_train, k_classical_train;
  learn::kernel_assessment assessment;
  bool assessed = false;
  std::string held_out_verdict, verdict_summary;
  bool verdict_agree = true;
  std::vector<std::pair<std::string, double>> timings;
  int threads = 0;
  std::string device = "cpu";  // where the quantum kernels ran
  std::uint64_t seed = 0;
  double test_fraction = 0;
};

namespace detail {

inline std::string fmt(double v, int digits = 3) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

/// Scores, confusion matrix and ROC of predictions (class ids) against the test labels.
inline void score_model(model_report& r, const std::vector<int>& y_test, std::size_t n_classes, int positive) {
  std::vector<int> labels(n_classes);
  std::iota(labels.begin(), labels.end(), 0);
  r.test_accuracy = learn::accuracy(y_test, r.predictions);
  r.balanced_accuracy = learn::balanced_accuracy(y_test, r.predictions);
  r.confusion = learn::confusion_matrix(y_test, r.predictions, labels);
  r.summary = learn::classification_scores(y_test, r.predictions, labels);
  r.single_class =
      std::all_of(r.predictions.begin(), r.predictions.end(), [&](int p) { return p == r.predictions.front(); });
  if (n_classes == 2) {
    const auto& pc = r.summary.per_class[static_cast<std::size_t>(positive)];
    r.scores = {pc.precision, pc.recall, pc.f1};
    const auto pos = std::count(y_test.begin(), y_test.end(), positive);
    if (!r.positive_scores.empty() && pos > 0 && pos < static_cast<long>(y_test.size())) {
      r.roc = learn::roc_curve(y_test, r.positive_scores, positive);
      r.roc_auc = learn::roc_auc(y_test, r.positive_scores, positive);
    }
  } else {
    r.scores = r.summary.macro;
  }
}

/// An SVM's test predictions, decision values and positive-class scores.
inline void evaluate_svm(model_report& r, const learn::svc& m, const Eigen::MatrixXd& k_test_train,
                         const std::vector<int>& y_test, std::size_t n_classes, int positive) {
  r.svm = true;
  r.predictions = m.predict(k_test_train);
  r.decision = m.decision_function(k_test_train);
  r.n_support = m.support().size();
  if (n_classes == 2) {
    // libsvm's binary decision value is positive for classes()[0] (the class met first in training order).
    const double sign = m.classes()[0] == positive ? 1.0 : -1.0;
    r.positive_scores.resize(static_cast<std::size_t>(r.decision.rows()));
    for (Eigen::Index i = 0; i < r.decision.rows(); ++i)
      r.positive_scores[static_cast<std::size_t>(i)] = sign * r.decision(i, 0);
  }
  score_model(r, y_test, n_classes, positive);
}

/// Is the best point at the low (or high) edge of `grid`? With pick_best's tie rule, only when no interior point
/// does as well.
inline bool best_at_edge(const learn::grid_search_result& cv, const std::vector<double>& grid, bool low) {
  return cv.best().hyperparameter == (low ? grid.front() : grid.back());
}

/// The best point: the highest mean CV score; on ties a point inside the grid before one at its edge (a tie with
/// an interior point is no evidence that the optimum lies beyond the edge), then the first in grid order.
inline std::size_t pick_best(const std::vector<learn::grid_point>& points, const std::vector<double>& grid) {
  const auto interior = [&](const learn::grid_point& p) {
    return grid.size() > 2 && p.hyperparameter != grid.front() && p.hyperparameter != grid.back();
  };
  std::size_t best = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double a = points[i].scores.mean, b = points[best].scores.mean;
    if (a > b || (a == b && interior(points[i]) && !interior(points[best]))) best = i;
  }
  return best;
}

/// Grid search over hyperparameter x C, extending the hyperparameter grid geometrically past an edge where the
/// best point sits. Points already computed are kept; ties go to the smallest hyperparameter, then C.
template <class GramFn>
search_report extended_search(std::string name, GramFn&& gram, const std::vector<int>& labels, std::vector<double> grid,
                              const std::vector<double>& c_grid, double step, int max_extensions,
                              const learn::grid_search_options& gopt) {
  search_report s;
  s.hyperparameter_name = std::move(name);
  s.c_grid = c_grid;
  std::sort(grid.begin(), grid.end());
  std::vector<learn::grid_point> points;
  auto run = [&](std::span<const double> hs) {
    const auto r = learn::grid_search(gram, labels, hs, c_grid, gopt);
    points.insert(points.end(), r.points.begin(), r.points.end());
  };
  run(grid);
  int low = 0, high = 0;
  for (;;) {
    std::stable_sort(points.begin(), points.end(), [](const learn::grid_point& a, const learn::grid_point& b) {
      return a.hyperparameter < b.hyperparameter;
    });
    s.cv.points = points;
    s.cv.best_index = pick_best(points, grid);
    if (best_at_edge(s.cv, grid, true) && low < max_extensions) {
      ++low;
      const double h = grid.front() / step;
      grid.insert(grid.begin(), h);
      run(std::span<const double>(&h, 1));
    } else if (best_at_edge(s.cv, grid, false) && high < max_extensions) {
      ++high;
      const double h = grid.back() * step;
      grid.push_back(h);
      run(std::span<const double>(&h, 1));
    } else {
      break;
    }
    s.extended = true;
  }
  s.grid = grid;
  s.at_edge = grid.size() > 1 && (best_at_edge(s.cv, grid, true) || best_at_edge(s.cv, grid, false));
  return s;
}

inline nlohmann::json scores_json(const learn::precision_recall_f1& s) {
  return {{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}};
}

inline nlohmann::json model_json(const model_report& r, const std::vector<std::string>& class_names) {
  const auto name_of = [&](int c) { return class_names.at(static_cast<std::size_t>(c)); };
  nlohmann::json cm = {{"labels", class_names}, {"matrix", nlohmann::json::array()}};
  for (Eigen::Index i = 0; i < r.confusion.counts.rows(); ++i) {
    std::vector<std::int64_t> row(static_cast<std::size_t>(r.confusion.counts.cols()));
    for (Eigen::Index j = 0; j < r.confusion.counts.cols(); ++j)
      row[static_cast<std::size_t>(j)] = r.confusion.counts(i, j);
    cm["matrix"].push_back(row);
  }
  nlohmann::json per_class = nlohmann::json::array();
  for (const auto& c : r.summary.per_class)
    per_class.push_back({{"label", name_of(c.label)},
                         {"precision", c.precision},
                         {"recall", c.recall},
                         {"f1", c.f1},
                         {"support", c.support}});
  std::vector<std::string> preds;
  preds.reserve(r.predictions.size());
  for (int p : r.predictions) preds.push_back(name_of(p));
  nlohmann::json j = {{"name", r.name},
                      {"kernel", r.kernel.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.kernel)},
                      {"features_seen", r.features_seen},
                      {"n_features_seen", r.n_features_seen},
                      {"hyperparameters", r.hyperparameters},
                      {"test_accuracy", r.test_accuracy},
                      {"balanced_accuracy", r.balanced_accuracy},
                      {"precision", r.scores.precision},
                      {"recall", r.scores.recall},
                      {"f1", r.scores.f1},
                      {"macro", scores_json(r.summary.macro)},
                      {"micro", scores_json(r.summary.micro)},
                      {"weighted", scores_json(r.summary.weighted)},
                      {"per_class", per_class},
                      {"confusion_matrix", cm},
                      {"test_predictions", preds},
                      {"predicts_single_class", r.single_class}};
  if (r.search) {
    const auto& s = *r.search;
    nlohmann::json cv = nlohmann::json::array();
    for (const auto& p : s.cv.points)
      cv.push_back({{"hyperparameter", p.hyperparameter},
                    {"C", p.regularization},
                    {"mean", p.scores.mean},
                    {"std", p.scores.stddev},
                    {"folds", p.scores.fold_scores}});
    const auto& b = s.cv.best();
    j["search"] = {{"hyperparameter_name", s.hyperparameter_name},
                   {"grid", s.grid},
                   {"C_grid", s.c_grid},
                   {"extended", s.extended},
                   {"at_edge", s.at_edge},
                   {"cv", cv},
                   {"best",
                    {{"hyperparameter", b.hyperparameter},
                     {"C", b.regularization},
                     {"cv_mean", b.scores.mean},
                     {"cv_std", b.scores.stddev}}}};
    // format 1's fields, kept for older readers
    j["cv"] = cv;
    j["best"] = {{"hyperparameter", b.hyperparameter}, {"C", b.regularization}, {"cv_mean", b.scores.mean}};
    j["hyperparameter_name"] = s.hyperparameter_name;
  }
  if (r.svm) j["n_support"] = r.n_support;
  if (!std::isnan(r.roc_auc)) {
    j["roc_auc"] = r.roc_auc;
    j["roc_curve"] = {{"fpr", r.roc.fpr}, {"tpr", r.roc.tpr}};
  }
  return j;
}

/// A p-value as people read it: three decimals, or "< 0.001".
inline std::string fmt_p(double p) { return p < 0.001 ? "< 0.001" : "= " + fmt(p, 3); }

inline std::string comparison_summary(const model_comparison& c, const std::string& a_name, const std::string& b_name) {
  const auto& r = c.result;
  std::string s = a_name + " " + fmt(r.accuracy_a) + " vs " + b_name + " " + fmt(r.accuracy_b) + ": difference " +
                  (r.difference >= 0 ? "+" : "") + fmt(r.difference) + " (95% CI " + fmt(r.ci_low) + " to " +
                  fmt(r.ci_high) + "), McNemar p " + fmt_p(r.p_value) + ": ";
  if (!r.significant()) return s + "not significant";
  return s + (r.difference > 0 ? a_name : b_name) + " is better";
}

}  // namespace detail

/// Runs the whole pipeline in memory.
[[nodiscard]] inline pipeline_result run_pipeline(const pipeline_config& cfg) {
  if (cfg.c_grid.empty() || cfg.scale_grid.empty() || cfg.gamma_grid.empty() || cfg.logistic_c_grid.empty())
    throw std::invalid_argument("hqml run: empty hyperparameter grid");
  const auto positive_finite = [](const std::vector<double>& g) {
    return std::all_of(g.begin(), g.end(), [](double v) { return std::isfinite(v) && v > 0; });
  };
  if (!positive_finite(cfg.c_grid)) throw std::invalid_argument("hqml run: --C values must be positive finite numbers");
  if (!positive_finite(cfg.scale_grid))
    throw std::invalid_argument("hqml run: --feature-scales values must be positive finite numbers");
  if (!positive_finite(cfg.gamma_grid) || !positive_finite(cfg.logistic_c_grid))
    throw std::invalid_argument("hqml run: grid values must be positive finite numbers");
  if (!(cfg.test_fraction > 0 && cfg.test_fraction < 1))
    throw std::invalid_argument("hqml run: --test-fraction must be in (0, 1)");
  pipeline_result res;
  res.threads = learn::thread_count(cfg.threads);
  res.device = cfg.quantum_kernel ? cfg.device : "cpu";
  res.seed = cfg.seed;
  res.test_fraction = cfg.test_fraction;
  const int stages = cfg.assess ? 7 : 6;
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
    const ad_hoc_dataset d =
        ad_hoc_data(cfg.adhoc_train_per_class, cfg.adhoc_test_per_class, n, cfg.adhoc_gap, cfg.seed);
    res.dataset_name = "ad hoc (Havlicek et al. 2019), " + std::to_string(n) + " features, gap " +
                       std::to_string(cfg.adhoc_gap).substr(0, 4);
    res.dataset_source = "built-in";
    res.label_name = "label";
    res.raw_train = d.train.x;
    res.raw_test = d.test.x;
    res.y_train.assign(d.train.y.data(), d.train.y.data() + d.train.y.size());
    res.y_test.assign(d.test.y.data(), d.test.y.data() + d.test.y.size());
    res.class_names = {"A", "B"};
    res.raw_features = n;
    res.map.num_qubits = n;
    for (std::size_t i = 0; i < n; ++i) res.feature_names.push_back("x" + std::to_string(i));
    res.input_columns = res.feature_names;
    for (std::size_t i = 0; i < res.y_train.size() + res.y_test.size(); ++i)
      (i < res.y_train.size() ? res.train_rows : res.test_rows).push_back(static_cast<std::ptrdiff_t>(i));
    // The angles are the features: the quantum model reads them as they are.
  } else {
    const io::labeled_dataset d = io::read_csv_dataset(cfg.data, cfg.label, cfg.csv);
    if (d.class_names.size() < 2)
      throw std::invalid_argument(cfg.data.string() + ": the label column '" + d.label_name +
                                  "' has one class only; nothing to learn");
    res.dataset_name = cfg.data.filename().string();
    res.dataset_source = cfg.data.string();
    res.label_name = d.label_name;
    res.class_names = d.class_names;
    res.feature_names = d.feature_names;
    res.categories = d.categories;
    res.warnings = d.warnings;
    res.separator = d.separator;
    res.input_columns = input_columns(d);
    res.missing_cells = static_cast<std::size_t>(d.features.array().isNaN().count());
    res.raw_features = static_cast<std::size_t>(d.features.cols());
    const auto counts = [&] {
      std::vector<std::int64_t> c(d.class_names.size(), 0);
      for (int y : d.labels) ++c[static_cast<std::size_t>(y)];
      return c;
    }();
    for (std::size_t c = 0; c < counts.size(); ++c)
      if (counts[c] < 2)
        throw std::invalid_argument(cfg.data.string() + ": class '" + d.class_names[c] + "' has " +
                                    std::to_string(counts[c]) +
                                    " row; every class needs at least 2 (one to train on, one to test)");
    const auto split = learn::stratified_train_test_split(d.labels, cfg.test_fraction, cfg.seed);
    res.train_rows = split.train;
    res.test_rows = split.test;
    res.raw_train = learn::take_rows(d.features, split.train);
    res.raw_test = learn::take_rows(d.features, split.test);
    res.y_train = learn::take(d.labels, split.train);
    res.y_test = learn::take(d.labels, split.test);
  }
  {
    res.class_counts.assign(res.class_names.size(), 0);
    for (int y : res.y_train) ++res.class_counts[static_cast<std::size_t>(y)];
    for (int y : res.y_test) ++res.class_counts[static_cast<std::size_t>(y)];
    const auto min_train = *std::min_element(res.class_counts.begin(), res.class_counts.end());
    (void)min_train;
    std::vector<std::int64_t> train_counts(res.class_names.size(), 0);
    for (int y : res.y_train) ++train_counts[static_cast<std::size_t>(y)];
    const auto fewest = *std::min_element(train_counts.begin(), train_counts.end());
    if (fewest < cfg.folds)
      throw std::invalid_argument("hqml run: a class has only " + std::to_string(fewest) +
                                  " training rows, fewer than the " + std::to_string(cfg.folds) +
                                  " cross-validation folds: lower --folds or add data");
  }
  // The positive class of binary metrics.
  if (res.class_names.size() == 2) {
    res.positive_class = 1;  // scikit-learn's rule: the greater label in sorted order
    if (!cfg.positive_label.empty()) {
      const auto it = std::find(res.class_names.begin(), res.class_names.end(), cfg.positive_label);
      if (it == res.class_names.end())
        throw std::invalid_argument("--pos-label '" + cfg.positive_label + "' is not a class of the data (classes: " +
                                    res.class_names[0] + ", " + res.class_names[1] + ")");
      res.positive_class = static_cast<int>(it - res.class_names.begin());
    }
  } else if (!cfg.positive_label.empty()) {
    throw std::invalid_argument("--pos-label applies to two-class data; this data has " +
                                std::to_string(res.class_names.size()) + " classes (metrics are macro/micro averages)");
  }
  if (res.missing_cells > 0) res.imputer.fit(res.raw_train, res.feature_names);
  const Eigen::MatrixXd full_train = res.imputer.fitted() ? res.imputer.transform(res.raw_train) : res.raw_train;
  const Eigen::MatrixXd full_test = res.imputer.fitted() ? res.imputer.transform(res.raw_test) : res.raw_test;
  std::string quantum_seen;
  if (cfg.data.empty()) {
    res.x_train = full_train;
    res.x_test = full_test;
    quantum_seen = std::to_string(res.raw_features) + " features as angles (the built-in data are angles)";
  } else {
    const std::size_t asked = res.map.num_qubits;
    if (!res.map.num_qubits) res.map.num_qubits = std::min<std::size_t>(res.raw_features, 8);
    const std::size_t wanted = res.map.num_qubits;
    res.pre = fit_preprocessing(res.map, res.raw_train, cfg.angle_max, res.imputer.fitted() ? &res.imputer : nullptr);
    if (asked > res.map.num_qubits)
      res.warnings.push_back("--qubits " + std::to_string(asked) + " is more than the " +
                             std::to_string(res.raw_features) + " feature columns: using " +
                             std::to_string(res.map.num_qubits) + " qubits, one per feature");
    else if (!asked && wanted < res.raw_features)
      res.warnings.push_back("the quantum model reads " + std::to_string(wanted) + " PCA components of the " +
                             std::to_string(res.raw_features) + " features (8 qubits by default; set --qubits)");
    res.x_train = res.pre.transform(res.raw_train);
    res.x_test = res.pre.transform(res.raw_test);
    quantum_seen = res.pre.reduces() ? std::to_string(res.x_train.cols()) + " PCA components of " +
                                           std::to_string(res.raw_features) + " standardized features"
                                     : "all " + std::to_string(res.raw_features) + " standardized features";
    quantum_seen +=
        ", min-max scaled to [0, " + detail::fmt(cfg.angle_max, 4) + "] and multiplied by the feature scale";
  }
  if (res.missing_cells > 0) quantum_seen += "; missing cells imputed with training-row medians";
  done("load and preprocess");

  const std::size_t n_classes = res.class_names.size();
  const int nt = cfg.threads;
  learn::grid_search_options gopt;
  gopt.folds = cfg.folds;
  gopt.seed = cfg.seed;
  gopt.threads = nt;
  learn::svc_params sp;
  sp.threads = nt;

  begin("quantum kernels");
  const circuit fm = res.map.build();
  const kernel_options kopt{nt, 256};
  auto quantum_kernel = [&](const Eigen::MatrixXd& a, const Eigen::MatrixXd* b) -> Eigen::MatrixXd {
    if (cfg.quantum_kernel) return cfg.quantum_kernel(fm, a, b);
    return b ? fidelity_kernel<double>(fm, a, *b, {}, kopt) : fidelity_kernel<double>(fm, a, {}, kopt);
  };
  // One training kernel per feature scale, computed once and reused by every fold, C and grid extension.
  std::map<double, Eigen::MatrixXd> q_cache;
  auto cached_quantum = [&](double s) -> const Eigen::MatrixXd& {
    auto it = q_cache.find(s);
    if (it == q_cache.end()) it = q_cache.emplace(s, quantum_kernel(s * res.x_train, nullptr)).first;
    return it->second;
  };
  for (double s : cfg.scale_grid) (void)cached_quantum(s);
  done("quantum kernels");

  begin("quantum SVM (cross-validated search)");
  {
    auto search = detail::extended_search("feature_scale", cached_quantum, res.y_train, cfg.scale_grid, cfg.c_grid,
                                          cfg.scale_step, cfg.max_extensions, gopt);
    const double qs = search.cv.best().hyperparameter, qc = search.cv.best().regularization;
    res.k_quantum_train = cached_quantum(qs);
    learn::svc_params p = sp;
    p.C = qc;
    p.probability = true;
    res.quantum_model = learn::svc::fit(res.k_quantum_train, res.y_train, p);
    const Eigen::MatrixXd x_train_scaled = qs * res.x_train;
    const Eigen::MatrixXd kq_test = quantum_kernel(qs * res.x_test, &x_train_scaled);
    auto& q = res.quantum;
    q.name = "quantum kernel SVM";
    q.kernel = "fidelity";
    q.features_seen = quantum_seen;
    q.n_features_seen = static_cast<std::size_t>(res.x_train.cols());
    q.best_hyperparameter = qs;
    q.best_c = qc;
    q.hyperparameters = {{"C", qc}, {"feature_scale", qs}};
    q.grid = search.cv;
    q.search = std::move(search);
    detail::evaluate_svm(q, res.quantum_model, kq_test, res.y_test, n_classes, res.positive_class);
    res.quantum_test_proba =
        proba_in_class_order(res.quantum_model, res.quantum_model.predict_proba(kq_test), n_classes);
  }
  q_cache.clear();
  done("quantum SVM");

  // The classical models see every feature, standardized on the training rows: what a data scientist would fit.
  learn::standard_scaler scaler;
  const Eigen::MatrixXd z_train = scaler.fit_transform(full_train), z_test = scaler.transform(full_test);
  const std::string classical_seen = "all " + std::to_string(res.raw_features) + " features, standardized" +
                                     (res.missing_cells > 0 ? "; missing cells imputed with training-row medians" : "");

  begin("classical RBF SVM (cross-validated search)");
  {
    const double unit = 1.0 / static_cast<double>(z_train.cols());
    std::vector<double> grid;
    for (double g : cfg.gamma_grid) grid.push_back(g * unit);
    std::map<double, Eigen::MatrixXd> c_cache;
    auto classical_gram = [&](double g) -> const Eigen::MatrixXd& {
      auto it = c_cache.find(g);
      if (it == c_cache.end()) it = c_cache.emplace(g, rbf_kernel(z_train, z_train, g)).first;
      return it->second;
    };
    auto search = detail::extended_search("gamma", classical_gram, res.y_train, grid, cfg.c_grid, cfg.gamma_step,
                                          cfg.max_extensions, gopt);
    const double cg = search.cv.best().hyperparameter, cc = search.cv.best().regularization;
    res.k_classical_train = classical_gram(cg);
    learn::svc_params p = sp;
    p.C = cc;
    p.probability = true;  // calibrated probabilities for serving (hqml serve's routing); predictions do not change
    const learn::svc cmodel = learn::svc::fit(res.k_classical_train, res.y_train, p);
    auto& kept = res.classical_model;
    kept.imputer = res.imputer;
    kept.scaler = scaler;
    kept.gamma = cg;
    kept.support_z =
        learn::take_rows(z_train, std::vector<std::ptrdiff_t>(cmodel.support().begin(), cmodel.support().end()));
    kept.model = cmodel;
    auto& c = res.classical;
    c.name = "RBF SVM";
    c.kernel = "rbf";
    c.features_seen = classical_seen;
    c.n_features_seen = static_cast<std::size_t>(z_train.cols());
    c.best_hyperparameter = cg;
    c.best_c = cc;
    c.hyperparameters = {{"C", cc}, {"gamma", cg}};
    c.grid = search.cv;
    c.search = std::move(search);
    const Eigen::MatrixXd kc_test = rbf_kernel(z_test, z_train, cg);
    detail::evaluate_svm(c, cmodel, kc_test, res.y_test, n_classes, res.positive_class);
    res.classical_test_proba = proba_in_class_order(cmodel, cmodel.predict_proba(kc_test), n_classes);
  }
  done("classical SVM");

  begin("serving routes");
  {
    // hqml serve's routes on the held-out rows. Accuracy from the two models' answers (the single-model routes
    // answer with the SVM's vote, the ensemble with the averaged probabilities' argmax); time per row from scoring
    // the rows as the server scores one batch: against the support vectors only, their states computed before.
    const Eigen::MatrixXd &pq = res.quantum_test_proba, &pc = res.classical_test_proba;
    const double qs = res.quantum.best_hyperparameter;
    const learn::svc& qm = res.quantum_model;
    const Eigen::MatrixXd q_support =
        qs * learn::take_rows(res.x_train, std::vector<std::ptrdiff_t>(qm.support().begin(), qm.support().end()));
    std::optional<state_matrix<double>> q_states;
    if (!cfg.quantum_kernel) q_states = batched_states<double>(fm, q_support, {}, nt);
    const auto median_ms = [](auto&& fn) {
      std::array<double, 3> t{};
      for (auto& v : t) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        v = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      }
      std::sort(t.begin(), t.end());
      return t[1];
    };
    const auto quantum_ms = [&](const Eigen::MatrixXd& x) {
      return median_ms([&] {
        const Eigen::MatrixXd xs = qs * x;
        const Eigen::MatrixXd k =
            cfg.quantum_kernel ? cfg.quantum_kernel(fm, xs, &q_support)
                               : fidelity_kernel<double>(batched_states<double>(fm, xs, {}, nt), *q_states, kopt);
        (void)qm.predict_proba_sv(k);
        (void)qm.predict_sv(k);
      });
    };
    const classical_svm& cm = res.classical_model;
    const double classical_ms = median_ms([&] {
      const Eigen::MatrixXd k = cm.support_kernel(res.raw_test);
      (void)cm.model.predict_proba_sv(k);
      (void)cm.model.predict_sv(k);
    });
    const double all_quantum_ms = quantum_ms(res.x_test);
    const auto n_test = static_cast<double>(std::max<std::size_t>(res.y_test.size(), 1));
    const auto add = [&](std::string route, const std::vector<int>& pred, std::size_t quantum_rows, double ms) {
      res.routes.push_back({std::move(route), learn::accuracy(res.y_test, pred), quantum_rows, ms / n_test});
    };
    // Each route as the server answers (serve::route_answers), from the two models' answers to all the rows.
    using serve::route_policy;
    const serve::class_scores classical{pc, res.classical.predictions};
    const std::size_t n = res.y_test.size();
    for (const route_policy& route :
         {route_policy{route_policy::kind::quantum, 0}, route_policy{route_policy::kind::classical, 0},
          route_policy{route_policy::kind::confidence, 0.1}, route_policy{route_policy::kind::confidence, 0.25},
          route_policy{route_policy::kind::confidence, 0.5}, route_policy{route_policy::kind::ensemble, 0.5}}) {
      const std::vector<std::size_t> to_quantum = route.quantum_rows(n, pc);
      const std::vector<std::ptrdiff_t> rows(to_quantum.begin(), to_quantum.end());
      const serve::class_scores quantum{learn::take_rows(pq, rows), learn::take(res.quantum.predictions, rows)};
      const serve::routed_scores routed = serve::route_answers(route, n, n_classes, classical, to_quantum, &quantum);
      // Time: the classical model on every row where the route reads it, the quantum model on the rows it sends.
      double ms = route.needs_classical() ? classical_ms : 0.0;
      if (route.k == route_policy::kind::confidence) {
        if (!rows.empty()) ms += quantum_ms(learn::take_rows(res.x_test, rows));
      } else if (route.uses_quantum()) {
        ms += all_quantum_ms;
      }
      add(route.to_string(), routed.label, to_quantum.size(), ms);
    }
  }
  done("serving routes");

  begin("logistic regression and majority baselines");
  {
    auto& l = res.logistic;
    l.name = "logistic regression";
    l.features_seen = classical_seen;
    l.n_features_seen = static_cast<std::size_t>(z_train.cols());
    const auto folds = learn::stratified_k_fold(res.y_train, cfg.folds, cfg.seed);
    search_report s;
    s.hyperparameter_name = "C";
    s.grid = cfg.logistic_c_grid;
    std::sort(s.grid.begin(), s.grid.end());
    s.c_grid = {};
    std::vector<double> fold_scores(s.grid.size() * folds.size());
    learn::parallel_for(static_cast<std::ptrdiff_t>(fold_scores.size()), nt, [&](std::ptrdiff_t job) {
      const auto gi = static_cast<std::size_t>(job) / folds.size(), f = static_cast<std::size_t>(job) % folds.size();
      learn::logistic_regression_params lp;
      lp.C = s.grid[gi];
      const auto m = learn::logistic_regression::fit(learn::take_rows(z_train, folds[f].train),
                                                     learn::take(res.y_train, folds[f].train), lp);
      fold_scores[static_cast<std::size_t>(job)] =
          learn::accuracy(learn::take(res.y_train, folds[f].test), m.predict(learn::take_rows(z_train, folds[f].test)));
    });
    for (std::size_t gi = 0; gi < s.grid.size(); ++gi) {
      learn::grid_point g;
      g.hyperparameter = s.grid[gi];
      g.regularization = s.grid[gi];
      g.scores = learn::detail::summarize(
          std::vector<double>(fold_scores.begin() + static_cast<std::ptrdiff_t>(gi * folds.size()),
                              fold_scores.begin() + static_cast<std::ptrdiff_t>((gi + 1) * folds.size())));
      s.cv.points.push_back(std::move(g));
    }
    s.cv.best_index = detail::pick_best(s.cv.points, s.grid);
    s.at_edge =
        s.grid.size() > 1 && (detail::best_at_edge(s.cv, s.grid, true) || detail::best_at_edge(s.cv, s.grid, false));
    learn::logistic_regression_params lp;
    lp.C = s.cv.best().hyperparameter;
    const auto m = learn::logistic_regression::fit(z_train, res.y_train, lp);
    l.best_hyperparameter = l.best_c = lp.C;
    l.hyperparameters = {{"C", lp.C}};
    l.grid = s.cv;
    l.search = std::move(s);
    l.predictions = m.predict(z_test);
    l.decision = m.decision_function(z_test);
    if (n_classes == 2) {
      const Eigen::MatrixXd pr = m.predict_proba(z_test);
      l.positive_scores.assign(pr.col(res.positive_class).data(), pr.col(res.positive_class).data() + pr.rows());
    }
    detail::score_model(l, res.y_test, n_classes, res.positive_class);

    // scikit-learn's DummyClassifier(strategy="most_frequent"): the most frequent training class, the first on ties.
    auto& mj = res.majority;
    mj.name = "majority class";
    mj.features_seen = "no features: always predicts the most frequent training class";
    std::vector<std::int64_t> train_counts(n_classes, 0);
    for (int y : res.y_train) ++train_counts[static_cast<std::size_t>(y)];
    const int most =
        static_cast<int>(std::max_element(train_counts.begin(), train_counts.end()) - train_counts.begin());
    mj.hyperparameters = nlohmann::json::object();
    mj.predictions.assign(res.y_test.size(), most);
    if (n_classes == 2) mj.positive_scores.assign(res.y_test.size(), most == res.positive_class ? 1.0 : 0.0);
    detail::score_model(mj, res.y_test, n_classes, res.positive_class);
  }
  done("baselines");

  begin("comparisons");
  {
    learn::comparison_options co;
    co.seed = cfg.seed;
    for (const auto* other : {&res.classical, &res.logistic, &res.majority}) {
      model_comparison c;
      c.a = "quantum";
      c.b = other == &res.classical ? "classical" : other == &res.logistic ? "logistic_regression" : "majority";
      c.result = learn::compare_classifiers(res.y_test, res.quantum.predictions, other->predictions, co);
      res.comparisons.push_back(std::move(c));
    }
    // The best classical model is chosen by cross-validation on the training rows, never by the test rows.
    const double cv_rbf = res.classical.grid.best().scores.mean, cv_lr = res.logistic.grid.best().scores.mean;
    res.best_classical = cv_lr > cv_rbf ? "logistic_regression" : "classical";
    const auto& best = res.best_classical == "classical" ? res.comparisons[0] : res.comparisons[1];
    const model_report& best_model = res.best_classical == "classical" ? res.classical : res.logistic;
    if (!best.result.significant())
      res.held_out_verdict = "no_significant_difference";
    else
      res.held_out_verdict = best.result.difference > 0 ? "quantum_better" : "classical_better";

    std::string summary =
        "On " + std::to_string(res.y_test.size()) + " held-out rows the quantum kernel SVM (" +
        std::to_string(res.quantum.n_features_seen) + " features as angles) scored " +
        detail::fmt(res.quantum.test_accuracy) + " and the best classical model by cross-validation, " +
        best_model.name + " on " + best_model.features_seen + ", scored " + detail::fmt(best_model.test_accuracy) +
        " (difference " + (best.result.difference >= 0 ? "+" : "") + detail::fmt(best.result.difference) + ", 95% CI " +
        detail::fmt(best.result.ci_low) + " to " + detail::fmt(best.result.ci_high) + ", McNemar p " +
        detail::fmt_p(best.result.p_value) + "): ";
    summary += res.held_out_verdict == "quantum_better"     ? "the quantum model is better."
               : res.held_out_verdict == "classical_better" ? "the classical model is better."
                                                            : "the test cannot separate them.";
    if (res.quantum.single_class)
      summary += " The quantum model predicts a single class for every test row: it has learned nothing.";
    done("comparisons");
    if (cfg.assess) {
      begin("kernel assessment");
      res.assessment = learn::assess_kernels(res.k_classical_train, res.k_quantum_train, res.y_train);
      done("kernel assessment");
      res.assessed = true;
      const auto v = res.assessment.verdict;
      // What each verdict claims, checked against the held-out rows.
      const auto& vs_majority = res.comparisons[2].result;
      const bool learned = vs_majority.significant() && vs_majority.difference > 0;
      std::string why;
      if (v == learn::kernel_verdict::quantum_worth_trying) {
        res.verdict_agree = res.held_out_verdict == "quantum_better";
        why =
            "the assessment bounds how complex these training labels are for each kernel, which leaves room for a "
            "quantum advantage, but it does not measure accuracy on new rows; the held-out comparison does, and it "
            "shows no advantage, so act on it.";
      } else if (v == learn::kernel_verdict::quantum_unlikely_to_generalize) {
        // The claim: the quantum kernel cannot learn these labels from N rows. A quantum model that beats the
        // majority class on held-out rows refutes it.
        res.verdict_agree = !learned;
        why = "the assessment's bound sqrt(s_Q/N) is vacuous here (s_Q = " +
              detail::fmt(res.assessment.complexity_quantum, 1) + " for N = " + std::to_string(res.assessment.n) +
              ", lambda = " + detail::fmt(res.assessment.lambda, 4) +
              "): a worst-case bound that says nothing either way, while the held-out rows show that the quantum "
              "model does generalize (it beats the majority class, McNemar p " +
              detail::fmt_p(vs_majority.p_value) +
              "). Its comparison with the classical model above is what to act on.";
      } else {
        res.verdict_agree = res.held_out_verdict != "quantum_better";
        why =
            "the held-out rows favour the quantum model although the kernel geometry does not predict it; the "
            "assessment's bounds are worst-case and use the training labels only, so confirm on other data (another "
            "--seed) before relying on the advantage.";
      }
      summary += std::string(
                     " The kernel assessment (Huang et al., training rows only, against the chosen RBF "
                     "kernel) says ") +
                 learn::to_string(v) + (res.verdict_agree ? ": both agree." : ". They disagree: " + why);
    }
    res.verdict_summary = summary;
  }
  return res;
}

/// metrics.json contents for a result: everything needed to judge and reproduce the run, nothing that varies
/// between identical runs (timings go to timings_json).
[[nodiscard]] inline nlohmann::json metrics_json(const pipeline_result& r) {
  nlohmann::json comparisons = nlohmann::json::array();
  const auto display = [](const std::string& key) {
    return key == "quantum"               ? std::string("quantum")
           : key == "classical"           ? std::string("classical RBF SVM")
           : key == "logistic_regression" ? std::string("logistic regression")
                                          : std::string("majority class");
  };
  for (const auto& c : r.comparisons) {
    const auto& x = c.result;
    comparisons.push_back(
        {{"a", c.a},
         {"b", c.b},
         {"n", x.n},
         {"accuracy_a", x.accuracy_a},
         {"accuracy_b", x.accuracy_b},
         {"difference", x.difference},
         {"bootstrap_ci95", {x.ci_low, x.ci_high}},
         {"bootstrap_resamples", x.resamples},
         {"mcnemar", {{"a_only_right", x.a_only_right}, {"b_only_right", x.b_only_right}, {"p_value", x.p_value}}},
         {"significant", x.significant()},
         {"better", x.significant() ? nlohmann::json(x.difference > 0 ? c.a : c.b) : nlohmann::json(nullptr)},
         {"summary", detail::comparison_summary(c, display(c.a), display(c.b))}});
  }
  const bool binary = r.class_names.size() == 2;
  nlohmann::json m = {
      {"format_version", 2},
      {"hqml_version", "0.1.0"},
      {"dataset",
       {{"name", r.dataset_name},
        {"source", r.dataset_source},
        {"label", r.label_name},
        {"n_rows", r.y_train.size() + r.y_test.size()},
        {"n_train", r.y_train.size()},
        {"n_test", r.y_test.size()},
        {"n_features", r.raw_features},
        {"n_features_used", r.x_train.cols()},
        {"feature_names", r.feature_names},
        {"class_names", r.class_names},
        {"class_counts", r.class_counts},
        {"separator", std::string(1, r.separator)},
        {"missing_cells", r.missing_cells},
        {"imputation", r.missing_cells > 0 ? "median" : "none"},
        {"warnings", r.warnings}}},
      {"split",
       {{"seed", r.seed},
        {"test_fraction", r.test_fraction},
        {"stratified", r.dataset_source != "built-in"},
        {"train_rows", r.train_rows},
        {"test_rows", r.test_rows}}},
      {"task",
       {{"type", binary ? "binary" : "multiclass"},
        {"n_classes", r.class_names.size()},
        {"positive_label",
         binary ? nlohmann::json(r.class_names[static_cast<std::size_t>(r.positive_class)]) : nlohmann::json(nullptr)},
        {"multiclass_strategy", "one-vs-one (libsvm) for the SVMs, multinomial for logistic regression"}}},
      {"preprocessing", r.pre.describe()},
      {"feature_map", r.map.to_json()},
      {"quantum", detail::model_json(r.quantum, r.class_names)},
      {"classical", detail::model_json(r.classical, r.class_names)},
      {"baselines",
       {{"logistic_regression", detail::model_json(r.logistic, r.class_names)},
        {"majority", detail::model_json(r.majority, r.class_names)}}},
      {"comparisons", comparisons},
      {"verdict",
       {{"held_out", r.held_out_verdict},
        {"best_classical", r.best_classical},
        {"assessment", r.assessed ? nlohmann::json(learn::to_string(r.assessment.verdict)) : nlohmann::json(nullptr)},
        {"agree", r.verdict_agree},
        {"summary", r.verdict_summary}}},
      {"device", r.device},
      {"threads", r.threads},
      {"seed", r.seed}};
  // hqml serve's routes on the held-out rows (their time per row is in timings.json: it varies between runs).
  m["serving_routes"] = nlohmann::json::array();
  for (const auto& rr : r.routes)
    m["serving_routes"].push_back(
        {{"route", rr.route}, {"test_accuracy", rr.test_accuracy}, {"quantum_rows", rr.quantum_rows}});
  if (r.assessed) {
    m["assessment"] = assessment_json(r.assessment);
    m["assessment"]["targets"] =
        binary ? "+1/-1 labels" : "one-vs-rest +1/-1 labels, complexities averaged over the classes";
  }
  return m;
}

/// Stage timings of a run (timings.json; they differ between identical runs, so they are not in metrics.json).
[[nodiscard]] inline nlohmann::json timings_json(const pipeline_result& r) {
  nlohmann::json timings = nlohmann::json::array();
  for (const auto& [name, s] : r.timings) timings.push_back({{"stage", name}, {"seconds", s}});
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& rr : r.routes) routes.push_back({{"route", rr.route}, {"ms_per_row", rr.ms_per_row}});
  return {{"timings", timings}, {"serving_routes", routes}, {"threads", r.threads}, {"device", r.device}};
}

/// What a model needs beyond its maths to read new data: the CSV columns, their one-hot levels, the label.
struct model_inputs {
  std::vector<std::string> input_columns;  // CSV header names read, in order
  std::vector<std::string> feature_names;  // after one-hot encoding
  std::map<std::string, std::vector<std::string>> categories;
  std::string label_name;
  std::string positive_label;
};

/// What `hqml run` keeps beside the quantum model so that its model folder is enough to serve: the classical
/// model (hqml serve's fallback and routing) and the raw training features' mean and standard deviation
/// (missing cells left out), against which the server's drift gauges compare recent requests.
struct serving_parts {
  const classical_svm* classical = nullptr;
  Eigen::VectorXd train_mean, train_std;
};

/// Column means and (population) standard deviations of x, NaN cells left out; NaN where a column has none.
[[nodiscard]] inline std::pair<Eigen::VectorXd, Eigen::VectorXd> column_mean_std(const Eigen::MatrixXd& x) {
  Eigen::VectorXd mean(x.cols()), sd(x.cols());
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    double n = 0, m = 0, m2 = 0;  // Welford: no cancellation on large offsets
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      if (const double v = x(r, c); std::isfinite(v)) {
        n += 1;
        const double d = v - m;
        m += d / n;
        m2 += d * (v - m);
      }
    mean(c) = n > 0 ? m : std::nan("");
    sd(c) = n > 0 ? std::sqrt(m2 / n) : std::nan("");
  }
  return {mean, sd};
}

/// Saves the quantum model: feature map, kernel settings (with the trained θ of a trainable map), preprocessing,
/// the support vectors' features and the SVM, as one versioned directory written atomically; `serving` adds
/// the classical model and the training statistics.
inline void save_pipeline_model(const std::filesystem::path& dir, const feature_map_spec& map, double feature_scale,
                                const preprocessing& pre, const learn::svc& model, const Eigen::MatrixXd& x_train,
                                const std::vector<std::string>& class_names, std::span<const double> theta = {},
                                const model_inputs* inputs = nullptr, bool beside_other_files = false,
                                const serving_parts* serving = nullptr) {
  if (theta.size() != map.num_params())
    throw std::invalid_argument("save_pipeline_model: theta has " + std::to_string(theta.size()) +
                                " values; the feature map has " + std::to_string(map.num_params()) + " parameters");
  if (!std::isfinite(feature_scale) || !x_train.allFinite() || !model.rho().allFinite() ||
      !model.dual_coef().allFinite())
    throw std::runtime_error("save_pipeline_model: the fitted model holds NaN or infinite values; nothing saved");
  learn::model_writer w("hqml-quantum-kernel-svc");
  w.json()["feature_map"] = map.to_json();
  w.json()["kernel"] = {{"type", "fidelity"}, {"feature_scale", feature_scale}};
  if (!theta.empty()) w.json()["kernel"]["theta"] = std::vector<double>(theta.begin(), theta.end());
  w.json()["class_names"] = class_names;
  if (inputs) {
    w.json()["inputs"] = {{"columns", inputs->input_columns},
                          {"feature_names", inputs->feature_names},
                          {"categories", inputs->categories},
                          {"label", inputs->label_name}};
    if (!inputs->positive_label.empty()) w.json()["inputs"]["positive_label"] = inputs->positive_label;
  }
  pre.save(w);
  // Prediction needs the training samples that are support vectors only.
  std::vector<std::ptrdiff_t> sv(model.support().begin(), model.support().end());
  w.add_array("support_x", learn::take_rows(x_train, sv));
  learn::save(w, model, "svc");
  if (serving && serving->classical) serving->classical->save(w, "classical");
  if (serving && serving->train_mean.size() > 0) {
    w.json()["training_stats"] = {{"rows", x_train.rows()}};
    w.add_array("training_stats.mean", serving->train_mean);
    w.add_array("training_stats.std", serving->train_std);
  }
  w.save(dir, beside_other_files);
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
  std::optional<model_inputs> inputs;  // absent in models written before column names were stored
  std::optional<classical_svm> classical;  // kept by hqml run (absent in models of hqml train and older runs)
  Eigen::VectorXd train_mean, train_std;   // raw training features' statistics (empty where not kept)

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
      if (r.json().contains("inputs")) {
        const auto& in = r.block("inputs");
        model_inputs mi;
        mi.input_columns = in.at("columns").get<std::vector<std::string>>();
        mi.feature_names = in.at("feature_names").get<std::vector<std::string>>();
        mi.categories = in.at("categories").get<std::map<std::string, std::vector<std::string>>>();
        mi.label_name = in.at("label").get<std::string>();
        mi.positive_label = in.value("positive_label", std::string{});
        m.inputs = std::move(mi);
      }
    } catch (const nlohmann::json::exception& e) {
      throw learn::model_error(dir / "model.json", std::string("malformed block: ") + e.what());
    } catch (const std::invalid_argument& e) {
      throw learn::model_error(dir / "model.json", e.what());
    }
    if (!std::isfinite(m.feature_scale) || !(m.feature_scale > 0))
      throw learn::model_error(dir / "model.json", "kernel.feature_scale must be a positive finite number");
    if (m.theta.size() != m.map.num_params())
      throw learn::model_error(dir / "model.json", "kernel.theta has " + std::to_string(m.theta.size()) +
                                                       " values; the feature map has " +
                                                       std::to_string(m.map.num_params()) + " parameters");
    m.pre = preprocessing::load(r);
    m.support_x = r.matrix<double>("support_x");
    m.model = learn::load_svc(r, "svc");
    if (r.json().contains("classical")) m.classical = classical_svm::load(r, "classical");
    if (r.json().contains("training_stats")) {
      m.train_mean = r.vector<double>("training_stats.mean");
      m.train_std = r.vector<double>("training_stats.std");
      if (m.train_mean.size() != m.train_std.size())
        throw learn::model_error(dir / "model.json", "training_stats: mean and std differ in length");
    }
    if (m.classical && m.classical->n_features() != m.n_features())
      throw learn::model_error(dir / "model.json",
                               "the classical model reads " + std::to_string(m.classical->n_features()) +
                                   " features; the quantum model " + std::to_string(m.n_features()));
    return m;
  }
  /// How many raw feature columns a row has (after one-hot encoding): what predict() reads.
  [[nodiscard]] std::size_t n_features() const {
    if (inputs) return inputs->feature_names.size();
    return pre.identity() ? static_cast<std::size_t>(support_x.cols()) : pre.input_features();
  }
  /// How to read prediction data for this model: its columns by name, its one-hot levels, the label optional.
  [[nodiscard]] io::csv_options csv_options() const {
    io::csv_options o;
    if (!inputs) return o;
    o.features = inputs->input_columns;
    o.categories = inputs->categories;
    if (!inputs->categories.empty()) o.text = io::text_columns::one_hot;
    o.allow_missing = pre.imputes();
    o.require_label = false;
    return o;
  }
  /// The quantum kernel between raw feature rows and the support vectors.
  [[nodiscard]] Eigen::MatrixXd support_kernel(const Eigen::MatrixXd& raw, int threads = 0) const {
    if (!raw.allFinite() && !pre.imputes())
      throw std::invalid_argument(
          "the data has missing or non-finite values, and the model was trained without "
          "imputation (hqml run --na median)");
    const Eigen::MatrixXd x = pre.transform(raw);
    if (static_cast<std::size_t>(x.cols()) < map.features_read())
      throw std::invalid_argument("the data has " + std::to_string(raw.cols()) + " feature columns; the model needs " +
                                  std::to_string(map.features_read()) + " after preprocessing");
    return fidelity_kernel<double>(map.build(), feature_scale * x, feature_scale * support_x, theta,
                                   kernel_options{threads, 256});
  }
  /// Decision values and predicted class ids for raw feature rows.
  [[nodiscard]] std::pair<std::vector<int>, Eigen::MatrixXd> predict(const Eigen::MatrixXd& raw,
                                                                     int threads = 0) const {
    const Eigen::MatrixXd k = support_kernel(raw, threads);
    return {model.predict_sv(k), model.decision_function_sv(k)};
  }
};

}  // namespace hqml
