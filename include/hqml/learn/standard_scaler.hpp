#pragma once
// Standardization of each feature to zero mean and unit variance (scikit-learn's StandardScaler): the
// population standard deviation (ddof = 0), and a constant feature keeps scale 1 so it maps to 0
// rather than to NaN.

#include <cmath>
#include <stdexcept>
#include <string>

#include <Eigen/Core>

namespace hqml::learn {

class standard_scaler {
 public:
  standard_scaler& fit(const Eigen::Ref<const Eigen::MatrixXd>& x) {
    if (x.rows() == 0) throw std::invalid_argument("hqml: standard_scaler::fit: no samples");
    // Sums of squares of real data can underflow (values near 1e-160 and below, denormals) or overflow (near
    // 1e154 and above): a zero or infinite deviation would turn a varying column into a constant or NaN.
    // stableNorm scales before squaring, and the mean sums x / n.
    const auto n = static_cast<double>(x.rows());
    mean_ = (x / n).colwise().sum().transpose();
    scale_.resize(x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const Eigen::VectorXd centered = x.col(j).array() - mean_(j);
      const double sd = centered.stableNorm() / std::sqrt(n);
      if (!std::isfinite(sd) || !std::isfinite(mean_(j)))
        throw std::invalid_argument("hqml: standard_scaler::fit: column " + std::to_string(j) +
                                    " spans more than the largest double; rescale it first");
      scale_(j) = sd > 0 ? sd : 1.0;
    }
    return *this;
  }

  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return ((x.rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array()).matrix();
  }
  [[nodiscard]] Eigen::MatrixXd fit_transform(const Eigen::Ref<const Eigen::MatrixXd>& x) { return fit(x).transform(x); }
  [[nodiscard]] Eigen::MatrixXd inverse_transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return (x.array().rowwise() * scale_.transpose().array()).matrix().rowwise() + mean_.transpose();
  }

  [[nodiscard]] const Eigen::VectorXd& mean() const noexcept { return mean_; }
  [[nodiscard]] const Eigen::VectorXd& scale() const noexcept { return scale_; }
  [[nodiscard]] bool fitted() const noexcept { return mean_.size() > 0; }

  [[nodiscard]] static standard_scaler from_parameters(Eigen::VectorXd mean, Eigen::VectorXd scale) {
    if (mean.size() != scale.size() || mean.size() == 0 || !(scale.array() > 0).all())
      throw std::invalid_argument("hqml: standard_scaler: inconsistent stored parameters");
    standard_scaler s;
    s.mean_ = std::move(mean);
    s.scale_ = std::move(scale);
    return s;
  }

 private:
  void check(Eigen::Index cols) const {
    if (!fitted()) throw std::logic_error("hqml: standard_scaler: not fitted");
    if (cols != mean_.size())
      throw std::invalid_argument("hqml: standard_scaler: fitted on " + std::to_string(mean_.size()) + " features, got " +
                                  std::to_string(cols));
  }
  Eigen::VectorXd mean_, scale_;
};

}  // namespace hqml::learn
