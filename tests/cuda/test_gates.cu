// GPU twin of tests/core/test_gates.cpp: the same test bodies over state_vector<float|double, cuda>.
#include <hqml/cuda.cuh>

#include "core/test_gates.cpp"
