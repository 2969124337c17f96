#pragma once
// Quantum-versus-classical kernel assessment of Huang et al., "Power of data in quantum machine
// learning", Nat. Commun. 12:2631 (2021), arXiv:2011.01938:
//  - kernels are compared after normalizing to trace K = N;
//  - geometric difference g(K_C||K_Q) = sqrt(|| sqrt(K_Q) K_C^{-1} sqrt(K_Q) ||_2) (spectral norm), and
//    its regularized form g_lambda = sqrt(|| sqrt(K_Q) sqrt(K_C) (K_C + lambda I)^{-2} sqrt(K_C) sqrt(K_Q) ||_2);
//    for any labels, s_C <= g^2 s_Q, so a small g means the classical kernel is as good for every task;
//  - model complexity s_K(y) = y^T K^{-1} y, regularized s_lambda = y^T (K + lambda I)^{-1} K (K + lambda I)^{-1} y
//    (Supplementary Eq. F1); the prediction error bound scales as sqrt(s/N);
//  - approximate dimension d = sum_{k=1}^{N} 1/(N - k + 1) sum_{l=k}^{N} t_l, t_1 >= ... >= t_N the
//    eigenvalues of the normalized K (Supplementary Eq. S111; written with 0-based k as 1/(N - k) in
//    QuASK's calculate_approximate_dimension, which we follow). d = N for K = I, d = 1 for rank one.
// Since || sqrt(K_Q) A sqrt(K_Q) ||_2 = lambda_max(A^{1/2} K_Q A^{1/2}) for positive semidefinite A, g is
// computed from one eigendecomposition of K_C and one of an N x N product, without sqrt(K_Q).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

namespace hqml::learn {

/// K scaled so that trace K = N.
[[nodiscard]] inline Eigen::MatrixXd normalize_trace(const Eigen::Ref<const Eigen::MatrixXd>& k) {
  const double tr = k.trace();
  if (!(tr > 0)) throw std::domain_error("hqml: normalize_trace: the kernel's trace is not positive");
  return k * (static_cast<double>(k.rows()) / tr);
}

/// The symmetric square root of a positive semidefinite matrix; eigenvalues below zero (rounding) count as zero.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline Eigen::MatrixXd psd_sqrt(const Eigen::Ref<const Eigen::MatrixXd>& k) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(k);
  if (es.info() != Eigen::Success) throw std::runtime_error("hqml: psd_sqrt: eigendecomposition failed");
  return es.eigenvectors() * es.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal() * es.eigenvectors().transpose();
}

namespace detail {

inline void check_pair(const Eigen::Ref<const Eigen::MatrixXd>& kc, const Eigen::Ref<const Eigen::MatrixXd>& kq) {
  if (kc.rows() != kc.cols() || kq.rows() != kq.cols() || kc.rows() != kq.rows() || kc.rows() == 0)
    throw std::invalid_argument("hqml: geometric_difference: kernels must be square and of equal size");
}

// Huang et al.'s approximate dimension from the eigenvalues of a trace-N kernel.
inline double dimension_from_eigenvalues(const Eigen::VectorXd& ev) {
  std::vector<double> t(ev.data(), ev.data() + ev.size());
  std::sort(t.begin(), t.end(), std::greater<>());
  const auto n = t.size();
  // Suffix sums: tail[k] = sum_{l >= k} t_l (0-based), weighted by 1/(N - k).
  double d = 0, tail = 0;
  std::vector<double> tails(n);
  for (std::size_t i = n; i-- > 0;) {
    tail += t[i];
    tails[i] = tail;
  }
  for (std::size_t i = 0; i < n; ++i) d += tails[i] / static_cast<double>(n - i);
  return d;
}

}  // namespace detail

/// g(K_C||K_Q); lambda > 0 gives the regularized g_lambda, lambda = 0 the exact form, which needs K_C
/// to be numerically nonsingular (std::domain_error otherwise: use lambda > 0).
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline double geometric_difference(const Eigen::Ref<const Eigen::MatrixXd>& kc,
                                                 const Eigen::Ref<const Eigen::MatrixXd>& kq, double lambda = 0.0) {
  detail::check_pair(kc, kq);
  if (!(lambda >= 0)) throw std::invalid_argument("hqml: geometric_difference: lambda must be >= 0");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(kc);
  if (es.info() != Eigen::Success) throw std::runtime_error("hqml: geometric_difference: eigendecomposition failed");
  const Eigen::VectorXd c = es.eigenvalues().cwiseMax(0.0);
  Eigen::VectorXd d(c.size());  // A = V diag(d^2) V^T with A = K_C^{-1}, or sqrt(K_C)(K_C + lambda I)^{-2} sqrt(K_C)
  if (lambda == 0) {
    const double floor = c.maxCoeff() * static_cast<double>(c.size()) * std::numeric_limits<double>::epsilon();
    if (!(c.minCoeff() > floor))
      throw std::domain_error("hqml: geometric_difference: K_C is singular to working precision; use lambda > 0");
    d = c.cwiseSqrt().cwiseInverse();
  } else {
    d = c.cwiseSqrt().cwiseQuotient((c.array() + lambda).matrix());
  }
  const Eigen::MatrixXd b = d.asDiagonal() * (es.eigenvectors().transpose() * kq * es.eigenvectors()) * d.asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eb(b, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(eb.eigenvalues().maxCoeff(), 0.0));
}

/// s_K(y) = y^T K^{-1} y (lambda = 0; needs K nonsingular) or its regularized form (lambda > 0).
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline double model_complexity(const Eigen::Ref<const Eigen::MatrixXd>& k, const Eigen::VectorXd& y,
                                             double lambda = 0.0) {
  if (k.rows() != k.cols() || k.rows() != y.size())
    throw std::invalid_argument("hqml: model_complexity: K must be N x N with N targets");
  if (!(lambda >= 0)) throw std::invalid_argument("hqml: model_complexity: lambda must be >= 0");
  if (lambda == 0) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(k);
    const Eigen::VectorXd t = es.eigenvalues();
    const double floor =
        t.cwiseAbs().maxCoeff() * static_cast<double>(t.size()) * std::numeric_limits<double>::epsilon();
    if (!(t.minCoeff() > floor))
      throw std::domain_error("hqml: model_complexity: K is singular to working precision; use lambda > 0");
    const Eigen::VectorXd z = es.eigenvectors().transpose() * y;
    return z.cwiseAbs2().cwiseQuotient(t).sum();
  }
  Eigen::MatrixXd a = k;
  a.diagonal().array() += lambda;
  const Eigen::VectorXd z = Eigen::LDLT<Eigen::MatrixXd>(a).solve(y);
  return z.dot(k * z);
}

/// The approximate dimension d of Huang et al. (see the top of this file) of the trace-normalized K.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline double approximate_dimension(const Eigen::Ref<const Eigen::MatrixXd>& k) {
  if (k.rows() != k.cols() || k.rows() == 0)
    throw std::invalid_argument("hqml: approximate_dimension: K must be square");
  const Eigen::MatrixXd kn = normalize_trace(k);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(kn, Eigen::EigenvaluesOnly);
  return detail::dimension_from_eigenvalues(es.eigenvalues());
}

enum class kernel_verdict { classical_suffices, quantum_worth_trying, quantum_unlikely_to_generalize };

[[nodiscard]] inline const char* to_string(kernel_verdict v) noexcept {
  switch (v) {
    case kernel_verdict::classical_suffices:
      return "classical_suffices";
    case kernel_verdict::quantum_worth_trying:
      return "quantum_worth_trying";
    case kernel_verdict::quantum_unlikely_to_generalize:
      return "quantum_unlikely_to_generalize";
  }
  return "?";
}

struct assessment_options {
  double lambda = 1e-3;             // regularization of g and s, on the trace-N scale
  double advantage_ratio = 2.0;     // how much larger s_C (and so g^2) must be than s_Q to call it an advantage
  double learnable_fraction = 0.5;  // s_Q at or above this fraction of N leaves the error bound sqrt(s_Q/N) vacuous
};

/// The numbers behind a recommendation and the recommendation itself.
struct kernel_assessment {
  std::size_t n = 0;
  double lambda = 0;
  double geometric_difference = 0;  // g_lambda(K_C || K_Q), normalized kernels
  double complexity_classical = 0;  // s_lambda(K_C, y)
  double complexity_quantum = 0;    // s_lambda(K_Q, y)
  double dimension_classical = 0;   // approximate dimension of K_C
  double dimension_quantum = 0;     // approximate dimension of K_Q
  kernel_verdict verdict = kernel_verdict::classical_suffices;
  std::string explanation;
  [[nodiscard]] bool quantum_worth_trying() const noexcept { return verdict == kernel_verdict::quantum_worth_trying; }
};

namespace detail {

// s_lambda(K, y) from K's eigenpairs (values t, vectors v): y^T (K + lambda)^-1 K (K + lambda)^-1 y, or y^T K^-1 y.
inline double complexity_from_eigen(const Eigen::VectorXd& t, const Eigen::MatrixXd& v, const Eigen::VectorXd& y,
                                    double lambda) {
  const Eigen::VectorXd z = v.transpose() * y;
  if (lambda == 0) {
    const double floor =
        t.cwiseAbs().maxCoeff() * static_cast<double>(t.size()) * std::numeric_limits<double>::epsilon();
    if (!(t.minCoeff() > floor))
      throw std::domain_error("hqml: model_complexity: K is singular to working precision; use lambda > 0");
    return z.cwiseAbs2().cwiseQuotient(t).sum();
  }
  const Eigen::ArrayXd tc = t.array().max(0.0);
  return (z.array().square() * tc / (tc + lambda).square()).sum();
}

}  // namespace detail

/// Huang et al.'s flowchart (their Fig. 1) on one classical and one quantum kernel and targets y (one column per
/// task: a binary problem has one column of +1/-1, a multiclass one a one-vs-rest column per class, whose
/// complexities are averaged):
///  1. g^2 < advantage_ratio: for every labelling s_C <= g^2 s_Q, so the classical kernel suffices.
///  2. s_Q >= learnable_fraction * N: the quantum model's error bound sqrt(s_Q/N) is vacuous, it cannot
///     learn these labels from N samples (typically d_Q close to N: a kernel near the identity; a smaller
///     feature scale or fewer repetitions of the map move it away from the identity).
///  3. s_C >= advantage_ratio * s_Q: the labels are simpler for the quantum kernel; worth trying.
///  4. otherwise the classical kernel suffices for these labels.
/// Cost (lambda > 0): two Cholesky factorizations, the eigenvalues (no vectors) of both kernels, and a power
/// iteration of matrix-vector products for g.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline kernel_assessment assess_kernels(const Eigen::Ref<const Eigen::MatrixXd>& k_classical,
                                                      const Eigen::Ref<const Eigen::MatrixXd>& k_quantum,
                                                      const Eigen::MatrixXd& y, const assessment_options& opt = {}) {
  detail::check_pair(k_classical, k_quantum);
  if (y.rows() != k_classical.rows() || y.cols() == 0)
    throw std::invalid_argument("hqml: assess_kernels: the targets must have one row per sample");
  if (!(opt.lambda >= 0)) throw std::invalid_argument("hqml: assess_kernels: lambda must be >= 0");
  const Eigen::MatrixXd kc = normalize_trace(k_classical), kq = normalize_trace(k_quantum);
  kernel_assessment a;
  a.n = static_cast<std::size_t>(kc.rows());
  a.lambda = opt.lambda;
  if (opt.lambda > 0) {
    // The regularized form needs no eigenvectors: s from one Cholesky factorization per kernel, g^2 as the
    // largest eigenvalue of A K_Q with A = K_C (K_C + lambda)^-2 (similar to sqrt(K_Q) A sqrt(K_Q), so real and
    // non-negative) by power iteration, and d from eigenvalues alone: a third of the eigendecompositions' cost.
    Eigen::MatrixXd shifted = kc;
    shifted.diagonal().array() += opt.lambda;
    const Eigen::LLT<Eigen::MatrixXd> lc(shifted);
    shifted = kq;
    shifted.diagonal().array() += opt.lambda;
    const Eigen::LLT<Eigen::MatrixXd> lq(shifted);
    if (lc.info() != Eigen::Success || lq.info() != Eigen::Success)
      throw std::runtime_error(
          "hqml: assess_kernels: a regularized kernel is not positive definite (is K symmetric PSD?)");
    const Eigen::MatrixXd zc = lc.solve(y), zq = lq.solve(y);
    a.complexity_classical = (zc.array() * (kc * zc).array()).sum() / static_cast<double>(y.cols());
    a.complexity_quantum = (zq.array() * (kq * zq).array()).sum() / static_cast<double>(y.cols());
    // Power iteration on v -> A K_Q v, with the Rayleigh quotient in K_Q's inner product (A K_Q is self-adjoint
    // there), from a fixed start: deterministic.
    Eigen::VectorXd v = Eigen::VectorXd::Ones(kc.rows()), kv, w;
    double rho = 0;
    for (int it = 0; it < 1000; ++it) {
      kv = kq * v;
      w = kc * lc.solve(lc.solve(kv));
      const double den = v.dot(kv);
      if (!(den > 0)) break;  // v in K_Q's null space: nothing left to grow
      const double next = kv.dot(w) / den;
      const double norm = w.norm();
      if (!(norm > 0)) break;
      v = w / norm;
      const bool settled = it > 2 && std::abs(next - rho) <= 1e-11 * std::abs(next);
      rho = next;
      if (settled) break;
    }
    a.geometric_difference = std::sqrt(std::max(rho, 0.0));
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ec(kc, Eigen::EigenvaluesOnly), eq(kq, Eigen::EigenvaluesOnly);
    if (ec.info() != Eigen::Success || eq.info() != Eigen::Success)
      throw std::runtime_error("hqml: assess_kernels: eigenvalues of a kernel failed to converge");
    a.dimension_classical = detail::dimension_from_eigenvalues(ec.eigenvalues());
    a.dimension_quantum = detail::dimension_from_eigenvalues(eq.eigenvalues());
  } else {
    // lambda = 0: the exact forms, which need K_C's eigenpairs for K_C^-1/2.
    a.geometric_difference = geometric_difference(kc, kq, 0.0);
    for (const auto* kk : {&kc, &kq}) {
      const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e(*kk);
      if (e.info() != Eigen::Success) throw std::runtime_error("hqml: assess_kernels: eigendecomposition failed");
      double sum = 0;
      for (Eigen::Index j = 0; j < y.cols(); ++j)
        sum += detail::complexity_from_eigen(e.eigenvalues(), e.eigenvectors(), y.col(j), 0.0);
      (kk == &kc ? a.complexity_classical : a.complexity_quantum) = sum / static_cast<double>(y.cols());
      (kk == &kc ? a.dimension_classical : a.dimension_quantum) = detail::dimension_from_eigenvalues(e.eigenvalues());
    }
  }
  const double n = static_cast<double>(a.n), g2 = a.geometric_difference * a.geometric_difference;
  std::ostringstream why;
  why.precision(4);
  why << "N = " << a.n << ", lambda = " << a.lambda << ": g(K_C||K_Q) = " << a.geometric_difference << " (g^2 = " << g2
      << "), s_C = " << a.complexity_classical << ", s_Q = " << a.complexity_quantum
      << ", d_C = " << a.dimension_classical << ", d_Q = " << a.dimension_quantum << ". ";
  if (g2 < opt.advantage_ratio) {
    a.verdict = kernel_verdict::classical_suffices;
    why << "g^2 is below " << opt.advantage_ratio
        << ": for any labels the classical kernel needs at most g^2 times the quantum kernel's complexity, "
           "so the classical kernel suffices.";
  } else if (a.complexity_quantum >= opt.learnable_fraction * n) {
    a.verdict = kernel_verdict::quantum_unlikely_to_generalize;
    why << "s_Q >= " << opt.learnable_fraction << " N: the quantum kernel cannot learn these labels from " << a.n
        << " samples (its error bound sqrt(s_Q/N) is close to 1)";
    if (a.dimension_quantum > 0.5 * n)
      why << "; its approximate dimension is close to N, i.e. the kernel is near the identity";
    why << ". A smaller feature scale or fewer feature-map repetitions move the kernel away from the identity.";
  } else if (a.complexity_classical >= opt.advantage_ratio * a.complexity_quantum) {
    a.verdict = kernel_verdict::quantum_worth_trying;
    why << "g is large and s_C is " << a.complexity_classical / a.complexity_quantum
        << " times s_Q: these labels are simpler for the quantum kernel, which is worth trying.";
  } else {
    a.verdict = kernel_verdict::classical_suffices;
    why << "g leaves room for an advantage on some labels, but on these s_C / s_Q = "
        << a.complexity_classical / a.complexity_quantum << " < " << opt.advantage_ratio
        << ", so the classical kernel suffices for this task.";
  }
  a.explanation = why.str();
  return a;
}

/// Targets for class labels: one column of +1 (the greater class) / -1 for two classes, one one-vs-rest +1/-1
/// column per class for more.
[[nodiscard]] inline Eigen::MatrixXd class_targets(std::span<const int> labels) {
  std::vector<int> classes(labels.begin(), labels.end());
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  if (classes.size() < 2) throw std::invalid_argument("hqml: class_targets: the labels hold fewer than two classes");
  const bool binary = classes.size() == 2;
  Eigen::MatrixXd y(static_cast<Eigen::Index>(labels.size()), binary ? 1 : static_cast<Eigen::Index>(classes.size()));
  for (std::size_t i = 0; i < labels.size(); ++i)
    for (Eigen::Index j = 0; j < y.cols(); ++j)
      y(static_cast<Eigen::Index>(i), j) = labels[i] == classes[static_cast<std::size_t>(binary ? 1 : j)] ? 1.0 : -1.0;
  return y;
}

/// The same with class labels: +1/-1 targets for two classes, one-vs-rest targets averaged for more.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline kernel_assessment assess_kernels(const Eigen::Ref<const Eigen::MatrixXd>& k_classical,
                                                      const Eigen::Ref<const Eigen::MatrixXd>& k_quantum,
                                                      std::span<const int> labels, const assessment_options& opt = {}) {
  return assess_kernels(k_classical, k_quantum, class_targets(labels), opt);
}

/// One target vector (kept for callers with real-valued targets).
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline kernel_assessment assess_kernels(const Eigen::Ref<const Eigen::MatrixXd>& k_classical,
                                                      const Eigen::Ref<const Eigen::MatrixXd>& k_quantum,
                                                      const Eigen::VectorXd& y, const assessment_options& opt = {}) {
  return assess_kernels(k_classical, k_quantum, Eigen::MatrixXd(y), opt);
}

}  // namespace hqml::learn
