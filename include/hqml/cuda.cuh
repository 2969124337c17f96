#pragma once
// The CUDA backend: include this (from a .cu translation unit compiled by nvcc) and
// hqml::state_vector<float, hqml::cuda> / state_vector<double, hqml::cuda> keep their whole interface,
// with the amplitudes in device memory. Every CUDA call is checked (hqml::cuda_error); running out of
// device memory throws hqml::out_of_memory with the bytes asked for. Spell the tag hqml::cuda after
// `using namespace hqml;`: CUDA's own headers declare a global namespace ::cuda (libcu++), and an
// unqualified `cuda` is then ambiguous.

#include <hqml/backends/cuda.hpp>
#include <hqml/state_vector.hpp>
#define HQML_INTERNAL_INCLUDE
#include <hqml/backends/cuda/state_ops.cuh>
#undef HQML_INTERNAL_INCLUDE

/// Defined once the CUDA backend's device code is visible in this translation unit.
#define HQML_HAS_CUDA_BACKEND 1

// The entry points host code reaches through hqml::cuda, so that sample_counts<Real, hqml::cuda> and
// final_state<Real, hqml::cuda> work in a header-only nvcc unit too.
#include <hqml/cuda/final_state.cuh>
#include <hqml/cuda/shots.cuh>
