#pragma once
// Seeded synthetic data for the learning tests: Gaussian blobs and their RBF kernels.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <Eigen/Core>

namespace hqml_test {

struct blobs {
  Eigen::MatrixXd x;        // n x d
  std::vector<int> labels;  // class label per row
};

// Points around one centre per class, centres `spread` apart, unit noise: overlapping classes, so that
// the SVM has bounded and free support vectors alike.
inline blobs make_blobs(int n, int d, const std::vector<int>& class_labels, double spread, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const auto k = static_cast<int>(class_labels.size());
  Eigen::MatrixXd centres(k, d);
  for (int c = 0; c < k; ++c)
    for (int j = 0; j < d; ++j) centres(c, j) = spread * normal(rng);
  blobs b;
  b.x.resize(n, d);
  std::uniform_int_distribution<int> pick(0, k - 1);
  for (int i = 0; i < n; ++i) {
    const int c = pick(rng);
    b.labels.push_back(class_labels[static_cast<std::size_t>(c)]);
    for (int j = 0; j < d; ++j) b.x(i, j) = centres(c, j) + normal(rng);
  }
  return b;
}

inline Eigen::MatrixXd rbf_kernel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double gamma) {
  Eigen::MatrixXd k(a.rows(), b.rows());
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < b.rows(); ++j) k(i, j) = std::exp(-gamma * (a.row(i) - b.row(j)).squaredNorm());
  return k;
}

// libsvm keeps kernel columns in single precision; a kernel whose entries are floats is seen identically
// by both solvers, so they must take identical steps.
inline Eigen::MatrixXd round_to_float(const Eigen::MatrixXd& k) {
  return k.unaryExpr([](double v) { return static_cast<double>(static_cast<float>(v)); });
}

}  // namespace hqml_test
