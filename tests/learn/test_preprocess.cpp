// Scalers and PCA against scikit-learn (tests/reference) and their own invariants.

#include <catch2/catch.hpp>

#include <cmath>

#include <hqml/learn/min_max_scaler.hpp>
#include <hqml/learn/pca.hpp>
#include <hqml/learn/standard_scaler.hpp>

#include "reference.hpp"

namespace hl = hqml::learn;

TEST_CASE("min-max and standard scalers match scikit-learn", "[preprocess][sklearn]") {
  const auto& r = hqml_test::sklearn_reference().at("preprocessing");
  const Eigen::MatrixXd x = hqml::test::matrix_of(r.at("x")), xt = hqml::test::matrix_of(r.at("x_test"));
  const auto range = r.at("minmax_range").get<std::vector<double>>();
  hl::min_max_scaler mm(range[0], range[1]);
  const Eigen::MatrixXd fitted = mm.fit_transform(x);
  CHECK((mm.transform(xt) - hqml::test::matrix_of(r.at("minmax_transform"))).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(fitted.leftCols(3).colwise().minCoeff().maxCoeff() == Approx(range[0]).margin(1e-12));
  CHECK(fitted.leftCols(3).colwise().maxCoeff().minCoeff() == Approx(range[1]).epsilon(1e-12));
  CHECK(fitted.col(3).cwiseAbs().maxCoeff() == 0.0);  // the constant feature maps to lo
  CHECK((mm.inverse_transform(mm.transform(xt)) - xt).cwiseAbs().maxCoeff() < 1e-12);

  hl::standard_scaler ss;
  ss.fit(x);
  CHECK((ss.mean() - hqml::test::vector_of(r.at("standard_mean"))).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((ss.scale() - hqml::test::vector_of(r.at("standard_scale"))).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((ss.transform(xt) - hqml::test::matrix_of(r.at("standard_transform"))).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((ss.inverse_transform(ss.transform(xt)) - xt).cwiseAbs().maxCoeff() < 1e-12);

  CHECK_THROWS_AS(hl::min_max_scaler(1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(hl::standard_scaler().transform(x), std::logic_error);
  CHECK_THROWS_AS(ss.transform(Eigen::MatrixXd::Zero(2, 3)), std::invalid_argument);
}

TEST_CASE("PCA matches scikit-learn", "[preprocess][sklearn]") {
  const auto& r = hqml_test::sklearn_reference().at("preprocessing");
  const Eigen::MatrixXd x = hqml::test::matrix_of(r.at("pca_x"));
  hl::pca p(3);
  p.fit(x);
  const Eigen::MatrixXd ref = hqml::test::matrix_of(r.at("pca_components"));
  const Eigen::MatrixXd ref_scores = hqml::test::matrix_of(r.at("pca_transform"));
  const Eigen::MatrixXd scores = p.transform(x.topRows(5));
  for (Eigen::Index c = 0; c < 3; ++c) {
    // Component signs are a convention; compare up to sign, then check our own rule.
    const double sign = p.components().row(c).dot(ref.row(c)) < 0 ? -1.0 : 1.0;
    CHECK((sign * p.components().row(c) - ref.row(c)).cwiseAbs().maxCoeff() < 1e-10);
    CHECK((sign * scores.col(c) - ref_scores.col(c)).cwiseAbs().maxCoeff() < 1e-9);
    Eigen::Index at = 0;
    p.components().row(c).cwiseAbs().maxCoeff(&at);
    CHECK(p.components()(c, at) > 0);
  }
  CHECK((p.explained_variance() - hqml::test::vector_of(r.at("pca_explained_variance"))).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((p.explained_variance_ratio() - hqml::test::vector_of(r.at("pca_explained_variance_ratio"))).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((p.components() * p.components().transpose() - Eigen::MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-12);
  // Data already in a 3-D subspace comes back exactly.
  hl::pca full(5);
  full.fit(x);
  CHECK((full.inverse_transform(full.transform(x)) - x).cwiseAbs().maxCoeff() < 1e-10);
  CHECK_THROWS_AS(hl::pca(6).fit(x), std::invalid_argument);
}
