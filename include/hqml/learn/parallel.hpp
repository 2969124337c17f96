#pragma once
// OpenMP for the learning code, optional: without -fopenmp every loop runs serially and no pragma
// reaches the compiler (so -Wunknown-pragmas stays quiet). Exceptions thrown in a worker are carried
// out of the parallel region and rethrown, since letting one escape an OpenMP region terminates.

#include <cstddef>
#include <exception>
#include <mutex>

#if defined(_OPENMP)
#include <omp.h>
#define HQML_LEARN_PRAGMA(x) _Pragma(#x)
#define HQML_LEARN_OMP(...) HQML_LEARN_PRAGMA(omp __VA_ARGS__)
#else
#define HQML_LEARN_OMP(...)
#endif

namespace hqml::learn {

/// Threads a parallel loop may use: `requested` when positive, else OpenMP's default (1 without OpenMP).
[[nodiscard]] inline int thread_count(int requested = 0) noexcept {
#if defined(_OPENMP)
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

/// Runs fn(k) for k in [0, n), dynamically scheduled (the iterations may differ much in cost).
template <class Fn>
void parallel_for(std::ptrdiff_t n, int threads, Fn&& fn) {
  std::exception_ptr error;
  std::mutex error_mutex;
  [[maybe_unused]] const int t = thread_count(threads);
  HQML_LEARN_OMP(parallel for schedule(dynamic, 1) num_threads(t) if (n > 1 && t > 1))
  for (std::ptrdiff_t k = 0; k < n; ++k) {
    try {
      fn(k);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace hqml::learn
