#pragma once
// Min-max scaling of each feature into [lo, hi] (scikit-learn's MinMaxScaler): x' = (x - min) s + lo with
// s = (hi - lo) / (max - min). A constant feature has no range to stretch; like scikit-learn it is mapped
// to lo instead of dividing by zero. Angle-encoding feature maps want features in a chosen interval such
// as [0, pi], which is what this is for.

#include <stdexcept>
#include <string>

#include <Eigen/Core>

namespace hqml::learn {

class min_max_scaler {
 public:
  explicit min_max_scaler(double lo = 0.0, double hi = 1.0) : lo_(lo), hi_(hi) {
    if (!(hi > lo)) throw std::invalid_argument("hqml: min_max_scaler: the range must satisfy lo < hi");
  }

  min_max_scaler& fit(const Eigen::Ref<const Eigen::MatrixXd>& x) {
    if (x.rows() == 0) throw std::invalid_argument("hqml: min_max_scaler::fit: no samples");
    data_min_ = x.colwise().minCoeff().transpose();
    data_max_ = x.colwise().maxCoeff().transpose();
    const Eigen::ArrayXd range = (data_max_ - data_min_).array();
    // A range so small (denormal) that its reciprocal overflows is treated as no range.
    const Eigen::ArrayXd stretch = (hi_ - lo_) / range;
    scale_ =
        (range > 0 && stretch.isFinite()).select(stretch, Eigen::ArrayXd::Constant(range.size(), hi_ - lo_)).matrix();
    return *this;
  }

  [[nodiscard]] Eigen::MatrixXd transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return ((x.rowwise() - data_min_.transpose()).array().rowwise() * scale_.transpose().array() + lo_).matrix();
  }
  [[nodiscard]] Eigen::MatrixXd fit_transform(const Eigen::Ref<const Eigen::MatrixXd>& x) { return fit(x).transform(x); }
  [[nodiscard]] Eigen::MatrixXd inverse_transform(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    check(x.cols());
    return (((x.array() - lo_).rowwise() / scale_.transpose().array()).matrix().rowwise() + data_min_.transpose());
  }

  [[nodiscard]] double lo() const noexcept { return lo_; }
  [[nodiscard]] double hi() const noexcept { return hi_; }
  [[nodiscard]] const Eigen::VectorXd& data_min() const noexcept { return data_min_; }
  [[nodiscard]] const Eigen::VectorXd& data_max() const noexcept { return data_max_; }
  [[nodiscard]] bool fitted() const noexcept { return data_min_.size() > 0; }

  /// Rebuilds a fitted scaler from stored parameters.
  [[nodiscard]] static min_max_scaler from_parameters(double lo, double hi, Eigen::VectorXd data_min, Eigen::VectorXd data_max) {
    if (data_min.size() != data_max.size() || data_min.size() == 0 || !(data_max.array() >= data_min.array()).all())
      throw std::invalid_argument("hqml: min_max_scaler: inconsistent stored parameters");
    min_max_scaler s(lo, hi);
    Eigen::MatrixXd two(2, data_min.size());
    two.row(0) = data_min.transpose();
    two.row(1) = data_max.transpose();
    s.fit(two);
    return s;
  }

 private:
  void check(Eigen::Index cols) const {
    if (!fitted()) throw std::logic_error("hqml: min_max_scaler: not fitted");
    if (cols != data_min_.size())
      throw std::invalid_argument("hqml: min_max_scaler: fitted on " + std::to_string(data_min_.size()) + " features, got " +
                                  std::to_string(cols));
  }
  double lo_, hi_;
  Eigen::VectorXd data_min_, data_max_, scale_;
};

}  // namespace hqml::learn
