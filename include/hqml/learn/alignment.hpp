#pragma once
// Kernel-target alignment: the cosine, in the Frobenius inner product, between a kernel matrix K and the
// ideal kernel of the labels, A = <K, Y>_F / (||K||_F ||Y||_F) (Cristianini et al., NIPS 2001), and its
// centered form with K_c = H K H, Y_c = H Y H, H = I - 11^T/N (Cortes, Mohri & Rostamizadeh, JMLR 13:795,
// 2012), which discounts the part of K that merely adds a constant. For targets y, Y = y y^T; for class
// labels, Y_ij = 1 for equal labels and -1/(k-1) otherwise, so that two classes give Y = y y^T with y = +-1.
// Both are smooth in K and cost O(N^2) without forming H K H, so they serve as objectives for training
// kernel parameters: alignment_objective() wraps a kernel callback into one.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <hqml/learn/parallel.hpp>

namespace hqml::learn {

namespace detail {

// <K, Y>_F and ||K||_F^2 for Y = sum_c u_c u_c^T given by a few columns U, optionally with K centered.
// Y_c = H Y H has columns H u_c, and <H K H, Y_c> = <K, H Y_c H> = <K, Y_c>, so only U needs centering.
template <class = void>  // instantiated only where called (README, "Compile times")
inline std::pair<double, double> alignment_terms(const Eigen::Ref<const Eigen::MatrixXd>& k, Eigen::MatrixXd u,
                                                 bool centered, double& y_norm) {
  const Eigen::Index n = k.rows();
  if (centered) u.rowwise() -= u.colwise().mean();
  const Eigen::MatrixXd uu = u.transpose() * u;
  y_norm = uu.norm();  // ||U U^T||_F = ||U^T U||_F
  const double inner = (u.transpose() * k * u).trace();
  double k_norm2 = 0;
  if (!centered) {
    k_norm2 = k.squaredNorm();
  } else {
    // ||H K H||_F^2 with (HKH)_ij = K_ij - r_i - c_j + m, summed in one pass over K.
    const Eigen::VectorXd r = k.rowwise().mean();
    const Eigen::RowVectorXd c = k.colwise().mean();
    const double m = r.mean();
    double acc = 0;
    HQML_LEARN_OMP(parallel for reduction(+ : acc) if (n > 512))
    for (Eigen::Index j = 0; j < n; ++j) {
      double col = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double v = k(i, j) - r(i) - c(j) + m;
        col += v * v;
      }
      acc += col;
    }
    k_norm2 = acc;
  }
  return {inner, k_norm2};
}

template <class = void>  // instantiated only where called (README, "Compile times")
inline double alignment_from(const Eigen::Ref<const Eigen::MatrixXd>& k, Eigen::MatrixXd u, bool centered) {
  if (k.rows() != k.cols() || k.rows() != u.rows())
    throw std::invalid_argument("hqml: kernel_target_alignment: K must be N x N with N targets");
  double y_norm = 0;
  const auto [inner, k_norm2] = alignment_terms(k, std::move(u), centered, y_norm);
  const double den = std::sqrt(k_norm2) * y_norm;
  if (!(den > 0)) throw std::domain_error("hqml: kernel_target_alignment: undefined for a zero (centered) kernel or target");
  return inner / den;
}

}  // namespace detail

/// Alignment between K and y y^T for real targets y (for two classes, y = +1 / -1).
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline double kernel_target_alignment(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                    const Eigen::VectorXd& y, bool centered = false) {
  return detail::alignment_from(k, Eigen::MatrixXd(y), centered);
}

/// Alignment between K and the ideal kernel of class labels (1 for equal labels, -1/(k-1) otherwise).
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline double kernel_target_alignment(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                    std::span<const int> labels, bool centered = false) {
  std::vector<int> classes(labels.begin(), labels.end());
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  const auto nc = static_cast<Eigen::Index>(classes.size());
  if (nc < 2) throw std::invalid_argument("hqml: kernel_target_alignment: needs two or more classes");
  // Y = a E E^T - b 11^T with one-hot E, a = k/(k-1), b = 1/(k-1): as columns, U = [sqrt(a) E, i sqrt(b) 1]
  // is not real, so the two parts are combined by linearity instead.
  const double kk = static_cast<double>(nc);
  const auto n = static_cast<Eigen::Index>(labels.size());
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(n, nc);
  for (Eigen::Index i = 0; i < n; ++i)
    e(i, std::lower_bound(classes.begin(), classes.end(), labels[static_cast<std::size_t>(i)]) - classes.begin()) = 1.0;
  if (k.rows() != k.cols() || k.rows() != n)
    throw std::invalid_argument("hqml: kernel_target_alignment: K must be N x N with N labels");
  Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(n, 1);
  if (centered) {
    e.rowwise() -= e.colwise().mean();
    ones.setZero();  // H 1 = 0
  }
  const double a = kk / (kk - 1), b = 1 / (kk - 1);
  double dummy = 0;
  const auto [inner_e, k_norm2] = detail::alignment_terms(k, e, false, dummy);
  double inner = a * inner_e;
  if (!centered) inner -= b * (ones.transpose() * k * ones)(0, 0);
  // ||Y||_F^2 = a^2 ||E^T E||^2 - 2ab ||E^T 1||^2 + b^2 n^2 (centered: only the first term, from centered E).
  const Eigen::MatrixXd ete = e.transpose() * e;
  double y_norm2 = a * a * ete.squaredNorm();
  if (!centered) {
    const Eigen::VectorXd e1 = e.transpose() * ones;
    y_norm2 += -2 * a * b * e1.squaredNorm() + b * b * static_cast<double>(n) * static_cast<double>(n);
  }
  double kn2 = k_norm2;
  if (centered) {
    double unused = 0;
    kn2 = detail::alignment_terms(k, Eigen::MatrixXd::Zero(n, 1), true, unused).second;
  }
  const double den = std::sqrt(kn2) * std::sqrt(std::max(y_norm2, 0.0));
  if (!(den > 0)) throw std::domain_error("hqml: kernel_target_alignment: undefined for a zero (centered) kernel or target");
  return inner / den;
}

/// An objective theta -> alignment(gram(theta), labels) for maximizing over kernel parameters.
template <class GramFn>
[[nodiscard]] auto alignment_objective(GramFn gram, std::vector<int> labels, bool centered = true) {
  return [gram = std::move(gram), labels = std::move(labels), centered](const auto& theta) {
    const Eigen::MatrixXd k = gram(theta);
    return kernel_target_alignment(k, std::span<const int>(labels), centered);
  };
}

}  // namespace hqml::learn
