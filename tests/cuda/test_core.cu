// GPU twins of tests/core/test_gates.cpp and test_state.cpp (the same test bodies over
// state_vector<float|double, cuda>) and the GPU batched-state and kernel tests, in one nvcc translation
// unit: the three instantiate the same kernels and host templates, and one compilation takes half of
// what three separate ones took (95 s against 190 s on this 2-core machine).
#include <hqml/cuda.cuh>

#include "core/test_gates.cpp"
#include "core/test_state.cpp"
#include "cuda/test_quantum_kernel.cu"
