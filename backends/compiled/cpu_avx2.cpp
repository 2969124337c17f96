// hqml::cpu_kernels, the CPU backend's compiled mode (as Lightning compiles its kernels): the AVX2 kernels that
// state vectors on the CPU run (every dense, permutation, diagonal and two-term gate shape, the one-qubit
// transition matrix and the fused adjoint pass) instantiated once, for float and double. Units that link this
// library get HQML_CPU_KERNELS_LIBRARY, under which the kernel headers declare these instantiations extern, so
// they no longer compile the kernels themselves; without it everything stays header-only.
#include <hqml/kernels/avx2_gates.hpp>
#include <hqml/kernels/avx2_transition.hpp>

#if !HQML_HAS_AVX2_KERNELS
#error "hqml::cpu_kernels needs the AVX2 kernels (x86-64, GCC or Clang): configure with -DHQML_BUILD_CPU_KERNELS=OFF"
#endif
#if !defined(HQML_CPU_KERNELS_LIBRARY)
#error "HQML_CPU_KERNELS_LIBRARY must be set here too, so that the extern declarations are checked against these"
#endif

namespace hqml::kernels::avx2 {

HQML_AVX2_GATES_INSTANTIATION(, float);
HQML_AVX2_GATES_INSTANTIATION(, double);
HQML_AVX2_TRANSITION_INSTANTIATION(, float);
HQML_AVX2_TRANSITION_INSTANTIATION(, double);

}  // namespace hqml::kernels::avx2
