#pragma once
// A host matrix of features seen through its strides: how code that sees no Eigen types (the CUDA backend's
// compiled entry points, nvcc units) takes samples. An Eigen::MatrixXd maps with feature_matrix::col_major.

#include <cstddef>

namespace hqml {

/// Element (i, j) at data[i · row_stride + j · col_stride]; rows are samples, columns features.
struct feature_matrix {
  const double* data = nullptr;
  std::size_t rows = 0, cols = 0;
  std::size_t row_stride = 0, col_stride = 1;

  static feature_matrix row_major(const double* d, std::size_t r, std::size_t c) { return {d, r, c, c, 1}; }
  /// Column-major, as Eigen::MatrixXd: feature_matrix::col_major(X.data(), X.rows(), X.cols()).
  static feature_matrix col_major(const double* d, std::size_t r, std::size_t c) { return {d, r, c, 1, r}; }
  [[nodiscard]] double operator()(std::size_t i, std::size_t j) const { return data[i * row_stride + j * col_stride]; }
};

}  // namespace hqml
