#pragma once
// The result of a solver run: distinct states with their energies and how often each was
// returned, lowest energy first, plus how the run went (reads done, time, why it stopped).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <hqml/anneal/model.hpp>

namespace hqml::anneal {

/// Why a run ended.
enum class stop_reason : std::uint8_t { completed, time_limit, target_reached, interrupted };

[[nodiscard]] inline const char* to_string(stop_reason r) noexcept {
  switch (r) {
    case stop_reason::completed: return "completed";
    case stop_reason::time_limit: return "time_limit";
    case stop_reason::target_reached: return "target_reached";
    case stop_reason::interrupted: return "interrupted";
  }
  return "unknown";
}

/// What a progress callback sees after each finished read; returning false stops the run.
struct progress {
  std::size_t reads_done = 0;
  double best_energy = 0.0;
  double elapsed_s = 0.0;
};
using progress_callback = std::function<bool(const progress&)>;

class sample_set {
 public:
  sample_set() = default;
  sample_set(std::size_t num_variables, vartype type) : n_(num_variables), type_(type) {}

  /// Adds one returned state (values +-1 for spins, 0/1 for bits). Call aggregate() after the last.
  void add(std::span<const std::int8_t> state, double energy, std::size_t occurrences = 1) {
    if (state.size() != n_)
      throw std::invalid_argument("hqml::anneal::sample_set: state of " + std::to_string(state.size()) +
                                  " values, expected " + std::to_string(n_));
    states_.insert(states_.end(), state.begin(), state.end());
    energies_.push_back(energy);
    occurrences_.push_back(occurrences);
  }

  /// Merges identical states and sorts by energy (ties by state) so that the order, and hence
  /// anything printed from it, does not depend on the order the reads finished in.
  void aggregate() {
    const std::size_t m = energies_.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto row = [&](std::size_t r) { return std::span<const std::int8_t>(states_.data() + r * n_, n_); };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (energies_[a] != energies_[b]) return energies_[a] < energies_[b];
      const auto ra = row(a), rb = row(b);
      return std::lexicographical_compare(ra.begin(), ra.end(), rb.begin(), rb.end());
    });
    std::vector<std::int8_t> states;
    std::vector<double> energies;
    std::vector<std::size_t> occurrences;
    states.reserve(states_.size());
    for (std::size_t k = 0; k < m; ++k) {
      const std::size_t r = order[k];
      const auto cur = row(r);
      if (!energies.empty() && energies.back() == energies_[r] &&
          std::equal(cur.begin(), cur.end(), states.end() - static_cast<std::ptrdiff_t>(n_))) {
        occurrences.back() += occurrences_[r];
        continue;
      }
      states.insert(states.end(), cur.begin(), cur.end());
      energies.push_back(energies_[r]);
      occurrences.push_back(occurrences_[r]);
    }
    states_ = std::move(states);
    energies_ = std::move(energies);
    occurrences_ = std::move(occurrences);
  }

  [[nodiscard]] std::size_t num_variables() const noexcept { return n_; }
  [[nodiscard]] vartype type() const noexcept { return type_; }
  /// Number of distinct rows (after aggregate()).
  [[nodiscard]] std::size_t size() const noexcept { return energies_.size(); }
  [[nodiscard]] bool empty() const noexcept { return energies_.empty(); }
  [[nodiscard]] std::span<const std::int8_t> state(std::size_t k) const {
    if (k >= size()) throw std::out_of_range("hqml::anneal::sample_set: no sample " + std::to_string(k));
    return {states_.data() + k * n_, n_};
  }
  [[nodiscard]] std::span<const double> energies() const noexcept { return energies_; }
  [[nodiscard]] std::span<const std::size_t> occurrences() const noexcept { return occurrences_; }
  /// All rows flattened row-major (size() x num_variables()).
  [[nodiscard]] std::span<const std::int8_t> states() const noexcept { return states_; }
  [[nodiscard]] std::size_t total_occurrences() const noexcept {
    return std::accumulate(occurrences_.begin(), occurrences_.end(), std::size_t{0});
  }

  [[nodiscard]] double best_energy() const {
    if (empty()) throw std::logic_error("hqml::anneal::sample_set: no samples");
    return energies_.front();
  }
  [[nodiscard]] std::span<const std::int8_t> best_state() const { return state(0); }
  /// Indices of the k lowest-energy distinct states (fewer if there are fewer).
  [[nodiscard]] std::vector<std::size_t> best(std::size_t k) const {
    std::vector<std::size_t> idx(std::min(k, size()));
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    return idx;
  }
  /// Mean energy over all reads (weighted by occurrences).
  [[nodiscard]] double mean_energy() const {
    double sum = 0.0;
    for (std::size_t k = 0; k < size(); ++k) sum += energies_[k] * static_cast<double>(occurrences_[k]);
    const auto total = total_occurrences();
    return total ? sum / static_cast<double>(total) : 0.0;
  }

  // How the run went.
  std::size_t num_reads = 0;       // reads that contributed a sample
  std::size_t num_sweeps = 0;      // sweeps (or moves, for tabu) asked per read
  std::size_t spin_updates = 0;    // single-spin proposals made, all reads together
  double time_s = 0.0;             // wall time of the whole run
  double time_to_best_s = 0.0;     // wall time at which the best energy was first returned
  stop_reason stopped = stop_reason::completed;

 private:
  std::size_t n_ = 0;
  vartype type_ = vartype::spin;
  std::vector<std::int8_t> states_;
  std::vector<double> energies_;
  std::vector<std::size_t> occurrences_;
};

/// The same samples over bits (0/1). Energies are recomputed on `qubo` when given (the Ising
/// form's energies equal them up to rounding), otherwise kept.
[[nodiscard]] inline sample_set to_binary(const sample_set& s, const qubo_model* qubo = nullptr) {
  if (s.type() == vartype::binary) return s;
  sample_set out(s.num_variables(), vartype::binary);
  for (std::size_t k = 0; k < s.size(); ++k) {
    const auto bits = spins_to_bits(s.state(k));
    out.add(bits, qubo ? qubo->energy(bits) : s.energies()[k], s.occurrences()[k]);
  }
  out.aggregate();
  out.num_reads = s.num_reads;
  out.num_sweeps = s.num_sweeps;
  out.spin_updates = s.spin_updates;
  out.time_s = s.time_s;
  out.time_to_best_s = s.time_to_best_s;
  out.stopped = s.stopped;
  return out;
}

}  // namespace hqml::anneal
