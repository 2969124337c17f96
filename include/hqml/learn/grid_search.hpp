#pragma once
// Grid search over a regularization value (SVC's C or kernel ridge's lambda) and one kernel
// hyperparameter, scored by stratified k-fold cross-validation. The kernel comes from a callback
// gram(h) -> N x N matrix, called once per hyperparameter value, so that any kernel (an RBF bandwidth,
// a quantum feature map's scaling) plugs in unchanged. All grid points share the same folds, so their
// scores differ by the model only; (C, fold) pairs run in parallel for each kernel.

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include <hqml/learn/cross_validation.hpp>
#include <hqml/learn/parallel.hpp>
#include <hqml/learn/svc.hpp>

namespace hqml::learn {

enum class grid_estimator { svc, kernel_ridge };

struct grid_search_options {
  grid_estimator estimator = grid_estimator::svc;
  int folds = 5;
  std::uint64_t seed = 0;
  score_metric metric = score_metric::accuracy;
  svc_params svc;  // everything but C, for the SVC estimator
  int threads = 0;
};

struct grid_point {
  double hyperparameter = 0;
  double regularization = 0;  // C for the SVC, lambda for kernel ridge
  cv_scores scores;
};

struct grid_search_result {
  std::vector<grid_point> points;  // hyperparameter-major, in the order given
  std::size_t best_index = 0;      // highest mean score; the first such point on ties
  [[nodiscard]] const grid_point& best() const { return points.at(best_index); }
};

template <class GramFn>
[[nodiscard]] grid_search_result grid_search(GramFn&& gram, std::span<const int> labels,
                                             std::span<const double> hyperparameters,
                                             std::span<const double> regularization, const grid_search_options& opt = {}) {
  static_assert(std::is_invocable_v<GramFn&, double>, "gram must be callable as gram(double) -> Eigen::MatrixXd");
  if (hyperparameters.empty() || regularization.empty())
    throw std::invalid_argument("hqml: grid_search: empty grid");
  const auto folds = stratified_k_fold(labels, opt.folds, opt.seed);
  const auto n = static_cast<Eigen::Index>(labels.size());
  grid_search_result result;
  for (const double h : hyperparameters) {
    const Eigen::MatrixXd k = gram(h);
    if (k.rows() != n || k.cols() != n)
      throw std::invalid_argument("hqml: grid_search: gram(" + std::to_string(h) + ") is " + std::to_string(k.rows()) +
                                  " x " + std::to_string(k.cols()) + ", expected " + std::to_string(n) + " x " +
                                  std::to_string(n));
    const auto nf = folds.size();
    std::vector<double> fold_scores(regularization.size() * nf);
    parallel_for(static_cast<std::ptrdiff_t>(fold_scores.size()), opt.threads, [&](std::ptrdiff_t job) {
      const auto r = static_cast<std::size_t>(job) / nf, f = static_cast<std::size_t>(job) % nf;
      if (opt.estimator == grid_estimator::svc) {
        svc_params p = opt.svc;
        p.C = regularization[r];
        fold_scores[static_cast<std::size_t>(job)] = detail::svc_fold_score(k, labels, p, folds[f], opt.metric);
      } else {
        fold_scores[static_cast<std::size_t>(job)] =
            detail::ridge_fold_score(k, labels, regularization[r], folds[f], opt.metric);
      }
    });
    for (std::size_t r = 0; r < regularization.size(); ++r) {
      grid_point g;
      g.hyperparameter = h;
      g.regularization = regularization[r];
      g.scores = detail::summarize(std::vector<double>(fold_scores.begin() + static_cast<std::ptrdiff_t>(r * nf),
                                                       fold_scores.begin() + static_cast<std::ptrdiff_t>((r + 1) * nf)));
      if (result.points.empty() || g.scores.mean > result.best().scores.mean) result.best_index = result.points.size();
      result.points.push_back(std::move(g));
    }
  }
  return result;
}

}  // namespace hqml::learn
