// The annealing step shared by the CPU and CUDA annealers (<hqml/kernels/anneal_step.hpp>) against
// independent values: the Metropolis and Gibbs probabilities, the skip bound, the decision's draws, and the
// CPU lattice path's thresholds built from the same probabilities.
#include <catch2/catch.hpp>

#include <hqml/anneal/spin_kernel.hpp>
#include <hqml/kernels/anneal_step.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using hqml::kernels::accept_flip;
using hqml::kernels::flip_probability;
using hqml::kernels::flip_rule;
using hqml::kernels::flip_skip_exponent;

/// A draw that always returns u and counts its calls.
struct step_fixed_draw {
  double u;
  int* calls;
  double operator()() const {
    ++*calls;
    return u;
  }
};

/// An Rng for acceptor tests: returns `word` and counts its calls.
struct step_counting_rng {
  std::uint64_t word;
  int calls = 0;
  std::uint64_t operator()() {
    ++calls;
    return word;
  }
};

}  // namespace

TEST_CASE("flip_probability is min(1, e^-beta dE) for Metropolis and 1 / (1 + e^beta dE) for Gibbs", "[anneal][step]") {
  for (double beta : {0.0, 0.05, 0.7, 3.0})
    for (double de : {-9.5, -2.0, -0.25, 0.0, 0.25, 1.0, 4.0, 12.0}) {
      INFO("beta " << beta << ", dE " << de);
      const double x = -beta * de;
      const double metropolis = de <= 0.0 ? 1.0 : std::exp(-beta * de);
      const double gibbs = 1.0 / (1.0 + std::exp(beta * de));
      CHECK(flip_probability<flip_rule::metropolis>(x) == Approx(metropolis).epsilon(1e-14));
      CHECK(flip_probability<flip_rule::gibbs>(x) == Approx(gibbs).epsilon(1e-14));
      // The GPU's float form agrees to float precision.
      const auto xf = static_cast<float>(x);
      CHECK(flip_probability<flip_rule::metropolis>(xf) == Approx(metropolis).epsilon(1e-6));
      CHECK(flip_probability<flip_rule::gibbs>(xf) == Approx(gibbs).epsilon(1e-6));
    }
  // Gibbs is symmetric: p(x) + p(-x) = 1, and one half at no change.
  CHECK(flip_probability<flip_rule::gibbs>(0.0) == 0.5);
  CHECK(flip_probability<flip_rule::gibbs>(1.3) + flip_probability<flip_rule::gibbs>(-1.3) == Approx(1.0));
}

TEST_CASE("accept_flip accepts exactly when the draw is below the probability, drawing only when needed",
          "[anneal][step]") {
  // Only a Metropolis move that does not raise the energy is certain.
  CHECK(hqml::kernels::flip_certain<flip_rule::metropolis>(-2.0));
  CHECK(hqml::kernels::flip_certain<flip_rule::metropolis>(0.0));
  CHECK_FALSE(hqml::kernels::flip_certain<flip_rule::metropolis>(1e-300));
  CHECK_FALSE(hqml::kernels::flip_certain<flip_rule::gibbs>(-2.0));
  int calls = 0;
  // Downhill Metropolis moves are accepted without a draw, at any beta (0 included).
  for (double beta : {0.0, 1.0})
    for (double de : {-3.0, 0.0}) CHECK(accept_flip<flip_rule::metropolis>(de, beta, step_fixed_draw{0.999, &calls}));
  CHECK(calls == 0);
  // At beta = 0 an uphill move is accepted too, but only after its draw (the CPU's random stream counts it).
  CHECK(accept_flip<flip_rule::metropolis>(0.5, 0.0, step_fixed_draw{0.999, &calls}));
  CHECK(calls == 1);
  calls = 0;
  // Gibbs draws for downhill moves too: at dE = 0 it accepts half the draws.
  CHECK(accept_flip<flip_rule::gibbs>(0.0, 1.0, step_fixed_draw{0.49, &calls}));
  CHECK_FALSE(accept_flip<flip_rule::gibbs>(0.0, 1.0, step_fixed_draw{0.51, &calls}));
  CHECK(calls == 2);
  // Every move: the decision is u < p, for draws away from the boundary (Gibbs's division-free test may round
  // the other way within a few ulps of it).
  for (double beta : {0.0, 0.3, 2.0})
    for (double de : {-1.5, 0.5, 2.0, 7.0})
      for (double u : {0.0, 0.01, 0.2, 0.45, 0.55, 0.9, 0.999999}) {
        const double pm = de <= 0.0 ? 1.0 : std::exp(-beta * de);
        const double pg = 1.0 / (1.0 + std::exp(beta * de));
        INFO("beta " << beta << ", dE " << de << ", u " << u);
        if (std::abs(u - pm) > 1e-12)
          CHECK(accept_flip<flip_rule::metropolis>(de, beta, step_fixed_draw{u, &calls}) == (u < pm));
        if (std::abs(u - pg) > 1e-12)
          CHECK(accept_flip<flip_rule::gibbs>(de, beta, step_fixed_draw{u, &calls}) == (u < pg));
        const auto uf = static_cast<float>(u);
        if (std::abs(u - pm) > 1e-5)
          CHECK(accept_flip<flip_rule::metropolis>(static_cast<float>(de), static_cast<float>(beta),
                                                   [uf] { return uf; }) == (u < pm));
        if (std::abs(u - pg) > 1e-5)
          CHECK(accept_flip<flip_rule::gibbs>(static_cast<float>(de), static_cast<float>(beta), [uf] { return uf; }) ==
                (u < pg));
      }
}

TEST_CASE("accept_flip skips a flip past the bound without a draw and may accept one just below it", "[anneal][step]") {
  // e^-bound is the resolution of a 64-bit random word.
  CHECK(std::exp(-flip_skip_exponent) == Approx(0x1p-64).epsilon(1e-12));
  for (double beta : {0.5, 1.0, 8.0}) {
    const double past = flip_skip_exponent / beta * (1.0 + 1e-9), below = flip_skip_exponent / beta * (1.0 - 1e-9);
    INFO("beta " << beta);
    int calls = 0;
    // Even the smallest draw, 0, cannot accept past the bound; none is taken.
    CHECK_FALSE(accept_flip<flip_rule::metropolis>(past, beta, step_fixed_draw{0.0, &calls}));
    CHECK_FALSE(accept_flip<flip_rule::gibbs>(past, beta, step_fixed_draw{0.0, &calls}));
    CHECK(calls == 0);
    // Just below, a small enough draw accepts (its probability, about 2^-64, is not zero) and a larger one does not.
    CHECK(accept_flip<flip_rule::metropolis>(below, beta, step_fixed_draw{0.0, &calls}));
    CHECK(accept_flip<flip_rule::gibbs>(below, beta, step_fixed_draw{0.0, &calls}));
    CHECK(accept_flip<flip_rule::metropolis>(below, beta, step_fixed_draw{0x1p-66, &calls}));
    CHECK(accept_flip<flip_rule::gibbs>(below, beta, step_fixed_draw{0x1p-66, &calls}));
    CHECK_FALSE(accept_flip<flip_rule::metropolis>(below, beta, step_fixed_draw{0x1p-63, &calls}));
    CHECK_FALSE(accept_flip<flip_rule::gibbs>(below, beta, step_fixed_draw{0x1p-63, &calls}));
    CHECK(calls == 6);
    // The float form (the GPU's) skips at the same bound (margins beyond float's rounding).
    CHECK_FALSE(accept_flip<flip_rule::metropolis>(static_cast<float>(flip_skip_exponent / beta * 1.0001),
                                                   static_cast<float>(beta), [] { return 0.0f; }));
    CHECK(accept_flip<flip_rule::metropolis>(static_cast<float>(flip_skip_exponent / beta * 0.999),
                                             static_cast<float>(beta), [] { return 0.0f; }));
  }
}

namespace {

/// The lattice acceptor of Rule against the shared probabilities, for a range of table sizes m.
template <hqml::anneal::acceptance_rule Rule>
void step_check_lattice_thresholds() {
  using hqml::anneal::acceptor;
  constexpr flip_rule kernel_rule = hqml::anneal::to_flip_rule(Rule);
  for (std::int32_t m : {1, 2, 7, 40, 513})
    for (double unit : {1.0, 0.5, 3.0})
      for (double beta : {0.0, 0.01, 0.4, 2.5, 60.0}) {
        INFO("m " << m << ", unit " << unit << ", beta " << beta);
        acceptor<Rule, std::int32_t> a(m, unit);
        a.set_beta(beta);
        const auto t = a.view();
        // Entries reach down to the skip bound, no further than the table.
        const std::int32_t cut =
            beta > 0.0
                ? static_cast<std::int32_t>(std::min<double>(m, std::floor(flip_skip_exponent / (2.0 * beta * unit))))
                : m;
        REQUIRE(t.cut == cut);
        for (std::int32_t k = -cut; k <= m; ++k) {
          // The energy change of a flip with s_i f_i = k units is -2 k unit.
          const double de = -2.0 * unit * static_cast<double>(k);
          const double independent = Rule == hqml::anneal::acceptance_rule::metropolis
                                         ? (de <= 0.0 ? 1.0 : std::exp(-beta * de))
                                         : 1.0 / (1.0 + std::exp(beta * de));
          const double shared = flip_probability<kernel_rule>(2.0 * beta * unit * static_cast<double>(k));
          INFO("k " << k);
          CHECK(shared == Approx(independent).epsilon(1e-13));
          // Within one unit of p 2^64 (a probability of 1 is the largest word, 2^64 - 1).
          const long double exact = static_cast<long double>(shared) * 0x1p64L;
          CHECK(std::abs(static_cast<long double>(t.centre[k]) - exact) <= 1.0L);
        }
        // A flip past the skip bound is refused without a draw; every tabulated one draws one word.
        step_counting_rng rng{0};
        if (cut < m) CHECK_FALSE(t(-cut - 1, rng));
        CHECK(rng.calls == 0);
        CHECK(t(-cut, rng) == (t.centre[-cut] > 0));
        CHECK(rng.calls == 1);
      }
}

/// The real-valued acceptor of Rule against the CPU's rule written out: x = 2 beta k = -beta dE; Metropolis
/// takes k >= 0 without a draw; past the skip bound nothing is drawn; otherwise u < e^x (Metropolis) or
/// u (1 + e^-x) < 1 (Gibbs) with u the generator's uniform(). The words drawn must match too.
template <hqml::anneal::acceptance_rule Rule>
void step_check_real_acceptor() {
  hqml::anneal::acceptor<Rule, double> a(0.0, 1.0);
  for (double beta : {0.0, 0.2, 1.7, 40.0}) {
    a.set_beta(beta);
    const auto t = a.view();
    hqml::anneal::xoshiro256ss rng(7, 3), replay(7, 3);
    for (double k : {-3.25, -1.0, -0.5, -0.01, 0.0, 0.75, 2.0}) {
      INFO("beta " << beta << ", k " << k);
      const double x = 2.0 * beta * k;
      bool expected;
      if (Rule == hqml::anneal::acceptance_rule::metropolis && k >= 0.0)
        expected = true;
      else if (x < -44.3614195558365)
        expected = false;
      else if (Rule == hqml::anneal::acceptance_rule::metropolis)
        expected = replay.uniform() < std::exp(x);
      else
        expected = replay.uniform() * (1.0 + std::exp(-x)) < 1.0;
      CHECK(t(k, rng) == expected);
      CHECK(rng() == replay());  // the same words drawn
    }
  }
}

}  // namespace

TEST_CASE("the lattice acceptor's thresholds are the shared probabilities times 2^64", "[anneal][step]") {
  SECTION("metropolis") { step_check_lattice_thresholds<hqml::anneal::acceptance_rule::metropolis>(); }
  SECTION("gibbs") { step_check_lattice_thresholds<hqml::anneal::acceptance_rule::gibbs>(); }
}

TEST_CASE("the real-valued acceptor is the shared decision with the generator's uniform draws", "[anneal][step]") {
  SECTION("metropolis") { step_check_real_acceptor<hqml::anneal::acceptance_rule::metropolis>(); }
  SECTION("gibbs") { step_check_real_acceptor<hqml::anneal::acceptance_rule::gibbs>(); }
}
