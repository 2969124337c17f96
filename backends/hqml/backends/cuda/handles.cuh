#pragma once
// RAII owners of the CUDA runtime's and cuBLAS's handles that hqml's GPU code creates per call: a cuBLAS
// handle, a non-blocking stream and an event (timing off unless asked for: it costs a synchronization).

#include <hqml/backends/cuda/cublas.cuh>
#include <hqml/backends/cuda/error.cuh>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace hqml::cuda_detail {

class cublas_handle {
 public:
  cublas_handle() { HQML_CUDA_CHECK(cublas().create(&h_)); }
  cublas_handle(const cublas_handle&) = delete;
  cublas_handle& operator=(const cublas_handle&) = delete;
  ~cublas_handle() { (void)cublas().destroy(h_); }
  [[nodiscard]] cublasHandle_t get() const noexcept { return h_; }

 private:
  cublasHandle_t h_{};
};

class stream {
 public:
  stream() { HQML_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() { (void)cudaStreamDestroy(s_); }
  [[nodiscard]] cudaStream_t get() const noexcept { return s_; }

 private:
  cudaStream_t s_{};
};

class event {
 public:
  /// cudaEventDefault for an event that cudaEventElapsedTime can read.
  explicit event(unsigned flags = cudaEventDisableTiming) { HQML_CUDA_CHECK(cudaEventCreateWithFlags(&e_, flags)); }
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event() { (void)cudaEventDestroy(e_); }
  [[nodiscard]] cudaEvent_t get() const noexcept { return e_; }

 private:
  cudaEvent_t e_{};
};

}  // namespace hqml::cuda_detail
