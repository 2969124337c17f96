#pragma once
// Is one classifier really better than another on the same test rows? Two paired answers, because a
// difference of one or two test rows is noise: McNemar's exact test on the rows where exactly one of the two
// is right (two-sided binomial test with p = 1/2 on the discordant pairs; exact, so valid for few
// discordant rows where the chi-squared form is not), and a percentile bootstrap of the accuracy difference
// that resamples test rows with both predictions kept together (a fixed seed: the same numbers every run).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include <hqml/rng.hpp>

namespace hqml::learn {

/// Two-sided exact binomial p-value of k successes or a split as extreme, n trials, p = 1/2.
[[nodiscard]] inline double binomial_two_sided_p(std::size_t k, std::size_t n) {
  if (k > n) throw std::invalid_argument("hqml: binomial_two_sided_p: k > n");
  if (n == 0) return 1.0;
  const std::size_t low = std::min(k, n - k);
  // P(X <= low) in log space: C(n, i) 2^-n overflows double for n past about 1000.
  const double ln2n = static_cast<double>(n) * std::log(2.0);
  const double lnf = std::lgamma(static_cast<double>(n) + 1);
  double tail = 0;
  for (std::size_t i = 0; i <= low; ++i)
    tail +=
        std::exp(lnf - std::lgamma(static_cast<double>(i) + 1) - std::lgamma(static_cast<double>(n - i) + 1) - ln2n);
  return std::min(1.0, 2 * tail);
}

/// Classifier a against classifier b on the same rows.
struct paired_comparison {
  std::size_t n = 0;
  double accuracy_a = 0, accuracy_b = 0;
  double difference = 0;           // accuracy_a - accuracy_b
  double ci_low = 0, ci_high = 0;  // percentile bootstrap interval of the difference
  double confidence = 0.95;
  std::size_t resamples = 0;
  std::size_t a_only_right = 0;  // rows a got right and b wrong
  std::size_t b_only_right = 0;
  double p_value = 1;  // McNemar, exact
  double alpha = 0.05;
  [[nodiscard]] bool significant() const noexcept { return p_value < alpha; }
};

struct comparison_options {
  std::size_t resamples = 2000;
  double confidence = 0.95;
  double alpha = 0.05;
  std::uint64_t seed = 0;
};

[[nodiscard]] inline paired_comparison compare_classifiers(std::span<const int> y_true, std::span<const int> pred_a,
                                                           std::span<const int> pred_b,
                                                           const comparison_options& opt = {}) {
  const std::size_t n = y_true.size();
  if (n == 0 || pred_a.size() != n || pred_b.size() != n)
    throw std::invalid_argument(
        "hqml: compare_classifiers: the predictions and labels must be non-empty and of one length");
  if (!(opt.confidence > 0 && opt.confidence < 1) || !(opt.alpha > 0 && opt.alpha < 1))
    throw std::invalid_argument("hqml: compare_classifiers: confidence and alpha must lie in (0, 1)");
  paired_comparison r;
  r.n = n;
  r.confidence = opt.confidence;
  r.alpha = opt.alpha;
  r.resamples = opt.resamples;
  // d[i] = 1 (only a right), -1 (only b right), 0 (both or neither).
  std::vector<int> d(n);
  std::size_t right_a = 0, right_b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool a = pred_a[i] == y_true[i], b = pred_b[i] == y_true[i];
    right_a += a;
    right_b += b;
    d[i] = static_cast<int>(a) - static_cast<int>(b);
    r.a_only_right += a && !b;
    r.b_only_right += b && !a;
  }
  const auto dn = static_cast<double>(n);
  r.accuracy_a = static_cast<double>(right_a) / dn;
  r.accuracy_b = static_cast<double>(right_b) / dn;
  r.difference = r.accuracy_a - r.accuracy_b;
  r.p_value = binomial_two_sided_p(r.a_only_right, r.a_only_right + r.b_only_right);
  if (opt.resamples == 0) {
    r.ci_low = r.ci_high = r.difference;
    return r;
  }
  xoshiro256 rng(opt.seed, 0x6f6f7473ull);  // "boots": a stream of its own
  std::vector<double> diffs(opt.resamples);
  for (auto& v : diffs) {
    long long sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += d[rng.below(n)];
    v = static_cast<double>(sum) / dn;
  }
  std::sort(diffs.begin(), diffs.end());
  // numpy's default (linear) percentile.
  const auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(diffs.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, diffs.size() - 1);
    return diffs[lo] + (pos - static_cast<double>(lo)) * (diffs[hi] - diffs[lo]);
  };
  const double tail = (1 - opt.confidence) / 2;
  r.ci_low = quantile(tail);
  r.ci_high = quantile(1 - tail);
  return r;
}

}  // namespace hqml::learn
