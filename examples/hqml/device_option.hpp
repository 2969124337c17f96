#pragma once
// --device cpu|gpu, as the subcommands that can use the GPU take it (run, kernel, train, simulate, anneal).

#include "commands.hpp"
#include "gpu_kernel.hpp"

#include <string>

namespace hqml::cli {

/// --device's help where the quantum kernels are what moves to the GPU (run, kernel, train).
inline constexpr const char* kernels_device_help =
    "Where quantum kernels run: cpu, or gpu (hqml's CUDA backend: states and Gram matrix on the first visible device)";

/// A subcommand's --device cpu|gpu.
struct device_option {
  std::string device = "cpu";

  /// `what`: the option's help text, saying what runs on the GPU.
  void add_to(CLI::App* sub, const std::string& what) {
    sub->add_option("--device", device, what)->check(CLI::IsMember({"cpu", "gpu"}))->capture_default_str();
  }
  [[nodiscard]] bool gpu() const { return device == "gpu"; }
  /// "cpu", or "gpu (NAME)" once the GPU is known to be usable; usage_error when it is not.
  [[nodiscard]] std::string check() const {
    if (!gpu()) return "cpu";
    if (const std::string why = gpu_unavailable_reason(); !why.empty()) throw usage_error("--device gpu: " + why);
    return "gpu (" + gpu_device_name() + ")";
  }
};

}  // namespace hqml::cli
