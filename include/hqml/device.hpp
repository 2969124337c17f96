#pragma once
// Where a computation runs, chosen at run time: the device enum, its one table of names (what a program
// offers as --device choices and parses), and with_backend(), which calls a generic function with the
// backend tag of a device, as a Thrust algorithm takes an execution policy.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace hqml {

/// A place to compute: the host's cores (hqml::cpu) or an NVIDIA GPU (hqml::cuda). (GCC's -Wshadow counts a
/// scoped enumerator named like the backend tag hqml::cpu as shadowing it, though device::cpu never does.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
enum class device : std::uint8_t { cpu, gpu };
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Every device and its name, in the order a program lists them.
inline constexpr std::array<std::pair<device, std::string_view>, 2> device_names{{
    {device::cpu, "cpu"},
    {device::gpu, "gpu"},
}};

[[nodiscard]] constexpr std::string_view to_string(device d) {
  for (const auto& [value, name] : device_names)
    if (value == d) return name;
  throw std::invalid_argument("hqml::to_string: device value " + std::to_string(static_cast<int>(d)) + " has no name");
}

/// The device called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline device parse_device(std::string_view name) {
  std::string valid;
  for (const auto& [value, known] : device_names) {
    if (known == name) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(known);
  }
  throw std::invalid_argument("hqml::parse_device: unknown device '" + std::string(name) + "'; valid names: " + valid);
}

/// Whether this translation unit can run work on `d`: the CPU always; the GPU where the unit was compiled with
/// the CUDA backend (<hqml/cuda.cuh> before this header, nvcc) and the CUDA runtime reports a device.
[[nodiscard]] inline bool device_available(device d) noexcept {
  if (d == device::cpu) return true;
#if defined(HQML_HAS_CUDA_BACKEND)
  return backend_traits<cuda>::available();
#else
  return false;
#endif
}

/// f(cpu{}) or f(cuda{}) for device d; every call of f must return the same type. In a unit compiled without
/// the CUDA backend, f is instantiated for the CPU only and device::gpu is refused with std::invalid_argument
/// (the program must route GPU work to a unit nvcc compiles); a GPU that is absent at run time is refused
/// with std::runtime_error.
template <class F>
decltype(auto) with_backend(device d, F&& f) {
  switch (d) {
    case device::cpu:
      return std::forward<F>(f)(cpu{});
    case device::gpu:
#if defined(HQML_HAS_CUDA_BACKEND)
      if (!backend_traits<cuda>::available())
        throw std::runtime_error("hqml::with_backend: no CUDA device is visible to this process");
      return std::forward<F>(f)(cuda{});
#else
      throw std::invalid_argument(
          "hqml::with_backend: this translation unit was compiled without the CUDA backend (include "
          "<hqml/cuda.cuh> and compile it with nvcc)");
#endif
  }
  throw std::invalid_argument("hqml::with_backend: device value " + std::to_string(static_cast<int>(d)) +
                              " is none of device_names");
}

}  // namespace hqml
