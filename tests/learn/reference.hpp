#pragma once
// scikit-learn's values for the learning tests, from tests/reference/learn_sklearn_reference.json
// (written by tests/reference/learn_sklearn_reference.py).

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/json_data.hpp"

namespace hqml_test {

inline const nlohmann::json& sklearn_reference() {
  static const nlohmann::json j = hqml::test::load_reference("learn_sklearn_reference.json");
  return j;
}

inline Eigen::MatrixXd to_matrix(const nlohmann::json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.at(0).size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = rows.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(j)).get<double>();
  return m;
}

inline Eigen::VectorXd to_vector(const nlohmann::json& v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  for (Eigen::Index i = 0; i < out.size(); ++i) out(i) = v.at(static_cast<std::size_t>(i)).get<double>();
  return out;
}

}  // namespace hqml_test
