#pragma once
// Checked CUDA and cuBLAS calls: every failure becomes an hqml::cuda_error naming the call, the
// place it was made and the runtime's own description of the error.

#include <hqml/backends/cuda/cublas.cuh>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace hqml {

/// A CUDA runtime, kernel launch or cuBLAS call that failed. what() reads
/// "hqml: CUDA call <call> failed at <file>:<line>: <error name>: <error string>".
class cuda_error : public std::runtime_error {
 public:
  cuda_error(const std::string& call, const char* file, int line, const std::string& error)
      : std::runtime_error("hqml: CUDA call " + call + " failed at " + file + ":" + std::to_string(line) + ": " + error),
        call_(call) {}
  [[nodiscard]] const std::string& call() const noexcept { return call_; }

 private:
  std::string call_;
};

namespace cuda_detail {

inline std::string describe(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }
inline std::string describe(cublasStatus_t s) {
  // A status comes from a loaded cuBLAS (cublas.cuh), which names it.
  return std::string(cublas().status_name(s)) + ": " + cublas().status_string(s);
}

[[noreturn]] inline void throw_error(const char* call, const char* file, int line, cudaError_t e) {
  throw cuda_error(call, file, line, describe(e));
}
[[noreturn]] inline void throw_error(const char* call, const char* file, int line, cublasStatus_t s) {
  throw cuda_error(call, file, line, describe(s));
}
inline bool failed(cudaError_t e) { return e != cudaSuccess; }
inline bool failed(cublasStatus_t s) { return s != CUBLAS_STATUS_SUCCESS; }

}  // namespace cuda_detail
}  // namespace hqml

/// Evaluates a CUDA runtime or cuBLAS call once and throws hqml::cuda_error when it did not succeed.
#define HQML_CUDA_CHECK(call)                                                        \
  do {                                                                               \
    const auto hqml_cuda_status_ = (call);                                           \
    if (::hqml::cuda_detail::failed(hqml_cuda_status_))                              \
      ::hqml::cuda_detail::throw_error(#call, __FILE__, __LINE__, hqml_cuda_status_); \
  } while (0)

/// Checks the launch of the kernel just issued (configuration errors; faults in the kernel itself
/// surface at the next synchronizing call, which is checked too).
#define HQML_CUDA_CHECK_LAUNCH(kernel_name)                                                      \
  do {                                                                                           \
    const cudaError_t hqml_cuda_status_ = cudaGetLastError();                                    \
    if (hqml_cuda_status_ != cudaSuccess)                                                        \
      ::hqml::cuda_detail::throw_error("launch of " kernel_name, __FILE__, __LINE__, hqml_cuda_status_); \
  } while (0)
