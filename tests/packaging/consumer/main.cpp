// Uses hqml as a downstream project would; exits non-zero unless a Bell state comes out. Includes every
// umbrella header of the toolkit with only hqml::hqml linked; none of them may need JSON (hqml::app does).
#include "all_toolkit_headers.hpp"

#include <hqml/kernels/index.hpp>

#include <cmath>
#include <cstdio>

#if defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "a header of hqml::hqml includes nlohmann/json.hpp, which only hqml::app declares"
#endif

int main() {
  hqml::circuit c(2);
  c.h(0).cx(0, 1);
  hqml::state_vector<double> sv(2);
  sv.apply(c);
  const double zz = sv.expectation(hqml::pauli_string::from_label("ZZ"));
  const bool ok = std::abs(zz - 1.0) < 1e-12 && std::abs(std::abs(sv.amplitude(3)) - std::sqrt(0.5)) < 1e-12;
  std::printf("consumer: <ZZ> = %.3f %s\n", zz, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
