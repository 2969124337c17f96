// OpenQASM export of k-qubit unitaries (k = 2..6), which writes each as one-qubit gates, CNOTs and CZs:
// the time hqml::to_qasm takes, and as counters the gates it writes (two_qubit_gates, one_qubit_gates)
// and the largest entry of |exported − given| up to global phase (max_error), from the parsed text.
// Random unitaries from a fixed seed; set HQML_SYNTH_DUMP_DIR to also write them (u_<k>.npy) and hqml's
// text (hqml_<k>.qasm) for benchmarks/peers/synthesis_peers.py, which sets Qiskit beside them.
//
// Run the whole comparison with benchmarks/synthesis.sh.

#include <benchmark/benchmark.h>

#include <hqml/io/atomic_file.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/qasm.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using cplx = std::complex<double>;

// QR of a complex Gaussian matrix by Gram–Schmidt, twice, with R's diagonal made positive: Haar.
hqml::matrix haar_unitary(std::size_t d, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  hqml::matrix m(d * d);
  for (auto& v : m) v = {nd(rng), nd(rng)};
  for (std::size_t c = 0; c < d; ++c) {
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t p = 0; p < c; ++p) {
        cplx dot = 0.0;
        for (std::size_t r = 0; r < d; ++r) dot += std::conj(m[r * d + p]) * m[r * d + c];
        for (std::size_t r = 0; r < d; ++r) m[r * d + c] -= dot * m[r * d + p];
      }
    double nrm = 0.0;
    for (std::size_t r = 0; r < d; ++r) nrm += std::norm(m[r * d + c]);
    for (std::size_t r = 0; r < d; ++r) m[r * d + c] /= std::sqrt(nrm);
  }
  return m;
}

// The matrix of a parsed circuit of one- and two-qubit gates, column by column through hqml's simulator.
hqml::matrix matrix_of(const hqml::circuit& c) {
  const std::size_t d = std::size_t{1} << c.num_qubits();
  hqml::matrix u(d * d);
  for (std::size_t j = 0; j < d; ++j) {
    hqml::state_vector<double> s(c.num_qubits());
    std::vector<cplx> basis(d, 0.0);
    basis[j] = 1.0;
    s.set_amplitudes(basis);
    s.apply(c);
    const auto amps = s.to_vector();
    for (std::size_t i = 0; i < d; ++i) u[i * d + j] = amps[i];
  }
  return u;
}

void BM_to_qasm_unitary(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(1000 + k);
  const hqml::matrix m = haar_unitary(std::size_t{1} << k, rng);
  std::vector<std::uint32_t> qubits(k);
  for (std::size_t i = 0; i < k; ++i) qubits[i] = static_cast<std::uint32_t>(i);
  hqml::circuit c(k);
  c.unitary(qubits, m);
  std::string text;
  for (auto _ : state) {
    text = hqml::to_qasm(c);
    benchmark::DoNotOptimize(text.data());
  }
  const hqml::circuit back = hqml::parse_qasm(text);
  std::size_t two = 0, one = 0;
  for (const auto& op : back.operations()) (op.qubits.size() == 2 ? two : one) += 1;
  const hqml::matrix got = matrix_of(back);
  std::size_t ref = 0;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (std::abs(m[i]) > std::abs(m[ref])) ref = i;
  const cplx phase = m[ref] / got[ref];
  double err = 0.0;
  for (std::size_t i = 0; i < m.size(); ++i) err = std::max(err, std::abs(phase * got[i] - m[i]));
  state.counters["two_qubit_gates"] = static_cast<double>(two);
  state.counters["one_qubit_gates"] = static_cast<double>(one);
  state.counters["max_error"] = err;
  if (const char* dir = std::getenv("HQML_SYNTH_DUMP_DIR")) {
    const std::filesystem::path base(dir);
    const std::size_t shape[2] = {std::size_t{1} << k, std::size_t{1} << k};
    hqml::io::write_npy(base / ("u_" + std::to_string(k) + ".npy"), m.data(), std::span<const std::size_t>(shape));
    hqml::io::write_file_atomically(base / ("hqml_" + std::to_string(k) + ".qasm"), text);
  }
}
BENCHMARK(BM_to_qasm_unitary)->DenseRange(2, 6)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
