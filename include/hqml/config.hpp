#pragma once
// Portability macros shared by host and device code. Plain C++ compilers see none of CUDA.

#if defined(__CUDACC__)
#define HQML_HOST_DEVICE __host__ __device__
#define HQML_DEVICE __device__
#else
#define HQML_HOST_DEVICE
#define HQML_DEVICE
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HQML_FORCE_INLINE inline __attribute__((always_inline))
#define HQML_NOINLINE __attribute__((noinline))
#define HQML_RESTRICT __restrict__
#else
#define HQML_FORCE_INLINE inline
#define HQML_NOINLINE
#define HQML_RESTRICT
#endif

#define HQML_VERSION_MAJOR 0
#define HQML_VERSION_MINOR 1
#define HQML_VERSION_PATCH 0
