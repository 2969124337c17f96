// Solvers against exhaustive search, determinism across thread counts, stop conditions, and a
// short Gset quality check.
#include <catch2/catch.hpp>

#include "common/skip.hpp"

#include "brute_force.hpp"

#include <hqml/anneal/formats.hpp>
#include <hqml/anneal/greedy.hpp>
#include <hqml/anneal/parallel_tempering.hpp>
#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/anneal/tabu.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace hqml::anneal;
using namespace hqml::anneal::testing;

TEST_CASE("default beta range follows dwave-samplers' rule", "[anneal][beta]") {
  // Reference values printed by dwave-samplers 1.8.0's _default_ising_beta_range on the same input.
  const ising_model m(4, {0.5, 0.0, -2.0, 0.0}, {{0, 1, 1.5}, {1, 2, -0.25}, {2, 3, 0.25}, {0, 3, 3.0}});
  const auto r = default_beta_range(m);
  CHECK(r.hot == Approx(0.06931471805599453).epsilon(1e-14));
  CHECK(r.cold == Approx(11.407564949312402).epsilon(1e-14));
  const qubo_model q(2, {1.0, -2.0}, {{0, 1, 3.0}}, 0.5);
  const auto rq = default_beta_range(q);
  CHECK(rq.hot == Approx(0.17328679513998632).epsilon(1e-14));
  CHECK(rq.cold == Approx(9.210340371976184).epsilon(1e-14));
  const auto zero = default_beta_range(ising_model(3, {}, {}));
  CHECK(zero.hot == 0.1);
  CHECK(zero.cold == 1.0);
}

TEST_CASE("beta schedules: geometric and linear end points and spacing", "[anneal][beta]") {
  const auto g = make_beta_schedule({0.1, 10.0}, 5, schedule_kind::geometric);
  REQUIRE(g.size() == 5);
  CHECK(g.front() == 0.1);
  CHECK(g.back() == 10.0);
  CHECK(g[2] == Approx(1.0));
  const auto l = make_beta_schedule({1.0, 3.0}, 3, schedule_kind::linear);
  CHECK(l == std::vector<double>{1.0, 2.0, 3.0});
  CHECK(make_beta_schedule({1.0, 3.0}, 1) == std::vector<double>{3.0});
  CHECK_THROWS_AS(make_beta_schedule({0.0, 3.0}, 4, schedule_kind::geometric), std::invalid_argument);
}

TEST_CASE("simulated annealing finds brute-force ground states", "[anneal][sa]") {
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const bool integer = seed % 2 == 0;  // lattice and real-valued paths
    const auto m = random_glass(14, seed < 3 ? 0.3 : 0.8, seed, integer);
    const double ground = ground_energy(m);
    for (auto rule : {acceptance_rule::metropolis, acceptance_rule::gibbs})
      for (auto order : {update_order::sequential, update_order::random}) {
        sa_options o;
        o.num_reads = 20;
        o.num_sweeps = 300;
        o.seed = seed;
        o.rule = rule;
        o.order = order;
        const auto s = simulated_annealing(m, o);
        CAPTURE(seed, int(rule), int(order));
        CHECK(s.best_energy() == Approx(ground).margin(1e-9));
        CHECK(s.num_reads == 20);
        CHECK(s.best_energy() == Approx(m.energy(s.best_state())).margin(1e-9));
      }
  }
}

TEST_CASE("simulated annealing on a QUBO returns bits and QUBO energies", "[anneal][sa]") {
  const auto m = random_glass(12, 0.5, 11, true);
  const auto q = to_qubo(m);
  sa_options o;
  o.num_reads = 10;
  o.num_sweeps = 200;
  const auto s = simulated_annealing(q, o);
  CHECK(s.type() == vartype::binary);
  for (std::size_t k = 0; k < s.size(); ++k) {
    for (auto v : s.state(k)) CHECK((v == 0 || v == 1));
    CHECK(s.energies()[k] == q.energy(s.state(k)));
  }
  CHECK(s.best_energy() == Approx(ground_energy(m)));
}

TEST_CASE("results are identical whatever the thread count", "[anneal][determinism]") {
  const auto m = random_glass(60, 0.1, 5, true);
  const auto r = random_glass(60, 0.1, 6, false);
  for (const ising_model* model : {&m, &r}) {
    sa_options o;
    o.num_reads = 13;
    o.num_sweeps = 50;
    o.seed = 1234;
    o.num_threads = 1;
    const auto one = simulated_annealing(*model, o);
    o.num_threads = 2;
    const auto two = simulated_annealing(*model, o);
    o.num_threads = 3;
    const auto three = simulated_annealing(*model, o);
    REQUIRE(one.size() == two.size());
    REQUIRE(one.size() == three.size());
    for (std::size_t k = 0; k < one.size(); ++k) {
      CHECK(std::equal(one.state(k).begin(), one.state(k).end(), two.state(k).begin()));
      CHECK(std::equal(one.state(k).begin(), one.state(k).end(), three.state(k).begin()));
      CHECK(one.occurrences()[k] == two.occurrences()[k]);
    }
    o.seed = 1235;
    const auto other = simulated_annealing(*model, o);
    CHECK_FALSE((other.size() == one.size() &&
                 std::equal(other.states().begin(), other.states().end(), one.states().begin())));
  }
  pt_options p;
  p.num_reads = 1;
  p.num_replicas = 6;
  p.num_sweeps = 40;
  p.seed = 3;
  p.num_threads = 1;
  const auto a = parallel_tempering(m, p);
  p.num_threads = 2;  // one read: replicas sweep on two threads
  const auto b = parallel_tempering(m, p);
  CHECK(a.best_energy() == b.best_energy());
  CHECK(std::equal(a.best_state().begin(), a.best_state().end(), b.best_state().begin()));
  tabu_options t;
  t.num_reads = 4;
  t.num_restarts = 2;
  t.num_iterations = 300;
  t.num_threads = 1;
  const auto ta = tabu_search(m, t);
  t.num_threads = 2;
  const auto tb = tabu_search(m, t);
  CHECK(std::equal(ta.states().begin(), ta.states().end(), tb.states().begin(), tb.states().end()));
}

TEST_CASE("a target energy stops early and keeps the result deterministic", "[anneal][stop]") {
  const auto m = random_glass(40, 0.2, 8, true);
  sa_options o;
  o.num_reads = 200;
  o.num_sweeps = 200;
  o.seed = 99;
  o.num_threads = 1;
  const double target = simulated_annealing(m, o).best_energy() + 4.0;  // easy to reach
  o.target_energy = target;
  const auto one = simulated_annealing(m, o);
  o.num_threads = 2;
  const auto two = simulated_annealing(m, o);
  CHECK(one.stopped == stop_reason::target_reached);
  CHECK(one.best_energy() <= target);
  CHECK(one.num_reads < 200);
  CHECK(one.num_reads == two.num_reads);
  CHECK(std::equal(one.states().begin(), one.states().end(), two.states().begin(), two.states().end()));
  // Unbounded reads with a target.
  o.num_reads = 0;
  CHECK(simulated_annealing(m, o).stopped == stop_reason::target_reached);
}

TEST_CASE("a time limit and a progress callback stop the run", "[anneal][stop]") {
  const auto m = random_glass(200, 0.05, 2, true);
  sa_options o;
  o.num_reads = 0;  // as many as fit
  o.num_sweeps = 100;
  o.time_limit_s = 0.2;
  const auto s = simulated_annealing(m, o);
  CHECK(s.stopped == stop_reason::time_limit);
  CHECK(s.time_s < 2.0);
  CHECK(s.num_reads >= 1);
  std::size_t calls = 0;
  o.time_limit_s = 0.0;
  o.num_reads = 50;
  o.num_threads = 1;
  o.on_progress = [&](const progress& p) {
    ++calls;
    CHECK(p.reads_done == calls);
    return p.reads_done < 3;
  };
  const auto cut = simulated_annealing(m, o);
  CHECK(cut.stopped == stop_reason::interrupted);
  CHECK(calls == 3);
  CHECK(cut.num_reads == 3);
  sa_options bad;
  bad.num_reads = 0;
  CHECK_THROWS_AS(simulated_annealing(m, bad), std::invalid_argument);
}

TEST_CASE("parallel tempering and tabu search find brute-force ground states", "[anneal][pt][tabu]") {
  for (std::uint64_t seed = 20; seed < 24; ++seed) {
    const auto m = random_glass(15, 0.4, seed, seed % 2 == 0);
    const double ground = ground_energy(m);
    pt_options p;
    p.num_reads = 2;
    p.num_replicas = 8;
    p.num_sweeps = 300;
    p.seed = seed;
    CHECK(parallel_tempering(m, p).best_energy() == Approx(ground).margin(1e-9));
    tabu_options t;
    t.num_reads = 2;
    t.num_restarts = 3;
    t.num_iterations = 500;
    t.seed = seed;
    const auto ts = tabu_search(m, t);
    CHECK(ts.best_energy() == Approx(ground).margin(1e-9));
    CHECK(ts.best_energy() == Approx(m.energy(ts.best_state())).margin(1e-9));
  }
}

TEST_CASE("adaptive betas even out swap rates and keep the ends", "[anneal][pt]") {
  std::vector<double> b{0.1, 0.2, 0.4, 0.8, 1.6};
  const std::vector<double> rate{0.9, 0.9, 0.1, 0.1};
  adapt_betas(b, rate);
  CHECK(b.front() == 0.1);
  CHECK(b.back() == Approx(1.6));
  // Gaps with low swap rates shrink: the upper gaps narrow relative to the lower ones.
  CHECK(std::log(b[4] / b[3]) < std::log(b[1] / b[0]));
  CHECK(std::is_sorted(b.begin(), b.end()));
}

TEST_CASE("greedy descent ends in a single-flip local minimum", "[anneal][greedy]") {
  const auto m = random_glass(50, 0.2, 4, false);
  xoshiro256ss rng(1, 1);
  for (int t = 0; t < 10; ++t) {
    std::vector<std::int8_t> s(50);
    for (auto& v : s) v = static_cast<std::int8_t>(rng.below(2) ? 1 : -1);
    const double before = m.energy(s);
    const double after = greedy_descent(m, std::span<std::int8_t>(s));
    CHECK(after <= before);
    CHECK(after == Approx(m.energy(s)));
    for (std::size_t i = 0; i < 50; ++i) CHECK(m.delta_energy(s, i) >= -1e-12);
  }
}

TEST_CASE("sample sets aggregate, sort and report the best k", "[anneal][sample_set]") {
  sample_set s(2, vartype::spin);
  const std::vector<std::int8_t> a{1, -1}, b{-1, -1};
  s.add(a, 1.0);
  s.add(b, -2.0);
  s.add(a, 1.0);
  s.aggregate();
  REQUIRE(s.size() == 2);
  CHECK(s.best_energy() == -2.0);
  CHECK(s.occurrences()[1] == 2);
  CHECK(s.total_occurrences() == 3);
  CHECK(s.mean_energy() == Approx(0.0));
  CHECK(s.best(5).size() == 2);
  const auto bits = to_binary(s);
  CHECK(bits.state(0)[0] == 0);
}

TEST_CASE("G14 smoke test: SA gets within 1% of the best-known cut", "[anneal][gset]") {
  const std::string path = std::string(HQML_SHARED_DIR) + "/data/gset/G14.txt";
  if (!std::filesystem::exists(path)) {
    HQML_SKIP_TEST(path + " not found (the shared data folder is absent)");
  }
  const auto p = read_gset(path);
  sa_options o;
  o.num_reads = 4;
  o.num_sweeps = 2000;
  o.seed = 7;
  const auto s = simulated_annealing(p.model, o);
  const double cut = p.cut_from_energy(s.best_energy());
  CHECK(cut >= 0.99 * 3064);
  CHECK(cut == p.cut(s.best_state()));
}
