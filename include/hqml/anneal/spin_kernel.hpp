#pragma once
// The single-spin-flip machinery shared by the annealers: a solver-ready copy of an Ising model,
// local fields kept up to date incrementally, acceptance tests, and one sweep at fixed beta.
//
// Two number types. When every h_i and J_ij is an integer multiple of one unit u (Gset, most
// QUBOs from combinatorial problems, anything with dyadic coefficients) the fields are int32 in
// units of u: the energy gap of a flip is then 2 u m for an integer m, and the Metropolis or
// Gibbs acceptance probability of every possible m is tabulated once per beta as a 64-bit
// threshold compared with one raw random word, so the inner loop has no exp() at all. Otherwise
// fields are doubles and the acceptance test calls exp(). Either way a flip whose probability is
// below 2^-64 is skipped without drawing a random number (dwave-samplers does the same). The
// probabilities, the skip bound and the flip decision are the kernels' (<hqml/kernels/anneal_step.hpp>),
// which the GPU annealer's kernels use too.
//
// The problem view is a handful of plain pointers so a device backend can take the same arrays.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/config.hpp>
#include <hqml/kernels/anneal_step.hpp>
#include <hqml/name_table.hpp>

namespace hqml::anneal {

enum class acceptance_rule : std::uint8_t { metropolis, gibbs };
enum class update_order : std::uint8_t { sequential, random };

/// Every acceptance rule and its name (a program's --rule choices).
inline constexpr name_table<acceptance_rule, 2> acceptance_rule_names{{
    {acceptance_rule::metropolis, "metropolis"},
    {acceptance_rule::gibbs, "gibbs"},
}};
/// Every update order and its name (a program's --order choices).
inline constexpr name_table<update_order, 2> update_order_names{{
    {update_order::sequential, "sequential"},
    {update_order::random, "random"},
}};

[[nodiscard]] constexpr std::string_view to_string(acceptance_rule r) {
  return name_in(acceptance_rule_names, r, "hqml::anneal::to_string", "acceptance rule");
}
[[nodiscard]] constexpr std::string_view to_string(update_order o) {
  return name_in(update_order_names, o, "hqml::anneal::to_string", "update order");
}
/// The rule (order) called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline acceptance_rule parse_acceptance_rule(std::string_view name) {
  return parse_in(acceptance_rule_names, name, "hqml::anneal::parse_acceptance_rule", "acceptance rule");
}
[[nodiscard]] inline update_order parse_update_order(std::string_view name) {
  return parse_in(update_order_names, name, "hqml::anneal::parse_update_order", "update order");
}

/// The kernels' rule for an acceptance rule.
[[nodiscard]] constexpr kernels::flip_rule to_flip_rule(acceptance_rule r) noexcept {
  return r == acceptance_rule::metropolis ? kernels::flip_rule::metropolis : kernels::flip_rule::gibbs;
}

/// A flip is skipped when beta * dE exceeds this (kernels::flip_skip_exponent: e^-this < 2^-64).
inline constexpr double skip_exponent = kernels::flip_skip_exponent;

/// Non-owning view of an Ising model in solver form. Value is std::int32_t (exact lattice, energies
/// in multiples of `unit`) or double (unit = 1).
template <class Value>
struct spin_problem {
  std::uint32_t n = 0;
  const Value* h = nullptr;                  // n fields
  const std::uint32_t* row_offsets = nullptr;  // n + 1
  const std::uint32_t* columns = nullptr;
  const Value* couplings = nullptr;          // J per CSR entry
  const Value* dense = nullptr;              // n * n row-major, or null when sparse
  double unit = 1.0;
  Value max_field = 0;                       // max_i |h_i| + sum_j |J_ij|, a bound on |field|
};

/// Owns the arrays behind a spin_problem.
template <class Value>
class prepared_ising {
 public:
  prepared_ising() = default;
  /// `scale` multiplies every coefficient before conversion (1/unit for the lattice form).
  prepared_ising(const ising_model& m, double unit) : unit_(unit) {
    const double inv = 1.0 / unit;
    auto conv = [inv](double v) -> Value {
      if constexpr (std::is_integral_v<Value>)
        return static_cast<Value>(std::llround(v * inv));
      else
        return static_cast<Value>(v * inv);
    };
    h_.resize(m.num_variables());
    for (std::size_t i = 0; i < h_.size(); ++i) h_[i] = conv(m.linear()[i]);
    row_offsets_.assign(m.row_offsets().begin(), m.row_offsets().end());
    columns_.assign(m.columns().begin(), m.columns().end());
    j_.resize(m.values().size());
    for (std::size_t k = 0; k < j_.size(); ++k) j_[k] = conv(m.values()[k]);
    if (m.is_dense()) {
      dense_.resize(m.dense().size());
      for (std::size_t k = 0; k < dense_.size(); ++k) dense_[k] = conv(m.dense()[k]);
    }
    for (std::size_t i = 0; i < h_.size(); ++i) {
      Value sum = h_[i] < 0 ? -h_[i] : h_[i];
      for (std::uint32_t k = row_offsets_[i]; k < row_offsets_[i + 1]; ++k) sum += j_[k] < 0 ? -j_[k] : j_[k];
      max_field_ = std::max(max_field_, sum);
    }
  }
  [[nodiscard]] spin_problem<Value> view() const noexcept {
    return {static_cast<std::uint32_t>(h_.size()), h_.data(), row_offsets_.data(), columns_.data(), j_.data(),
            dense_.empty() ? nullptr : dense_.data(), unit_, max_field_};
  }

 private:
  std::vector<Value> h_, j_, dense_;
  std::vector<std::uint32_t> row_offsets_, columns_;
  double unit_ = 1.0;
  Value max_field_ = 0;
};

/// Largest field (in units) for which the lattice form is used: the threshold table must stay
/// small next to the work of a sweep, and int32 fields must not overflow.
inline constexpr std::int64_t lattice_max_field = std::int64_t{1} << 16;

/// The unit u such that every coefficient is an integer multiple of u with bounded fields, or 0
/// when there is none. Only power-of-two scalings are tried (so converting back is exact), then
/// the integers' gcd is taken out (so e.g. all-even weights do not double the table).
[[nodiscard]] inline double lattice_unit(const ising_model& m) {
  for (int p = 0; p <= 16; ++p) {
    const double scale = std::ldexp(1.0, p);
    bool integral = true;
    std::int64_t g = 0;
    auto take = [&](double v) {
      const double x = v * scale;
      if (!(std::abs(x) < 0x1p40) || x != std::nearbyint(x)) {
        integral = false;
        return;
      }
      g = std::gcd(g, static_cast<std::int64_t>(std::llabs(static_cast<long long>(x))));
    };
    for (double v : m.linear()) {
      take(v);
      if (!integral) break;
    }
    for (std::size_t k = 0; integral && k < m.couplings().size(); ++k) take(m.couplings()[k].value);
    if (!integral) continue;
    if (g == 0) g = 1;
    const double unit = static_cast<double>(g) / scale;
    // Bound the largest field in units.
    std::vector<double> sum(m.num_variables(), 0.0);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] = std::abs(m.linear()[i]);
    for (const auto& c : m.couplings()) {
      sum[c.i] += std::abs(c.value);
      sum[c.j] += std::abs(c.value);
    }
    const double max_units = sum.empty() ? 0.0 : *std::max_element(sum.begin(), sum.end()) / unit;
    const double table_budget = 8.0 * static_cast<double>(m.num_variables()) + 64.0;
    if (max_units <= static_cast<double>(lattice_max_field) && max_units <= table_budget) return unit;
    return 0.0;
  }
  return 0.0;
}

/// Calls f(spin_problem<int32_t>) for lattice models and f(spin_problem<double>) otherwise.
template <class F>
decltype(auto) visit_prepared(const ising_model& m, F&& f) {
  if (const double unit = lattice_unit(m); unit > 0.0) {
    const prepared_ising<std::int32_t> p(m, unit);
    return f(p.view());
  }
  const prepared_ising<double> p(m, 1.0);
  return f(p.view());
}

/// Local fields f_i = h_i + sum_j J_ij s_j; flipping i changes the energy by -2 s_i f_i (x unit).
template <class Value>
void compute_fields(const spin_problem<Value>& p, const std::int8_t* s, Value* f) {
  for (std::uint32_t i = 0; i < p.n; ++i) {
    Value v = p.h[i];
    for (std::uint32_t k = p.row_offsets[i]; k < p.row_offsets[i + 1]; ++k)
      v += p.couplings[k] * static_cast<Value>(s[p.columns[k]]);
    f[i] = v;
  }
}

/// Flips spin i and updates every neighbour's field. Returns the energy change in units.
/// Dense is a compile-time choice so that the sparse loop carries no dense code (and its
/// register pressure) and vice versa.
template <bool Dense, class Value>
HQML_FORCE_INLINE Value flip_as(const spin_problem<Value>& p, std::int8_t* HQML_RESTRICT s, Value* HQML_RESTRICT f,
                                std::uint32_t i) {
  const Value old = static_cast<Value>(s[i]);
  const Value delta = static_cast<Value>(-2 * old * f[i]);
  // Every neighbour's field loses J_ij s_i and gains J_ij (-s_i).
  const Value step = static_cast<Value>(2 * old);
  if constexpr (Dense) {
    const Value* HQML_RESTRICT row = p.dense + static_cast<std::size_t>(i) * p.n;
    for (std::uint32_t j = 0; j < p.n; ++j) f[j] -= step * row[j];  // row[i] == 0
  } else {
    const std::uint32_t end = p.row_offsets[i + 1];
    for (std::uint32_t k = p.row_offsets[i]; k < end; ++k) f[p.columns[k]] -= step * p.couplings[k];
  }
  s[i] = static_cast<std::int8_t>(-s[i]);
  return delta;
}

template <class Value>
HQML_FORCE_INLINE Value flip(const spin_problem<Value>& p, std::int8_t* HQML_RESTRICT s, Value* HQML_RESTRICT f,
                             std::uint32_t i) {
  return p.dense ? flip_as<true>(p, s, f, i) : flip_as<false>(p, s, f, i);
}

/// Acceptance test at one beta. The argument k = s_i f_i is minus half the energy change in units
/// (dE = -2 k unit), so k >= 0 is downhill.
template <acceptance_rule Rule, class Value>
class acceptor;

/// Lattice form: probabilities tabulated per beta as thresholds on a 64-bit random word.
template <acceptance_rule Rule>
class acceptor<Rule, std::int32_t> {
 public:
  acceptor(std::int32_t max_field, double unit) : m_(max_field), unit_(unit), table_(2 * std::size_t(m_) + 1) {}

  void set_beta(double beta) {
    // Only gaps up to the skip bound need entries; the rest are never looked up.
    const double reach = beta > 0.0 ? skip_exponent / (2.0 * beta * unit_) : static_cast<double>(m_);
    cut_ = static_cast<std::int32_t>(std::min<double>(m_, std::floor(reach)));
    // From the first k whose flip is accepted without a draw (Metropolis: dE = -2 unit k <= 0, so k >= 0)
    // on, every entry is the largest word, filled without an exp() each.
    constexpr kernels::flip_rule rule = to_flip_rule(Rule);
    std::int32_t k = -cut_;
    for (; k <= m_ && !kernels::flip_certain<rule>(-2.0 * unit_ * static_cast<double>(k)); ++k) {
      const double x = 2.0 * beta * unit_ * static_cast<double>(k);  // -beta * dE
      table_[static_cast<std::size_t>(k + m_)] = threshold(kernels::flip_probability<rule>(x));
    }
    std::fill(table_.begin() + (k + m_), table_.end(), std::numeric_limits<std::uint64_t>::max());
  }

  /// The test itself, small and trivially copyable so that a sweep can hold it in registers.
  /// Downhill moves also go through the table (their entry is 2^64 - 1): one random word costs
  /// less than the mispredicted "downhill?" branch it replaces at intermediate temperatures,
  /// while the skip test stays, being taken almost always (and so predicted) once it is cold.
  struct test {
    const std::uint64_t* centre;  // table entry of k = 0
    std::int32_t cut;
    template <class Rng>
    HQML_FORCE_INLINE bool operator()(std::int32_t k, Rng& rng) const {
      if (k < -cut) return false;
      return rng() < centre[k];
    }
  };
  [[nodiscard]] test view() const noexcept { return {table_.data() + m_, cut_}; }

 private:
  static std::uint64_t threshold(double p) {
    if (p >= 1.0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(p * 0x1p64);
  }
  std::int32_t m_;
  double unit_;
  std::int32_t cut_ = 0;
  std::vector<std::uint64_t> table_;
};

/// Real-valued form: the kernels' flip decision, exp() per uphill proposal.
template <acceptance_rule Rule>
class acceptor<Rule, double> {
 public:
  acceptor(double /*max_field*/, double /*unit*/) {}
  void set_beta(double beta) { two_beta_ = 2.0 * beta; }

  struct test {
    double two_beta;
    template <class Rng>
    HQML_FORCE_INLINE bool operator()(double k, Rng& rng) const {
      // The energy change in units of 2 (dE / 2 = -k) at inverse temperature 2 beta: the same beta * dE,
      // and the compiler folds -(2 beta)(-k) to (2 beta) k and -k <= 0 to k >= 0, so the sweep does no
      // arithmetic beyond the decision's own.
      return kernels::accept_flip<to_flip_rule(Rule)>(-k, two_beta, [&rng] { return rng.uniform(); });
    }
  };
  [[nodiscard]] test view() const noexcept { return {two_beta_}; }

 private:
  double two_beta_ = 0.0;
};

namespace detail {
template <bool Dense, acceptance_rule Rule, update_order Order, class Value, class Rng>
double sweep_as(const spin_problem<Value>& problem, std::int8_t* HQML_RESTRICT s, Value* HQML_RESTRICT f,
                const acceptor<Rule, Value>& accept, Rng& generator) {
  // Local copies: spins are stored as int8_t, and a char store may alias any object reached
  // through a reference, so without them the compiler reloads the problem's pointers, the
  // table and all four words of the generator state after every flip.
  const spin_problem<Value> p = problem;
  const auto test = accept.view();
  Rng rng = generator;
  // A sweep's total change can exceed int32 on large lattices; each flip's cannot.
  std::conditional_t<std::is_integral_v<Value>, std::int64_t, double> de = 0;
  for (std::uint32_t step = 0; step < p.n; ++step) {
    std::uint32_t i;
    if constexpr (Order == update_order::random)
      i = rng.below(p.n);
    else
      i = step;
    const Value k = static_cast<Value>(s[i]) * f[i];
    if (test(k, rng)) de += flip_as<Dense>(p, s, f, i);
  }
  generator = rng;
  return static_cast<double>(de);
}
}  // namespace detail

/// One sweep (n proposals) at the acceptor's beta; returns the energy change in units.
template <acceptance_rule Rule, update_order Order, class Value, class Rng>
double sweep(const spin_problem<Value>& p, std::int8_t* s, Value* f, const acceptor<Rule, Value>& accept, Rng& rng) {
  return p.dense ? detail::sweep_as<true, Rule, Order>(p, s, f, accept, rng)
                 : detail::sweep_as<false, Rule, Order>(p, s, f, accept, rng);
}

}  // namespace hqml::anneal
