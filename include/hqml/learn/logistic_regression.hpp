#pragma once
// L2-regularized logistic regression with scikit-learn's objective, so that a model fitted here and
// sklearn.linear_model.LogisticRegression(C=C) agree: minimize
//     C * sum_i -log p(y_i | x_i)  +  1/2 * ||W||^2      (intercepts not penalized),
// with a sigmoid on one weight vector for two classes (sklearn's binary form) and a softmax over one
// weight vector per class for more (its multinomial form). The problem is strictly convex in W, so the
// optimum is unique; it is found by Newton's method with a backtracking line search on the exact Hessian,
// to a gradient far below what changes a prediction. Used as an honest linear baseline beside the SVMs.

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

struct logistic_regression_params {
  double C = 1.0;
  int max_iterations = 200;          // Newton steps
  double gradient_tolerance = 1e-9;  // on the largest gradient entry, relative to max(1, C * n)
  /// Newton needs the (features + 1) * free classes square Hessian; past this many parameters fitting is refused.
  std::size_t max_parameters = 4096;
};

class logistic_regression {
 public:
  /// x: samples x features (use standardized features, as with sklearn); labels: any ints, two or more distinct.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static logistic_regression fit(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const int> labels,
                                               const logistic_regression_params& prm = {}) {
    const Eigen::Index n = x.rows(), d = x.cols();
    if (n == 0 || static_cast<std::size_t>(n) != labels.size())
      throw std::invalid_argument("hqml: logistic_regression::fit: x and labels must have the same, non-zero length");
    if (!(prm.C > 0) || !std::isfinite(prm.C))
      throw std::invalid_argument("hqml: logistic_regression::fit: C must be a positive finite number");
    if (!x.allFinite()) throw std::invalid_argument("hqml: logistic_regression::fit: x has a NaN or infinite value");
    logistic_regression m;
    m.classes_.assign(labels.begin(), labels.end());
    std::sort(m.classes_.begin(), m.classes_.end());
    m.classes_.erase(std::unique(m.classes_.begin(), m.classes_.end()), m.classes_.end());
    if (m.classes_.size() < 2) throw std::invalid_argument("hqml: logistic_regression::fit: needs two or more classes");
    const auto k = static_cast<Eigen::Index>(m.classes_.size());
    const Eigen::Index free = k == 2 ? 1 : k;  // binary: class 0's logit is fixed at 0
    const Eigen::Index p = free * (d + 1);
    if (static_cast<std::size_t>(p) > prm.max_parameters)
      throw std::invalid_argument("hqml: logistic_regression::fit: " + std::to_string(p) +
                                  " parameters exceed the limit of " + std::to_string(prm.max_parameters) +
                                  " (reduce the features)");
    std::vector<Eigen::Index> y(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i)
      y[static_cast<std::size_t>(i)] =
          std::lower_bound(m.classes_.begin(), m.classes_.end(), labels[static_cast<std::size_t>(i)]) -
          m.classes_.begin();

    // theta = [w_0; b_0; w_1; b_1; ...], one block of d + 1 per free class.
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(p), grad(p), step(p);
    Eigen::MatrixXd xa(n, d + 1);  // x with a column of ones for the intercept
    xa.leftCols(d) = x;
    xa.col(d).setOnes();
    const auto objective = [&](const Eigen::VectorXd& t, Eigen::MatrixXd* prob) {
      const Eigen::MatrixXd z = logits(xa, t, free, k);
      double f = 0;
      for (Eigen::Index w = 0; w < free; ++w) f += 0.5 * t.segment(w * (d + 1), d).squaredNorm();
      Eigen::MatrixXd pr(n, k);
      for (Eigen::Index i = 0; i < n; ++i) {
        const double mx = z.row(i).maxCoeff();
        const Eigen::RowVectorXd e = (z.row(i).array() - mx).exp().matrix();
        const double s = e.sum();
        pr.row(i) = e / s;
        f += prm.C * (mx + std::log(s) - z(i, y[static_cast<std::size_t>(i)]));
      }
      if (prob) *prob = std::move(pr);
      return f;
    };
    const double scale = std::max(1.0, prm.C * static_cast<double>(n));
    Eigen::MatrixXd prob;
    double f = objective(theta, &prob);
    for (int it = 0; it < prm.max_iterations; ++it) {
      // Gradient and Hessian over the free classes (offset: binary uses column 1 of prob).
      const Eigen::Index off = k == 2 ? 1 : 0;
      Eigen::MatrixXd resid = prob.rightCols(free);
      for (Eigen::Index i = 0; i < n; ++i) {
        const Eigen::Index c = y[static_cast<std::size_t>(i)] - off;
        if (c >= 0) resid(i, c) -= 1;
      }
      for (Eigen::Index w = 0; w < free; ++w) {
        grad.segment(w * (d + 1), d + 1) = prm.C * (xa.transpose() * resid.col(w));
        grad.segment(w * (d + 1), d) += theta.segment(w * (d + 1), d);
      }
      m.iterations_ = it;
      if (grad.cwiseAbs().maxCoeff() <= prm.gradient_tolerance * scale) {
        m.converged_ = true;
        break;
      }
      Eigen::MatrixXd h = Eigen::MatrixXd::Zero(p, p);
      for (Eigen::Index a = 0; a < free; ++a)
        for (Eigen::Index b = a; b < free; ++b) {
          // sum_i w_i x_i x_i^T with w_i = p_ia (delta_ab - p_ib)
          Eigen::VectorXd wts = -prob.col(a + off).cwiseProduct(prob.col(b + off));
          if (a == b) wts += prob.col(a + off);
          const Eigen::MatrixXd blk = prm.C * (xa.transpose() * (wts.asDiagonal() * xa));
          h.block(a * (d + 1), b * (d + 1), d + 1, d + 1) = blk;
          if (b != a) h.block(b * (d + 1), a * (d + 1), d + 1, d + 1) = blk.transpose();
        }
      for (Eigen::Index w = 0; w < free; ++w) {
        h.block(w * (d + 1), w * (d + 1), d, d).diagonal().array() += 1.0;
        // Softmax logits are unchanged by a shift common to every class: the intercepts get a tiny ridge
        // so the Hessian stays invertible; the predictions do not depend on that shift.
        h(w * (d + 1) + d, w * (d + 1) + d) += 1e-10 * scale;
      }
      step = -Eigen::LDLT<Eigen::MatrixXd>(h).solve(grad);
      const double slope = grad.dot(step);
      double alpha = 1;
      Eigen::MatrixXd trial_prob;
      bool moved = false;
      for (int halving = 0; halving < 60; ++halving, alpha *= 0.5) {
        const Eigen::VectorXd trial = theta + alpha * step;
        const double ft = objective(trial, &trial_prob);
        if (std::isfinite(ft) && ft <= f + 1e-4 * alpha * slope + 1e-13 * std::abs(f)) {
          theta = trial;
          f = ft;
          prob = std::move(trial_prob);
          moved = true;
          break;
        }
      }
      if (!moved) {
        m.converged_ = grad.cwiseAbs().maxCoeff() <= 1e-6 * scale;  // at rounding level: no descent left
        break;
      }
    }
    m.coef_.resize(d, free);
    m.intercept_.resize(free);
    for (Eigen::Index w = 0; w < free; ++w) {
      m.coef_.col(w) = theta.segment(w * (d + 1), d);
      m.intercept_(w) = theta(w * (d + 1) + d);
    }
    m.loss_ = f;
    return m;
  }

  /// Class probabilities, one column per class in classes() order.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd predict_proba(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    const auto k = static_cast<Eigen::Index>(classes_.size());
    Eigen::MatrixXd z(x.rows(), k);
    if (k == 2) {
      z.col(0).setZero();
      z.col(1) = (x * coef_.col(0)).array() + intercept_(0);
    } else {
      z = (x * coef_).rowwise() + intercept_.transpose();
    }
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
      const double mx = z.row(i).maxCoeff();
      z.row(i) = (z.row(i).array() - mx).exp().matrix();
      z.row(i) /= z.row(i).sum();
    }
    return z;
  }
  /// Decision values: the positive class's logit for two classes (one column), else one logit per class.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd decision_function(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return (x * coef_).rowwise() + intercept_.transpose();
  }
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] std::vector<int> predict(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    const Eigen::MatrixXd pr = predict_proba(x);
    std::vector<int> out(static_cast<std::size_t>(pr.rows()));
    for (Eigen::Index i = 0; i < pr.rows(); ++i) {
      Eigen::Index best = 0;
      pr.row(i).maxCoeff(&best);  // the first maximum on ties, as numpy's argmax
      out[static_cast<std::size_t>(i)] = classes_[static_cast<std::size_t>(best)];
    }
    return out;
  }

  [[nodiscard]] const std::vector<int>& classes() const noexcept { return classes_; }
  [[nodiscard]] const Eigen::MatrixXd& coef() const noexcept { return coef_; }  // features x (1 or classes)
  [[nodiscard]] const Eigen::VectorXd& intercept() const noexcept { return intercept_; }
  [[nodiscard]] int iterations() const noexcept { return iterations_; }
  [[nodiscard]] bool converged() const noexcept { return converged_; }
  [[nodiscard]] double loss() const noexcept { return loss_; }

 private:
  static Eigen::MatrixXd logits(const Eigen::MatrixXd& xa, const Eigen::VectorXd& t, Eigen::Index free,
                                Eigen::Index k) {
    const Eigen::Index d1 = xa.cols();
    Eigen::MatrixXd z = Eigen::MatrixXd::Zero(xa.rows(), k);
    const Eigen::Index off = k == 2 ? 1 : 0;
    for (Eigen::Index w = 0; w < free; ++w) z.col(w + off) = xa * t.segment(w * d1, d1);
    return z;
  }
  void check(Eigen::Index cols) const {
    if (classes_.empty()) throw std::logic_error("hqml: logistic_regression: not fitted");
    if (cols != coef_.rows())
      throw std::invalid_argument("hqml: logistic_regression: fitted on " + std::to_string(coef_.rows()) +
                                  " features, got " + std::to_string(cols));
  }
  std::vector<int> classes_;
  Eigen::MatrixXd coef_;
  Eigen::VectorXd intercept_;
  int iterations_ = 0;
  bool converged_ = false;
  double loss_ = 0;
};

}  // namespace hqml::learn
