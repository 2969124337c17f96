#pragma once
// The CUDA backend's tag type and traits. Host-only: no CUDA header here, so host code can name the
// backend (in templates, in traits checks) without nvcc. Everything that runs on the GPU, and the
// state_ops specialization state_vector<Real, cuda> uses, comes with <hqml/cuda.cuh>.

#include <hqml/backends/traits.hpp>

#include <string>

namespace hqml {

/// CUDA backend tag: state vectors live in device memory of the current CUDA device.
struct cuda {
  static constexpr bool device_memory = true;
  static constexpr const char* name = "cuda";
};

namespace cuda_detail {

/// The CUDA runtime as host code asks about it. Defined in <hqml/cuda.cuh> (a template, so that every nvcc
/// unit of a header-only user may define it) and compiled into hqml::cuda for units the host compiler builds.
template <class = void>
struct runtime {
  /// Empty when a CUDA device is visible, else why not ("no CUDA device is present", the runtime's error).
  static std::string unavailable_reason();
  /// The current device's name, e.g. "NVIDIA H100 80GB HBM3".
  static std::string device_name();
};

}  // namespace cuda_detail

template <>
struct backend_traits<cuda> {
  /// Amplitudes are in device memory: state_vector::data() does not exist, use to_vector() or raw().
  static constexpr bool host_accessible = false;
  static constexpr bool parallel = true;
  /// True when the CUDA runtime reports at least one device. Needs the runtime: the unit includes
  /// <hqml/cuda.cuh> (nvcc) or links hqml::cuda.
  static bool available() noexcept {
    try {
      return cuda_detail::runtime<>::unavailable_reason().empty();
    } catch (...) {  // out of host memory for the message
      return false;
    }
  }
};

}  // namespace hqml
