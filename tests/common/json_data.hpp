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

/// A JSON list of equal-length rows of numbers as a matrix (a short row is an error, not a read past it).
inline Eigen::MatrixXd matrix_of(const nlohmann::json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.at(0).size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      m(i, j) = rows.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(j)).get<double>();
  return m;
}

/// A JSON list of numbers as a vector.
inline Eigen::VectorXd vector_of(const nlohmann::json& v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  for (Eigen::Index i = 0; i < out.size(); ++i) out(i) = v.at(static_cast<std::size_t>(i)).get<double>();
  return out;
}

}  // namespace hqml::test
