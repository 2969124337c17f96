#pragma once
// CPU implementation of the state-vector operations: aligned host memory, OpenMP loops.
#if !defined(HQML_INTERNAL_INCLUDE)
#error "hqml/backends/cpu/state_ops.hpp is internal; include <hqml/state_vector.hpp> instead"
#endif

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cpu_simd.hpp>
#include <hqml/detail/state_ops.hpp>
#include <hqml/error.hpp>
#include <hqml/fusion_costs.hpp>
#include <hqml/kernels/avx2_gates.hpp>
#include <hqml/kernels/avx2_transition.hpp>
#include <hqml/kernels/gate_kernels.hpp>
#include <hqml/kernels/index.hpp>
#include <hqml/kernels/reductions.hpp>
#include <hqml/rng.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace hqml::detail {

/// Physical memory of this machine in bytes (0 when unknown).
inline std::size_t physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
#endif
  return 0;
}

/// The largest cache of the core this runs on, from Linux's sysfs (sysconf reports the host's total in some
/// virtual machines); 32 MiB where neither says.
inline std::size_t last_level_cache_bytes() {
  static const std::size_t bytes = [] {
    std::size_t best = 0;
    for (int index = 0; index < 8; ++index) {
      std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
      std::size_t v = 0;
      char unit = 0;
      if (!(in >> v)) continue;
      in >> unit;
      best = std::max(best, unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : v);
    }
#if defined(_SC_LEVEL3_CACHE_SIZE)
    if (best == 0) best = static_cast<std::size_t>(std::max(0L, ::sysconf(_SC_LEVEL3_CACHE_SIZE)));
#endif
    return best ? best : std::size_t{32} << 20;
  }();
  return bytes;
}

}  // namespace hqml::detail

namespace hqml {
/// The CPU kernels' fusion costs (AVX2, double, one thread, adjacent qubits) for a state that stays in cache:
/// there arithmetic dominates and a fused 4-qubit block costs about nine cheap gates. Beyond a quarter of the
/// last-level cache the backend fuses every block instead (BENCHMARKS.md, "Gate fusion by cost").
inline constexpr fusion_costs cpu_fusion_costs{
    {0, 1.0, 1.6, 4.0, 9.0, 20, 45}, {0, 1.0, 1.0, 1.2, 8.0, 9.0, 20}, 0.45, 0.3, 0.65, 1.2};
}  // namespace hqml

namespace hqml::detail {

template <class Threads, class Real>
struct state_ops<basic_cpu<Threads>, Real> {
  using complex_type = std::complex<Real>;
  using index_t = kernels::index_t;
  static constexpr bool par = backend_traits<basic_cpu<Threads>>::parallel;
  static constexpr std::size_t alignment = 64;

  /// The memory a state may fill (state_vector's refusals name it).
  static std::size_t memory_bytes() { return physical_memory_bytes(); }
  static complex_type* allocate(std::size_t n) {
    // Saturated: past the address space (2^n · 16 bytes from 60 qubits in double) the product would wrap, to 0
    // bytes at 60, and pass the check below.
    constexpr auto amp_log2 = static_cast<std::size_t>(std::countr_zero(sizeof(complex_type)));
    const bool fits = n + amp_log2 < std::size_t{std::numeric_limits<std::size_t>::digits};
    const std::size_t bytes = fits ? (std::size_t{1} << n) * sizeof(complex_type) : ~std::size_t{0};
    const std::size_t phys = physical_memory_bytes();
    if (!fits || (phys && bytes > phys)) out_of_memory_error(n, bytes, phys);
    try {
      return static_cast<complex_type*>(::operator new (bytes, std::align_val_t{alignment}));
    } catch (const std::bad_alloc&) {
      out_of_memory_error(n, bytes, phys);
    }
  }
  static void deallocate(complex_type* p, std::size_t) noexcept {
    if (p) ::operator delete (p, std::align_val_t{alignment});
  }
  /// Fusion by cost while the state stays in cache (a quarter of the last-level cache: the rest is shared
  /// with the other cores and tenants); beyond, every pass is a trip to memory and fusing every block wins.
  static const fusion_costs* fusion_costs_for(std::size_t n) {
    return (std::size_t{1} << n) * sizeof(complex_type) <= last_level_cache_bytes() / 4 ? &cpu_fusion_costs : nullptr;
  }
  static void copy(complex_type* dst, const complex_type* src, index_t count) {
    std::memcpy(static_cast<void*>(dst), src, count * sizeof(complex_type));
  }
  static void upload(complex_type* dst, const complex_type* src, index_t count) { copy(dst, src, count); }
  static void download(complex_type* dst, const complex_type* src, index_t count) { copy(dst, src, count); }

  static void fill_basis(complex_type* a, std::size_t n, index_t i, int threads) {
    Real* r = reinterpret_cast<Real*>(a);
    // Parallel first touch places pages near the threads that later use them.
    cpu_detail::parallel_for<par>(index_t{2} << n, threads, [=](index_t j) { r[j] = Real(0); });
    a[i] = complex_type(1);
  }

  /// Runs a gate functor f(a, base) over every base with zero bits at `fixed`.
  template <class F>
  static void run(std::size_t n, std::span<const unsigned> fixed, int threads, const F& f, complex_type* a) {
#if HQML_HAS_AVX2_KERNELS
    if constexpr (kernels::dense_qubits<F> != 0 || std::is_same_v<F, kernels::swap_kernel<Real>> ||
                  kernels::diagonal_qubits<F> != 0 || std::is_same_v<F, kernels::masked_phase_kernel<Real>>)
      if (run_avx2(static_cast<unsigned>(n), fixed, threads, f, a)) return;
#endif
    Real* r = reinterpret_cast<Real*>(a);
    cpu_detail::for_each_base<par>(static_cast<unsigned>(n), fixed, threads, [&f, r](index_t b) { f(r, b); });
  }

  static double norm_squared(const complex_type* a, std::size_t n, int threads) {
    return cpu_detail::sum_terms<par>(index_t{1} << n, threads, kernels::norm_term<Real>{real(a)}).v[0];
  }
  static double probability_one(const complex_type* a, std::size_t n, std::uint32_t q, int threads) {
    return cpu_detail::sum_terms<par>(index_t{1} << (n - 1), threads, kernels::prob_one_term<Real>{real(a), q}).v[0];
  }
  /// Keeps the half where qubit q reads `outcome`, zeroes the other, scales by `scale`.
  static void collapse(complex_type* a, std::size_t n, std::uint32_t q, int outcome, double scale, int threads) {
    const index_t bit = index_t{1} << q;
    const auto s = Real(scale);
    cpu_detail::parallel_for<par>(index_t{1} << n, threads, [=](index_t i) {
      if (((i & bit) != 0) == (outcome != 0))
        a[i] *= s;
      else
        a[i] = complex_type(0);
    });
  }
  static void probabilities(double* p, const complex_type* a, std::size_t n, int threads) {
    cpu_detail::parallel_for<par>(index_t{1} << n, threads, [=](index_t i) { p[i] = kernels::amp_norm(real(a), i); });
  }

  static std::vector<index_t> sample(const complex_type* a, std::size_t n, std::size_t shots, std::uint64_t seed,
                                     int threads) {
    const index_t size = index_t{1} << n;
    constexpr index_t block = index_t{1} << 12;
    const index_t nblocks = (size + block - 1) / block;
    // Block sums in a fixed order, so the draws map to the same outcomes whatever the thread count.
    std::vector<double> prefix(nblocks + 1, 0.0);
    cpu_detail::parallel_for<par>(nblocks, threads, [&](index_t b) {
      double s = 0;
      const index_t end = std::min(size, (b + 1) * block);
      for (index_t i = b * block; i < end; ++i) s += kernels::amp_norm(real(a), i);
      prefix[b + 1] = s;
    });
    for (index_t b = 0; b < nblocks; ++b) prefix[b + 1] += prefix[b];
    const double total = prefix[nblocks];
    std::vector<std::pair<double, std::size_t>> draws(shots);
    xoshiro256 rng(seed);
    // Draws stay strictly below the total so each one lands in a block of nonzero weight.
    const double top = std::nextafter(total, 0.0);
    for (std::size_t s = 0; s < shots; ++s) draws[s] = {std::min(rng.uniform() * total, top), s};
    std::sort(draws.begin(), draws.end());
    std::vector<index_t> out(shots);
    std::size_t d = 0;
    while (d < shots) {
      const auto it = std::upper_bound(prefix.begin() + 1, prefix.end(), draws[d].first);
      const index_t b = std::min<index_t>(static_cast<index_t>(it - prefix.begin()) - 1, nblocks - 1);
      const index_t end = std::min(size, (b + 1) * block);
      double acc = prefix[b];
      index_t last_nonzero = b * block;
      for (index_t i = b * block; i < end && d < shots; ++i) {
        const double pi = kernels::amp_norm(real(a), i);
        if (pi > 0) last_nonzero = i;
        acc += pi;
        while (d < shots && draws[d].first < acc) out[draws[d++].second] = i;
      }
      // The running sum can round below the block total: the draws in between get the block's last outcome.
      while (d < shots && (b + 1 == nblocks || draws[d].first < prefix[b + 1])) out[draws[d++].second] = last_nonzero;
    }
    return out;
  }

  /// ⟨a|P|b⟩ for the Pauli string P = i^num_y X^x_mask Z^z_mask.
  static std::complex<double> pauli_matrix_element(const complex_type* a, const complex_type* b, std::size_t n,
                                                   std::uint64_t x_mask, std::uint64_t z_mask, unsigned num_y,
                                                   int threads) {
    const auto s = cpu_detail::sum_terms<par>(index_t{1} << n, threads,
                                              kernels::pauli_term<Real>{real(a), real(b), x_mask, z_mask});
    return i_power(num_y) * std::complex<double>(s.v[0], s.v[1]);
  }
  static double expectation(const complex_type* a, std::size_t n, std::uint64_t x_mask, std::uint64_t z_mask,
                            unsigned num_y, int threads) {
    return pauli_matrix_element(a, a, n, x_mask, z_mask, num_y, threads).real();
  }

  /// out = c·P·in, or out += c·P·in when `accumulate` (P as in pauli_matrix_element; out is not in unless P is the
  /// identity).
  static void add_pauli(complex_type* out, const complex_type* in, std::size_t n, std::uint64_t x_mask,
                        std::uint64_t z_mask, unsigned num_y, std::complex<double> c, bool accumulate, int threads) {
    const std::complex<double> w = i_power(num_y) * c;
    const Real wr = Real(w.real()), wi = Real(w.imag());
    const Real* ri = reinterpret_cast<const Real*>(in);
    Real* ro = reinterpret_cast<Real*>(out);
    cpu_detail::parallel_for<par>(index_t{1} << n, threads, [=](index_t i) {
      const Real sign = kernels::parity(i & z_mask) ? Real(-1) : Real(1);
      const Real vr = sign * (wr * ri[2 * i] - wi * ri[2 * i + 1]), vi = sign * (wr * ri[2 * i + 1] + wi * ri[2 * i]);
      const index_t k = i ^ x_mask;
      ro[2 * k] = accumulate ? ro[2 * k] + vr : vr;
      ro[2 * k + 1] = accumulate ? ro[2 * k + 1] + vi : vi;
    });
  }

  /// Tr over the other qubits of |b⟩⟨a|, row-major 2^K × 2^K; bit j of a row or column index is qubit qs[j].
  template <unsigned K>
  static std::array<std::complex<double>, (1u << (2 * K))> transition_matrix(const complex_type* a,
                                                                             const complex_type* b, std::size_t n,
                                                                             const std::uint32_t* qs, int threads) {
    constexpr unsigned dim = 1u << K;
#if HQML_HAS_AVX2_KERNELS
    if constexpr (K == 1) {
      // The SIMD kernel: both amplitudes of a pair in one vector (kernels/avx2_transition.hpp).
      if (n >= cpu_simd_min_qubits() && cpu_simd_in_use() == cpu_simd::avx2) {
        using sums = kernels::sums<8>;
        constexpr index_t run = 64;  // bases per call
        const index_t bases = index_t{1} << (n - 1);
        const unsigned q = qs[0];
        const Real* ra = real(a);
        const Real* rb = real(b);
        const sums t = cpu_detail::reduce<par>((bases + run - 1) / run, threads, sums::zero(), [=](index_t r) {
          sums out = sums::zero();
          kernels::avx2::transition_1q(ra, rb, q, r * run, std::min(bases, (r + 1) * run), out.v);
          return out;
        });
        return {{{t.v[0], t.v[1]}, {t.v[2], t.v[3]}, {t.v[4], t.v[5]}, {t.v[6], t.v[7]}}};
      }
    }
#endif
    const auto s = cpu_detail::sum_terms<par>(index_t{1} << (n - K), threads,
                                              kernels::make_transition_term<K>(real(a), real(b), qs));
    std::array<std::complex<double>, dim * dim> m{};
    for (unsigned e = 0; e < dim * dim; ++e) m[e] = {s.v[2 * e], s.v[2 * e + 1]};
    return m;
  }

#if HQML_HAS_AVX2_KERNELS
  /// Most gates adjoint_run_1q takes in one call.
  static constexpr std::size_t adjoint_run_max = kernels::avx2::max_run_gates;

  /// Whether adjoint_run_1q serves a gate run on qubit q of an n-qubit register: with the AVX2 kernels and
  /// q ≥ 1 (two neighbouring bases then share a vector). Elsewhere the caller goes gate by gate.
  static bool adjoint_run_1q_applies(std::size_t n, unsigned q) {
    return q >= 1 && n >= cpu_simd_min_qubits() && cpu_simd_in_use() == cpu_simd::avx2;
  }

  /// One pass of adjoint differentiation over `count` one-qubit gates on qubit q (where adjoint_run_1q_applies),
  /// last gate first: for gate g, T_g = Tr_others |ψ⟩⟨λ| as the pass reaches it (row-major into t[4g..], where
  /// want[g]; zero otherwise), then ψ ← V_g ψ and λ ← V_g λ with V_g = undo[4g..] (row-major: the gate's
  /// inverse). Both states are read and written once for the whole run.
  static void adjoint_run_1q(complex_type* psi, complex_type* lam, std::size_t n, unsigned q,
                             const std::complex<double>* undo, const bool* want, std::size_t count,
                             std::complex<double>* t, int threads) {
    if (count == 0 || count > adjoint_run_max || !adjoint_run_1q_applies(n, q))
      throw std::invalid_argument("hqml::state_ops::adjoint_run_1q: " + std::to_string(count) + " gates on qubit " +
                                  std::to_string(q) + " of " + std::to_string(n) + "; 1 to " +
                                  std::to_string(adjoint_run_max) + " gates where adjoint_run_1q_applies");
    std::array<double, 8 * adjoint_run_max> v{};
    std::array<bool, adjoint_run_max> w{};
    for (std::size_t g = 0; g < count; ++g) {
      w[g] = want[g];
      for (unsigned e = 0; e < 4; ++e) {
        v[8 * g + 2 * e] = undo[4 * g + e].real();
        v[8 * g + 2 * e + 1] = undo[4 * g + e].imag();
      }
    }
    struct sums {
      std::array<double, 8 * adjoint_run_max> s{};
      sums& operator+=(const sums& o) {
        for (std::size_t e = 0; e < s.size(); ++e) s[e] += o.s[e];
        return *this;
      }
    };
    Real* rp = reinterpret_cast<Real*>(psi);
    Real* rl = reinterpret_cast<Real*>(lam);
    const index_t bases = index_t{1} << (n - 1);
    constexpr index_t run = 64;  // bases per call, an even number as the kernel takes them in pairs
    const auto c = static_cast<unsigned>(count);
    const sums total = cpu_detail::reduce<par>((bases + run - 1) / run, threads, sums{}, [=](index_t r) {
      sums part;
      kernels::avx2::adjoint_run_1q(rp, rl, q, r * run, std::min(bases, (r + 1) * run), v.data(), w.data(), c,
                                    part.s.data());
      return part;
    });
    for (std::size_t g = 0; g < count; ++g)
      for (unsigned e = 0; e < 4; ++e) t[4 * g + e] = {total.s[8 * g + 2 * e], total.s[8 * g + 2 * e + 1]};
  }
#endif

  static std::array<std::complex<double>, 4> reduced_density_matrix(const complex_type* a, std::size_t n,
                                                                    std::uint32_t q, int threads) {
    const auto s = cpu_detail::sum_terms<par>(index_t{1} << (n - 1), threads, kernels::rdm_term<Real>{real(a), q});
    const std::complex<double> c01(s.v[2], s.v[3]);
    return {s.v[0], c01, std::conj(c01), s.v[1]};
  }

  static std::complex<double> overlap(const complex_type* a, const complex_type* b, std::size_t n, int threads) {
    const auto s = cpu_detail::sum_terms<par>(index_t{1} << n, threads, kernels::overlap_term<Real>{real(a), real(b)});
    return {s.v[0], s.v[1]};
  }

 private:
#if HQML_HAS_AVX2_KERNELS
  /// The qubits of a kernel that lists its amplitude offsets by local index: bit j of the local index is
  /// the qubit of offsets[2^j].
  template <unsigned K>
  static std::array<unsigned, K> gate_qubits(const index_t* offsets) {
    std::array<unsigned, K> qs{};
    for (unsigned j = 0; j < K; ++j) qs[j] = static_cast<unsigned>(std::countr_zero(offsets[1u << j]));
    return qs;
  }

  /// Runs a dense gate, or a permutation or diagonal that acts within a vector, on the AVX2 kernels
  /// when they are chosen and cover it; false otherwise.
  template <class F>
  static bool run_avx2(unsigned n, std::span<const unsigned> fixed, int threads, const F& f, complex_type* a) {
    constexpr unsigned k = kernels::dense_qubits<F>;
    constexpr bool permutation = std::is_same_v<F, kernels::swap_kernel<Real>>;
    constexpr unsigned kd = kernels::diagonal_qubits<F>;
    constexpr bool masked = std::is_same_v<F, kernels::masked_phase_kernel<Real>>;
    if constexpr (k > kernels::avx2::max_gate_qubits || kd > kernels::avx2::max_sparse_qubits) return false;
    using plan_type = kernels::avx2::dense_plan<Real>;
    // Permutations and diagonals go here only where they act within a vector (X on qubit 0, SWAP(0, q),
    // CX(q, 0), RZ(0), RZZ(0, q)) or, for permutations, where a control inside a vector guards a flip of
    // one higher qubit (CX(0, q), CCX(0, q, r): 0.5-0.9 of the scalar kernel's time, which moves single
    // amplitudes). Where they move whole vectors otherwise (SWAP(3, 6), also controlled by qubit 0), the
    // scalar kernels ran as fast or up to 1.3x faster (BENCHMARKS.md).
    // A phase with qubits above the vector width is a diagonal on its qubits inside a vector (or, with none
    // there, a constant phase on qubit 0's pair) controlled by the ones above, so the kernel reads and writes
    // only the vectors whose high bits are all set, the gate's footprint. The scalar kernel covered it at
    // a third to half the speed where its runs were short (CZ(0, 3), P(3), CZ(1, 3)); from qubit 6 up its
    // runs are long and it keeps those gates. Phases inside a vector alone stay scalar: as vector
    // kernels over whole vectors they measured 0.6-1.4x.
    [[maybe_unused]] const index_t low_mask = static_cast<index_t>(plan_type::width - 1);
    if constexpr (masked)
      if ((f.mask & ~low_mask) == 0 || std::countr_zero(f.mask) >= 6) return false;
    if constexpr (permutation)
      if (((f.off0 ^ f.off1) & low_mask) == 0 &&
          (((f.off0 & f.off1) & low_mask) == 0 || std::popcount(f.off0 ^ f.off1) != 1))
        return false;
    if constexpr (kd != 0)
      if (fixed.empty() || fixed.front() >= plan_type::log2_width) return false;
    if (n < cpu_simd_min_qubits() || cpu_simd_in_use() != cpu_simd::avx2) return false;
    plan_type plan;
    bool ok = false;
    if constexpr (std::is_same_v<F, kernels::dense1_kernel<Real>>) {
      const auto q = static_cast<unsigned>(std::countr_zero(f.offset));
      ok = plan.prepare(n, &q, 1, f.control, [&f](unsigned r, unsigned c) {
        return std::complex<Real>(f.m[2 * (2 * r + c)], f.m[2 * (2 * r + c) + 1]);
      });
    } else if constexpr (masked) {
      unsigned qs[plan_type::log2_width] = {};
      unsigned kq = 0;
      for (index_t b = f.mask & low_mask; b; b &= b - 1) qs[kq++] = static_cast<unsigned>(std::countr_zero(b));
      // With no qubit inside a vector (kq = 0, all = 0) the phase applies to both amplitudes of qubit 0's pair.
      const unsigned all = (1u << kq) - 1;
      ok = plan.prepare(n, qs, std::max(kq, 1u), f.mask & ~low_mask, [&f, all](unsigned r, unsigned c) {
        if (r != c) return std::complex<Real>(0);
        return (r & all) == all ? std::complex<Real>(f.pre, f.pim) : std::complex<Real>(1);
      });
    } else if constexpr (kd != 0) {
      const auto qs = gate_qubits<kd>(f.offsets);
      ok = plan.prepare(n, qs.data(), kd, 0, [&f](unsigned r, unsigned c) {
        return r == c ? std::complex<Real>(f.dre[r], f.dim_[r]) : std::complex<Real>(0);
      });
    } else if constexpr (permutation) {
      // A permutation matrix on the qubits the two offsets differ in, controlled by the bits both set.
      const index_t control = f.off0 & f.off1;
      unsigned qs[kernels::avx2::max_sparse_qubits];
      unsigned kq = 0, l0 = 0, l1 = 0;
      for (unsigned q : fixed)
        if (!((control >> q) & 1u)) {
          if (kq == kernels::avx2::max_sparse_qubits) return false;
          l0 |= static_cast<unsigned>((f.off0 >> q) & 1u) << kq;
          l1 |= static_cast<unsigned>((f.off1 >> q) & 1u) << kq;
          qs[kq++] = q;
        }
      ok = plan.prepare(n, qs, kq, control, [l0, l1](unsigned r, unsigned c) {
        const bool moved = (r == l0 && c == l1) || (r == l1 && c == l0);
        return std::complex<Real>(moved || (r == c && r != l0 && r != l1) ? Real(1) : Real(0));
      });
    } else {
      const auto qs = gate_qubits<k>(f.offsets);
      ok = plan.prepare(n, qs.data(), k, 0, [&f](unsigned r, unsigned c) {
        return std::complex<Real>(f.mre[c * F::dim + r], f.mim[c * F::dim + r]);
      });
    }
    using kernels::avx2::matrix_kind;
    constexpr matrix_kind kind = permutation         ? matrix_kind::permutation
                                 : kd != 0 || masked ? matrix_kind::diagonal
                                                     : matrix_kind::dense;
    auto runner = ok ? kernels::avx2::runner_for<kind>(plan) : nullptr;
    if constexpr (kind == matrix_kind::dense)
      if (runner)
        if (const auto two = kernels::avx2::two_term_runner(plan)) runner = two;
    if (!runner) return false;
    Real* r = reinterpret_cast<Real*>(a);
    const index_t count = plan.groups;
    const index_t chunk = std::min<index_t>(count, index_t{1} << 10);
    const index_t nchunks = count / chunk;
    auto body = [&](index_t c) { runner(plan, r, c * chunk, (c + 1) * chunk); };
#if defined(_OPENMP)
    // The generic driver's rule: parallel from parallel_threshold index groups of the gate up.
    if (par && (index_t{1} << (n - fixed.size())) >= cpu_detail::parallel_threshold && threads != 1) {
#pragma omp parallel for schedule(static) num_threads(cpu_detail::resolve_threads(threads))
      for (index_t c = 0; c < nchunks; ++c) body(c);
      return true;
    }
#endif
    (void)threads;
    for (index_t c = 0; c < nchunks; ++c) body(c);
    return true;
  }
#endif

  // Out of line: the message is built only on failure, and GCC 12 reports false -Warray-bounds in
  // string concatenation that is inlined into callers.
  [[noreturn]] static HQML_NOINLINE void out_of_memory_error(std::size_t n, std::size_t bytes, std::size_t phys) {
    throw out_of_memory("a state vector of " + std::to_string(n) + " qubits", bytes, phys);
  }
  static const Real* real(const complex_type* a) { return reinterpret_cast<const Real*>(a); }
};

}  // namespace hqml::detail
