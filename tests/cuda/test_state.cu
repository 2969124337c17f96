// GPU twin of tests/core/test_state.cpp: the same test bodies over state_vector<float|double, cuda>.
#include <hqml/cuda.cuh>

#include "core/test_state.cpp"
