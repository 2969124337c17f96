#pragma once
// The CPU backend: a tag type with its traits and the loops that drive the kernels.

#include <hqml/backends/traits.hpp>
#include <hqml/config.hpp>
#include <hqml/kernels/index.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hqml {

/// Threads as a policy: OpenMP when the compiler enables it, else one thread.
struct openmp_threads {
  static int max_threads() noexcept {
#if defined(_OPENMP)
    return omp_get_max_threads();
#else
    return 1;
#endif
  }
};
struct sequential_threads {
  static int max_threads() noexcept { return 1; }
};

/// CPU backend tag; the thread policy is a template parameter (qsim's For/ParallelFor idea).
template <class Threads = openmp_threads>
struct basic_cpu {
  using threads_policy = Threads;
  static constexpr bool device_memory = false;
  static constexpr const char* name = "cpu";
};
using cpu = basic_cpu<openmp_threads>;

template <class Threads>
struct backend_traits<basic_cpu<Threads>> {
  static constexpr bool host_accessible = true;
  static constexpr bool available() noexcept { return true; }
  static constexpr bool parallel = !std::is_same_v<Threads, sequential_threads>;
};

namespace cpu_detail {

using kernels::index_t;

/// Work below this many index steps runs on one thread: forking costs more than it saves.
inline constexpr index_t parallel_threshold = index_t{1} << 13;

/// Threads a parallel loop uses: `requested` when positive, else OpenMP's default (1 without OpenMP). The
/// one place hqml turns a `threads` option into a count.
[[nodiscard]] inline int resolve_threads(int requested) noexcept {
  return requested > 0 ? requested : openmp_threads::max_threads();
}

/// Runs body(state, i) for i in [0, n) on up to `threads` threads (dynamically scheduled in chunks of
/// `chunk`), each thread with its own state from make_state(), made once per thread. On the calling thread
/// alone unless `parallel`. An exception must not leave an OpenMP region (that calls std::terminate): the
/// first one, from make_state or from body, is kept, the remaining iterations are skipped, and it is rethrown
/// after the region. A thread whose state failed still reaches the worksharing loop, or the others would hang.
template <class MakeState, class Body>
void for_each_with_state(std::ptrdiff_t n, int threads, [[maybe_unused]] bool parallel, int chunk,
                         const MakeState& make_state, const Body& body) {
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
  const auto keep_error = [&] {
    const std::lock_guard<std::mutex> lock(error_mutex);
    if (!error) error = std::current_exception();
    failed.store(true, std::memory_order_relaxed);
  };
  [[maybe_unused]] const int nt = resolve_threads(threads);
  [[maybe_unused]] const int ch = std::max(chunk, 1);
#if defined(_OPENMP)
#pragma omp parallel num_threads(nt) if (parallel && nt > 1 && n > 1)
#endif
  {
    std::optional<std::invoke_result_t<const MakeState&>> state;
    try {
      state.emplace(make_state());
    } catch (...) {
      keep_error();
    }
#if defined(_OPENMP)
#pragma omp for schedule(dynamic, ch)
#endif
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      if (!state || failed.load(std::memory_order_relaxed)) continue;
      try {
        body(*state, i);
      } catch (...) {
        keep_error();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

/// for_each_with_state without per-thread state: fn(i) for i in [0, n), exceptions carried out.
template <class Fn>
void parallel_for_dynamic(std::ptrdiff_t n, int threads, bool parallel, int chunk, const Fn& fn) {
  struct none {};
  for_each_with_state(
      n, threads, parallel, chunk, [] { return none{}; }, [&](none&, std::ptrdiff_t i) { fn(i); });
}

/// Calls f(base) for every index of an n-qubit register whose bits at the ascending positions `fixed` are
/// zero, in parallel. Bases are walked in runs where they step by a constant stride (1, or 2^t when the
/// fixed positions start with 0..t-1), so the inner loop's addresses are affine and the compiler can
/// vectorize it: with t > 0 a gate on qubit 0 touches one contiguous group per base.
template <bool Parallel, class F>
inline void for_each_base(unsigned n, std::span<const unsigned> fixed, int threads, const F& f) {
  const auto k = static_cast<unsigned>(fixed.size());
  const index_t count = index_t{1} << (n - k);
  const kernels::base_runs runs = kernels::runs_of(fixed.data(), k, count);
  const unsigned t = runs.shift;
  const index_t run = runs.length;
  const index_t chunk = std::min<index_t>(count, index_t{1} << 12);
  const index_t nchunks = count / chunk;
  const unsigned* pos = fixed.data();
  // The stride is a compile-time constant in the common cases (t = 0, 1) so the loops vectorize.
  auto strided = [&]<unsigned T>(index_t c, unsigned tt) {
    const unsigned sh = T == ~0u ? tt : T;
    const index_t j0 = c * chunk;
    if (run >= chunk) {
      const index_t b = kernels::insert_zeros(j0, pos, k);
      for (index_t l = 0; l < chunk; ++l) f(b + (l << sh));
    } else {
      for (index_t j = j0; j < j0 + chunk; j += run) {
        const index_t b = kernels::insert_zeros(j, pos, k);
        for (index_t l = 0; l < run; ++l) f(b + (l << sh));
      }
    }
  };
  auto body = [&](index_t c) {
    if (t == 0)
      strided.template operator()<0>(c, 0);
    else if (t == 1)
      strided.template operator()<1>(c, 1);
    else
      strided.template operator()<~0u>(c, t);
  };
#if defined(_OPENMP)
  if (Parallel && count >= parallel_threshold && threads != 1) {
#pragma omp parallel for schedule(static) num_threads(resolve_threads(threads))
    for (index_t c = 0; c < nchunks; ++c) body(c);
    return;
  }
#else
  (void)threads;
#endif
  for (index_t c = 0; c < nchunks; ++c) body(c);
}

/// Parallel sum over [0, count) of g(i) in double precision, summed in fixed blocks of `block` steps so the
/// result does not depend on the thread count; parallel from `parallel_from` steps (a caller whose steps are
/// each many indices lowers both).
template <bool Parallel, class T, class G>
inline T reduce(index_t count, int threads, T zero, const G& g, index_t block = index_t{1} << 12,
                [[maybe_unused]] index_t parallel_from = parallel_threshold) {
  const index_t nblocks = (count + block - 1) / block;
  auto block_sum = [&](index_t b) {
    T s = zero;
    const index_t end = std::min(count, (b + 1) * block);
    for (index_t i = b * block; i < end; ++i) s += g(i);
    return s;
  };
  if (nblocks == 1) return block_sum(0);
  std::vector<T> partial(nblocks, zero);
#if defined(_OPENMP)
  if (Parallel && count >= parallel_from && threads != 1) {
#pragma omp parallel for schedule(static) num_threads(resolve_threads(threads))
    for (index_t b = 0; b < nblocks; ++b) partial[b] = block_sum(b);
  } else
#endif
  {
    (void)threads;
    for (index_t b = 0; b < nblocks; ++b) partial[b] = block_sum(b);
  }
  T s = zero;
  for (const T& p : partial) s += p;
  return s;
}

/// Σ_{i < count} term(i) for a reduction term of kernels/reductions.hpp (a value with M doubles): consecutive
/// indices go to `lanes` separate partial sums, so the additions do not wait on each other, kept component by
/// component (v[c][lane]) so that the compiler adds one component's lanes as a vector; calls of `per_call`
/// indices are summed by `reduce` in blocks of 512K indices, parallel from 8K (BENCHMARKS.md, "State
/// reductions", for the versions measured against the hand-written sums it replaced). The order is fixed, so the
/// result does not depend on the thread count. Fewer lanes where a term is wide: the partial sums must stay in
/// registers.
template <bool Parallel, class Term>
inline auto sum_terms(index_t count, int threads, const Term& term) {
  using value = std::invoke_result_t<const Term&, index_t>;
  constexpr int m = value::size;
  constexpr index_t lanes = m <= 2 ? 8 : m <= 8 ? 4 : 1;
  constexpr index_t per_call = 1024;
  struct acc {
    double v[m][lanes];
    acc& operator+=(const acc& o) {
      for (int c = 0; c < m; ++c)
        for (index_t k = 0; k < lanes; ++k) v[c][k] += o.v[c][k];
      return *this;
    }
  };
  const acc zero{};
  const auto call = [&](index_t r) {
    const index_t begin = r * per_call, end = std::min(count, begin + per_call);
    index_t i = begin;
    if constexpr (requires { requires Term::simd_sum; }) {
      // Each group's terms, then the sums component by component, both vectorized across the lanes, into a local
      // that stays in registers: left to itself, GCC vectorized the norm and the overlap in double across groups,
      // with a transpose of shuffles per group, and ran them 1.1-2.5x slower than the hand-written sums they
      // replaced (quiet machine; BENCHMARKS.md, "State reductions").
      double t[m][lanes] = {};
      for (; i + lanes <= end; i += lanes) {
        value x[lanes];
#if defined(_OPENMP)
#pragma omp simd
#endif
        for (index_t k = 0; k < lanes; ++k) x[k] = term(i + k);
        for (int c = 0; c < m; ++c)
#if defined(_OPENMP)
#pragma omp simd
#endif
          for (index_t k = 0; k < lanes; ++k) t[c][k] += x[k].v[c];
      }
      for (; i < end; ++i) {
        const value x = term(i);
        for (int c = 0; c < m; ++c) t[c][(i - begin) % lanes] += x.v[c];
      }
      acc out;
      std::memcpy(out.v, t, sizeof t);
      return out;
    } else {
      acc t{};
      for (; i + lanes <= end; i += lanes)
        for (index_t k = 0; k < lanes; ++k) {
          const value x = term(i + k);
          for (int c = 0; c < m; ++c) t.v[c][k] += x.v[c];
        }
      for (; i < end; ++i) {
        const value x = term(i);
        for (int c = 0; c < m; ++c) t.v[c][(i - begin) % lanes] += x.v[c];
      }
      return t;
    }
  };
  const acc s = reduce<Parallel>((count + per_call - 1) / per_call, threads, zero, call, (index_t{1} << 19) / per_call,
                                 parallel_threshold / per_call);
  value total = value::zero();
  for (int c = 0; c < m; ++c)
    for (index_t k = 0; k < lanes; ++k) total.v[c] += s.v[c][k];
  return total;
}

/// Parallel loop over [0, count).
template <bool Parallel, class F>
inline void parallel_for(index_t count, int threads, const F& f) {
#if defined(_OPENMP)
  if (Parallel && count >= parallel_threshold && threads != 1) {
#pragma omp parallel for schedule(static) num_threads(resolve_threads(threads))
    for (index_t i = 0; i < count; ++i) f(i);
    return;
  }
#else
  (void)threads;
#endif
  for (index_t i = 0; i < count; ++i) f(i);
}

}  // namespace cpu_detail
}  // namespace hqml
