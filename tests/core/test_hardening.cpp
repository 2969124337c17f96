// Hostile sizes and failing workers: a state whose byte count overflows std::size_t is refused before anything
// is allocated, and an exception thrown inside the batched simulator's OpenMP region reaches the caller.
// Its own program: it replaces the aligned operator new (state vectors' memory) to count and fail allocations.
#include <catch2/catch.hpp>

#include <hqml/batched.hpp>
#include <hqml/error.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <atomic>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {
std::atomic<std::size_t> aligned_allocations{0};
std::atomic<bool> fail_aligned_allocations{false};
}  // namespace

void* operator new(std::size_t bytes, std::align_val_t alignment) {
  ++aligned_allocations;
  if (fail_aligned_allocations) throw std::bad_alloc();
  const auto a = static_cast<std::size_t>(alignment);
  const std::size_t rounded = bytes == 0 ? a : (bytes + a - 1) / a * a;
  if (rounded < bytes) throw std::bad_alloc();
  void* p = std::aligned_alloc(a, rounded);
  if (!p) throw std::bad_alloc();
  return p;
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace hqml;

static_assert(std::numeric_limits<std::size_t>::digits == 64, "the expected limits below are a 64-bit machine's");

TEMPLATE_TEST_CASE("a state whose bytes overflow std::size_t is refused before allocating", "[state][errors]", float,
                   double) {
  using state = state_vector<TestType>;
  // 2^n amplitudes of 2 · sizeof(Real) bytes fit in 2^64 − 1 bytes up to n = 63 − log2(2 · sizeof(Real)).
  const std::size_t limit = std::is_same_v<TestType, float> ? 60 : 59;
  REQUIRE(state::max_qubits == limit);
  const std::size_t amp_bytes = 2 * sizeof(TestType);

  // The counter sees a state's buffer, so an unchanged count below means nothing was allocated.
  std::size_t before = aligned_allocations;
  state small(3);
  REQUIRE(aligned_allocations == before + 1);
  REQUIRE(small.probability_one(0) == 0.0);

  // 2^60 · 16 bytes is 2^64, which wrapped to a 0-byte buffer that passed the memory check and was written.
  struct refusal {
    std::size_t n;
    const char* size;
  };
  const refusal cases[] = {{60, amp_bytes == 16 ? "16 EiB" : "8 EiB"},
                           {61, amp_bytes == 16 ? "32 EiB" : "16 EiB"},
                           {62, amp_bytes == 16 ? "64 EiB" : "32 EiB"},
                           {63, amp_bytes == 16 ? "128 EiB" : "64 EiB"},
                           {64, amp_bytes == 16 ? "256 EiB" : "128 EiB"},
                           {1000, "over 512 EiB"},
                           {std::numeric_limits<std::size_t>::max(), "over 512 EiB"}};
  for (const refusal& r : cases) {
    if (r.n <= limit) continue;  // 60 qubits in float: 8 EiB is countable, refused by memory below
    CAPTURE(r.n);
    before = aligned_allocations;
    try {
      state too_big(r.n);
      FAIL("a state of " << r.n << " qubits was constructed");
    } catch (const out_of_memory& e) {
      const std::string what = e.what();
      CAPTURE(what);
      REQUIRE(e.bytes() == std::numeric_limits<std::size_t>::max());  // saturated, not wrapped
      REQUIRE(what.find('\n') == std::string::npos);
      REQUIRE_THAT(
          what, Catch::StartsWith("hqml: cannot allocate a state vector of " + std::to_string(r.n) + " qubits: ") &&
                    Catch::Contains(" amplitudes of " + std::to_string(amp_bytes) + " bytes (" + std::string(r.size) +
                                    "); the limit is "));
      if (r.n < 1000) REQUIRE_THAT(what, Catch::Contains("2^" + std::to_string(r.n) + " amplitudes"));
    }
    REQUIRE(aligned_allocations == before);
  }

  // Countable but beyond this machine's memory: the existing check, exact bytes, still nothing allocated.
  before = aligned_allocations;
  try {
    state too_big(limit);
    FAIL("a state of " << limit << " qubits was constructed");
  } catch (const out_of_memory& e) {
    REQUIRE(e.bytes() == (std::size_t{1} << limit) * amp_bytes);
    REQUIRE_THAT(e.what(), Catch::Contains(std::to_string(limit) + " qubits"));
  }
  REQUIRE(aligned_allocations == before);

  // The CPU backend's own check saturates too, for callers of its allocate without state_vector's check.
  before = aligned_allocations;
  using ops = hqml::detail::state_ops<cpu, TestType>;
  for (std::size_t n : {std::size_t{60}, std::size_t{61}, std::size_t{62}, std::size_t{64}})
    REQUIRE_THROWS_AS(ops::allocate(n), out_of_memory);
  REQUIRE(aligned_allocations == before);
}

TEST_CASE("the refusal names the memory limit of this machine", "[state][errors]") {
  // 2^33 amplitudes of 16 bytes are 128 GiB; the limit is the largest power of two that fits in memory.
  const std::size_t memory = hqml::detail::physical_memory_bytes();
  if (memory < 16) {
    WARN("physical memory unknown: no limit to check");
    return;
  }
  std::size_t fit = 0;
  while (fit < 59 && (std::size_t{16} << (fit + 1)) <= memory) ++fit;
  REQUIRE_THROWS_WITH(state_vector<double>(62),
                      Catch::Contains("the limit is " + std::to_string(fit) + " qubits in double precision ("));
}

namespace {
// A 4-qubit feature-map-like circuit over 2 features, enough gates that a large batch runs in parallel.
circuit batch_circuit() {
  circuit c(4);
  for (std::uint32_t q = 0; q < 4; ++q) c.h(q).ry(q, angle::feature(q % 2));
  for (std::uint32_t q = 0; q < 3; ++q) c.cx(q, q + 1);
  return c;
}
}  // namespace

TEST_CASE("an exception in a batched worker is rethrown after the parallel region", "[batched][errors]") {
  const circuit c = batch_circuit();
  // 2000 rows · 16 amplitudes · 12 operations is far above the batch size that goes parallel.
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(2000, 2);

  SECTION("a sample's exception") {
    std::atomic<int> calls{0};
    REQUIRE_THROWS_WITH(hqml::detail::for_each_sample_state<double>(c, X, {}, 2,
                                                                    [&](Eigen::Index i, const auto&) {
                                                                      ++calls;
                                                                      if (i == 1234)
                                                                        throw std::runtime_error("sample 1234");
                                                                    }),
                        "sample 1234");
    REQUIRE(calls >= 1);
  }

  SECTION("every thread's state failing to allocate") {
    fail_aligned_allocations = true;
    bool thrown = false;
    try {
      (void)batched_states<double>(c, X, {}, 2);
    } catch (const out_of_memory& e) {
      thrown = true;
      REQUIRE_THAT(e.what(), Catch::Contains("4 qubits"));
    } catch (...) {
      fail_aligned_allocations = false;
      throw;
    }
    fail_aligned_allocations = false;
    REQUIRE(thrown);
  }

  // After a failure the same call gives the states one thread computes alone, row by row.
  const auto parallel = batched_states<double>(c, X, {}, 2);
  for (Eigen::Index i : {Eigen::Index{0}, Eigen::Index{777}, Eigen::Index{1999}}) {
    state_vector<double> sv(4);
    const std::vector<double> x{X(i, 0), X(i, 1)};
    sv.apply(c, {}, x);
    const auto amps = sv.to_vector();
    for (std::size_t k = 0; k < amps.size(); ++k)
      REQUIRE(std::abs(parallel(i, static_cast<Eigen::Index>(k)) - amps[k]) < 1e-12);
  }
}
