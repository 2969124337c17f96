#pragma once
// Device memory: an owning RAII buffer and the trivially copyable non-owning view passed to kernels
// (the cuCollections container/_ref split), plus allocation that reports what it asked for.

#include <hqml/backends/cuda/error.cuh>
#include <hqml/error.hpp>

#include <cuda_runtime.h>

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

namespace hqml::cuda_detail {

/// Allocates `bytes` of device memory for `what`. Running out becomes hqml::out_of_memory with the bytes
/// asked for and the free bytes the device reports, so callers can tell it from other CUDA failures.
inline void* device_allocate(std::size_t bytes, const std::string& what) {
  if (bytes == 0) return nullptr;
  std::size_t free_bytes = 0, total_bytes = 0;
  HQML_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  // Asking the driver for more than the card holds would fail anyway; say so without trying.
  if (bytes > total_bytes) throw out_of_memory(what + " on the GPU", bytes, free_bytes);
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear the (non-sticky) error so later checks do not report it again
    HQML_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    throw out_of_memory(what + " on the GPU", bytes, free_bytes);
  }
  if (e != cudaSuccess) throw_error("cudaMalloc(&p, bytes)", __FILE__, __LINE__, e);
  return p;
}

/// Frees device memory; errors are ignored because this runs in destructors (a sticky error from an
/// earlier fault is reported by the next checked call instead).
inline void device_free(void* p) noexcept {
  if (p) (void)cudaFree(p);
}

/// Non-owning view of `size` elements of device memory; trivially copyable, passed to kernels by value.
template <class T>
struct device_ref {
  T* data = nullptr;
  std::size_t size = 0;
  __host__ __device__ T& operator[](std::size_t i) const { return data[i]; }
};

/// Owning device array of trivially copyable T (contents uninitialized).
template <class T>
class device_buffer {
  static_assert(std::is_trivially_copyable_v<T>, "device_buffer holds trivially copyable types");

 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count, const std::string& what = "a device buffer")
      // A byte count that would wrap is saturated, so device_allocate refuses it instead of a small buffer.
      : data_(static_cast<T*>(
            device_allocate(count > ~std::size_t{0} / sizeof(T) ? ~std::size_t{0} : count * sizeof(T), what))),
        size_(count) {}
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  device_buffer& operator=(device_buffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~device_buffer() { device_free(data_); }

  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] device_ref<T> ref() noexcept { return {data_, size_}; }
  [[nodiscard]] device_ref<const T> ref() const noexcept { return {data_, size_}; }

  void upload(std::span<const T> host) {
    if (host.size() > size_) throw std::length_error("hqml::device_buffer::upload: more elements than the buffer holds");
    if (!host.empty()) HQML_CUDA_CHECK(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  void download(std::span<T> host) const {
    if (host.size() > size_) throw std::length_error("hqml::device_buffer::download: more elements than the buffer holds");
    if (!host.empty()) HQML_CUDA_CHECK(cudaMemcpy(host.data(), data_, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Multiprocessor count of the current device (the grid-size unit of the grid-stride kernels).
inline int multiprocessor_count() {
  int dev = 0, sms = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  HQML_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return sms;
}

/// Blocks for a grid-stride loop over `count` items: enough to fill the device several times over, no
/// more (each thread then walks several items, which amortizes its index setup).
inline unsigned grid_for(unsigned long long count, unsigned block) {
  static const unsigned long long cap = static_cast<unsigned long long>(multiprocessor_count()) * 32;
  const unsigned long long need = (count + block - 1) / block;
  return static_cast<unsigned>(need < 1 ? 1 : (need < cap ? need : cap));
}

}  // namespace hqml::cuda_detail
