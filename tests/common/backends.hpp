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

namespace hqml::test {

#if defined(HQML_TEST_CUDA)
using state_types = std::tuple<state_vector<float, cuda>, state_vector<double, cuda>>;
#else
using state_types = std::tuple<state_vector<float, cpu>, state_vector<double, cpu>,
                               state_vector<double, basic_cpu<sequential_threads>>>;
#endif

}  // namespace hqml::test
