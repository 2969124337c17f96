// Catch2 main of the GPU twins: where the CUDA runtime reports no device, every test exits with 77,
// which ctest reports as skipped (SKIP_RETURN_CODE), after saying why. Listing the tests (done at build
// time by catch_discover_tests, also on machines without a GPU) never touches the device. Catch2 itself is
// compiled once, for the CPU tests too (tests/common/catch_session.cpp).
#include "common/catch_session.hpp"

#include <cuda_runtime_api.h>

#include <cstdio>

namespace {

int require_device(bool listing_only) {
  if (listing_only) return 0;
  int devices = 0;
  const cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device (cudaGetDeviceCount: %s); the GPU twins of hqml's tests need one\n",
                e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
    return 77;
  }
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) { return hqml::test::run_catch_session(argc, argv, require_device); }
