#pragma once
// Where a computation runs, chosen at run time: the device enum, its one table of names (what a program
// offers as --device choices and parses), and with_backend(), which calls a generic function with the
// backend tag of a device, as a Thrust algorithm takes an execution policy.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>
#include <hqml/name_table.hpp>

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
inline constexpr name_table<device, 2> device_names{{
    {device::cpu, "cpu"},
    {device::gpu, "gpu"},
}};

[[nodiscard]] constexpr std::string_view to_string(device d) {
  return name_in(device_names, d, "hqml::to_string", "device");
}

/// The device called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline device parse_device(std::string_view name) {
  return parse_in(device_names, name, "hqml::parse_device", "device");
}

// A unit reaches the CUDA backend when it links hqml::cuda, the compiled entry points (HQML_CUDA_LIBRARY, set by
// that target), or when nvcc compiles it with <hqml/cuda.cuh> included before this header.
#if defined(HQML_CUDA_LIBRARY) || defined(HQML_HAS_CUDA_BACKEND)
#define HQML_DETAIL_CUDA_REACHABLE 1
#endif

/// Empty when this unit can run work on `d` now, else why not, in a sentence: the CPU always can; the GPU where
/// the CUDA backend is reachable (see above) and the CUDA runtime reports a device.
[[nodiscard]] inline std::string device_unavailable_reason(device d) {
  if (d == device::cpu) return {};
#if defined(HQML_DETAIL_CUDA_REACHABLE)
  return cuda_detail::runtime<>::unavailable_reason();
#else
  return "this hqml was built without CUDA (build it where nvcc is installed, or with -DHQML_ENABLE_CUDA=ON, "
         "and link hqml::cuda)";
#endif
}

/// Whether this unit can run work on `d` now (device_unavailable_reason(d) is empty).
[[nodiscard]] inline bool device_available(device d) noexcept {
  if (d == device::cpu) return true;
#if defined(HQML_DETAIL_CUDA_REACHABLE)
  return backend_traits<cuda>::available();
#else
  return false;
#endif
}

/// What a report says ran the work: "cpu", or "gpu (NAME)" with the current CUDA device's name. Throws
/// std::runtime_error with device_unavailable_reason(d) when d cannot run work here.
[[nodiscard]] inline std::string device_description(device d) {
  if (const std::string why = device_unavailable_reason(d); !why.empty()) throw std::runtime_error(why);
  if (d == device::cpu) return std::string(to_string(d));
#if defined(HQML_DETAIL_CUDA_REACHABLE)
  return std::string(to_string(d)) + " (" + cuda_detail::runtime<>::device_name() + ")";
#else
  return std::string(to_string(d));  // not reached: refused above
#endif
}

/// f(cpu{}) or f(cuda{}) for device d, as a Thrust algorithm takes an execution policy; every call of f must
/// return the same type. Where the CUDA backend is not reachable from this unit, f is instantiated for the CPU
/// only and device::gpu is refused with std::invalid_argument; a GPU absent at run time is refused with
/// std::runtime_error. Both messages are device_unavailable_reason's.
template <class F>
decltype(auto) with_backend(device d, F&& f) {
  switch (d) {
    case device::cpu:
      return std::forward<F>(f)(cpu{});
    case device::gpu:
#if defined(HQML_DETAIL_CUDA_REACHABLE)
      if (const std::string why = device_unavailable_reason(d); !why.empty())
        throw std::runtime_error("hqml::with_backend: " + why);
      return std::forward<F>(f)(cuda{});
#else
      throw std::invalid_argument("hqml::with_backend: " + device_unavailable_reason(d));
#endif
  }
  throw std::invalid_argument("hqml::with_backend: device value " + std::to_string(static_cast<int>(d)) +
                              " is none of device_names");
}

}  // namespace hqml
