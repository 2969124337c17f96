#pragma once
// Reference data committed under tests/reference/ (JSON written by the peer scripts), read by the tests.

#include <catch2/catch.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace hqml::test {

/// tests/reference/<name>, parsed.
inline nlohmann::json load_reference(const std::string& name) {
  // A path, not string concatenation: GCC 12 reports false -Warray-bounds on inlined std::string operator+.
  const std::filesystem::path file = std::filesystem::path(HQML_SOURCE_DIR) / "tests" / "reference" / name;
  std::ifstream in(file);
  INFO("reading " << file.string());
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

/// A JSON list of equal-length rows of numbers as a matrix.
inline Eigen::MatrixXd matrix_of(const nlohmann::json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j].get<double>();
  return m;
}

}  // namespace hqml::test
