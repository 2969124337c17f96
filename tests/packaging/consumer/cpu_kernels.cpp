// A downstream unit linking hqml::cpu_kernels: the CPU backend's AVX2 kernels come from the library, not from this
// unit (run.sh checks that its object file calls them and defines none). Gates, one-qubit transition matrices and
// an adjoint gradient on the AVX2 kernels must agree with the portable kernels (cpu_simd::none) to rounding, in
// double and float. Exits non-zero otherwise.
#include <hqml/ansatz.hpp>
#include <hqml/backends/cpu_simd.hpp>
#include <hqml/gradient.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <vector>

#if !defined(HQML_CPU_KERNELS_LIBRARY)
#error "hqml::cpu_kernels does not define HQML_CPU_KERNELS_LIBRARY for its users"
#endif

namespace {

// Each kind of AVX2 kernel: dense gates on qubits inside a vector and above it, controlled ones, permutations (X, CX,
// SWAP, CCX, CSWAP), diagonals and phases (RZ, RZZ, CZ, P, CP), two-term matrices (RXX, RYY, iSWAP).
hqml::circuit gates(std::uint32_t n) {
  hqml::circuit c(n);
  for (std::uint32_t q = 0; q < n; ++q) c.h(q).ry(q, 0.1 + 0.07 * q);
  c.u(0, 0.3, 0.2, -0.4).rx(1, 0.5).rx(n - 1, 0.2).cx(0, 5).cx(4, 0).swap(0, 3).ccx(0, 2, 7).cswap(1, 4, 6);
  c.rz(0, 0.9).rzz(0, 6, 0.4).cz(1, 3).p(3, 0.6).crz(2, 0, 0.5).rxx(1, 8, 0.7).iswap(0, 1).ryy(5, 9, 0.3);
  c.crx(7, 1, 0.8).x(0).cp(0, n - 1, 0.25);
  return c;
}

struct results {
  std::vector<std::complex<double>> values;  // the state, then transition matrices, then ⟨H⟩ and its gradient
};

template <class Real>
results run(hqml::cpu_simd isa, std::uint32_t n) {
  hqml::set_cpu_simd(isa);
  const hqml::circuit c = gates(n);
  hqml::state_vector<Real> a(n), b(n);
  a.apply(c, {}, {}, hqml::apply_options{.fusion = false});  // gate by gate
  b.apply(c);                                                // fused into blocks of up to four qubits
  b.apply(c, {}, {}, hqml::apply_options{.fusion = false});
  results r;
  for (const auto& v : a.data()) r.values.emplace_back(v);
  for (const auto& v : b.data()) r.values.emplace_back(v);
  for (std::uint32_t q : {0u, 1u, 4u}) {
    const std::uint32_t qs[1] = {q};
    const hqml::matrix t = reduced_transition_matrix(a, b, qs);
    r.values.insert(r.values.end(), t.begin(), t.end());
  }
  // Runs of RY and RZ on each qubit: the fused adjoint pass (adjoint_run_1q) on qubits 1 and up.
  const hqml::circuit ansatz = hqml::efficient_su2(n, {.reps = 1});
  std::vector<double> theta(ansatz.num_params());
  for (std::size_t k = 0; k < theta.size(); ++k) theta[k] = 0.05 * static_cast<double>(k) - 0.4;
  hqml::pauli_sum h;
  h.add(0.7, "Z" + std::string(n - 1, 'I')).add(-0.4, "X" + std::string(n - 2, 'I') + "X");
  const auto g = hqml::adjoint_gradient<Real>(ansatz, h, theta);
  r.values.emplace_back(g.values[0]);
  for (double d : g.gradient()) r.values.emplace_back(d);
  return r;
}

template <class Real>
bool same(std::uint32_t n, double tolerance, const char* name) {
  const results simd = run<Real>(hqml::cpu_simd::avx2, n), none = run<Real>(hqml::cpu_simd::none, n);
  double diff = 0;
  for (std::size_t i = 0; i < simd.values.size(); ++i) diff = std::max(diff, std::abs(simd.values[i] - none.values[i]));
  const bool ok = simd.values.size() == none.values.size() && diff <= tolerance;
  std::printf("consumer_cpu_kernels: %s, %u qubits: avx2 and none differ by %.2e %s\n", name, n, diff,
              ok ? "ok" : "WRONG");
  return ok;
}

}  // namespace

int main() {
  if (hqml::cpu_simd_supported() != hqml::cpu_simd::avx2) {
    std::printf("consumer_cpu_kernels: linked hqml::cpu_kernels; this processor has no AVX2 and FMA to run them\n");
    return 0;
  }
  // At least the width from which the vector kernels run, and 12 qubits, from which apply fuses gates.
  const std::uint32_t n = std::max(12u, hqml::cpu_simd_min_qubits());
  const bool ok = same<double>(n, 1e-12, "double") && same<float>(n, 1e-5, "float");
  return ok ? 0 : 1;
}
