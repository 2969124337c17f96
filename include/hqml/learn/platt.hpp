#pragma once
// Probability outputs for SVMs, as libsvm computes them: Platt's sigmoid P(y=1|f) = 1 / (1 + exp(A f + B))
// fitted by the Newton method with backtracking of Lin, Lin & Weng (Machine Learning 68:267, 2007), and
// multiclass probabilities from pairwise ones by the second method of Wu, Lin & Weng (JMLR 5:975, 2004).
// The arithmetic follows libsvm's sigmoid_train, sigmoid_predict and multiclass_probability line by line
// so that fitted (A, B) agree with libsvm's probA/probB to rounding.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

#include <Eigen/Core>

namespace hqml::learn {

struct platt_sigmoid {
  double a = 0.0;
  double b = 0.0;
  bool converged = true;  // false when the line search failed or 100 Newton steps did not suffice
};

/// Fits (A, B) to decision values and labels (label > 0 is the positive class).
[[nodiscard]] inline platt_sigmoid platt_fit(std::span<const double> dec, std::span<const double> labels) {
  if (dec.size() != labels.size()) throw std::invalid_argument("hqml: platt_fit: decision values and labels differ in size");
  const std::size_t l = dec.size();
  double prior1 = 0, prior0 = 0;
  for (std::size_t i = 0; i < l; ++i) {
    if (labels[i] > 0) prior1 += 1;
    else prior0 += 1;
  }
  const int max_iter = 100;
  const double min_step = 1e-10;
  const double sigma = 1e-12;  // keeps the Hessian strictly positive definite
  const double eps = 1e-5;
  // Targets regularized away from 0 and 1 (Platt's prior correction) to avoid overfitting the sigmoid.
  const double hi_target = (prior1 + 1.0) / (prior1 + 2.0);
  const double lo_target = 1 / (prior0 + 2.0);
  std::vector<double> t(l);
  platt_sigmoid s;
  double a = 0.0, b = std::log((prior0 + 1.0) / (prior1 + 1.0));
  double fval = 0.0;
  for (std::size_t i = 0; i < l; ++i) {
    t[i] = labels[i] > 0 ? hi_target : lo_target;
    const double f = dec[i] * a + b;
    // Two algebraically equal forms, each stable on its side of zero.
    if (f >= 0) fval += t[i] * f + std::log(1 + std::exp(-f));
    else fval += (t[i] - 1) * f + std::log(1 + std::exp(f));
  }
  int iter = 0;
  for (; iter < max_iter; ++iter) {
    double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
    for (std::size_t i = 0; i < l; ++i) {
      const double f = dec[i] * a + b;
      double p, q;
      if (f >= 0) {
        p = std::exp(-f) / (1.0 + std::exp(-f));
        q = 1.0 / (1.0 + std::exp(-f));
      } else {
        p = 1.0 / (1.0 + std::exp(f));
        q = std::exp(f) / (1.0 + std::exp(f));
      }
      const double d2 = p * q;
      h11 += dec[i] * dec[i] * d2;
      h22 += d2;
      h21 += dec[i] * d2;
      const double d1 = t[i] - p;
      g1 += dec[i] * d1;
      g2 += d1;
    }
    if (std::fabs(g1) < eps && std::fabs(g2) < eps) break;
    const double det = h11 * h22 - h21 * h21;
    const double da = -(h22 * g1 - h21 * g2) / det;
    const double db = -(-h21 * g1 + h11 * g2) / det;
    const double gd = g1 * da + g2 * db;
    double stepsize = 1;
    while (stepsize >= min_step) {
      const double new_a = a + stepsize * da;
      const double new_b = b + stepsize * db;
      double newf = 0.0;
      for (std::size_t i = 0; i < l; ++i) {
        const double f = dec[i] * new_a + new_b;
        if (f >= 0) newf += t[i] * f + std::log(1 + std::exp(-f));
        else newf += (t[i] - 1) * f + std::log(1 + std::exp(f));
      }
      if (newf < fval + 0.0001 * stepsize * gd) {
        a = new_a;
        b = new_b;
        fval = newf;
        break;
      }
      stepsize = stepsize / 2.0;
    }
    if (stepsize < min_step) {
      s.converged = false;
      break;
    }
  }
  if (iter >= max_iter) s.converged = false;
  s.a = a;
  s.b = b;
  return s;
}

/// P(positive | decision value).
[[nodiscard]] inline double platt_predict(double dec, double a, double b) noexcept {
  const double f = dec * a + b;
  // 1 - p is used later, so avoid cancellation: pick the form whose exponent is non-positive.
  if (f >= 0) return std::exp(-f) / (1.0 + std::exp(-f));
  return 1.0 / (1 + std::exp(f));
}

/// Class probabilities from pairwise ones r(i, j) ~ P(i | i or j), r(j, i) = 1 - r(i, j).
[[nodiscard]] inline Eigen::VectorXd pairwise_coupling(const Eigen::MatrixXd& r) {
  const Eigen::Index k = r.rows();
  const int max_iter = std::max(100, static_cast<int>(k));
  Eigen::MatrixXd q(k, k);
  Eigen::VectorXd qp(k);
  Eigen::VectorXd p(k);
  const double eps = 0.005 / static_cast<double>(k);
  for (Eigen::Index t = 0; t < k; ++t) {
    p(t) = 1.0 / static_cast<double>(k);
    q(t, t) = 0;
    for (Eigen::Index j = 0; j < t; ++j) {
      q(t, t) += r(j, t) * r(j, t);
      q(t, j) = q(j, t);
    }
    for (Eigen::Index j = t + 1; j < k; ++j) {
      q(t, t) += r(j, t) * r(j, t);
      q(t, j) = -r(j, t) * r(t, j);
    }
  }
  for (int iter = 0; iter < max_iter; ++iter) {
    double pqp = 0;
    for (Eigen::Index t = 0; t < k; ++t) {
      qp(t) = 0;
      for (Eigen::Index j = 0; j < k; ++j) qp(t) += q(t, j) * p(j);
      pqp += p(t) * qp(t);
    }
    double max_error = 0;
    for (Eigen::Index t = 0; t < k; ++t) max_error = std::max(max_error, std::fabs(qp(t) - pqp));
    if (max_error < eps) break;
    for (Eigen::Index t = 0; t < k; ++t) {
      const double diff = (-qp(t) + pqp) / q(t, t);
      p(t) += diff;
      pqp = (pqp + diff * (diff * q(t, t) + 2 * qp(t))) / (1 + diff) / (1 + diff);
      for (Eigen::Index j = 0; j < k; ++j) {
        qp(j) = (qp(j) + diff * q(t, j)) / (1 + diff);
        p(j) /= (1 + diff);
      }
    }
  }
  return p;
}

}  // namespace hqml::learn
