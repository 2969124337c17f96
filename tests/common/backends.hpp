#pragma once
// The state types every capability test runs over: each available backend in both precisions.
// Test bodies are written once (TEMPLATE_LIST_TEST_CASE over hqml::test::state_types).
// With HQML_TEST_CUDA (the GPU twins in tests/cuda, compiled by nvcc) the list is the CUDA backend's
// states: the CPU ones already run in the host-compiled executables, so the twins do not repeat them.
// (A .hpp includes no .cuh: each twin's .cu includes <hqml/cuda.cuh> first.)

#include <hqml/state_vector.hpp>

#if defined(HQML_TEST_CUDA) && !defined(HQML_HAS_CUDA_BACKEND)
#error "HQML_TEST_CUDA: include <hqml/cuda.cuh> before this header (the GPU twins in tests/cuda do)"
#endif

#include <tuple>
#include <vector>

namespace hqml::test {

#if defined(HQML_TEST_CUDA)
using state_types = std::tuple<state_vector<float, cuda>, state_vector<double, cuda>>;
#else
using state_types = std::tuple<state_vector<float, cpu>, state_vector<double, cpu>,
                               state_vector<double, basic_cpu<sequential_threads>>>;
#endif

/// The CPU kernel sets this machine can run (portable, and AVX2 where present); tests of gate maths
/// run once per set, with simd_scope switching the vector kernels on for every register size.
inline std::vector<cpu_simd> cpu_simd_modes() {
#if defined(HQML_TEST_CUDA)
  return {cpu_simd_in_use()};  // the GPU twins run no CPU kernels
#else
  if (cpu_simd_supported() == cpu_simd::avx2) return {cpu_simd::none, cpu_simd::avx2};
  return {cpu_simd::none};
#endif
}
class simd_scope {
 public:
  explicit simd_scope(cpu_simd s) : isa_(cpu_simd_in_use()), min_(cpu_simd_min_qubits()) { set_cpu_simd(s, 0); }
  ~simd_scope() { set_cpu_simd(isa_, min_); }
  simd_scope(const simd_scope&) = delete;
  simd_scope& operator=(const simd_scope&) = delete;

 private:
  cpu_simd isa_;
  unsigned min_;
};

}  // namespace hqml::test
