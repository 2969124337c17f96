#pragma once
// Losses of a kernel matrix K against binary targets y, with their derivative dL/dK, as objectives for training
// feature-map parameters θ (minimized):
//
// - alignment: L = −A(K, y y^T), the negative kernel-target alignment of learn/alignment.hpp (optionally centered).
//   dA/dK = Y_c / (‖K_c‖ ‖Y_c‖) − A K_c / ‖K_c‖², with K_c = H K H, Y_c = H Y H for the centered form and
//   K_c = K, Y_c = Y otherwise (H is symmetric and idempotent, so d‖HKH‖² = 2⟨HKH, dK⟩).
// - svc: qiskit-machine-learning's SVCLoss: fit a C-SVC on the precomputed K and return its dual objective at the
//   optimum, L = Σ_i |β_i| − ½ β^T K β with β_i = y_i α_i the dual coefficients. By the envelope theorem (α at
//   the optimum), dL/dK = −½ β β^T.

#include <hqml/learn/alignment.hpp>
#include <hqml/learn/svc.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

/// Binary labels as targets ±1. Accepted: labels in {−1, +1} or in {0, 1} (0 becomes −1), both classes present;
/// anything else (other values, one class only, three classes) is rejected naming `where`.
[[nodiscard]] inline Eigen::VectorXd binary_targets(std::span<const int> labels, const std::string& where) {
  if (labels.empty()) throw std::invalid_argument(where + ": labels: none given");
  bool has_minus = false, has_zero = false, has_plus = false;
  for (const int v : labels) {
    if (v == -1)
      has_minus = true;
    else if (v == 0)
      has_zero = true;
    else if (v == 1)
      has_plus = true;
    else
      throw std::invalid_argument(where + ": labels: value " + std::to_string(v) + " is not binary; use -1/+1 or 0/1");
  }
  if (has_minus && has_zero) throw std::invalid_argument(where + ": labels: -1 and 0 both occur; use -1/+1 or 0/1");
  if (!has_plus || !(has_minus || has_zero))
    throw std::invalid_argument(where + ": labels: only one class occurs; both classes are needed");
  Eigen::VectorXd y(static_cast<Eigen::Index>(labels.size()));
  for (std::size_t i = 0; i < labels.size(); ++i) y(static_cast<Eigen::Index>(i)) = labels[i] == 1 ? 1.0 : -1.0;
  return y;
}

/// A loss of the kernel matrix: value L(K, y) and, when dloss_dk is not null, dL/dK (N × N) written there.
class kernel_loss {
 public:
  using function = std::function<double(const Eigen::MatrixXd& k, const Eigen::VectorXd& y, Eigen::MatrixXd* dloss_dk)>;

  kernel_loss(std::string name, function f) : name_(std::move(name)), f_(std::move(f)) {
    if (!f_) throw std::invalid_argument("hqml::kernel_loss: empty loss function");
  }

  /// −(kernel-target alignment) between K and y y^T; `centered` uses H K H and H y y^T H.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static kernel_loss alignment(bool centered = false) {
    return kernel_loss(centered ? "centered_alignment" : "alignment",
                       [centered](const Eigen::MatrixXd& k, const Eigen::VectorXd& y, Eigen::MatrixXd* grad) {
                         const double a = learn::kernel_target_alignment(k, y, centered);
                         if (grad) {
                           Eigen::VectorXd yc = y;
                           Eigen::MatrixXd kc = k;
                           if (centered) {
                             yc.array() -= yc.mean();
                             const Eigen::VectorXd r = k.rowwise().mean();
                             const Eigen::RowVectorXd c = k.colwise().mean();
                             kc.colwise() -= r;
                             kc.rowwise() -= c;
                             kc.array() += r.mean();
                           }
                           const double kn = kc.norm(), yn = yc.squaredNorm();  // ‖y y^T‖_F = ‖y‖²
                           *grad = -(yc * yc.transpose() / (kn * yn) - (a / (kn * kn)) * kc);
                         }
                         return -a;
                       });
  }

  /// qiskit-machine-learning's SVCLoss: the dual objective Σ|β| − ½ β^T K β of a C-SVC fitted on K (libsvm's
  /// solver, stopping tolerance eps as libsvm's -e and scikit-learn's tol).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static kernel_loss svc(double c = 1.0, double eps = 1e-3) {
    if (!(c > 0)) throw std::invalid_argument("hqml::kernel_loss::svc: C must be positive");
    if (!(eps > 0)) throw std::invalid_argument("hqml::kernel_loss::svc: eps must be positive");
    return kernel_loss("svc", [c, eps](const Eigen::MatrixXd& k, const Eigen::VectorXd& y, Eigen::MatrixXd* grad) {
      // scikit-learn hands libsvm the class indices 0, 1 (sorted labels); libsvm orders classes by first
      // appearance. Passing 0/1 here makes hqml's solver see the problem exactly as scikit-learn's does.
      std::vector<int> labels(static_cast<std::size_t>(y.size()));
      for (Eigen::Index i = 0; i < y.size(); ++i) labels[static_cast<std::size_t>(i)] = y(i) > 0 ? 1 : 0;
      learn::svc_params p;
      p.C = c;
      p.eps = eps;
      p.threads = 1;
      const learn::svc m = learn::svc::fit(k, labels, p);
      Eigen::VectorXd beta = Eigen::VectorXd::Zero(k.rows());
      for (std::size_t s = 0; s < m.support().size(); ++s)
        beta(m.support()[s]) = m.dual_coef()(0, static_cast<Eigen::Index>(s));
      if (grad) *grad = -0.5 * beta * beta.transpose();
      return beta.cwiseAbs().sum() - 0.5 * beta.dot(k * beta);
    });
  }

  /// L(K, y); writes dL/dK when dloss_dk is given.
  double operator()(const Eigen::MatrixXd& k, const Eigen::VectorXd& y, Eigen::MatrixXd* dloss_dk = nullptr) const {
    if (k.rows() != k.cols() || k.rows() != y.size())
      throw std::invalid_argument("hqml::kernel_loss(" + name_ + "): K is " + std::to_string(k.rows()) + "x" +
                                  std::to_string(k.cols()) + " for " + std::to_string(y.size()) + " labels");
    return f_(k, y, dloss_dk);
  }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  function f_;
};

}  // namespace hqml
