// GPU twins of tests/core (gates, states, gradients), tests/kernel's kernel-training backend case and
// tests/variational (ansätze, Lanczos, VQE): the same test bodies over state_vector<float|double, cuda>; and the GPU
// batched-state and kernel tests, in one nvcc translation unit: the three instantiate the same kernels and host
// templates, so one compilation replaces three (on this 2-core machine: 95 s alone, against 58 s and 75 s for the state
// and kernel tests alone, and 206 s for the three in a CI run).
#include <hqml/cuda.cuh>

#include "core/test_device.cpp"
#include "core/test_gates.cpp"
#include "core/test_gradient.cpp"
#include "core/test_state.cpp"
#include "cuda/test_quantum_kernel.cu"
#include "kernel/test_kernel_training.cpp"
#include "variational/test_ansatz.cpp"
#include "variational/test_eigensolver.cpp"
#include "variational/test_vqe.cpp"
