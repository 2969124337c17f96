#pragma once
// Ising and QUBO models with a constant offset.
//
//   Ising: E(s) = offset + sum_i h_i s_i + sum_{i<j} J_ij s_i s_j,  s_i in {-1, +1}
//   QUBO:  E(x) = offset + sum_i q_i x_i + sum_{i<j} Q_ij x_i x_j,  x_i in {0, 1}
//
// Both keep the couplings twice: as a sorted edge list (i < j, one entry per pair) for exact
// energies and writers, and as a symmetric adjacency for the solvers, in CSR always and also as
// a dense row-major matrix when the graph is dense enough that a contiguous row beats indexed
// gathers. Everything a solver reads is a plain array so a GPU backend can copy it as it is.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml::anneal {

enum class vartype : std::uint8_t { spin, binary };

/// How the adjacency is stored; `automatic` picks dense above density_threshold.
enum class storage : std::uint8_t { automatic, sparse, dense };

/// One coupling between two variables (i < j once a model holds it).
struct coupling {
  std::uint32_t i;
  std::uint32_t j;
  double value;
  friend bool operator==(const coupling&, const coupling&) = default;
};

/// A quadratic model over spins or bits; `ising_model` and `qubo_model` below.
template <vartype Type>
class quadratic_model {
 public:
  static constexpr vartype type = Type;
  /// Dense storage pays off once a row holds this fraction of all variables (measured on
  /// random graphs: below it the CSR gather touches fewer cache lines than the dense row).
  static constexpr double density_threshold = 0.25;
  /// ...and only while n*n doubles stay modest; larger dense problems use CSR anyway.
  static constexpr std::size_t dense_max_variables = 4096;

  quadratic_model() = default;

  /// Builds a model from linear terms (size n, or empty for all zero) and couplings in any order.
  /// Repeated pairs add up; i == j terms fold into the offset (spins: s^2 = 1) or the linear
  /// term (bits: x^2 = x); exact zeros are dropped.
  quadratic_model(std::size_t num_variables, std::vector<double> linear, std::vector<coupling> couplings,
                  double offset = 0.0, storage how = storage::automatic)
      : n_(num_variables), linear_(std::move(linear)), offset_(offset) {
    if (n_ > std::numeric_limits<std::uint32_t>::max() - 1)
      throw std::invalid_argument("hqml::anneal: too many variables (" + std::to_string(n_) + ")");
    if (linear_.empty()) linear_.assign(n_, 0.0);
    if (linear_.size() != n_)
      throw std::invalid_argument("hqml::anneal: " + std::to_string(linear_.size()) + " linear terms for " +
                                  std::to_string(n_) + " variables");
    for (auto& c : couplings) {
      if (c.i >= n_ || c.j >= n_)
        throw std::out_of_range("hqml::anneal: coupling (" + std::to_string(c.i) + ", " + std::to_string(c.j) +
                                ") outside " + std::to_string(n_) + " variables");
      if (c.i > c.j) std::swap(c.i, c.j);
    }
    std::sort(couplings.begin(), couplings.end(),
              [](const coupling& a, const coupling& b) { return a.i != b.i ? a.i < b.i : a.j < b.j; });
    couplings_.reserve(couplings.size());
    for (const auto& c : couplings) {
      if (c.i == c.j) {
        if constexpr (Type == vartype::spin)
          offset_ += c.value;
        else
          linear_[c.i] += c.value;
        continue;
      }
      if (!couplings_.empty() && couplings_.back().i == c.i && couplings_.back().j == c.j)
        couplings_.back().value += c.value;
      else
        couplings_.push_back(c);
    }
    std::erase_if(couplings_, [](const coupling& c) { return c.value == 0.0; });
    build_adjacency(how);
  }

  [[nodiscard]] std::size_t num_variables() const noexcept { return n_; }
  [[nodiscard]] std::size_t num_couplings() const noexcept { return couplings_.size(); }
  [[nodiscard]] double offset() const noexcept { return offset_; }
  [[nodiscard]] std::span<const double> linear() const noexcept { return linear_; }
  [[nodiscard]] double linear(std::size_t i) const { return linear_.at(i); }
  /// Couplings sorted by (i, j), i < j, no repeats, no zeros.
  [[nodiscard]] std::span<const coupling> couplings() const noexcept { return couplings_; }
  /// Fraction of the n(n-1)/2 pairs that are coupled.
  [[nodiscard]] double density() const noexcept {
    return n_ < 2 ? 0.0 : static_cast<double>(couplings_.size()) / (0.5 * static_cast<double>(n_) *
                                                                     static_cast<double>(n_ - 1));
  }

  // Symmetric adjacency in CSR: neighbours of i are columns[row_offsets[i] .. row_offsets[i+1]).
  [[nodiscard]] std::span<const std::uint32_t> row_offsets() const noexcept { return row_offsets_; }
  [[nodiscard]] std::span<const std::uint32_t> columns() const noexcept { return columns_; }
  [[nodiscard]] std::span<const double> values() const noexcept { return values_; }
  /// Row-major n x n symmetric matrix with a zero diagonal, or empty when stored sparse.
  [[nodiscard]] std::span<const double> dense() const noexcept { return dense_; }
  [[nodiscard]] bool is_dense() const noexcept { return !dense_.empty(); }

  /// Energy of one assignment: +-1 per spin or 0/1 per bit.
  template <class T>
  [[nodiscard]] double energy(std::span<const T> state) const {
    check_state_size(state.size());
    double e = offset_;
    for (std::size_t i = 0; i < n_; ++i) e += linear_[i] * static_cast<double>(state[i]);
    for (const auto& c : couplings_)
      e += c.value * static_cast<double>(state[c.i]) * static_cast<double>(state[c.j]);
    return e;
  }
  template <class T>
  [[nodiscard]] double energy(const std::vector<T>& state) const {
    return energy(std::span<const T>(state));
  }

  /// Energy change when variable i alone changes value (spin flip or bit flip).
  template <class T>
  [[nodiscard]] double delta_energy(std::span<const T> state, std::size_t i) const {
    check_state_size(state.size());
    double field = linear_.at(i);
    for (std::uint32_t k = row_offsets_[i]; k < row_offsets_[i + 1]; ++k)
      field += values_[k] * static_cast<double>(state[columns_[k]]);
    const double v = static_cast<double>(state[i]);
    if constexpr (Type == vartype::spin)
      return -2.0 * v * field;
    else
      return (1.0 - 2.0 * v) * field;
  }
  template <class T>
  [[nodiscard]] double delta_energy(const std::vector<T>& state, std::size_t i) const {
    return delta_energy(std::span<const T>(state), i);
  }

  /// The same model with its adjacency stored the other way.
  [[nodiscard]] quadratic_model with_storage(storage how) const {
    quadratic_model m = *this;
    m.build_adjacency(how);
    return m;
  }

 private:
  void check_state_size(std::size_t size) const {
    if (size != n_)
      throw std::invalid_argument("hqml::anneal: state of " + std::to_string(size) + " values for a model of " +
                                  std::to_string(n_) + " variables");
  }

  void build_adjacency(storage how) {
    row_offsets_.assign(n_ + 1, 0);
    for (const auto& c : couplings_) {
      ++row_offsets_[c.i + 1];
      ++row_offsets_[c.j + 1];
    }
    for (std::size_t i = 0; i < n_; ++i) row_offsets_[i + 1] += row_offsets_[i];
    columns_.assign(row_offsets_[n_], 0);
    values_.assign(row_offsets_[n_], 0.0);
    std::vector<std::uint32_t> next(row_offsets_.begin(), row_offsets_.end() - 1);
    // Edges sorted by (i, j) fill every row in increasing column order: a row r first receives
    // its smaller neighbours (edges (i, r), i < r, come earlier) and then its larger ones.
    for (const auto& c : couplings_) {
      columns_[next[c.i]] = c.j;
      values_[next[c.i]++] = c.value;
      columns_[next[c.j]] = c.i;
      values_[next[c.j]++] = c.value;
    }
    const bool dense = how == storage::dense ||
                       (how == storage::automatic && density() >= density_threshold && n_ <= dense_max_variables);
    dense_.clear();
    if (dense) {
      dense_.assign(n_ * n_, 0.0);
      for (const auto& c : couplings_) {
        dense_[static_cast<std::size_t>(c.i) * n_ + c.j] = c.value;
        dense_[static_cast<std::size_t>(c.j) * n_ + c.i] = c.value;
      }
    }
    dense_.shrink_to_fit();
  }

  std::size_t n_ = 0;
  std::vector<double> linear_;
  std::vector<coupling> couplings_;
  double offset_ = 0.0;
  std::vector<std::uint32_t> row_offsets_{0};
  std::vector<std::uint32_t> columns_;
  std::vector<double> values_;
  std::vector<double> dense_;
};

using ising_model = quadratic_model<vartype::spin>;
using qubo_model = quadratic_model<vartype::binary>;

/// Ising from QUBO by x = (1 + s) / 2. Every coefficient is an exact scaling by 1/2 or 1/4, so
/// energies agree exactly whenever the sums do not round (e.g. for dyadic coefficients).
[[nodiscard]] inline ising_model to_ising(const qubo_model& q, storage how = storage::automatic) {
  const std::size_t n = q.num_variables();
  std::vector<double> h(n);
  double offset = q.offset();
  for (std::size_t i = 0; i < n; ++i) {
    h[i] = 0.5 * q.linear()[i];
    offset += 0.5 * q.linear()[i];
  }
  std::vector<coupling> j;
  j.reserve(q.num_couplings());
  for (const auto& c : q.couplings()) {
    const double quarter = 0.25 * c.value;
    j.push_back({c.i, c.j, quarter});
    h[c.i] += quarter;
    h[c.j] += quarter;
    offset += quarter;
  }
  return ising_model(n, std::move(h), std::move(j), offset, how);
}

/// QUBO from Ising by s = 2x - 1.
[[nodiscard]] inline qubo_model to_qubo(const ising_model& m, storage how = storage::automatic) {
  const std::size_t n = m.num_variables();
  std::vector<double> q(n);
  double offset = m.offset();
  for (std::size_t i = 0; i < n; ++i) {
    q[i] = 2.0 * m.linear()[i];
    offset -= m.linear()[i];
  }
  std::vector<coupling> quad;
  quad.reserve(m.num_couplings());
  for (const auto& c : m.couplings()) {
    quad.push_back({c.i, c.j, 4.0 * c.value});
    q[c.i] -= 2.0 * c.value;
    q[c.j] -= 2.0 * c.value;
    offset += c.value;
  }
  return qubo_model(n, std::move(q), std::move(quad), offset, how);
}

/// Spins (+-1) to bits (0/1) and back, matching the conversions above.
template <class T>
[[nodiscard]] std::vector<std::int8_t> spins_to_bits(std::span<const T> s) {
  std::vector<std::int8_t> x(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) x[i] = static_cast<std::int8_t>(s[i] > 0 ? 1 : 0);
  return x;
}
template <class T>
[[nodiscard]] std::vector<std::int8_t> bits_to_spins(std::span<const T> x) {
  std::vector<std::int8_t> s(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) s[i] = static_cast<std::int8_t>(x[i] != 0 ? 1 : -1);
  return s;
}

/// A weighted graph whose maximum cut is sought, with its Ising form.
struct maxcut_problem {
  std::size_t num_vertices = 0;
  std::vector<coupling> edges;  // as read (vertex indices 0-based), repeats kept
  double total_weight = 0.0;
  ising_model model;  // E(s) = sum w_ij s_i s_j: cut(s) = (W - E(s)) / 2

  [[nodiscard]] double cut_from_energy(double energy) const noexcept { return 0.5 * (total_weight - energy); }
  [[nodiscard]] double energy_from_cut(double cut) const noexcept { return total_weight - 2.0 * cut; }
  /// Cut value of a spin assignment computed from the edges directly.
  template <class T>
  [[nodiscard]] double cut(std::span<const T> spins) const {
    double c = 0.0;
    for (const auto& e : edges)
      if ((spins[e.i] > 0) != (spins[e.j] > 0)) c += e.value;
    return c;
  }
};

/// Max-Cut to Ising: each edge w_ij becomes J_ij = w_ij (minimizing E maximizes the cut).
[[nodiscard]] inline maxcut_problem maxcut_to_ising(std::size_t num_vertices, std::vector<coupling> edges,
                                                    storage how = storage::automatic) {
  maxcut_problem p;
  p.num_vertices = num_vertices;
  for (const auto& e : edges) {
    if (e.i == e.j) throw std::invalid_argument("hqml::anneal: self-loop on vertex " + std::to_string(e.i));
    p.total_weight += e.value;
  }
  p.model = ising_model(num_vertices, {}, edges, 0.0, how);
  p.edges = std::move(edges);
  return p;
}

}  // namespace hqml::anneal
