#pragma once
// Which vector instructions the CPU backend's gate kernels use. Chosen at run time, so one build
// runs everywhere: the AVX2 kernels when the processor has AVX2 and FMA, the portable ones otherwise.
// The environment variable HQML_CPU_SIMD (none, avx2 or auto) or set_cpu_simd() overrides the choice,
// e.g. to compare the two or to get the same rounding on every machine.

#include <hqml/kernels/avx2_gates.hpp>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hqml {

enum class cpu_simd { none, avx2 };

/// Registers smaller than this run on the portable kernels by default: preparing the vector
/// kernels' coefficients costs about what it saves there (measured break-even: n = 6 for single
/// gates, n = 10 for fused 4-qubit blocks; 2-core AMD EPYC, BENCHMARKS.md).
inline constexpr unsigned default_cpu_simd_min_qubits = 10;

/// The widest kernels this build and this processor support.
inline cpu_simd cpu_simd_supported() noexcept {
#if HQML_HAS_AVX2_KERNELS
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return avx2 ? cpu_simd::avx2 : cpu_simd::none;
#else
  return cpu_simd::none;
#endif
}

inline const char* to_string(cpu_simd s) noexcept { return s == cpu_simd::avx2 ? "avx2" : "none"; }

namespace cpu_detail {

struct simd_choice {
  std::atomic<cpu_simd> isa;
  std::atomic<unsigned> min_qubits;
};

inline cpu_simd simd_from_environment() {
  const char* env = std::getenv("HQML_CPU_SIMD");
  const std::string_view v = env ? env : "auto";
  if (v == "auto" || v.empty()) return cpu_simd_supported();
  if (v == "none") return cpu_simd::none;
  if (v == "avx2") {
    if (cpu_simd_supported() != cpu_simd::avx2)
      throw std::invalid_argument("HQML_CPU_SIMD=avx2: this build or processor has no AVX2 and FMA");
    return cpu_simd::avx2;
  }
  throw std::invalid_argument("HQML_CPU_SIMD='" + std::string(v) + "': expected none, avx2 or auto");
}

inline simd_choice& simd_state() {
  static simd_choice s{simd_from_environment(), default_cpu_simd_min_qubits};
  return s;
}

}  // namespace cpu_detail

/// The kernels state vectors on the CPU use now.
inline cpu_simd cpu_simd_in_use() { return cpu_detail::simd_state().isa.load(std::memory_order_relaxed); }
/// Registers below this many qubits use the portable kernels whatever cpu_simd_in_use() says.
inline unsigned cpu_simd_min_qubits() { return cpu_detail::simd_state().min_qubits.load(std::memory_order_relaxed); }

/// Chooses the kernels for the whole process. Throws std::invalid_argument when `isa` is not
/// supported by this build and processor.
inline void set_cpu_simd(cpu_simd isa, unsigned min_qubits = default_cpu_simd_min_qubits) {
  if (isa == cpu_simd::avx2 && cpu_simd_supported() != cpu_simd::avx2)
    throw std::invalid_argument("hqml::set_cpu_simd: this build or processor has no AVX2 and FMA");
  auto& s = cpu_detail::simd_state();
  s.isa.store(isa, std::memory_order_relaxed);
  s.min_qubits.store(min_qubits, std::memory_order_relaxed);
}

}  // namespace hqml
