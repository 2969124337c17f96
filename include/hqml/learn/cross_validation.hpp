#pragma once
// Seeded stratified splitting and k-fold cross-validation of kernel classifiers on precomputed kernels.
// Shuffles use std::mt19937_64 (whose output the standard fixes) with our own Fisher-Yates step, not
// std::shuffle or std::uniform_int_distribution, whose results differ between standard libraries:
// the same seed gives the same folds everywhere.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <hqml/learn/kernel_ridge.hpp>
#include <hqml/learn/metrics.hpp>
#include <hqml/learn/parallel.hpp>
#include <hqml/learn/svc.hpp>

namespace hqml::learn {

using index_list = std::vector<std::ptrdiff_t>;

struct train_test_indices {
  index_list train;  // ascending
  index_list test;   // ascending
};

namespace detail {

inline void seeded_shuffle(index_list& v, std::mt19937_64& rng) {
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng() % (v.size() - i));
    std::swap(v[i], v[j]);
  }
}

// Sample positions per class, classes in ascending label order.
inline std::vector<index_list> by_class(std::span<const int> labels) {
  std::map<int, index_list> m;
  for (std::size_t i = 0; i < labels.size(); ++i) m[labels[i]].push_back(static_cast<std::ptrdiff_t>(i));
  std::vector<index_list> out;
  for (auto& [label, idx] : m) out.push_back(std::move(idx));
  return out;
}

inline index_list complement(const index_list& sorted_part, std::size_t n) {
  index_list out;
  out.reserve(n - sorted_part.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (k < sorted_part.size() && sorted_part[k] == static_cast<std::ptrdiff_t>(i)) ++k;
    else out.push_back(static_cast<std::ptrdiff_t>(i));
  }
  return out;
}

}  // namespace detail

/// k folds whose class proportions match the whole set's: each class is shuffled and dealt round-robin
/// (continuing across classes), so fold sizes differ by at most one and so do a class's counts per fold.
[[nodiscard]] inline std::vector<train_test_indices> stratified_k_fold(std::span<const int> labels, int k,
                                                                       std::uint64_t seed) {
  if (k < 2) throw std::invalid_argument("hqml: stratified_k_fold: needs k >= 2");
  if (static_cast<std::size_t>(k) > labels.size())
    throw std::invalid_argument("hqml: stratified_k_fold: more folds than samples");
  std::mt19937_64 rng(seed);
  std::vector<index_list> test(static_cast<std::size_t>(k));
  std::size_t position = 0;
  for (auto& cls : detail::by_class(labels)) {
    detail::seeded_shuffle(cls, rng);
    for (auto i : cls) test[position++ % static_cast<std::size_t>(k)].push_back(i);
  }
  std::vector<train_test_indices> folds;
  for (auto& t : test) {
    std::sort(t.begin(), t.end());
    folds.push_back({detail::complement(t, labels.size()), std::move(t)});
  }
  return folds;
}

/// A stratified split with round(test_fraction * n) test samples (at least 1, at most n - 1), allotted
/// to classes in proportion by largest remainders.
[[nodiscard]] inline train_test_indices stratified_train_test_split(std::span<const int> labels, double test_fraction,
                                                                    std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (n < 2) throw std::invalid_argument("hqml: stratified_train_test_split: needs two or more samples");
  if (!(test_fraction > 0 && test_fraction < 1))
    throw std::invalid_argument("hqml: stratified_train_test_split: test_fraction must lie in (0, 1)");
  const auto n_test = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(n))),
                                              1, n - 1);
  auto classes = detail::by_class(labels);
  std::vector<std::size_t> take(classes.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t given = 0;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const double exact = static_cast<double>(n_test) * static_cast<double>(classes[c].size()) / static_cast<double>(n);
    take[c] = static_cast<std::size_t>(std::floor(exact));
    given += take[c];
    remainders.push_back({exact - std::floor(exact), c});
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t r = 0; given < n_test && r < remainders.size(); ++r, ++given) ++take[remainders[r].second];
  std::mt19937_64 rng(seed);
  train_test_indices split;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    detail::seeded_shuffle(classes[c], rng);
    split.test.insert(split.test.end(), classes[c].begin(), classes[c].begin() + static_cast<std::ptrdiff_t>(take[c]));
  }
  std::sort(split.test.begin(), split.test.end());
  split.train = detail::complement(split.test, n);
  return split;
}

/// Rows of `x` at `rows` (for features), and labels at `rows`.
[[nodiscard]] inline Eigen::MatrixXd take_rows(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const std::ptrdiff_t> rows) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), x.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Eigen::Index>(r)) = x.row(rows[r]);
  return out;
}
[[nodiscard]] inline std::vector<int> take(std::span<const int> labels, std::span<const std::ptrdiff_t> rows) {
  std::vector<int> out;
  out.reserve(rows.size());
  for (auto r : rows) out.push_back(labels[static_cast<std::size_t>(r)]);
  return out;
}
/// K(rows, cols) as a new matrix.
[[nodiscard]] inline Eigen::MatrixXd submatrix(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const std::ptrdiff_t> rows,
                                               std::span<const std::ptrdiff_t> cols) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t c = 0; c < cols.size(); ++c)
    for (std::size_t r = 0; r < rows.size(); ++r)
      out(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = k(rows[r], cols[c]);
  return out;
}

enum class score_metric { accuracy, balanced_accuracy, f1_macro, roc_auc };

[[nodiscard]] inline const char* to_string(score_metric m) noexcept {
  switch (m) {
    case score_metric::accuracy: return "accuracy";
    case score_metric::balanced_accuracy: return "balanced_accuracy";
    case score_metric::f1_macro: return "f1_macro";
    case score_metric::roc_auc: return "roc_auc";
  }
  return "?";
}

/// Scores a prediction. For roc_auc (binary only), `scores` ranks samples by `positive_label`.
[[nodiscard]] inline double score(score_metric m, std::span<const int> y_true, std::span<const int> y_pred,
                                  std::span<const double> scores = {}, int positive_label = 0) {
  switch (m) {
    case score_metric::accuracy: return accuracy(y_true, y_pred);
    case score_metric::balanced_accuracy: return balanced_accuracy(y_true, y_pred);
    case score_metric::f1_macro: return macro_scores(y_true, y_pred).f1;
    case score_metric::roc_auc: return roc_auc(y_true, scores, positive_label);
  }
  return 0;
}

struct cv_scores {
  std::vector<double> fold_scores;
  double mean = 0;
  double stddev = 0;  // population standard deviation over folds (numpy's std)
};

namespace detail {

inline cv_scores summarize(std::vector<double> s) {
  cv_scores r;
  r.mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
  double var = 0;
  for (double v : s) var += (v - r.mean) * (v - r.mean);
  r.stddev = std::sqrt(var / static_cast<double>(s.size()));
  r.fold_scores = std::move(s);
  return r;
}

inline void require_binary_for_auc(score_metric m, std::size_t classes) {
  if (m == score_metric::roc_auc && classes != 2)
    throw std::invalid_argument("hqml: roc_auc scoring needs a binary problem");
}

// Fits an SVC on a fold's training part and scores its test part; the kernel is never copied whole.
template <class = void>  // instantiated only where called (README, "Compile times")
inline double svc_fold_score(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const int> labels,
                             const svc_params& p, const train_test_indices& fold, score_metric metric) {
  const auto train_labels = take(labels, fold.train);
  const auto test_labels = take(labels, fold.test);
  svc_params inner = p;
  inner.threads = 1;  // folds already run in parallel
  const svc m = svc::fit(k, train_labels, inner, fold.train);
  index_list sv;
  for (auto s : m.support()) sv.push_back(fold.train[static_cast<std::size_t>(s)]);
  const Eigen::MatrixXd dec = m.decision_function_sv(submatrix(k, fold.test, sv));
  const auto pred = m.predict_sv(submatrix(k, fold.test, sv));
  require_binary_for_auc(metric, m.classes().size());
  std::vector<double> s;
  if (metric == score_metric::roc_auc) s.assign(dec.col(0).data(), dec.col(0).data() + dec.rows());
  return score(metric, test_labels, pred, s, m.classes()[0]);
}

template <class = void>  // instantiated only where called (README, "Compile times")
inline double ridge_fold_score(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const int> labels, double lambda,
                               const train_test_indices& fold, score_metric metric) {
  const auto train_labels = take(labels, fold.train);
  const auto test_labels = take(labels, fold.test);
  const auto m = kernel_ridge_classifier::fit(submatrix(k, fold.train, fold.train), train_labels, lambda);
  const Eigen::MatrixXd kt = submatrix(k, fold.test, fold.train);
  require_binary_for_auc(metric, m.classes().size());
  std::vector<double> s;
  if (metric == score_metric::roc_auc) {
    const Eigen::VectorXd d = m.decision_function(kt).col(0);
    s.assign(d.data(), d.data() + d.size());
  }
  return score(metric, test_labels, m.predict(kt), s, m.classes()[1]);
}

}  // namespace detail

/// k-fold cross-validation of an SVC on kernel K; folds run in parallel.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline cv_scores cross_validate_svc(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                  std::span<const int> labels, const svc_params& p,
                                                  std::span<const train_test_indices> folds,
                                                  score_metric metric = score_metric::accuracy) {
  std::vector<double> s(folds.size());
  parallel_for(static_cast<std::ptrdiff_t>(folds.size()), p.threads, [&](std::ptrdiff_t f) {
    s[static_cast<std::size_t>(f)] = detail::svc_fold_score(k, labels, p, folds[static_cast<std::size_t>(f)], metric);
  });
  return detail::summarize(std::move(s));
}

/// k-fold cross-validation of a kernel ridge classifier with regularization lambda.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline cv_scores cross_validate_kernel_ridge(const Eigen::Ref<const Eigen::MatrixXd>& k,
                                                           std::span<const int> labels, double lambda,
                                                           std::span<const train_test_indices> folds,
                                                           score_metric metric = score_metric::accuracy,
                                                           int threads = 0) {
  std::vector<double> s(folds.size());
  parallel_for(static_cast<std::ptrdiff_t>(folds.size()), threads, [&](std::ptrdiff_t f) {
    s[static_cast<std::size_t>(f)] = detail::ridge_fold_score(k, labels, lambda, folds[static_cast<std::size_t>(f)], metric);
  });
  return detail::summarize(std::move(s));
}

}  // namespace hqml::learn
