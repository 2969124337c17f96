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
    mean_ = x.colwise().mean().transpose();
    const Eigen::MatrixXd centered = x.rowwise() - mean_.transpose();
    const Eigen::ArrayXd sd = (centered.colwise().squaredNorm().transpose().array() / static_cast<double>(x.rows())).sqrt();
    scale_ = (sd > 0).select(sd, Eigen::ArrayXd::Ones(sd.size())).matrix();
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
