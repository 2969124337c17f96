#pragma once
// Hyperparameter search of the quantum-kernel SVM: the space (C × feature scale × ZZ-map reps ×
// entanglement), the objective (stratified cross-validated accuracy, each kernel computed once for all C),
// and the three searches run at one evaluation budget (QUBO-encoded FMQA, random, grid), so a program or a
// notebook only parses data and prints.

#include <hqml/anneal/hyperparameter_search.hpp>
#include <hqml/app/pipeline.hpp>
#include <hqml/learn/cross_validation.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace hqml::app {

/// One point of the space, decoded.
struct kernel_svm_config {
  double C = 1.0;
  double feature_scale = 1.0;  // features are multiplied by it before the ZZ map
  std::size_t reps = 1;
  std::string entanglement = "linear";
};

/// The tuning problem: data, folds and the cache of kernels. Callable as an objective on the space's
/// values (C, feature_scale, reps, entanglement index), returning the mean CV accuracy.
class kernel_svm_tuning {
 public:
  static constexpr std::array<std::string_view, 3> entanglements{"linear", "full", "circular"};

  /// x: N × d features already scaled for the map (as hqml run's preprocessing leaves them), y: class ids
  /// 0..k-1; the ZZ map has `qubits` qubits and reads the first `qubits` columns.
  kernel_svm_tuning(Eigen::MatrixXd x, std::vector<int> y, std::size_t qubits, int folds, std::uint64_t seed,
                    int threads = 0)
      : x_(std::move(x)), y_(std::move(y)), qubits_(qubits), threads_(threads) {
    if (static_cast<std::size_t>(x_.rows()) != y_.size())
      throw std::invalid_argument("hqml::app::kernel_svm_tuning: " + std::to_string(x_.rows()) + " rows but " +
                                  std::to_string(y_.size()) + " labels");
    if (qubits_ < 1 || qubits_ > static_cast<std::size_t>(x_.cols()))
      throw std::invalid_argument("hqml::app::kernel_svm_tuning: " + std::to_string(qubits_) + " qubits for " +
                                  std::to_string(x_.cols()) + " feature columns");
    folds_ = learn::stratified_k_fold(y_, folds, seed);
  }

  [[nodiscard]] static const anneal::search_space& space() {
    static const anneal::search_space s({{"C", {0.1, 1.0, 10.0, 100.0}},
                                         {"feature_scale", {0.25, 0.5, 1.0, 2.0}},
                                         {"reps", {1, 2, 3}},
                                         {"entanglement", {0, 1, 2}}});
    return s;
  }
  /// The configuration a search result names.
  [[nodiscard]] static kernel_svm_config decode(const anneal::configuration& c) {
    const auto v = space().values(c);
    return {v[0], v[1], static_cast<std::size_t>(v[2]), std::string(entanglements.at(static_cast<std::size_t>(v[3])))};
  }

  /// Mean accuracy over the folds of the SVM with the configuration's values.
  double operator()(const std::vector<double>& v) {
    ++evaluations_;
    // Kernels depend on everything but C: compute each once.
    const auto key = std::make_tuple(v.at(1), v.at(2), v.at(3));
    auto it = kernels_.find(key);
    if (it == kernels_.end()) {
      feature_map_spec spec;
      spec.num_qubits = qubits_;
      spec.reps = static_cast<std::size_t>(v[2]);
      spec.entanglement = std::string(entanglements.at(static_cast<std::size_t>(v[3])));
      const Eigen::MatrixXd scaled = v[1] * x_.leftCols(static_cast<Eigen::Index>(qubits_));
      it = kernels_.emplace(key, fidelity_kernel<double>(spec.build(), scaled, {}, kernel_options{threads_, 0})).first;
    }
    learn::svc_params sp;
    sp.C = v[0];
    return learn::cross_validate_svc(it->second, y_, sp, folds_, learn::score_metric::accuracy).mean;
  }

  [[nodiscard]] std::size_t evaluations() const noexcept { return evaluations_; }
  [[nodiscard]] std::size_t kernels_computed() const noexcept { return kernels_.size(); }
  [[nodiscard]] int folds() const noexcept { return static_cast<int>(folds_.size()); }

 private:
  Eigen::MatrixXd x_;
  std::vector<int> y_;
  std::size_t qubits_;
  int threads_;
  std::vector<learn::train_test_indices> folds_;
  std::map<std::tuple<double, double, double>, Eigen::MatrixXd> kernels_;
  std::size_t evaluations_ = 0;
};

/// The three searches at one budget, on one problem (its kernel cache shared).
struct kernel_svm_tuning_result {
  anneal::search_result fmqa, random, grid;
};

[[nodiscard]] inline kernel_svm_tuning_result tune_kernel_svm(kernel_svm_tuning& problem, std::size_t budget,
                                                              std::uint64_t seed, int threads = 1) {
  const auto& space = kernel_svm_tuning::space();
  anneal::tune_options topt;
  topt.budget = budget;
  topt.seed = seed;
  topt.num_threads = threads > 0 ? threads : 1;
  kernel_svm_tuning_result r;
  r.fmqa = anneal::tune(space, problem, topt);
  r.random = anneal::random_search(space, problem, budget, seed);
  r.grid = anneal::grid_search(space, problem, budget);
  return r;
}

}  // namespace hqml::app
