// A downstream unit the host compiler builds, linking hqml::cuda: the GPU through the compiled entry points,
// chosen at run time. Where no GPU is visible it must say why (the library's reason) and the CPU result must
// still come out; where one is, the two kernels must agree. Exits non-zero otherwise.
#include <hqml/device.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Core>

#include <cstdio>
#include <exception>
#include <string>

#if !defined(HQML_CUDA_LIBRARY)
#error "hqml::cuda does not define HQML_CUDA_LIBRARY for its users"
#endif

int main() {
  const hqml::circuit fm = hqml::zz_feature_map(3, 2, "full");
  Eigen::MatrixXd x(4, 3);
  x << 0.1, 0.2, 0.3, 1.0, 0.5, -0.4, 2.0, 0.0, 1.5, -1.0, 0.7, 0.2;
  const auto kernel = [&](hqml::device d) {
    return hqml::with_backend(d, [&](auto b) { return hqml::fidelity_kernel<double, decltype(b)>(fm, x); });
  };
  const Eigen::MatrixXd cpu = kernel(hqml::device::cpu);
  const std::string why = hqml::device_unavailable_reason(hqml::device::gpu);
  if (!why.empty()) {
    try {
      (void)kernel(hqml::device::gpu);
      std::printf("consumer_cuda: the GPU ran although it is unavailable (%s)\n", why.c_str());
      return 1;
    } catch (const std::runtime_error& e) {
      std::printf("consumer_cuda: linked hqml::cuda; no GPU here (%s); cpu K(0,1) = %.6f\n", e.what(), cpu(0, 1));
      return 0;
    }
  }
  const double diff = (kernel(hqml::device::gpu) - cpu).cwiseAbs().maxCoeff();
  std::printf("consumer_cuda: %s kernel differs from the CPU's by %.2e %s\n",
              hqml::device_description(hqml::device::gpu).c_str(), diff, diff < 1e-10 ? "ok" : "WRONG");
  return diff < 1e-10 ? 0 : 1;
}
