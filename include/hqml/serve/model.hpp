#pragma once
// A model as hqml serve holds it: the quantum-kernel SVM of a model folder and the classical model kept beside it
// by `hqml run` (or read from another folder), each turning raw feature rows into calibrated class probabilities.
// The support vectors' states are computed once when the model loads, so scoring a batch of rows costs one
// feature-map run over those rows and one Gram product against the stored states.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <hqml/app/model_dir.hpp>
#include <hqml/app/pipeline.hpp>
#include <hqml/batched.hpp>
#include <hqml/quantum_kernel.hpp>
#include <hqml/serve/request.hpp>
#include <hqml/serve/route.hpp>  // class_scores

namespace hqml::serve {

/// An SVC's calibrated probabilities in class-id order (its own columns follow classes(), which need not) and
/// its one-vs-one votes: the label `hqml predict` and the run's metrics give.
[[nodiscard]] inline class_scores svc_scores(const learn::svc& m, const Eigen::MatrixXd& k_sv, std::size_t n_classes) {
  return {proba_in_class_order(m, m.predict_proba_sv(k_sv), n_classes), m.predict_sv(k_sv)};
}

class served_model {
 public:
  /// The quantum kernel between feature rows (preprocessed and scaled) and the support vectors on another
  /// backend (the program's --device gpu); empty: the CPU, with the support states kept from load.
  using kernel_fn = std::function<Eigen::MatrixXd(const circuit& feature_map, const Eigen::MatrixXd& x,
                                                  const Eigen::MatrixXd& support, std::span<const double> theta)>;

  /// Loads `dir` (a model folder of hqml run or hqml train); the classical model from `classical_dir` when
  /// given (a model folder holding one, such as another run's), otherwise the one `dir` holds, if any.
  static std::shared_ptr<const served_model> load(const std::filesystem::path& dir,
                                                  const std::filesystem::path& classical_dir = {}, int threads = 0,
                                                  kernel_fn device_kernel = {}) {
    auto m = std::shared_ptr<served_model>(new served_model);
    m->dir_ = dir;
    m->quantum_ = pipeline_model::load(dir);
    if (!classical_dir.empty()) {
      pipeline_model other = pipeline_model::load(classical_dir);
      if (!other.classical)
        throw learn::model_error(classical_dir / "model.json",
                                 "holds no classical model (hqml run keeps one; hqml train does not)");
      if (other.class_names != m->quantum_.class_names)
        throw learn::model_error(classical_dir / "model.json", "its classes differ from those of " + dir.string());
      if (other.n_features() != m->quantum_.n_features())
        throw learn::model_error(classical_dir / "model.json", "reads " + std::to_string(other.n_features()) +
                                                                   " features; " + dir.string() + " reads " +
                                                                   std::to_string(m->quantum_.n_features()));
      m->quantum_.classical = std::move(other.classical);
    }
    m->version_ = version_of(dir, classical_dir);
    if (m->quantum_.classical && !m->quantum_.classical->model.has_probability())
      throw learn::model_error(dir / "model.json", "the classical model has no probability calibration");
    if (!m->quantum_.model.has_probability())
      throw learn::model_error(dir / "model.json",
                               "the quantum model has no probability calibration (models of hqml run have one)");
    m->threads_ = threads;
    m->feature_map_ = m->quantum_.map.build();
    m->device_kernel_ = std::move(device_kernel);
    m->support_scaled_ = m->quantum_.feature_scale * m->quantum_.support_x;
    if (!m->device_kernel_)
      m->support_states_ = batched_states<double>(m->feature_map_, m->support_scaled_, m->quantum_.theta, threads);
    if (m->quantum_.inputs) {
      m->feature_names_ = m->quantum_.inputs->feature_names;
    } else {
      for (std::size_t i = 0; i < m->quantum_.n_features(); ++i) m->feature_names_.push_back("x" + std::to_string(i));
    }
    return m;
  }

  /// "<8 hex digits>": the CRC-32 of model.json, which records every array's checksum, so any change to the
  /// model (or to the classical model's folder) gives another version.
  [[nodiscard]] const std::string& version() const noexcept { return version_; }
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }
  [[nodiscard]] std::size_t n_features() const { return quantum_.n_features(); }
  [[nodiscard]] const std::vector<std::string>& feature_names() const noexcept { return feature_names_; }
  [[nodiscard]] const std::vector<std::string>& class_names() const noexcept { return quantum_.class_names; }
  [[nodiscard]] std::size_t n_classes() const noexcept { return quantum_.class_names.size(); }
  [[nodiscard]] bool has_classical() const noexcept { return quantum_.classical.has_value(); }
  /// Whether a missing value (JSON null) may be sent: the quantum model imputes (and the classical one, if any).
  [[nodiscard]] bool imputes() const noexcept {
    return quantum_.pre.imputes() && (!quantum_.classical || quantum_.classical->imputer.fitted());
  }
  [[nodiscard]] const Eigen::VectorXd& train_mean() const noexcept { return quantum_.train_mean; }
  [[nodiscard]] const Eigen::VectorXd& train_std() const noexcept { return quantum_.train_std; }
  [[nodiscard]] const pipeline_model& pipeline() const noexcept { return quantum_; }

  /// A request's rows as each model reads them, preprocessed once (served_model::prepare).
  struct prepared_rows {
    Eigen::MatrixXd quantum;    // preprocessed and multiplied by the feature scale: the feature map's angles
    Eigen::MatrixXd classical;  // imputed where the classical model imputes, standardized; empty without one
  };

  /// Preprocesses raw rows for both models, once per request: quantum_scaled() and classical_scaled() score the
  /// result (or rows taken from it). Refuses (request_error 400, naming the first such row, the quantum
  /// model's before the classical one's) rows whose values the preprocessing turns into infinities or NaN
  /// (1e308 standardized overflows): a client's input must not count as a quantum failure.
  [[nodiscard]] prepared_rows prepare(const Eigen::MatrixXd& raw) const {
    // The classical model's RBF kernel reads squared distances: a row whose squared norm overflows (1.7e308 where
    // the scaler leaves values as they are) would give inf - inf there, so it is refused here too.
    const auto bad_row = [](const Eigen::MatrixXd& z, bool norm) -> Eigen::Index {
      for (Eigen::Index r = 0; r < z.rows(); ++r)
        if (!z.row(r).allFinite() || (norm && !std::isfinite(z.row(r).squaredNorm()))) return r;
      return -1;
    };
    prepared_rows p;
    p.quantum = quantum_input(raw);
    Eigen::Index r = bad_row(p.quantum, false);
    if (r < 0 && quantum_.classical) {
      p.classical = classical_input(raw);
      r = bad_row(p.classical, true);
    }
    if (r >= 0)
      throw request_error(400, "row " + std::to_string(r) +
                                   ": values too large for the model's scaling (they become infinite); send values "
                                   "of the training data's magnitude");
    return p;
  }
  /// prepare()'s refusal alone.
  void check_rows(const Eigen::MatrixXd& raw) const { (void)prepare(raw); }

  /// The quantum model's scores of prepared rows (prepared_rows::quantum, or rows of it): one feature-map run
  /// over the rows, one Gram product against the support states. Throws when anything fails, non-finite
  /// results included (the caller falls back).
  [[nodiscard]] class_scores quantum_scaled(const Eigen::MatrixXd& x) const {
    if (x.cols() != support_scaled_.cols())
      throw std::invalid_argument("the quantum model reads " + std::to_string(support_scaled_.cols()) +
                                  " prepared columns; got " + std::to_string(x.cols()));
    if (!x.allFinite()) throw std::invalid_argument("the prepared rows are not finite");
    Eigen::MatrixXd k;
    if (device_kernel_) {
      k = device_kernel_(feature_map_, x, support_scaled_, quantum_.theta);
    } else {
      const auto states = batched_states<double>(feature_map_, x, quantum_.theta, threads_);
      k = fidelity_kernel<double>(states, support_states_, kernel_options{threads_, 0});
    }
    class_scores s = svc_scores(quantum_.model, k, n_classes());
    if (!s.proba.allFinite()) throw std::runtime_error("the quantum model gave non-finite probabilities");
    return s;
  }

  /// The classical model's scores of prepared rows (prepared_rows::classical, or rows of it); std::logic_error
  /// when the model has none.
  [[nodiscard]] class_scores classical_scaled(const Eigen::MatrixXd& z) const {
    if (!quantum_.classical) throw std::logic_error("no classical model is loaded");
    const auto& c = *quantum_.classical;
    if (z.cols() != c.support_z.cols())
      throw std::invalid_argument("the classical model reads " + std::to_string(c.support_z.cols()) +
                                  " prepared columns; got " + std::to_string(z.cols()));
    class_scores s = svc_scores(c.model, rbf_kernel(z, c.support_z, c.gamma), n_classes());
    if (!s.proba.allFinite()) throw std::runtime_error("the classical model gave non-finite probabilities");
    return s;
  }

  /// The quantum model's scores of raw rows (preprocessed here: a request scores prepare()'s rows instead).
  [[nodiscard]] class_scores quantum(const Eigen::MatrixXd& raw) const {
    if (!raw.allFinite() && !quantum_.pre.imputes())
      throw std::invalid_argument("the rows have missing values; the model was trained without imputation");
    return quantum_scaled(quantum_input(raw));
  }

  /// The classical model's scores of raw rows (std::logic_error when the model has none).
  [[nodiscard]] class_scores classical(const Eigen::MatrixXd& raw) const {
    if (!quantum_.classical) throw std::logic_error("no classical model is loaded");
    class_scores s = svc_scores(quantum_.classical->model, quantum_.classical->support_kernel(raw), n_classes());
    if (!s.proba.allFinite()) throw std::runtime_error("the classical model gave non-finite probabilities");
    return s;
  }

 private:
  served_model() = default;

  // The feature map's angles of raw rows, and the classical model's standardized rows as its support_kernel
  // computes them: what prepare() and the raw-row scorers read.
  [[nodiscard]] Eigen::MatrixXd quantum_input(const Eigen::MatrixXd& raw) const {
    return quantum_.feature_scale * quantum_.pre.transform(raw);
  }
  [[nodiscard]] Eigen::MatrixXd classical_input(const Eigen::MatrixXd& raw) const {
    const auto& c = *quantum_.classical;
    return c.scaler.transform(c.imputer.fitted() ? c.imputer.transform(raw) : raw);
  }

  static std::string version_of(const std::filesystem::path& dir, const std::filesystem::path& classical_dir) {
    const std::string a = learn::detail::read_bytes(dir / "model.json");
    std::uint32_t crc = learn::detail::crc32(a.data(), a.size());
    if (!classical_dir.empty()) {
      const std::string b = learn::detail::read_bytes(classical_dir / "model.json");
      crc = learn::detail::crc32(b.data(), b.size(), crc);
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc));
    return hex;
  }

  std::filesystem::path dir_;
  pipeline_model quantum_;
  std::string version_;
  std::vector<std::string> feature_names_;
  circuit feature_map_;
  Eigen::MatrixXd support_scaled_;
  state_matrix<double> support_states_;
  kernel_fn device_kernel_;
  int threads_ = 0;
};

}  // namespace hqml::serve
