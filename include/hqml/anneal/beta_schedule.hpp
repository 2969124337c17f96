#pragma once
// Inverse-temperature schedules and the default beta range.
//
// The default range follows the rule of dwave-samplers' SimulatedAnnealingSampler so that hqml
// and that sampler anneal the same problem over the same temperatures at equal settings:
//  * hot end: every spin must flip with probability >= 1/2 at the start. The largest possible
//    energy gap of spin i is 2 (|h_i| + sum_j |J_ij|), so beta_hot = ln 2 / (2 max_i that sum).
//  * cold end: the chance of exciting any spin on the last sweep must be about 1%. The smallest
//    gap of spin i is approximated by 2 min(|h_i|, |J_ij| over its non-zero terms); with g the
//    smallest such value over all spins and c the number of spins attaining it,
//    beta_cold = ln(c / 0.01) / (2 g).
//  * all-zero models get [0.1, 1] (any range is as good as another there).
// A QUBO uses the range of its Ising form.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/name_table.hpp>

namespace hqml::anneal {

enum class schedule_kind : std::uint8_t { geometric, linear };

/// Every schedule kind and its name (a program's --schedule choices).
inline constexpr name_table<schedule_kind, 2> schedule_kind_names{{
    {schedule_kind::geometric, "geometric"},
    {schedule_kind::linear, "linear"},
}};

[[nodiscard]] constexpr std::string_view to_string(schedule_kind k) {
  return name_in(schedule_kind_names, k, "hqml::anneal::to_string", "schedule kind");
}

/// The schedule kind called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline schedule_kind parse_schedule_kind(std::string_view name) {
  return parse_in(schedule_kind_names, name, "hqml::anneal::parse_schedule_kind", "schedule kind");
}

struct beta_range {
  double hot = 0.1;   // first (smallest) beta
  double cold = 1.0;  // last (largest) beta
};

/// The default range described above; `excitation_rate` is the target on the last sweep.
[[nodiscard]] inline beta_range default_beta_range(const ising_model& m, double excitation_rate = 0.01) {
  if (!(excitation_rate > 0.0 && excitation_rate < 1.0))
    throw std::invalid_argument("hqml::anneal: excitation rate must lie in (0, 1)");
  const std::size_t n = m.num_variables();
  std::vector<double> sum_abs(n, 0.0);
  // infinity marks "no non-zero term seen yet"
  std::vector<double> min_abs(n, std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::abs(m.linear()[i]);
    sum_abs[i] = a;
    if (a != 0.0) min_abs[i] = a;
  }
  for (const auto& c : m.couplings()) {
    const double a = std::abs(c.value);
    for (std::uint32_t k : {c.i, c.j}) {
      sum_abs[k] += a;
      if (a != 0.0) min_abs[k] = std::min(min_abs[k], a);
    }
  }
  double min_field = std::numeric_limits<double>::infinity();
  for (double v : min_abs) min_field = std::min(min_field, v);
  if (!std::isfinite(min_field)) return {0.1, 1.0};
  const double max_field = sum_abs.empty() ? 0.0 : *std::max_element(sum_abs.begin(), sum_abs.end());
  const double hot = max_field == 0.0 ? 1.0 : std::numbers::ln2 / (2.0 * max_field);
  const auto count = static_cast<double>(std::count(min_abs.begin(), min_abs.end(), min_field));
  const double cold = std::log(count / excitation_rate) / (2.0 * min_field);
  return {hot, cold};
}

[[nodiscard]] inline beta_range default_beta_range(const qubo_model& q, double excitation_rate = 0.01) {
  return default_beta_range(to_ising(q), excitation_rate);
}

/// The schedule of make_beta_schedule, each beta computed when asked: a run of very many sweeps (cut
/// short by a time limit) needs no array of one value per sweep. A given schedule is viewed, not copied.
class beta_sequence {
 public:
  /// `num_betas` values from range.hot to range.cold, geometric (numpy.geomspace) or linear
  /// (numpy.linspace); a single beta is the cold end, as one sweep "in the target model".
  beta_sequence(beta_range range, std::size_t num_betas, schedule_kind kind = schedule_kind::geometric)
      : range_(range), size_(num_betas), kind_(kind) {
    if (!(range.hot >= 0.0 && range.cold >= 0.0))
      throw std::invalid_argument("hqml::anneal: beta range must be non-negative");
    if (kind == schedule_kind::geometric && num_betas > 1 && !(range.hot > 0.0 && range.cold > 0.0))
      throw std::invalid_argument("hqml::anneal: a geometric schedule needs a beta range above zero");
    if (kind == schedule_kind::geometric && num_betas > 1) {
      lo_ = std::log(range.hot);
      hi_ = std::log(range.cold);
    }
    // A schedule of usual length is tabulated: an exp() per sweep would slow sweeps of small models.
    if (num_betas <= max_tabulated) {
      table_.resize(num_betas);
      for (std::size_t k = 0; k < num_betas; ++k) table_[k] = compute(k);
    }
  }
  /// The values of `given`, which must outlive the sequence.
  explicit beta_sequence(std::span<const double> given) : given_(given), size_(given.size()) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] double operator[](std::size_t k) const {
    if (!table_.empty()) return table_[k];
    return given_.empty() ? compute(k) : given_[k];
  }

 private:
  static constexpr std::size_t max_tabulated = std::size_t{1} << 16;

  [[nodiscard]] double compute(std::size_t k) const {
    // Exact end points, as numpy gives them.
    if (k + 1 == size_) return range_.cold;
    if (k == 0) return range_.hot;
    const double t = static_cast<double>(k) / static_cast<double>(size_ - 1);
    if (kind_ == schedule_kind::linear) return range_.hot + (range_.cold - range_.hot) * t;
    return std::exp(lo_ + (hi_ - lo_) * t);
  }

  std::span<const double> given_;
  std::vector<double> table_;
  beta_range range_;
  std::size_t size_ = 0;
  schedule_kind kind_ = schedule_kind::geometric;
  double lo_ = 0.0, hi_ = 0.0;
};

/// `num_betas` values from range.hot to range.cold, geometric (numpy.geomspace) or linear
/// (numpy.linspace); a single beta is the cold end, as one sweep "in the target model".
[[nodiscard]] inline std::vector<double> make_beta_schedule(beta_range range, std::size_t num_betas,
                                                            schedule_kind kind = schedule_kind::geometric) {
  const beta_sequence seq(range, num_betas, kind);
  std::vector<double> betas(num_betas);
  for (std::size_t k = 0; k < num_betas; ++k) betas[k] = seq[k];
  return betas;
}

}  // namespace hqml::anneal
