# The CUDA parts of hqml's own build (tests/cuda, benchmarks/gpu), included when HQML_ENABLE_CUDA is ON.
# The library stays headers only (<hqml/cuda.cuh> and friends in the consumer's .cu files), with hqml::cuda
# (CMakeLists.txt) as its compiled mode for units the host compiler builds.

# Hopper machine code plus portable PTX (compute_80) that newer cards JIT-compile: two device passes per
# translation unit, which keeps nvcc time in CI modest.
set(HQML_CUDA_ARCHITECTURES "90-real;80-virtual" CACHE STRING "CUDA architectures of hqml's own CUDA targets")

# Every CUDA target of hqml's own joins this one; CI builds it (it compiles and links, nothing runs).
add_custom_target(hqml_cuda_check)

add_library(hqml_cuda_options INTERFACE)
# No CUDA::cublas: hqml loads cuBLAS when first used (backends/hqml/backends/cuda/cublas.cuh), so a program
# that never calls it does not map its ~215 MB at start.
target_link_libraries(hqml_cuda_options INTERFACE hqml::hqml CUDA::cudart ${CMAKE_DL_LIBS})
# Eigen treats the translation unit as host code (hqml never uses Eigen in device code): without this,
# Eigen 3.4 marks defaulted members __host__ __device__ and nvcc warns on each (warning 20012).
target_compile_definitions(hqml_cuda_options INTERFACE EIGEN_NO_CUDA)
# C++20 by flag: CMake 3.25 knows no CUDA_STANDARD 20 for nvcc. nvcc translation units are compiled
# without OpenMP, so the CPU headers' `#pragma omp` lines are ignored there on purpose.
target_compile_options(hqml_cuda_options INTERFACE
  $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 -Xcompiler=-Wall,-Wextra,-Wno-unknown-pragmas>)
if(HQML_WARNINGS_AS_ERRORS)
  target_compile_options(hqml_cuda_options INTERFACE
    $<$<COMPILE_LANGUAGE:CUDA>:--Werror=all-warnings -Xcompiler=-Werror>)
endif()

# hqml_cuda_target(TARGET): hqml's architectures and flags, part of hqml_cuda_check.
function(hqml_cuda_target name)
  set_target_properties(${name} PROPERTIES CUDA_ARCHITECTURES "${HQML_CUDA_ARCHITECTURES}" LINKER_LANGUAGE CXX)
  target_link_libraries(${name} PRIVATE hqml_cuda_options)
  add_dependencies(hqml_cuda_check ${name})
endfunction()
