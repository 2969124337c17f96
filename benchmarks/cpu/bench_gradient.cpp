// Gradients of an expectation value by adjoint differentiation: ⟨H⟩ and ∂⟨H⟩/∂θ of the layered ansatz for
// the Ising chain (gradient_problem.hpp) at n = 4..20 qubits and 1 or 2 threads. benchmarks/peers/
// gradient_peers.py times PennyLane Lightning's and qulacs' adjoint gradients of the same circuit; set
// HQML_GRAD_DUMP_DIR to write hqml's value and gradient (grad_<n>.txt) for that script to check the peers.
//
// Run the whole comparison with benchmarks/gradient.sh.

#include <benchmark/benchmark.h>

#include "gradient_problem.hpp"

#include <hqml/gradient.hpp>
#include <hqml/io/atomic_file.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace hqml::bench;

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
  const hqml::circuit c = layered_ansatz(n);
  const std::vector<double> theta = ansatz_angles(c.num_params());
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
