#pragma once
// OpenMP for the learning code, optional: without -fopenmp every loop runs serially and no pragma
// reaches the compiler (so -Wunknown-pragmas stays quiet). The loops are the CPU backend's.

#include <hqml/backends/cpu.hpp>

#include <cstddef>

#if defined(_OPENMP)
#define HQML_LEARN_PRAGMA(x) _Pragma(#x)
#define HQML_LEARN_OMP(...) HQML_LEARN_PRAGMA(omp __VA_ARGS__)
#else
#define HQML_LEARN_OMP(...)
#endif

namespace hqml::learn {

/// Threads a parallel loop may use: `requested` when positive, else OpenMP's default (1 without OpenMP).
[[nodiscard]] inline int thread_count(int requested = 0) noexcept { return cpu_detail::resolve_threads(requested); }

/// Runs fn(k) for k in [0, n), dynamically scheduled (the iterations may differ much in cost); the CPU
/// backend's loop, which carries an exception out of the parallel region.
template <class Fn>
void parallel_for(std::ptrdiff_t n, int threads, Fn&& fn) {
  cpu_detail::parallel_for_dynamic(n, threads, true, 1, fn);
}

}  // namespace hqml::learn
