// --device gpu in a build without CUDA: every entry point says so (see gpu_kernel.hpp).
#include "../gpu_kernel.hpp"

#include <stdexcept>

namespace hqml::cli {

std::string gpu_unavailable_reason() {
  return "this hqml was built without CUDA (configure it where nvcc is installed, or with -DHQML_ENABLE_CUDA=ON)";
}

std::string gpu_device_name() { return {}; }

std::vector<double> gpu_fidelity_kernel(const circuit&, const double*, std::size_t, const double*, std::size_t,
                                        std::size_t, std::span<const double>, bool) {
  throw std::runtime_error(gpu_unavailable_reason());
}

std::map<std::string, std::size_t> gpu_sample_counts(const circuit&, std::size_t, std::uint64_t, bool, bool) {
  throw std::runtime_error(gpu_unavailable_reason());
}

std::vector<std::complex<double>> gpu_final_state(const circuit&, bool, bool) {
  throw std::runtime_error(gpu_unavailable_reason());
}

gpu_anneal_result gpu_simulated_annealing(const anneal::ising_model&, std::size_t, std::span<const double>,
                                          std::uint64_t) {
  throw std::runtime_error(gpu_unavailable_reason());
}

}  // namespace hqml::cli
