#pragma once
// QUBO-encoded hyperparameter search (FMQA: Kitai et al., Phys. Rev. Research 2:013319, 2020)
// over a discrete space, next to random and grid search at the same evaluation budget.
//
// Each hyperparameter with K candidate values is K one-hot bits; the penalty
// lambda * (sum of its bits - 1)^2 keeps exactly one value per hyperparameter. The loop:
//   1. evaluate a few random configurations;
//   2. fit a factorization machine y(x) = w0 + sum w_i x_i + sum_{i<j} <v_i, v_j> x_i x_j to the
//      configurations seen so far (a second-order model, hence exactly a QUBO);
//   3. add the one-hot penalty, anneal the QUBO, and take the lowest-energy feasible proposal
//      not evaluated yet (or a random unseen one if the annealer offers none);
//   4. evaluate it, and repeat from 2 until the budget is spent.
// The objective is a black box; scores are maximized unless the options say otherwise.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/anneal/simulated_annealing.hpp>

namespace hqml::anneal {

/// One hyperparameter: a name and its candidate values.
struct hyperparameter {
  std::string name;
  std::vector<double> values;
};

/// A configuration: for each hyperparameter, the index of its chosen value.
using configuration = std::vector<std::size_t>;

class search_space {
 public:
  search_space() = default;
  explicit search_space(std::vector<hyperparameter> params) : params_(std::move(params)) {
    std::size_t offset = 0;
    for (const auto& p : params_) {
      if (p.values.empty()) throw std::invalid_argument("hqml::tune: hyperparameter '" + p.name + "' has no values");
      offsets_.push_back(offset);
      offset += p.values.size();
    }
    bits_ = offset;
  }
  [[nodiscard]] const std::vector<hyperparameter>& parameters() const noexcept { return params_; }
  [[nodiscard]] std::size_t size() const noexcept { return params_.size(); }
  /// One-hot bits in all.
  [[nodiscard]] std::size_t num_bits() const noexcept { return bits_; }
  /// First bit of hyperparameter d.
  [[nodiscard]] std::size_t offset(std::size_t d) const { return offsets_.at(d); }
  /// Number of configurations (saturates at SIZE_MAX).
  [[nodiscard]] std::size_t num_configurations() const noexcept {
    std::size_t n = 1;
    for (const auto& p : params_) {
      if (n > std::numeric_limits<std::size_t>::max() / p.values.size()) return std::numeric_limits<std::size_t>::max();
      n *= p.values.size();
    }
    return n;
  }
  [[nodiscard]] std::vector<double> values(const configuration& c) const {
    check(c);
    std::vector<double> v(c.size());
    for (std::size_t d = 0; d < c.size(); ++d) v[d] = params_[d].values[c[d]];
    return v;
  }
  /// The one-hot bit vector of a configuration.
  [[nodiscard]] std::vector<std::int8_t> encode(const configuration& c) const {
    check(c);
    std::vector<std::int8_t> x(bits_, 0);
    for (std::size_t d = 0; d < c.size(); ++d) x[offsets_[d] + c[d]] = 1;
    return x;
  }
  /// The configuration of a bit vector, or nothing if some hyperparameter has not exactly one bit.
  [[nodiscard]] std::optional<configuration> decode(std::span<const std::int8_t> x) const {
    if (x.size() != bits_) return std::nullopt;
    configuration c(params_.size());
    for (std::size_t d = 0; d < params_.size(); ++d) {
      std::size_t ones = 0;
      for (std::size_t v = 0; v < params_[d].values.size(); ++v)
        if (x[offsets_[d] + v]) {
          ++ones;
          c[d] = v;
        }
      if (ones != 1) return std::nullopt;
    }
    return c;
  }
  template <class Rng>
  [[nodiscard]] configuration random_configuration(Rng& rng) const {
    configuration c(params_.size());
    for (std::size_t d = 0; d < params_.size(); ++d) c[d] = rng.below(static_cast<std::uint32_t>(params_[d].values.size()));
    return c;
  }

 private:
  void check(const configuration& c) const {
    if (c.size() != params_.size())
      throw std::invalid_argument("hqml::tune: configuration of " + std::to_string(c.size()) + " entries for " +
                                  std::to_string(params_.size()) + " hyperparameters");
    for (std::size_t d = 0; d < c.size(); ++d)
      if (c[d] >= params_[d].values.size())
        throw std::out_of_range("hqml::tune: value " + std::to_string(c[d]) + " of '" + params_[d].name + "'");
  }
  std::vector<hyperparameter> params_;
  std::vector<std::size_t> offsets_;
  std::size_t bits_ = 0;
};

/// lambda * sum_d (sum_v x_dv - 1)^2 as a QUBO (offset included, so feasible states score 0).
[[nodiscard]] inline qubo_model one_hot_penalty(const search_space& space, double lambda) {
  std::vector<double> linear(space.num_bits(), 0.0);
  std::vector<coupling> quad;
  double offset = 0.0;
  for (std::size_t d = 0; d < space.size(); ++d) {
    const std::size_t k = space.parameters()[d].values.size(), o = space.offset(d);
    // (sum x)^2 - 2 sum x + 1 = -sum x + 2 sum_{v<w} x_v x_w + 1, using x^2 = x.
    for (std::size_t v = 0; v < k; ++v) {
      linear[o + v] -= lambda;
      for (std::size_t w = v + 1; w < k; ++w)
        quad.push_back({static_cast<std::uint32_t>(o + v), static_cast<std::uint32_t>(o + w), 2.0 * lambda});
    }
    offset += lambda;
  }
  return qubo_model(space.num_bits(), std::move(linear), std::move(quad), offset);
}

/// Factorization machine on binary inputs, trained by full-batch Adam on squared error.
class factorization_machine {
 public:
  factorization_machine() = default;
  factorization_machine(std::size_t num_inputs, std::size_t num_factors)
      : d_(num_inputs), k_(num_factors), w_(num_inputs, 0.0), v_(num_inputs * num_factors, 0.0) {}

  [[nodiscard]] std::size_t num_inputs() const noexcept { return d_; }
  [[nodiscard]] std::size_t num_factors() const noexcept { return k_; }

  [[nodiscard]] double predict(std::span<const std::int8_t> x) const {
    double y = w0_;
    for (std::size_t i = 0; i < d_; ++i)
      if (x[i]) y += w_[i];
    for (std::size_t f = 0; f < k_; ++f) {
      double s = 0.0, sq = 0.0;
      for (std::size_t i = 0; i < d_; ++i)
        if (x[i]) {
          s += v_[i * k_ + f];
          sq += v_[i * k_ + f] * v_[i * k_ + f];
        }
      y += 0.5 * (s * s - sq);
    }
    return y;
  }

  /// Fits xs (rows of num_inputs bits) to ys. Factors start small and random (seeded) because
  /// all-zero factors have zero gradient and would never learn interactions.
  void fit(const std::vector<std::vector<std::int8_t>>& xs, std::span<const double> ys, std::size_t epochs,
           double learning_rate, double l2, std::uint64_t seed) {
    xoshiro256ss rng(seed, 0x464D);
    for (auto& v : v_) v = 0.1 * (rng.uniform() - 0.5);
    std::fill(w_.begin(), w_.end(), 0.0);
    w0_ = ys.empty() ? 0.0 : std::accumulate(ys.begin(), ys.end(), 0.0) / static_cast<double>(ys.size());
    const std::size_t np = 1 + d_ + d_ * k_;
    std::vector<double> grad(np), m(np, 0.0), s2(np, 0.0), sums(k_);
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double inv_n = ys.empty() ? 0.0 : 1.0 / static_cast<double>(ys.size());
    for (std::size_t e = 1; e <= epochs; ++e) {
      std::fill(grad.begin(), grad.end(), 0.0);
      for (std::size_t r = 0; r < xs.size(); ++r) {
        const auto& x = xs[r];
        const double err = predict(x) - ys[r];
        const double g = 2.0 * err * inv_n;
        grad[0] += g;
        for (std::size_t f = 0; f < k_; ++f) {
          sums[f] = 0.0;
          for (std::size_t i = 0; i < d_; ++i)
            if (x[i]) sums[f] += v_[i * k_ + f];
        }
        for (std::size_t i = 0; i < d_; ++i) {
          if (!x[i]) continue;
          grad[1 + i] += g;
          for (std::size_t f = 0; f < k_; ++f) grad[1 + d_ + i * k_ + f] += g * (sums[f] - v_[i * k_ + f]);
        }
      }
      for (std::size_t i = 0; i < d_; ++i) grad[1 + i] += 2.0 * l2 * w_[i];
      for (std::size_t q = 0; q < d_ * k_; ++q) grad[1 + d_ + q] += 2.0 * l2 * v_[q];
      const double c1 = 1.0 - std::pow(b1, static_cast<double>(e)), c2 = 1.0 - std::pow(b2, static_cast<double>(e));
      for (std::size_t q = 0; q < np; ++q) {
        m[q] = b1 * m[q] + (1 - b1) * grad[q];
        s2[q] = b2 * s2[q] + (1 - b2) * grad[q] * grad[q];
        const double step = learning_rate * (m[q] / c1) / (std::sqrt(s2[q] / c2) + eps);
        if (q == 0)
          w0_ -= step;
        else if (q <= d_)
          w_[q - 1] -= step;
        else
          v_[q - 1 - d_] -= step;
      }
    }
  }

  /// The model as a QUBO: linear w_i, couplings <v_i, v_j>, offset w0.
  [[nodiscard]] qubo_model to_qubo() const {
    std::vector<coupling> quad;
    for (std::size_t i = 0; i < d_; ++i)
      for (std::size_t j = i + 1; j < d_; ++j) {
        double dot = 0.0;
        for (std::size_t f = 0; f < k_; ++f) dot += v_[i * k_ + f] * v_[j * k_ + f];
        if (dot != 0.0) quad.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), dot});
      }
    return qubo_model(d_, w_, std::move(quad), w0_);
  }

 private:
  std::size_t d_ = 0, k_ = 0;
  double w0_ = 0.0;
  std::vector<double> w_, v_;
};

/// A surrogate QUBO plus a one-hot penalty large enough that every single-flip local minimum is
/// feasible: a flip changes the surrogate by at most D = max_i (|q_i| + sum_j |Q_ij|), while
/// leaving a feasible state (or entering one) changes the penalty by lambda, so lambda > D.
[[nodiscard]] inline qubo_model add_one_hot_penalty(const qubo_model& surrogate, const search_space& space,
                                                    double lambda = 0.0) {
  if (surrogate.num_variables() != space.num_bits())
    throw std::invalid_argument("hqml::tune: surrogate and search space differ in size");
  if (lambda <= 0.0) {
    std::vector<double> reach(surrogate.num_variables());
    for (std::size_t i = 0; i < reach.size(); ++i) reach[i] = std::abs(surrogate.linear()[i]);
    for (const auto& c : surrogate.couplings()) {
      reach[c.i] += std::abs(c.value);
      reach[c.j] += std::abs(c.value);
    }
    const double d = reach.empty() ? 0.0 : *std::max_element(reach.begin(), reach.end());
    lambda = 1.5 * d + 1e-3;
  }
  const qubo_model pen = one_hot_penalty(space, lambda);
  std::vector<double> linear(surrogate.linear().begin(), surrogate.linear().end());
  for (std::size_t i = 0; i < linear.size(); ++i) linear[i] += pen.linear()[i];
  std::vector<coupling> quad(surrogate.couplings().begin(), surrogate.couplings().end());
  quad.insert(quad.end(), pen.couplings().begin(), pen.couplings().end());
  return qubo_model(space.num_bits(), std::move(linear), std::move(quad), surrogate.offset() + pen.offset());
}

enum class goal : std::uint8_t { maximize, minimize };

struct evaluation {
  configuration config;
  double score = 0.0;
};

struct search_result {
  std::vector<evaluation> history;  // in evaluation order
  std::vector<double> best_so_far;  // best score after each evaluation
  configuration best_config;
  double best_score = 0.0;
};

struct tune_options {
  std::size_t budget = 50;         // objective evaluations
  std::size_t initial_points = 0;  // random ones before the surrogate; 0: max(5, num_bits / 2), capped by budget
  goal direction = goal::maximize;
  std::uint64_t seed = 0;
  std::size_t fm_factors = 8;
  std::size_t fm_epochs = 400;
  double fm_learning_rate = 0.05;
  double fm_l2 = 1e-3;
  std::size_t anneal_reads = 16;
  std::size_t anneal_sweeps = 200;
  double penalty = 0.0;            // 0: automatic (see add_one_hot_penalty)
  int num_threads = 1;
  std::function<void(const evaluation&, std::size_t)> on_evaluation;  // after each, with its index
};

namespace detail {

template <class Objective>
double call_objective(Objective& f, const search_space& space, const configuration& c) {
  if constexpr (std::is_invocable_r_v<double, Objective&, const configuration&>)
    return static_cast<double>(f(c));
  else
    return static_cast<double>(f(space.values(c)));
}

/// Records evaluations and keeps the best; `better` follows the goal.
struct search_log {
  goal direction;
  search_result result;
  std::set<configuration> seen;
  std::function<void(const evaluation&, std::size_t)> hook;

  [[nodiscard]] bool better(double a, double b) const { return direction == goal::maximize ? a > b : a < b; }
  template <class Objective>
  void evaluate(Objective& f, const search_space& space, const configuration& c) {
    const double score = call_objective(f, space, c);
    result.history.push_back({c, score});
    seen.insert(c);
    if (result.history.size() == 1 || better(score, result.best_score)) {
      result.best_score = score;
      result.best_config = c;
    }
    result.best_so_far.push_back(result.best_score);
    if (hook) hook(result.history.back(), result.history.size() - 1);
  }
};

template <class Rng>
std::optional<configuration> random_unseen(const search_space& space, const std::set<configuration>& seen, Rng& rng) {
  const std::size_t total = space.num_configurations();
  if (seen.size() >= total) return std::nullopt;
  // Rejection is fast while most of the space is unseen; near exhaustion walk it in order.
  for (int tries = 0; tries < 1000; ++tries) {
    configuration c = space.random_configuration(rng);
    if (!seen.count(c)) return c;
  }
  configuration c(space.size(), 0);
  for (;;) {
    if (!seen.count(c)) return c;
    std::size_t d = space.size();
    while (d > 0) {
      --d;
      if (++c[d] < space.parameters()[d].values.size()) break;
      c[d] = 0;
    }
  }
}

}  // namespace detail

/// Random search: `budget` distinct configurations drawn uniformly.
template <class Objective>
[[nodiscard]] search_result random_search(const search_space& space, Objective&& objective, std::size_t budget,
                                          std::uint64_t seed = 0, goal direction = goal::maximize) {
  detail::search_log log{direction, {}, {}, {}};
  xoshiro256ss rng(seed, 0x52414E44);
  for (std::size_t e = 0; e < budget; ++e) {
    auto c = detail::random_unseen(space, log.seen, rng);
    if (!c) break;
    log.evaluate(objective, space, *c);
  }
  return log.result;
}

/// The grid a budget allows: per hyperparameter a count m_d of evenly spaced values with
/// prod m_d <= budget, grown one hyperparameter at a time (the one with the coarsest relative
/// resolution first) so the grid stays as even as the budget permits.
[[nodiscard]] inline std::vector<std::vector<std::size_t>> grid_points(const search_space& space, std::size_t budget) {
  const std::size_t dims = space.size();
  std::vector<std::size_t> m(dims, 1);
  if (budget == 0) return {};
  for (;;) {
    std::size_t best = dims;
    double best_ratio = 2.0;
    std::size_t prod = 1;
    for (std::size_t d = 0; d < dims; ++d) prod *= m[d];
    for (std::size_t d = 0; d < dims; ++d) {
      const std::size_t size = space.parameters()[d].values.size();
      if (m[d] >= size || prod / m[d] * (m[d] + 1) > budget) continue;
      const double ratio = static_cast<double>(m[d]) / static_cast<double>(size);
      if (ratio < best_ratio) {
        best_ratio = ratio;
        best = d;
      }
    }
    if (best == dims) break;
    ++m[best];
  }
  std::vector<std::vector<std::size_t>> idx(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    const std::size_t size = space.parameters()[d].values.size();
    for (std::size_t k = 0; k < m[d]; ++k)
      idx[d].push_back(m[d] == 1 ? (size - 1) / 2
                                 : static_cast<std::size_t>(std::llround(static_cast<double>(k) * static_cast<double>(size - 1) /
                                                                         static_cast<double>(m[d] - 1))));
  }
  return idx;
}

/// Grid search: every point of grid_points(space, budget), last hyperparameter fastest.
template <class Objective>
[[nodiscard]] search_result grid_search(const search_space& space, Objective&& objective, std::size_t budget,
                                        goal direction = goal::maximize) {
  detail::search_log log{direction, {}, {}, {}};
  const auto idx = grid_points(space, budget);
  if (idx.empty() || space.size() == 0) return log.result;
  std::vector<std::size_t> pos(space.size(), 0);
  for (;;) {
    configuration c(space.size());
    for (std::size_t d = 0; d < c.size(); ++d) c[d] = idx[d][pos[d]];
    log.evaluate(objective, space, c);
    std::size_t d = space.size();
    while (d > 0) {
      --d;
      if (++pos[d] < idx[d].size()) break;
      pos[d] = 0;
      if (d == 0) return log.result;
    }
  }
}

/// FMQA: factorization-machine surrogate, one-hot QUBO, simulated annealing proposals.
template <class Objective>
[[nodiscard]] search_result tune(const search_space& space, Objective&& objective, const tune_options& opt = {}) {
  if (space.size() == 0) throw std::invalid_argument("hqml::tune: empty search space");
  detail::search_log log{opt.direction, {}, {}, opt.on_evaluation};
  xoshiro256ss rng(opt.seed, 0x464D5141);
  const std::size_t initial =
      std::min(opt.budget, opt.initial_points ? opt.initial_points : std::max<std::size_t>(5, space.num_bits() / 2));
  for (std::size_t e = 0; e < initial; ++e) {
    auto c = detail::random_unseen(space, log.seen, rng);
    if (!c) return log.result;
    log.evaluate(objective, space, *c);
  }
  factorization_machine fm(space.num_bits(), opt.fm_factors);
  std::vector<std::vector<std::int8_t>> xs;
  std::vector<double> ys;
  for (std::size_t round = 0; log.result.history.size() < opt.budget; ++round) {
    if (log.seen.size() >= space.num_configurations()) break;
    // The surrogate is minimized, so it learns the standardized negated score when maximizing.
    xs.clear();
    ys.clear();
    for (const auto& ev : log.result.history) {
      xs.push_back(space.encode(ev.config));
      ys.push_back(opt.direction == goal::maximize ? -ev.score : ev.score);
    }
    const double mean = std::accumulate(ys.begin(), ys.end(), 0.0) / static_cast<double>(ys.size());
    double var = 0.0;
    for (double y : ys) var += (y - mean) * (y - mean);
    const double sd = std::sqrt(var / static_cast<double>(ys.size()));
    for (double& y : ys) y = sd > 0.0 ? (y - mean) / sd : 0.0;
    fm.fit(xs, ys, opt.fm_epochs, opt.fm_learning_rate, opt.fm_l2, opt.seed + round);

    const qubo_model q = add_one_hot_penalty(fm.to_qubo(), space, opt.penalty);
    sa_options sa;
    sa.num_reads = opt.anneal_reads;
    sa.num_sweeps = opt.anneal_sweeps;
    sa.seed = opt.seed ^ (0x9E3779B97F4A7C15ULL * (round + 1));
    sa.num_threads = opt.num_threads;
    sa.greedy_postprocess = true;
    const sample_set samples = simulated_annealing(q, sa);
    std::optional<configuration> next;
    for (std::size_t k = 0; k < samples.size() && !next; ++k)
      if (auto c = space.decode(samples.state(k)); c && !log.seen.count(*c)) next = std::move(c);
    // The annealer offered only configurations already seen: explore instead of repeating.
    if (!next) next = detail::random_unseen(space, log.seen, rng);
    if (!next) break;
    log.evaluate(objective, space, *next);
  }
  return log.result;
}

}  // namespace hqml::anneal

namespace hqml {
/// The QUBO-encoded search loop, also reachable as hqml::tune.
using anneal::tune;
}  // namespace hqml
