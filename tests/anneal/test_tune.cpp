// QUBO-encoded hyperparameter search on synthetic objectives with known optima.
#include <catch2/catch.hpp>

#include <hqml/anneal/hyperparameter_search.hpp>

#include <cmath>
#include <set>
#include <vector>

using namespace hqml::anneal;

namespace {

search_space make_space() {
  std::vector<hyperparameter> p;
  p.push_back({"C", {0.01, 0.1, 1, 10, 100, 1000}});
  p.push_back({"gamma", {1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100}});
  p.push_back({"degree", {1, 2, 3, 4, 5}});
  p.push_back({"alpha", {0, 0.25, 0.5, 0.75, 1.0, 1.25}});
  return search_space(std::move(p));
}

// A smooth bowl with an interaction between C and gamma; maximum 1.0 at C = 10, gamma = 0.01,
// degree = 3, alpha = 0.5 (indices 3, 2, 2, 2).
double synthetic(const std::vector<double>& v) {
  const double c = std::log10(v[0]) - 1.0, g = std::log10(v[1]) + 2.0, d = v[2] - 3.0, a = v[3] - 0.5;
  return 1.0 - 0.05 * (c * c + g * g + 0.5 * c * g) - 0.03 * d * d - 0.4 * a * a;
}

}  // namespace

TEST_CASE("one-hot encoding: penalty is zero exactly on feasible states", "[anneal][tune]") {
  const auto space = make_space();
  CHECK(space.num_bits() == 24);
  CHECK(space.num_configurations() == 6 * 7 * 5 * 6);
  const configuration c{3, 2, 2, 2};
  const auto x = space.encode(c);
  CHECK(space.decode(x) == c);
  const auto pen = one_hot_penalty(space, 2.0);
  CHECK(pen.energy(x) == 0.0);
  auto y = x;
  y[0] = 1;  // two values for C
  CHECK_FALSE(space.decode(y));
  CHECK(pen.energy(y) == 2.0);
  y = x;
  y[3] = 0;  // no value for C
  CHECK(pen.energy(y) == 2.0);
}

TEST_CASE("factorization machine fits a pairwise function and becomes an exact QUBO", "[anneal][tune]") {
  const search_space space({{"a", {0, 1, 2}}, {"b", {0, 1, 2}}});
  std::vector<std::vector<std::int8_t>> xs;
  std::vector<double> ys;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      xs.push_back(space.encode({i, j}));
      ys.push_back(static_cast<double>(i) - 0.5 * static_cast<double>(j) + (i == j ? 1.0 : 0.0));
    }
  factorization_machine fm(6, 4);
  fm.fit(xs, ys, 3000, 0.05, 0.0, 1);
  const auto q = fm.to_qubo();
  for (std::size_t r = 0; r < xs.size(); ++r) {
    CHECK(fm.predict(xs[r]) == Approx(ys[r]).margin(0.05));
    CHECK(q.energy(xs[r]) == Approx(fm.predict(xs[r])).margin(1e-9));
  }
}

TEST_CASE("automatic penalty makes the annealed minimum feasible", "[anneal][tune]") {
  const auto space = make_space();
  factorization_machine fm(space.num_bits(), 4);
  std::vector<std::vector<std::int8_t>> xs;
  std::vector<double> ys;
  xoshiro256ss rng(3, 3);
  for (int k = 0; k < 20; ++k) {
    const auto c = space.random_configuration(rng);
    xs.push_back(space.encode(c));
    ys.push_back(-synthetic(space.values(c)));
  }
  fm.fit(xs, ys, 200, 0.05, 1e-3, 5);
  const auto q = add_one_hot_penalty(fm.to_qubo(), space);
  sa_options o;
  o.num_reads = 10;
  o.num_sweeps = 200;
  o.greedy_postprocess = true;
  const auto s = simulated_annealing(q, o);
  for (std::size_t k = 0; k < s.size(); ++k) CHECK(space.decode(s.state(k)));
}

TEST_CASE("tune finds the known optimum and does no worse than random or grid search at the same budget", "[anneal][tune]") {
  const auto space = make_space();
  tune_options o;
  o.budget = 60;
  o.seed = 11;
  std::size_t calls = 0;
  auto objective = [&](const std::vector<double>& v) {
    ++calls;
    return synthetic(v);
  };
  const auto fmqa = hqml::tune(space, objective, o);
  CHECK(calls == 60);
  REQUIRE(fmqa.history.size() == 60);
  CHECK(fmqa.best_score == Approx(1.0));
  CHECK(fmqa.best_config == configuration{3, 2, 2, 2});
  CHECK(std::is_sorted(fmqa.best_so_far.begin(), fmqa.best_so_far.end()));
  std::set<configuration> distinct;
  for (const auto& e : fmqa.history) distinct.insert(e.config);
  CHECK(distinct.size() == 60);  // never evaluates a configuration twice

  const auto rnd = random_search(space, synthetic, 60, 11);
  CHECK(rnd.history.size() == 60);
  CHECK(rnd.best_score <= 1.0);
  CHECK(fmqa.best_score >= rnd.best_score);

  const auto grid = grid_search(space, synthetic, 60);
  CHECK(grid.history.size() <= 60);
  CHECK(grid.history.size() >= 30);
  CHECK(fmqa.best_score >= grid.best_score);

  // Minimizing, with an objective on indices.
  tune_options m = o;
  m.direction = goal::minimize;
  const auto low = hqml::tune(space, [&](const configuration& c) { return -synthetic(space.values(c)); }, m);
  CHECK(low.best_score == Approx(-1.0));
}

TEST_CASE("grid points spread evenly and fit the budget", "[anneal][tune]") {
  const auto space = make_space();
  const auto g = grid_points(space, 60);
  std::size_t prod = 1;
  for (const auto& d : g) prod *= d.size();
  CHECK(prod <= 60);
  CHECK(g[0].front() == 0);
  CHECK(g[0].back() == 5);
  // A budget larger than the space gives the whole space.
  const search_space small({{"a", {1, 2}}, {"b", {1, 2, 3}}});
  const auto all = grid_search(small, [](const std::vector<double>& v) { return v[0] * v[1]; }, 100);
  CHECK(all.history.size() == 6);
  CHECK(all.best_score == 6.0);
  // Random search stops at the size of the space.
  CHECK(random_search(small, [](const std::vector<double>& v) { return v[0]; }, 100).history.size() == 6);
}
