#pragma once
// The CUDA backend's tag type and traits. Host-only: no CUDA header here, so host code can name the
// backend (in templates, in traits checks) without nvcc. Everything that runs on the GPU, and the
// state_ops specialization state_vector<Real, cuda> uses, comes with <hqml/cuda.cuh>.

#include <hqml/backends/traits.hpp>

namespace hqml {

/// CUDA backend tag: state vectors live in device memory of the current CUDA device.
struct cuda {
  static constexpr bool device_memory = true;
  static constexpr const char* name = "cuda";
};

template <>
struct backend_traits<cuda> {
  /// Amplitudes are in device memory: state_vector::data() does not exist, use to_vector() or raw().
  static constexpr bool host_accessible = false;
  static constexpr bool parallel = true;
  /// True when the CUDA runtime reports at least one device. Defined in <hqml/cuda.cuh> (it needs the
  /// runtime); a translation unit that calls it must include that header.
  static bool available() noexcept;
};

}  // namespace hqml
