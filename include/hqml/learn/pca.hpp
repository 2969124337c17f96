#pragma once
// Principal component analysis down to k components, from the thin SVD of the centered data (no N x N or
// covariance matrix is formed). JacobiSVD after its QR preconditioner: as exact as BDCSVD for the few columns
// PCA sees, and a quarter of BDCSVD's compile time in every translation unit that includes this.
// Conventions of scikit-learn's PCA: explained variance with ddof = 1, and
// each component's sign fixed so that its largest-magnitude entry is positive (SVD signs are arbitrary;
// a fixed rule makes saved models and tests reproducible).

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <Eigen/Core>
#include <Eigen/SVD>

namespace hqml::learn {

class pca {
 public:
  explicit pca(Eigen::Index components) : k_(components) {
    if (components < 1) throw std::invalid_argument("hqml: pca: needs at least one component");
  }

  template <class = void>  // instantiated only where called (README, "Compile times")
  pca& fit(const Eigen::Ref<const Eigen::MatrixXd>& x) {
    if (k_ > std::min(x.rows(), x.cols()))
      throw std::invalid_argument("hqml: pca: " + std::to_string(k_) + " components from a " + std::to_string(x.rows()) +
                                  " x " + std::to_string(x.cols()) + " data set");
    mean_ = x.colwise().mean().transpose();
    const Eigen::MatrixXd centered = x.rowwise() - mean_.transpose();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(centered, Eigen::ComputeThinV);
    components_ = svd.matrixV().leftCols(k_).transpose();
    for (Eigen::Index c = 0; c < k_; ++c) {
      Eigen::Index at = 0;
      components_.row(c).cwiseAbs().maxCoeff(&at);
      if (components_(c, at) < 0) components_.row(c) *= -1;
    }
    const double dof = std::max<double>(static_cast<double>(x.rows()) - 1, 1.0);
    const Eigen::VectorXd all = svd.singularValues().cwiseAbs2() / dof;
    explained_variance_ = all.head(k_);
    explained_variance_ratio_ = explained_variance_ / all.sum();
    return *this;
  }

  /// Scores: (x - mean) components^T, n x k.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return (x.rowwise() - mean_.transpose()) * components_.transpose();
  }
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd fit_transform(const Eigen::Ref<const Eigen::MatrixXd>& x) {
    return fit(x).transform(x);
  }
  /// Back to feature space (exact only for data in the span of the components).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd inverse_transform(const Eigen::Ref<const Eigen::MatrixXd>& z) const {
    if (components_.rows() == 0) throw std::logic_error("hqml: pca: not fitted");
    if (z.cols() != k_) throw std::invalid_argument("hqml: pca: expected " + std::to_string(k_) + " scores per row");
    return (z * components_).rowwise() + mean_.transpose();
  }

  [[nodiscard]] Eigen::Index n_components() const noexcept { return k_; }
  [[nodiscard]] const Eigen::VectorXd& mean() const noexcept { return mean_; }
  /// k x d, orthonormal rows.
  [[nodiscard]] const Eigen::MatrixXd& components() const noexcept { return components_; }
  [[nodiscard]] const Eigen::VectorXd& explained_variance() const noexcept { return explained_variance_; }
  [[nodiscard]] const Eigen::VectorXd& explained_variance_ratio() const noexcept { return explained_variance_ratio_; }

  [[nodiscard]] static pca from_parameters(Eigen::VectorXd mean, Eigen::MatrixXd components, Eigen::VectorXd variance,
                                           Eigen::VectorXd variance_ratio) {
    if (components.rows() < 1 || components.cols() != mean.size() || variance.size() != components.rows() ||
        variance_ratio.size() != components.rows())
      throw std::invalid_argument("hqml: pca: inconsistent stored parameters");
    pca p(components.rows());
    p.mean_ = std::move(mean);
    p.components_ = std::move(components);
    p.explained_variance_ = std::move(variance);
    p.explained_variance_ratio_ = std::move(variance_ratio);
    return p;
  }

 private:
  void check(Eigen::Index cols) const {
    if (components_.rows() == 0) throw std::logic_error("hqml: pca: not fitted");
    if (cols != mean_.size())
      throw std::invalid_argument("hqml: pca: fitted on " + std::to_string(mean_.size()) + " features, got " + std::to_string(cols));
  }
  Eigen::Index k_;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd components_;
  Eigen::VectorXd explained_variance_, explained_variance_ratio_;
};

}  // namespace hqml::learn
