#pragma once
// What a backend is. A backend is a tag type (hqml::cpu, hqml::cuda, ...) with a backend_traits
// specialization; the compute entry points take it as a template parameter, as Thrust takes an execution
// policy. To run state vectors it also specializes detail::state_ops (see state_backend below and
// README, "Architecture": the one list of what a new backend implements).

#if defined(HQML_INTERNAL_INCLUDE)
#include <hqml/detail/state_ops.hpp>
#else
#define HQML_INTERNAL_INCLUDE
#include <hqml/detail/state_ops.hpp>
#undef HQML_INTERNAL_INCLUDE
#endif

#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hqml {

/// Specialized by each backend: host_accessible (may the host read its memory directly), parallel, and
/// available() (can this process use it now: false for CUDA without a device).
template <class Backend>
struct backend_traits;

/// A backend tag: a name, where its memory lives, and its traits.
template <class B>
concept backend = requires {
  { B::name } -> std::convertible_to<const char*>;
  { B::device_memory } -> std::convertible_to<bool>;
  { backend_traits<B>::host_accessible } -> std::convertible_to<bool>;
  { backend_traits<B>::parallel } -> std::convertible_to<bool>;
  { backend_traits<B>::available() } -> std::convertible_to<bool>;
};

/// A backend that runs state_vector<Real, B>: its detail::state_ops<B, Real> provides memory, the driver
/// that runs a gate functor over the index space (run, checked where it is called), and the reductions and
/// sampling below. Checked by state_vector, so a missing operation is named at the point of use. Optional:
/// memory_bytes() (the memory a state may fill; the CPU's refusals name it).
template <class B, class Real>
concept state_backend = backend<B> && requires(std::complex<Real>* a, const std::complex<Real>* c, std::size_t n,
                                               std::uint32_t q, std::uint64_t mask, int threads, double* p) {
  typename detail::state_ops<B, Real>::complex_type;
  {detail::state_ops<B, Real>::allocate(n)};
  {detail::state_ops<B, Real>::deallocate(a, n)};
  {detail::state_ops<B, Real>::copy(a, c, n)};
  {detail::state_ops<B, Real>::upload(a, c, n)};
  {detail::state_ops<B, Real>::download(a, c, n)};
  {detail::state_ops<B, Real>::fill_basis(a, n, n, threads)};
  {detail::state_ops<B, Real>::fusion_costs_for(n)};
  { detail::state_ops<B, Real>::norm_squared(c, n, threads) } -> std::convertible_to<double>;
  { detail::state_ops<B, Real>::probability_one(c, n, q, threads) } -> std::convertible_to<double>;
  {detail::state_ops<B, Real>::collapse(a, n, q, 0, 1.0, threads)};
  {detail::state_ops<B, Real>::probabilities(p, c, n, threads)};
  {detail::state_ops<B, Real>::sample(c, n, n, mask, threads)};
  { detail::state_ops<B, Real>::expectation(c, n, mask, mask, q, threads) } -> std::convertible_to<double>;
  { detail::state_ops<B, Real>::overlap(c, c, n, threads) } -> std::convertible_to<std::complex<double>>;
};

}  // namespace hqml
