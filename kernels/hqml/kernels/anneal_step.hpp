#pragma once
// One single-spin-flip annealing step, written once for the CPU and the CUDA annealers: the acceptance
// probability of an energy change under the Metropolis and Gibbs rules, the bound past which a flip is
// skipped without drawing a random number, and the flip decision itself. The drivers say where the energy
// change and the uniform draw come from (the CPU's xoshiro stream, the GPU's counter-based hash); the CPU's
// integer lattice path tabulates flip_probability per beta instead of deciding flip by flip.

#include <hqml/config.hpp>

#include <cmath>
#include <cstdint>

namespace hqml::kernels {

/// The acceptance rule of a flip (hqml::anneal::acceptance_rule as a plain parameter of the kernels).
enum class flip_rule : std::uint8_t { metropolis, gibbs };

/// A flip is skipped when beta * dE exceeds this: exp(-44.3614) < 2^-64, the resolution of a 64-bit random
/// word, so such a flip could never be accepted anyway (dwave-samplers does the same).
inline constexpr double flip_skip_exponent = 44.3614195558365;

/// e^x: std::exp on the host; expf or exp on the device (not __expf, so that a host replay agrees to
/// within rounding).
template <class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE Real flip_exp(Real x) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(Real) == sizeof(float))
    return expf(x);
  else
    return exp(x);
#else
  return std::exp(x);
#endif
}

/// The probability that a flip is accepted, given x = -beta * dE: min(1, e^x) (Metropolis) or
/// 1 / (1 + e^-x) (Gibbs). A NaN x (beta = inf, dE = 0) counts as no change: probability 1 (Metropolis).
template <flip_rule Rule, class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE Real flip_probability(Real minus_beta_de) {
  if constexpr (Rule == flip_rule::metropolis)
    return !(minus_beta_de < Real(0)) ? Real(1) : flip_exp(minus_beta_de);
  else
    return Real(1) / (Real(1) + flip_exp(-minus_beta_de));
}

/// Whether a flip of energy change delta_e is accepted at every beta without a draw: a Metropolis move
/// that does not raise the energy. Tested on the energy change itself, not on -beta * dE: at beta = 0 an
/// uphill move has -beta * dE = -0 and still takes its draw (the CPU annealer's random stream, and so its
/// samples, depend on it).
template <flip_rule Rule, class Real>
HQML_HOST_DEVICE HQML_FORCE_INLINE bool flip_certain(Real delta_e) {
  return Rule == flip_rule::metropolis && delta_e <= Real(0);
}

/// Whether the flip of energy change delta_e at inverse temperature beta is accepted. `draw()` gives a
/// uniform number in [0, 1) and is called only when the decision needs it: never for a downhill
/// Metropolis move, nor for a flip past the skip bound. Accepts exactly when draw() < flip_probability,
/// up to rounding: Gibbs tests u (1 + e^-x) < 1, which needs no division.
#if defined(__CUDACC__)
// nvcc would refuse a host lambda as the draw of a __host__ __device__ function: the draw is a host lambda
// on the host and a device lambda on the device, each instantiated on its own side only.
#pragma nv_exec_check_disable
#endif
template <flip_rule Rule, class Real, class Draw>
HQML_HOST_DEVICE HQML_FORCE_INLINE bool accept_flip(Real delta_e, Real beta, Draw&& draw) {
  if (flip_certain<Rule>(delta_e)) return true;
  const Real x = -beta * delta_e;
  if (x < -Real(flip_skip_exponent)) return false;
  if constexpr (Rule == flip_rule::metropolis)
    return draw() < flip_exp(x);
  else
    return draw() * (Real(1) + flip_exp(-x)) < Real(1);
}

}  // namespace hqml::kernels
