#pragma once
// --device cpu|gpu, as the subcommands that can use the GPU take it (run, kernel, train, simulate, anneal).

#include "commands.hpp"

#include <hqml/device.hpp>

#include <string>
#include <vector>

namespace hqml::cli {

/// --device's help where the quantum kernels are what moves to the GPU (run, kernel, train).
inline constexpr const char* kernels_device_help =
    "Where quantum kernels run: cpu, or gpu (hqml's CUDA backend: states and Gram matrix on the first visible device)";

/// A subcommand's --device, one of the library's device_names.
struct device_option {
  std::string device{to_string(hqml::device::cpu)};

  /// `what`: the option's help text, saying what runs on the GPU.
  void add_to(CLI::App* sub, const std::string& what) {
    sub->add_option("--device", device, what)->check(CLI::IsMember(names_in(device_names)))->capture_default_str();
  }
  [[nodiscard]] hqml::device value() const { return parse_device(device); }
  [[nodiscard]] bool gpu() const { return value() == hqml::device::gpu; }
  /// "cpu", or "gpu (NAME)" once the GPU is known to be usable; usage_error with the library's reason when not.
  [[nodiscard]] std::string check() const {
    const hqml::device d = value();
    if (const std::string why = device_unavailable_reason(d); !why.empty())
      throw usage_error("--device " + device + ": " + why);
    return device_description(d);
  }
};

}  // namespace hqml::cli
