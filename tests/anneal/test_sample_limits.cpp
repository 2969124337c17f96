// Runs of unbounded length in bounded memory: sample sets that keep only the lowest states and energies
// (sample_limits), reads merged in order, and annealing schedules computed as the sweeps ask for them.
#include <catch2/catch.hpp>

#include "brute_force.hpp"

#include <hqml/anneal/greedy.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/simulated_annealing.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

using namespace hqml::anneal;
using namespace hqml::anneal::testing;

namespace {

// Many reads over few distinct states and energies, in a scrambled order: state b of 5 bits has energy
// (b % 7) - 3, so several states share each energy.
void add_reads(sample_set& s, std::size_t reads) {
  xoshiro256ss rng(5, 1);
  for (std::size_t r = 0; r < reads; ++r) {
    const auto b = static_cast<std::uint32_t>(rng.below(32));
    s.add(spins_of(b, 5), static_cast<double>(b % 7) - 3.0);
  }
}

}  // namespace

TEST_CASE("a limited sample set keeps the lowest states and energies with exact counts", "[anneal][limits]") {
  sample_set all(5, vartype::spin);
  add_reads(all, 5000);
  all.aggregate();
  REQUIRE(all.size() == 32);
  for (const std::size_t max_states : {std::size_t{1}, std::size_t{3}, std::size_t{31}}) {
    for (const std::size_t max_energies : {std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
      sample_set kept(5, vartype::spin, {max_states, max_energies});
      add_reads(kept, 5000);
      kept.aggregate();
      // The rows are the unlimited set's first ones, counts and all.
      REQUIRE(kept.size() == max_states);
      for (std::size_t k = 0; k < max_states; ++k) {
        CHECK(kept.energies()[k] == all.energies()[k]);
        CHECK(kept.occurrences()[k] == all.occurrences()[k]);
        CHECK(std::equal(kept.state(k).begin(), kept.state(k).end(), all.state(k).begin()));
      }
      // Every read still counts.
      CHECK(kept.reads() == 5000);
      CHECK(kept.mean_energy() == Approx(all.mean_energy()).epsilon(1e-12));
      const auto counts = kept.energy_counts(), full = all.energy_counts();
      REQUIRE(full.size() == 7);
      REQUIRE(counts.size() == max_energies);
      std::size_t listed = 0;
      for (std::size_t k = 0; k < counts.size(); ++k) {
        CHECK(counts[k] == full[k]);
        listed += counts[k].second;
      }
      CHECK(listed + kept.reads_above_energy_counts() == 5000);
      CHECK((max_energies == 7) == (kept.reads_above_energy_counts() == 0));
    }
  }
  CHECK_THROWS_AS(sample_set(5, vartype::spin, {0, 1}), std::invalid_argument);
}

TEST_CASE("a limited sample set stays small however many reads it is given", "[anneal][limits]") {
  sample_set s(5, vartype::spin, {2, 3});
  add_reads(s, 200000);
  // Rows pile up to at most twice the limit (plus a margin) between merges.
  CHECK(s.size() <= 2 * 2 + 256);
  s.aggregate();
  CHECK(s.size() == 2);
  CHECK(s.energy_counts().size() == 3);
  CHECK(s.reads() == 200000);
}

TEST_CASE("to_binary and greedy descent still count the reads a limited set dropped", "[anneal][limits]") {
  sample_set s(5, vartype::spin, {2, 7});
  add_reads(s, 1000);
  s.aggregate();
  const sample_set bits = to_binary(s);
  CHECK(bits.size() == 2);
  CHECK(bits.reads() == 1000);
  CHECK(bits.mean_energy() == Approx(s.mean_energy()).epsilon(1e-12));
  CHECK(bits.energy_counts() == s.energy_counts());
  // A model whose energies are those of add_reads' states would be contrived; any model shows the dropped
  // reads carried at their recorded energies beside the polished kept ones.
  const auto m = random_glass(5, 0.5, 3, true);
  const sample_set polished = greedy_descent(m, s);
  CHECK(polished.reads() == 1000);
  std::size_t counted = polished.reads_above_energy_counts();
  for (const auto& [e, c] : polished.energy_counts()) counted += c;
  CHECK(counted == 1000);
}

TEST_CASE("annealing with limits returns the unlimited run's best rows, whatever the threads", "[anneal][limits]") {
  const auto m = random_glass(12, 0.5, 4, false);  // real couplings: nearly every state its own energy
  sa_options o;
  o.num_reads = 300;
  o.num_sweeps = 20;
  o.seed = 8;
  o.num_threads = 1;
  const sample_set all = simulated_annealing(m, o);
  o.limits = {4, 16};
  for (const int threads : {1, 2, 3}) {
    o.num_threads = threads;
    const sample_set kept = simulated_annealing(m, o);
    REQUIRE(kept.size() == 4);
    CHECK(kept.num_reads == 300);
    for (std::size_t k = 0; k < 4; ++k) {
      CHECK(kept.energies()[k] == all.energies()[k]);
      CHECK(kept.occurrences()[k] == all.occurrences()[k]);
    }
    const auto counts = kept.energy_counts(), full = all.energy_counts();
    REQUIRE(counts.size() == std::min<std::size_t>(16, full.size()));
    CHECK(std::equal(counts.begin(), counts.end(), full.begin()));
    CHECK(kept.mean_energy() == Approx(all.mean_energy()).epsilon(1e-9));
  }
  // With a target the set is reads 0..r whatever the threads, limits or not.
  o.num_threads = 1;
  o.limits = {};
  o.target_energy = all.best_energy() + 1.0;
  const sample_set first = simulated_annealing(m, o);
  o.limits = {1, 1};
  o.num_threads = 3;
  const sample_set again = simulated_annealing(m, o);
  CHECK(again.num_reads == first.num_reads);
  CHECK(again.best_energy() == first.best_energy());
  CHECK(again.mean_energy() == Approx(first.mean_energy()).epsilon(1e-12));
}

TEST_CASE("a long time-limited run keeps bounded samples and stores no schedule", "[anneal][limits]") {
  const auto m = random_glass(30, 0.3, 6, false);
  sa_options o;
  o.num_reads = 0;  // as many as the time allows
  o.num_sweeps = 3;
  o.time_limit_s = 0.3;
  o.limits = {1, 8};
  const sample_set s = simulated_annealing(m, o);
  CHECK(s.stopped == stop_reason::time_limit);
  CHECK(s.num_reads > 100);
  CHECK(s.size() == 1);
  CHECK(s.energy_counts().size() <= 8);
  // 2^40 sweeps would be an 8 TiB schedule if it were stored; the time limit ends the read.
  o.num_reads = 1;
  o.num_sweeps = std::size_t{1} << 40;
  o.time_limit_s = 0.2;
  const sample_set one = simulated_annealing(m, o);
  CHECK(one.stopped == stop_reason::time_limit);
  CHECK(one.num_reads == 1);
  CHECK(one.time_s < 5.0);
}

TEST_CASE("the computed schedule is numpy's geomspace and linspace", "[anneal][beta]") {
  const beta_range range{0.03, 7.5};
  // Short schedules are tabulated, long ones computed as asked: both must be this arithmetic, bit for bit.
  for (const auto kind : {schedule_kind::geometric, schedule_kind::linear})
    for (const std::size_t count : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100000}}) {
      const beta_sequence seq(range, count, kind);
      REQUIRE(seq.size() == count);
      const std::vector<double> stored = make_beta_schedule(range, count, kind);
      CHECK(seq[0] == (count == 1 ? range.cold : range.hot));
      CHECK(seq[count - 1] == range.cold);
      for (std::size_t k = 1; k + 1 < count; k += 1 + count / 1000) {
        const double t = static_cast<double>(k) / static_cast<double>(count - 1);
        const double expected = kind == schedule_kind::linear
                                    ? range.hot + (range.cold - range.hot) * t
                                    : std::exp(std::log(range.hot) + (std::log(range.cold) - std::log(range.hot)) * t);
        CHECK(seq[k] == expected);
        CHECK(stored[k] == expected);
      }
    }
  CHECK_THROWS_AS(beta_sequence({0.0, 1.0}, 3, schedule_kind::geometric), std::invalid_argument);
}
