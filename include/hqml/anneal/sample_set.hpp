#pragma once
// The result of a solver run: distinct states with their energies and how often each was
// returned, lowest energy first, plus how the run went (reads done, time, why it stopped).
//
// A long run (reads without end until a time limit) would keep every state it ever returned; with
// sample_limits the set keeps the lowest-energy distinct states and the reads per distinct energy for
// the lowest energies only, in memory that does not grow with the reads, and still counts every read
// (num_reads, reads(), mean_energy()). What it keeps is exact: a kept state's count includes every read
// that returned it, a listed energy's count every read at that energy.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
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

/// How much of the reads a sample set keeps; the defaults keep everything.
struct sample_limits {
  /// Distinct states kept: the lowest energies, ties broken by state (at least 1).
  std::size_t max_states = std::numeric_limits<std::size_t>::max();
  /// Distinct energies whose reads are counted one by one: the lowest (at least 1); reads at higher energies
  /// are counted together (reads_above_energy_counts()).
  std::size_t max_energies = std::numeric_limits<std::size_t>::max();
};

class sample_set {
 public:
  sample_set() = default;
  sample_set(std::size_t num_variables, vartype type, sample_limits limits = {})
      : n_(num_variables), type_(type), limits_(limits) {
    if (limits.max_states == 0 || limits.max_energies == 0)
      throw std::invalid_argument("hqml::anneal::sample_set: max_states and max_energies must be at least 1");
  }

  /// Adds one returned state (values +-1 for spins, 0/1 for bits). Call aggregate() after the last.
  void add(std::span<const std::int8_t> state, double energy, std::size_t occurrences = 1) {
    if (state.size() != n_)
      throw std::invalid_argument("hqml::anneal::sample_set: state of " + std::to_string(state.size()) +
                                  " values, expected " + std::to_string(n_));
    reads_ += occurrences;
    energy_sum_ += energy * static_cast<double>(occurrences);
    count_energy(energy, occurrences);
    // Above the cut-off a state was, or would have been, dropped: its reads are counted, not kept.
    if (cutoff_energy_ && !before_cutoff(energy, state)) return;
    states_.insert(states_.end(), state.begin(), state.end());
    energies_.push_back(energy);
    occurrences_.push_back(occurrences);
    // Rows pile up between merges; merging at twice the limit keeps the cost per read logarithmic.
    if (limits_.max_states < std::numeric_limits<std::size_t>::max() / 4 &&
        energies_.size() >= 2 * limits_.max_states + 256)
      aggregate();
  }

  /// Merges identical states and sorts by energy (ties by state) so that the order, and hence
  /// anything printed from it, does not depend on the order the reads finished in; then keeps the
  /// max_states lowest rows.
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
    if (energies_.size() > limits_.max_states) {
      // The cut-off only ever moves down, so a state dropped now is never added again and every kept
      // state's count stays complete.
      const std::size_t keep = limits_.max_states;
      cutoff_energy_ = energies_[keep - 1];
      cutoff_state_.assign(states_.begin() + static_cast<std::ptrdiff_t>((keep - 1) * n_),
                           states_.begin() + static_cast<std::ptrdiff_t>(keep * n_));
      states_.resize(keep * n_);
      energies_.resize(keep);
      occurrences_.resize(keep);
      states_.shrink_to_fit();
    }
  }

  [[nodiscard]] std::size_t num_variables() const noexcept { return n_; }
  [[nodiscard]] vartype type() const noexcept { return type_; }
  [[nodiscard]] const sample_limits& limits() const noexcept { return limits_; }
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
  /// Reads the kept rows hold (all reads unless the limits dropped some states).
  [[nodiscard]] std::size_t total_occurrences() const noexcept {
    return std::accumulate(occurrences_.begin(), occurrences_.end(), std::size_t{0});
  }
  /// Every read added, kept or not.
  [[nodiscard]] std::size_t reads() const noexcept { return reads_; }

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
  /// Mean energy over all reads, kept or not.
  [[nodiscard]] double mean_energy() const { return reads_ ? energy_sum_ / static_cast<double>(reads_) : 0.0; }
  /// (energy, reads) for the lowest max_energies distinct energies over all reads, lowest first.
  [[nodiscard]] std::vector<std::pair<double, std::size_t>> energy_counts() const {
    return {counts_.begin(), counts_.end()};
  }
  /// Reads at energies above the last one energy_counts() lists (0 when it lists them all).
  [[nodiscard]] std::size_t reads_above_energy_counts() const noexcept { return counts_above_; }

  /// Adds to this set's counts the reads of `from` that its rows do not hold (those its limits dropped),
  /// at the energies `from` recorded: what a set rebuilt from another's rows (to_binary, greedy_descent)
  /// needs to still count every read.
  void add_reads_not_kept(const sample_set& from) {
    std::size_t reads = from.reads_;
    for (const std::size_t c : from.occurrences_) reads -= std::min(reads, c);
    if (reads == 0) return;  // the rows hold every read (the usual case): nothing to carry, not even rounding
    std::map<double, std::size_t> rest = from.counts_;
    std::size_t above = from.counts_above_;
    double sum = from.energy_sum_;
    for (std::size_t k = 0; k < from.size(); ++k) {
      const double e = from.energies_[k];
      const std::size_t c = from.occurrences_[k];
      sum -= e * static_cast<double>(c);
      // Every read at one energy is either listed under it or counted above the list, never split.
      if (const auto it = rest.find(e); it != rest.end()) {
        it->second -= std::min(it->second, c);
        if (it->second == 0) rest.erase(it);
      } else {
        above -= std::min(above, c);
      }
    }
    reads_ += reads;
    energy_sum_ += sum;
    for (const auto& [e, c] : rest) count_energy(e, c);
    counts_above_ += above;
  }

  // How the run went.
  std::size_t num_reads = 0;       // reads that contributed a sample
  std::size_t num_sweeps = 0;      // sweeps (or moves, for tabu) asked per read
  std::size_t spin_updates = 0;    // single-spin proposals made, all reads together
  double time_s = 0.0;             // wall time of the whole run
  double time_to_best_s = 0.0;     // wall time at which the best energy was first returned
  stop_reason stopped = stop_reason::completed;

 private:
  // The energy histogram keeps its lowest max_energies keys; like the rows' cut-off, its highest key only
  // ever moves down, so a listed energy's count is complete.
  void count_energy(double energy, std::size_t reads) {
    if (const auto it = counts_.find(energy); it != counts_.end()) {
      it->second += reads;
    } else if (counts_.size() < limits_.max_energies) {
      counts_.emplace(energy, reads);
    } else if (energy < counts_.rbegin()->first) {
      const auto last = std::prev(counts_.end());
      counts_above_ += last->second;
      counts_.erase(last);
      counts_.emplace(energy, reads);
    } else {
      counts_above_ += reads;
    }
  }
  [[nodiscard]] bool before_cutoff(double energy, std::span<const std::int8_t> state) const {
    if (energy != *cutoff_energy_) return energy < *cutoff_energy_;
    return !std::lexicographical_compare(cutoff_state_.begin(), cutoff_state_.end(), state.begin(), state.end());
  }

  std::size_t n_ = 0;
  vartype type_ = vartype::spin;
  sample_limits limits_;
  std::vector<std::int8_t> states_;
  std::vector<double> energies_;
  std::vector<std::size_t> occurrences_;
  // Rows above (cutoff_energy_, cutoff_state_) were dropped by max_states; unset until something was.
  std::optional<double> cutoff_energy_;
  std::vector<std::int8_t> cutoff_state_;
  std::size_t reads_ = 0;
  double energy_sum_ = 0.0;
  std::map<double, std::size_t> counts_;
  std::size_t counts_above_ = 0;
};

/// The same samples over bits (0/1). Energies are recomputed on `qubo` when given (the Ising
/// form's energies equal them up to rounding), otherwise kept; reads whose states the limits dropped
/// keep their Ising energies in the counts.
[[nodiscard]] inline sample_set to_binary(const sample_set& s, const qubo_model* qubo = nullptr) {
  if (s.type() == vartype::binary) return s;
  sample_set out(s.num_variables(), vartype::binary, s.limits());
  for (std::size_t k = 0; k < s.size(); ++k) {
    const auto bits = spins_to_bits(s.state(k));
    out.add(bits, qubo ? qubo->energy(bits) : s.energies()[k], s.occurrences()[k]);
  }
  out.add_reads_not_kept(s);
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
