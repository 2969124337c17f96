#pragma once
// Kernel ridge regression and classification on precomputed kernels: dual coefficients
// A = (K + lambda I)^{-1} Y, predictions K_test,train A (scikit-learn's KernelRidge with alpha = lambda).
// K + lambda I is factored by Cholesky (LLT), which is the fast path for a positive definite system;
// when that fails (lambda = 0 with a singular or slightly indefinite kernel, as rounding produces)
// the robust LDLT with pivoting takes over, and a system it cannot solve either is reported.
// Classification fits one-vs-rest targets of +1 / -1 (scikit-learn's RidgeClassifier encoding) and
// predicts the class with the largest score; a binary problem uses a single score column.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace hqml::learn {

namespace detail {

template <class = void>  // instantiated only where called (README, "Compile times")
inline Eigen::MatrixXd ridge_solve(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                   const Eigen::Ref<const Eigen::MatrixXd>& y, double lambda) {
  if (k.rows() != k.cols()) throw std::invalid_argument("hqml: kernel ridge: the kernel matrix must be square");
  if (k.rows() != y.rows())
    throw std::invalid_argument("hqml: kernel ridge: " + std::to_string(y.rows()) + " targets for " +
                                std::to_string(k.rows()) + " samples");
  if (!(lambda >= 0)) throw std::invalid_argument("hqml: kernel ridge: lambda must be >= 0");
  Eigen::MatrixXd a = k;
  a.diagonal().array() += lambda;
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (llt.info() == Eigen::Success) return llt.solve(y);
  Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
  // LDLT also "succeeds" on a singular matrix (a zero pivot); a pivot at rounding level means singular.
  const Eigen::VectorXd d = ldlt.vectorD().cwiseAbs();
  if (ldlt.info() == Eigen::Success && d.size() > 0 &&
      d.minCoeff() > static_cast<double>(d.size()) * std::numeric_limits<double>::epsilon() * d.maxCoeff())
    return ldlt.solve(y);
  throw std::runtime_error("hqml: kernel ridge: K + lambda I is singular; use a larger lambda");
}

}  // namespace detail

class kernel_ridge_regressor {
 public:
  /// Fits one or more target columns (y is n x outputs; a vector is one column).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static kernel_ridge_regressor fit(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                  const Eigen::Ref<const Eigen::MatrixXd>& y, double lambda) {
    kernel_ridge_regressor r;
    r.dual_coef_ = detail::ridge_solve(k, y, lambda);
    r.lambda_ = lambda;
    return r;
  }

  /// Predictions from the kernel between test and training samples (n_test x n_train).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd predict(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    if (k_test_train.cols() != dual_coef_.rows())
      throw std::invalid_argument("hqml: kernel ridge: kernel has " + std::to_string(k_test_train.cols()) +
                                  " columns, the model " + std::to_string(dual_coef_.rows()) + " training samples");
    return k_test_train * dual_coef_;
  }

  [[nodiscard]] const Eigen::MatrixXd& dual_coef() const noexcept { return dual_coef_; }
  [[nodiscard]] double lambda() const noexcept { return lambda_; }

 private:
  Eigen::MatrixXd dual_coef_;
  double lambda_ = 0;
};

class kernel_ridge_classifier {
 public:
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static kernel_ridge_classifier fit(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                   std::span<const int> labels, double lambda) {
    kernel_ridge_classifier c;
    c.classes_.assign(labels.begin(), labels.end());
    std::sort(c.classes_.begin(), c.classes_.end());
    c.classes_.erase(std::unique(c.classes_.begin(), c.classes_.end()), c.classes_.end());
    if (c.classes_.size() < 2) throw std::invalid_argument("hqml: kernel ridge classifier: needs two or more classes");
    const auto n = static_cast<Eigen::Index>(labels.size());
    const auto outputs = c.classes_.size() == 2 ? Eigen::Index{1} : static_cast<Eigen::Index>(c.classes_.size());
    Eigen::MatrixXd y = Eigen::MatrixXd::Constant(n, outputs, -1.0);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto cls = c.class_index(labels[static_cast<std::size_t>(i)]);
      if (outputs == 1) {
        if (cls == 1) y(i, 0) = 1.0;  // binary: +1 marks the larger label
      } else {
        y(i, cls) = 1.0;
      }
    }
    c.model_ = kernel_ridge_regressor::fit(k, y, lambda);
    return c;
  }

  /// Scores: n_test x 1 for two classes (positive favours classes()[1]), else n_test x n_classes.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd decision_function(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    return model_.predict(k_test_train);
  }

  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] std::vector<int> predict(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    const Eigen::MatrixXd s = decision_function(k_test_train);
    std::vector<int> out(static_cast<std::size_t>(s.rows()));
    for (Eigen::Index t = 0; t < s.rows(); ++t) {
      if (s.cols() == 1) {
        out[static_cast<std::size_t>(t)] = classes_[s(t, 0) > 0 ? 1 : 0];
      } else {
        Eigen::Index best = 0;
        s.row(t).maxCoeff(&best);
        out[static_cast<std::size_t>(t)] = classes_[static_cast<std::size_t>(best)];
      }
    }
    return out;
  }

  [[nodiscard]] const std::vector<int>& classes() const noexcept { return classes_; }
  [[nodiscard]] const Eigen::MatrixXd& dual_coef() const noexcept { return model_.dual_coef(); }

 private:
  Eigen::Index class_index(int label) const {
    return static_cast<Eigen::Index>(std::lower_bound(classes_.begin(), classes_.end(), label) - classes_.begin());
  }
  std::vector<int> classes_;
  kernel_ridge_regressor model_;
};

}  // namespace hqml::learn
