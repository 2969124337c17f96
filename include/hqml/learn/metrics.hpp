#pragma once
// Classification metrics with scikit-learn's definitions, so that numbers reported by hqml and by a
// scikit-learn pipeline can be compared directly: labels are the sorted union of true and predicted
// labels; a ratio whose denominator is zero counts as 0 (sklearn's zero_division default); balanced
// accuracy averages recall over the classes present in y_true; ROC curves group tied scores into one
// threshold and drop collinear points (drop_intermediate), with a first threshold of +infinity.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace hqml::learn {

namespace detail {
inline void check_same_size(std::size_t a, std::size_t b, const char* who) {
  if (a != b) throw std::invalid_argument(std::string("hqml: ") + who + ": inputs differ in length");
  if (a == 0) throw std::invalid_argument(std::string("hqml: ") + who + ": no samples");
}
inline double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }
}  // namespace detail

/// Rows: true label; columns: predicted label; both in `labels` order (sorted union of the inputs).
struct confusion_matrix_result {
  std::vector<int> labels;
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> counts;
};

[[nodiscard]] inline confusion_matrix_result confusion_matrix(std::span<const int> y_true,
                                                              std::span<const int> y_pred) {
  detail::check_same_size(y_true.size(), y_pred.size(), "confusion_matrix");
  confusion_matrix_result r;
  r.labels.assign(y_true.begin(), y_true.end());
  r.labels.insert(r.labels.end(), y_pred.begin(), y_pred.end());
  std::sort(r.labels.begin(), r.labels.end());
  r.labels.erase(std::unique(r.labels.begin(), r.labels.end()), r.labels.end());
  const auto k = static_cast<Eigen::Index>(r.labels.size());
  r.counts = decltype(r.counts)::Zero(k, k);
  const auto index_of = [&](int v) {
    return static_cast<Eigen::Index>(std::lower_bound(r.labels.begin(), r.labels.end(), v) - r.labels.begin());
  };
  for (std::size_t i = 0; i < y_true.size(); ++i) ++r.counts(index_of(y_true[i]), index_of(y_pred[i]));
  return r;
}

[[nodiscard]] inline double accuracy(std::span<const int> y_true, std::span<const int> y_pred) {
  detail::check_same_size(y_true.size(), y_pred.size(), "accuracy");
  std::size_t hits = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) hits += y_true[i] == y_pred[i];
  return static_cast<double>(hits) / static_cast<double>(y_true.size());
}

/// Mean recall over the classes that occur in y_true (predicted-only classes are ignored, as in sklearn).
[[nodiscard]] inline double balanced_accuracy(std::span<const int> y_true, std::span<const int> y_pred) {
  const auto cm = confusion_matrix(y_true, y_pred);
  double sum = 0;
  int classes = 0;
  for (Eigen::Index c = 0; c < cm.counts.rows(); ++c) {
    const auto support = cm.counts.row(c).sum();
    if (support == 0) continue;
    sum += static_cast<double>(cm.counts(c, c)) / static_cast<double>(support);
    ++classes;
  }
  return sum / classes;
}

struct precision_recall_f1 {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

/// Per-class scores, in confusion_matrix(...).labels order.
[[nodiscard]] inline std::vector<precision_recall_f1> per_class_scores(std::span<const int> y_true,
                                                                       std::span<const int> y_pred) {
  const auto cm = confusion_matrix(y_true, y_pred);
  std::vector<precision_recall_f1> out;
  for (Eigen::Index c = 0; c < cm.counts.rows(); ++c) {
    const auto tp = static_cast<double>(cm.counts(c, c));
    const auto predicted = static_cast<double>(cm.counts.col(c).sum());
    const auto actual = static_cast<double>(cm.counts.row(c).sum());
    precision_recall_f1 s;
    s.precision = detail::ratio(tp, predicted);
    s.recall = detail::ratio(tp, actual);
    // 2tp / (2tp + fp + fn), which equals the harmonic mean and is defined whenever either is.
    s.f1 = detail::ratio(2 * tp, predicted + actual);
    out.push_back(s);
  }
  return out;
}

/// Scores of the class `positive_label` (sklearn's average='binary').
[[nodiscard]] inline precision_recall_f1 binary_scores(std::span<const int> y_true, std::span<const int> y_pred,
                                                       int positive_label) {
  const auto cm = confusion_matrix(y_true, y_pred);
  const auto it = std::find(cm.labels.begin(), cm.labels.end(), positive_label);
  if (it == cm.labels.end()) return {};
  return per_class_scores(y_true, y_pred)[static_cast<std::size_t>(it - cm.labels.begin())];
}

/// Unweighted means of the per-class scores (sklearn's average='macro'; F1 is the mean of F1s).
[[nodiscard]] inline precision_recall_f1 macro_scores(std::span<const int> y_true, std::span<const int> y_pred) {
  const auto per = per_class_scores(y_true, y_pred);
  precision_recall_f1 m;
  for (const auto& s : per) {
    m.precision += s.precision;
    m.recall += s.recall;
    m.f1 += s.f1;
  }
  const auto k = static_cast<double>(per.size());
  m.precision /= k;
  m.recall /= k;
  m.f1 /= k;
  return m;
}

/// One class's scores and its number of true samples.
struct class_scores {
  int label = 0;
  double precision = 0, recall = 0, f1 = 0;
  std::int64_t support = 0;
};

/// Per-class scores over `labels` (every class of the task, also those absent from this sample) and the
/// averages scikit-learn's precision_recall_fscore_support reports: macro and weighted over the sorted
/// union of true and predicted labels (its default label set), micro over all predictions.
struct classification_summary {
  std::vector<class_scores> per_class;
  precision_recall_f1 macro, micro, weighted;
};

[[nodiscard]] inline classification_summary classification_scores(std::span<const int> y_true,
                                                                  std::span<const int> y_pred,
                                                                  std::span<const int> labels) {
  detail::check_same_size(y_true.size(), y_pred.size(), "classification_scores");
  classification_summary r;
  double tp_sum = 0, support_sum = 0;
  int present = 0;
  for (const int c : labels) {
    double tp = 0, predicted = 0, actual = 0;
    for (std::size_t i = 0; i < y_true.size(); ++i) {
      tp += y_true[i] == c && y_pred[i] == c;
      predicted += y_pred[i] == c;
      actual += y_true[i] == c;
    }
    class_scores s;
    s.label = c;
    s.precision = detail::ratio(tp, predicted);
    s.recall = detail::ratio(tp, actual);
    s.f1 = detail::ratio(2 * tp, predicted + actual);
    s.support = static_cast<std::int64_t>(actual);
    r.per_class.push_back(s);
    if (predicted + actual == 0) continue;  // not in sklearn's default label set
    ++present;
    r.macro.precision += s.precision;
    r.macro.recall += s.recall;
    r.macro.f1 += s.f1;
    r.weighted.precision += actual * s.precision;
    r.weighted.recall += actual * s.recall;
    r.weighted.f1 += actual * s.f1;
    tp_sum += tp;
    support_sum += actual;
  }
  for (const int v : y_pred)
    if (std::find(labels.begin(), labels.end(), v) == labels.end())
      throw std::invalid_argument("hqml: classification_scores: a prediction is not among the labels");
  const double k = present > 0 ? present : 1;
  r.macro = {r.macro.precision / k, r.macro.recall / k, r.macro.f1 / k};
  r.weighted = {detail::ratio(r.weighted.precision, support_sum), detail::ratio(r.weighted.recall, support_sum),
                detail::ratio(r.weighted.f1, support_sum)};
  // Single-label data: every prediction is one predicted and every sample one actual, so micro P = R = F1 = accuracy.
  const double micro = detail::ratio(tp_sum, static_cast<double>(y_true.size()));
  r.micro = {micro, micro, micro};
  return r;
}

/// The confusion matrix over the given labels (rows: true, columns: predicted, in `labels` order).
[[nodiscard]] inline confusion_matrix_result confusion_matrix(std::span<const int> y_true, std::span<const int> y_pred,
                                                              std::span<const int> labels) {
  detail::check_same_size(y_true.size(), y_pred.size(), "confusion_matrix");
  confusion_matrix_result r;
  r.labels.assign(labels.begin(), labels.end());
  const auto k = static_cast<Eigen::Index>(r.labels.size());
  r.counts = decltype(r.counts)::Zero(k, k);
  const auto index_of = [&](int v) {
    const auto it = std::find(r.labels.begin(), r.labels.end(), v);
    if (it == r.labels.end()) throw std::invalid_argument("hqml: confusion_matrix: a value is not among the labels");
    return static_cast<Eigen::Index>(it - r.labels.begin());
  };
  for (std::size_t i = 0; i < y_true.size(); ++i) ++r.counts(index_of(y_true[i]), index_of(y_pred[i]));
  return r;
}

struct roc_curve_result {
  std::vector<double> fpr;
  std::vector<double> tpr;
  std::vector<double> thresholds;  // decreasing; thresholds[0] = +infinity (the (0, 0) point)
};

/// ROC curve of scores for `positive_label` against all other labels. Equal scores form one threshold,
/// so ties move the curve diagonally; with drop_intermediate, points on a straight segment are dropped.
[[nodiscard]] inline roc_curve_result roc_curve(std::span<const int> y_true, std::span<const double> scores,
                                                int positive_label, bool drop_intermediate = true) {
  detail::check_same_size(y_true.size(), scores.size(), "roc_curve");
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<double> tps, fps, thr;
  double tp = 0, fp = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t i = order[r];
    if (std::isnan(scores[i])) throw std::invalid_argument("hqml: roc_curve: a score is NaN");
    if (y_true[i] == positive_label)
      tp += 1;
    else
      fp += 1;
    if (r + 1 == n || scores[order[r + 1]] != scores[i]) {
      tps.push_back(tp);
      fps.push_back(fp);
      thr.push_back(scores[i]);
    }
  }
  if (tp == 0 || fp == 0) throw std::invalid_argument("hqml: roc_curve: needs both positive and negative samples");
  std::vector<std::size_t> keep;
  if (drop_intermediate && tps.size() > 2) {
    keep.push_back(0);
    for (std::size_t k = 1; k + 1 < tps.size(); ++k) {
      const double d2f = fps[k + 1] - 2 * fps[k] + fps[k - 1];
      const double d2t = tps[k + 1] - 2 * tps[k] + tps[k - 1];
      if (d2f != 0 || d2t != 0) keep.push_back(k);
    }
    keep.push_back(tps.size() - 1);
  } else {
    keep.resize(tps.size());
    std::iota(keep.begin(), keep.end(), std::size_t{0});
  }
  roc_curve_result r;
  r.fpr.push_back(0);
  r.tpr.push_back(0);
  r.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (auto k : keep) {
    r.fpr.push_back(fps[k] / fp);
    r.tpr.push_back(tps[k] / tp);
    r.thresholds.push_back(thr[k]);
  }
  return r;
}

/// Area under the ROC curve (trapezoids; a tie between a positive and a negative counts one half).
[[nodiscard]] inline double roc_auc(std::span<const int> y_true, std::span<const double> scores, int positive_label) {
  const auto c = roc_curve(y_true, scores, positive_label, false);
  double area = 0;
  for (std::size_t k = 1; k < c.fpr.size(); ++k) area += (c.fpr[k] - c.fpr[k - 1]) * (c.tpr[k] + c.tpr[k - 1]) / 2;
  return area;
}

/// One-vs-rest macro ROC AUC: column c of `scores` scores class `classes[c]`.
[[nodiscard]] inline double roc_auc_ovr(std::span<const int> y_true, const Eigen::MatrixXd& scores,
                                        std::span<const int> classes) {
  if (scores.cols() != static_cast<Eigen::Index>(classes.size()) ||
      scores.rows() != static_cast<Eigen::Index>(y_true.size()))
    throw std::invalid_argument("hqml: roc_auc_ovr: scores must be n_samples x n_classes");
  double sum = 0;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    std::vector<double> col(y_true.size());
    for (std::size_t i = 0; i < y_true.size(); ++i)
      col[i] = scores(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
    sum += roc_auc(y_true, col, classes[c]);
  }
  return sum / static_cast<double>(classes.size());
}

}  // namespace hqml::learn
