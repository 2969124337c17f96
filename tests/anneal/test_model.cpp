// Ising and QUBO models: energies, flips, storage, and exact conversions.
#include <catch2/catch.hpp>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/rng.hpp>

#include <cstdint>
#include <vector>

using namespace hqml::anneal;

namespace {

// Coefficients on a dyadic grid (multiples of 1/8 up to +-8): every sum of a few of them is a
// double without rounding, so conversions must give bit-identical energies.
double dyadic(xoshiro256ss& rng) { return static_cast<double>(static_cast<int>(rng.below(129)) - 64) / 8.0; }

template <vartype T>
quadratic_model<T> random_model(std::size_t n, double density, std::uint64_t seed, storage how = storage::automatic) {
  xoshiro256ss rng(seed, 1);
  std::vector<double> lin(n);
  for (auto& v : lin) v = dyadic(rng);
  std::vector<coupling> c;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = i + 1; j < n; ++j)
      if (rng.uniform() < density) c.push_back({i, j, dyadic(rng)});
  return quadratic_model<T>(n, lin, c, dyadic(rng), how);
}

std::vector<std::int8_t> random_spins(std::size_t n, xoshiro256ss& rng) {
  std::vector<std::int8_t> s(n);
  for (auto& v : s) v = static_cast<std::int8_t>(rng.below(2) ? 1 : -1);
  return s;
}

}  // namespace

TEST_CASE("model construction merges repeats, folds diagonals and drops zeros", "[anneal][model]") {
  const ising_model m(3, {1.0, 0.0, -1.0}, {{1, 0, 2.0}, {0, 1, 0.5}, {2, 2, 4.0}, {1, 2, 0.0}}, 1.0);
  REQUIRE(m.num_couplings() == 1);
  CHECK(m.couplings()[0] == coupling{0, 1, 2.5});
  CHECK(m.offset() == 5.0);  // s^2 = 1
  const qubo_model q(2, {}, {{1, 1, 3.0}, {0, 1, -1.0}});
  CHECK(q.linear()[1] == 3.0);  // x^2 = x
  CHECK(q.offset() == 0.0);
  CHECK_THROWS_AS(ising_model(2, {}, {{0, 2, 1.0}}), std::out_of_range);
  CHECK_THROWS_AS(ising_model(2, {1.0}, {}), std::invalid_argument);
}

TEST_CASE("energy and delta energy agree with direct evaluation", "[anneal][model]") {
  const ising_model m(3, {0.5, -1.0, 0.0}, {{0, 1, 1.0}, {1, 2, -2.0}}, 0.25);
  const std::vector<std::int8_t> s{1, -1, 1};
  CHECK(m.energy(s) == 0.25 + 0.5 + 1.0 + (-1.0) + 2.0);
  for (std::size_t i = 0; i < 3; ++i) {
    auto t = s;
    t[i] = static_cast<std::int8_t>(-t[i]);
    CHECK(m.delta_energy(s, i) == m.energy(t) - m.energy(s));
  }
  const qubo_model q(3, {1.0, -2.0, 0.5}, {{0, 2, 3.0}, {1, 2, -1.0}}, 2.0);
  const std::vector<std::int8_t> x{1, 0, 1};
  CHECK(q.energy(x) == 2.0 + 1.0 + 0.5 + 3.0);
  for (std::size_t i = 0; i < 3; ++i) {
    auto y = x;
    y[i] = static_cast<std::int8_t>(1 - y[i]);
    CHECK(q.delta_energy(x, i) == q.energy(y) - q.energy(x));
  }
  CHECK_THROWS_AS(m.energy(std::vector<std::int8_t>{1, 1}), std::invalid_argument);
}

TEST_CASE("Ising <-> QUBO conversions give exactly equal energies on random states", "[anneal][model]") {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const auto m = random_model<vartype::spin>(40, 0.2, seed);
    const auto q = to_qubo(m);
    const auto back = to_ising(q);
    xoshiro256ss rng(seed, 2);
    for (int t = 0; t < 200; ++t) {
      const auto s = random_spins(40, rng);
      const auto x = spins_to_bits(std::span<const std::int8_t>(s));
      REQUIRE(q.energy(x) == m.energy(s));
      REQUIRE(back.energy(s) == m.energy(s));
    }
    const auto q2 = random_model<vartype::binary>(30, 0.3, seed + 100);
    const auto m2 = to_ising(q2);
    for (int t = 0; t < 200; ++t) {
      const auto s = random_spins(30, rng);
      REQUIRE(m2.energy(s) == q2.energy(spins_to_bits(std::span<const std::int8_t>(s))));
    }
  }
}

TEST_CASE("conversions agree to rounding on arbitrary real coefficients", "[anneal][model]") {
  xoshiro256ss rng(9, 9);
  std::vector<coupling> c;
  for (std::uint32_t i = 0; i < 20; ++i)
    for (std::uint32_t j = i + 1; j < 20; ++j) c.push_back({i, j, rng.uniform() * 2 - 1});
  const ising_model m(20, std::vector<double>(20, 0.3), c, 0.1);
  const auto q = to_qubo(m);
  for (int t = 0; t < 100; ++t) {
    const auto s = random_spins(20, rng);
    CHECK(q.energy(spins_to_bits(std::span<const std::int8_t>(s))) == Approx(m.energy(s)).epsilon(1e-12));
  }
}

TEST_CASE("dense and sparse storage hold the same adjacency", "[anneal][model]") {
  const auto sparse = random_model<vartype::spin>(30, 0.5, 3, storage::sparse);
  const auto dense = sparse.with_storage(storage::dense);
  REQUIRE_FALSE(sparse.is_dense());
  REQUIRE(dense.is_dense());
  CHECK(random_model<vartype::spin>(30, 0.6, 3).is_dense());  // automatic: dense above the threshold
  CHECK_FALSE(random_model<vartype::spin>(30, 0.05, 3).is_dense());
  const std::size_t n = 30;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> row(n, 0.0);
    for (auto k = sparse.row_offsets()[i]; k < sparse.row_offsets()[i + 1]; ++k) {
      if (k > sparse.row_offsets()[i]) CHECK(sparse.columns()[k - 1] < sparse.columns()[k]);  // sorted rows
      row[sparse.columns()[k]] = sparse.values()[k];
    }
    for (std::size_t j = 0; j < n; ++j) REQUIRE(dense.dense()[i * n + j] == row[j]);
  }
}

TEST_CASE("Max-Cut as Ising: cut = (W - E) / 2", "[anneal][model]") {
  // A 4-cycle with one heavy edge: best cut separates alternate vertices, value 1 + 1 + 1 + 5.
  const auto p = maxcut_to_ising(4, {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}, {3, 0, 5.0}});
  CHECK(p.total_weight == 8.0);
  const std::vector<std::int8_t> s{1, -1, 1, -1};
  CHECK(p.cut(std::span<const std::int8_t>(s)) == 8.0);
  CHECK(p.cut_from_energy(p.model.energy(s)) == 8.0);
  CHECK(p.energy_from_cut(8.0) == p.model.energy(s));
  CHECK_THROWS_AS(maxcut_to_ising(2, {{1, 1, 1.0}}), std::invalid_argument);
}

TEST_CASE("rng streams are reproducible and distinct", "[anneal][rng]") {
  xoshiro256ss a(42, 0), b(42, 0), c(42, 1), d(43, 0);
  const auto x = a();
  CHECK(x == b());
  CHECK(x != c());
  CHECK(x != d());
  double sum = 0.0;
  for (int k = 0; k < 100000; ++k) sum += a.uniform();
  CHECK(sum / 100000 == Approx(0.5).margin(0.01));
  std::vector<int> hist(7, 0);
  for (int k = 0; k < 70000; ++k) ++hist[a.below(7)];
  for (int h : hist) CHECK(h == Approx(10000).margin(500));
}
