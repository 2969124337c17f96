// Catch2 main of the GPU twins: where the CUDA runtime reports no device, every test exits with 77,
// which ctest reports as skipped (SKIP_RETURN_CODE), after saying why. Listing the tests (done at build
// time by catch_discover_tests, also on machines without a GPU) never touches the device.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstdio>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const auto& cfg = session.configData();
  const bool listing = cfg.listTests || cfg.listTestNamesOnly || cfg.listTags || cfg.listReporters || cfg.showHelp;
  if (!listing) {
    int devices = 0;
    const cudaError_t e = cudaGetDeviceCount(&devices);
    if (e != cudaSuccess || devices == 0) {
      std::printf("SKIPPED: no CUDA device (cudaGetDeviceCount: %s); the GPU twins of hqml's tests need one\n",
                  e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
      return 77;
    }
  }
  return session.run();
}
