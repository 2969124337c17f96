#pragma once
// scikit-learn's values for the learning tests, from tests/reference/learn_sklearn_reference.json
// (written by tests/reference/learn_sklearn_reference.py).

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/json_data.hpp"

namespace hqml_test {

inline const nlohmann::json& sklearn_reference() {
  static const nlohmann::json j = hqml::test::load_reference("learn_sklearn_reference.json");
  return j;
}

}  // namespace hqml_test
