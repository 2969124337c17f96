// Gradients of an expectation value by adjoint differentiation: ⟨H⟩ and ∂⟨H⟩/∂θ of a layered
// hardware-efficient ansatz (RY and RZ on every qubit, then a ring of CNOTs, per layer) for the
// transverse-field Ising chain H = −Σ Z_q Z_{q+1} − 0.7 Σ X_q, at n = 4..20 qubits and 1 or 2 threads.
// θ_k = 3 sin(0.7k + 0.3), the same in benchmarks/peers/gradient_peers.py, which times PennyLane
// Lightning's and qulacs' adjoint gradients of the same circuit; set HQML_GRAD_DUMP_DIR to write hqml's
// value and gradient (grad_<n>.txt) for that script to check the peers against.
//
// Run the whole comparison with benchmarks/gradient.sh.

#include <benchmark/benchmark.h>

#include <hqml/gradient.hpp>
#include <hqml/io/atomic_file.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int layers = 4;

hqml::circuit ansatz(std::uint32_t n) {
  hqml::circuit c(n);
  std::size_t k = 0;
  for (int l = 0; l < layers; ++l) {
    for (std::uint32_t q = 0; q < n; ++q) {
      c.ry(q, hqml::angle::param(k++));
      c.rz(q, hqml::angle::param(k++));
    }
    for (std::uint32_t q = 0; q < n; ++q) c.cx(q, (q + 1) % n);
  }
  return c;
}

hqml::pauli_sum ising_chain(std::uint32_t n) {
  hqml::pauli_sum h;
  for (std::uint32_t q = 0; q + 1 < n; ++q) h.add(-1.0, hqml::pauli_string::from_ops({{q, 'Z'}, {q + 1, 'Z'}}));
  for (std::uint32_t q = 0; q < n; ++q) h.add(-0.7, hqml::pauli_string::from_ops({{q, 'X'}}));
  return h;
}

std::vector<double> angles(std::size_t count) {
  std::vector<double> t(count);
  for (std::size_t k = 0; k < count; ++k) t[k] = 3.0 * std::sin(0.7 * double(k) + 0.3);
  return t;
}

void dump(std::uint32_t n, const hqml::expectation_jacobian& r) {
  const char* dir = std::getenv("HQML_GRAD_DUMP_DIR");
  if (!dir) return;
  std::ostringstream s;
  s << std::setprecision(17) << r.values[0] << '\n';
  for (double g : r.gradient()) s << g << '\n';
  hqml::io::write_file_atomically(std::filesystem::path(dir) / ("grad_" + std::to_string(n) + ".txt"), s.str());
}

// Args: qubits, threads.
void BM_adjoint_gradient(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const hqml::circuit c = ansatz(n);
  const std::vector<double> theta = angles(c.num_params());
  hqml::adjoint_differentiator<double> d(c, {ising_chain(n)});
  d.set_threads(static_cast<int>(state.range(1)));
  hqml::expectation_jacobian r = d.evaluate(theta);
  dump(n, r);
  for (auto _ : state) {
    r = d.evaluate(theta);
    benchmark::DoNotOptimize(r.jacobian.data());
  }
  state.counters["params"] = double(c.num_params());
}
BENCHMARK(BM_adjoint_gradient)
    ->ArgsProduct({{4, 8, 12, 16, 20}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
