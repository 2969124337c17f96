// The runtime device choice: one table of names, and with_backend dispatching to the backend tag. This
// host-compiled unit does not link hqml::cuda, so the GPU is refused without instantiating the function for
// hqml::cuda (which would not link here); tests/cuda/test_core.cu (nvcc) and tests/cuda/test_backend_api.cpp
// (host compiler, hqml::cuda) run the GPU branch where a device is present.
#include <hqml/device.hpp>
#include <hqml/state_vector.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <type_traits>

using namespace hqml;

TEST_CASE("device names: one per device, each parses back, unknown names list the valid ones", "[device]") {
  std::set<std::string_view> seen;
  for (const auto& [value, name] : device_names) {
    CHECK(parse_device(name) == value);
    CHECK(to_string(value) == name);
    CHECK(seen.insert(name).second);
  }
  CHECK(seen.size() == device_names.size());
  for (const char* bad : {"", "GPU", "cuda ", "tpu"}) {
    INFO(bad);
    try {
      (void)parse_device(bad);
      FAIL("accepted '" << bad << "'");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK(what.find("'" + std::string(bad) + "'") != std::string::npos);
      CHECK(what.find("valid names: cpu, gpu") != std::string::npos);
    }
  }
}

TEST_CASE("with_backend runs the function with the device's backend tag", "[device]") {
  // A Bell state prepared on whichever backend the device names.
  const auto bell_zz = [](auto backend) {
    using backend_type = decltype(backend);
    circuit c(2);
    c.h(0).cx(0, 1);
    state_vector<double, backend_type> sv(2);
    sv.apply(c);
    return std::pair{std::string(backend_type::name), sv.expectation(pauli_string::from_label("ZZ"))};
  };
  const auto [name, zz] = with_backend(device::cpu, bell_zz);
  CHECK(name == "cpu");
  CHECK(zz == Approx(1.0).margin(1e-12));
  CHECK(device_available(device::cpu));

  CHECK(device_unavailable_reason(device::cpu).empty());
  CHECK(device_description(device::cpu) == "cpu");

#if !defined(HQML_HAS_CUDA_BACKEND) && !defined(HQML_CUDA_LIBRARY)
  CHECK_FALSE(device_available(device::gpu));
  const std::string why = device_unavailable_reason(device::gpu);
  CHECK(why.find("built without CUDA") != std::string::npos);
  CHECK(why.find("hqml::cuda") != std::string::npos);
  CHECK_THROWS_WITH(device_description(device::gpu), why);
  try {
    (void)with_backend(device::gpu, bell_zz);
    FAIL("with_backend(gpu) ran in a unit compiled without the CUDA backend");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "hqml::with_backend: " + why);
  }
#else
  if (device_available(device::gpu)) {
    const auto [gpu_name, gpu_zz] = with_backend(device::gpu, bell_zz);
    CHECK(gpu_name == "cuda");
    CHECK(gpu_zz == Approx(1.0).margin(1e-12));
  } else {
    CHECK_THROWS_AS(with_backend(device::gpu, bell_zz), std::runtime_error);
  }
#endif
  // void functions dispatch too.
  int calls = 0;
  with_backend(device::cpu, [&](auto b) { calls += std::is_same_v<decltype(b), cpu> ? 1 : 100; });
  CHECK(calls == 1);
}
