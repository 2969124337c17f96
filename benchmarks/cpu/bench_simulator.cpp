// State-vector simulator benchmarks: single gates as effective memory bandwidth next to a STREAM-like
// copy in the same binary, what gate classes and fused blocks cost (fusion.hpp's cost tables), and whole
// circuits (qulacs' benchmark circuit, random circuits, a VQE ansatz, QASMBench).
//
//   bench_simulator --benchmark_filter=... [--benchmark_format=json]
// Environment: HQML_BENCH_THREADS (default "1,2") picks the thread counts of the circuit benchmarks;
// HQML_BENCH_MAX_QUBITS (default 26) skips larger QASMBench circuits.
#include <benchmark/benchmark.h>

#include <hqml/ansatz.hpp>
#include <hqml/fusion.hpp>
#include <hqml/qasm.hpp>
#include <hqml/shots.hpp>
#include <hqml/state_vector.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace hqml;

namespace {

template <class Real>
void bm_copy(benchmark::State& st) {
  const std::size_t n = static_cast<std::size_t>(st.range(0));
  const int threads = static_cast<int>(st.range(1));
  const std::size_t count = std::size_t{1} << n;
  state_vector<Real> a(n), b(n);
  auto* src = reinterpret_cast<Real*>(a.raw());
  auto* dst = reinterpret_cast<Real*>(b.raw());
  for (auto _ : st) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::size_t i = 0; i < 2 * count; ++i) dst[i] = src[i];
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * 2 * count * sizeof(std::complex<Real>)));
}

// Whether gate k on qubits qs changes the amplitude at basis index i.
bool changes(gate_kind k, const std::vector<std::uint32_t>& qs, std::size_t i) {
  const auto bit = [&](std::size_t j) { return (i >> qs[j]) & 1u; };
  switch (k) {
    case gate_kind::cx:
    case gate_kind::cy:
    case gate_kind::ch:
    case gate_kind::crx:
    case gate_kind::cry:
    case gate_kind::crz: return bit(0);  // the control's set half
    case gate_kind::cz:
    case gate_kind::cp: return bit(0) && bit(1);
    case gate_kind::ccx: return bit(0) && bit(1);
    case gate_kind::swap: return bit(0) != bit(1);
    case gate_kind::z:
    case gate_kind::s:
    case gate_kind::t:
    case gate_kind::p: return bit(0);
    default: return true;
  }
}

// Fraction of the state's 64-byte cache lines that hold an amplitude the gate changes: memory moves whole
// lines, so these are what any kernel must read and write (CZ(0, 3) changes a quarter of the amplitudes,
// but they lie in half of the lines). The pattern repeats every 2^(highest qubit + 1) amplitudes.
template <class Real>
double touched_line_fraction(gate_kind k, const std::vector<std::uint32_t>& qs) {
  const std::size_t per_line = 64 / sizeof(std::complex<Real>);
  std::size_t period = per_line;
  for (std::uint32_t q : qs) period = std::max(period, std::size_t{2} << q);
  std::size_t lines = 0;
  for (std::size_t line = 0; line < period; line += per_line) {
    bool touched = false;
    for (std::size_t i = line; i < line + per_line && !touched; ++i) touched = changes(k, qs, i);
    lines += touched;
  }
  return double(lines) / double(period / per_line);
}

template <class Real>
void bm_gate(benchmark::State& st, gate_kind k, std::uint32_t target_offset) {
  const std::size_t n = static_cast<std::size_t>(st.range(0));
  const int threads = static_cast<int>(st.range(1));
  state_vector<Real> sv(n);
  sv.set_threads(threads);
  circuit c(n);
  std::vector<std::uint32_t> qs;
  for (unsigned j = 0; j < info(k).num_qubits; ++j) qs.push_back(static_cast<std::uint32_t>((target_offset + 3 * j) % n));
  std::vector<angle> params;
  for (unsigned j = 0; j < info(k).num_params; ++j) params.emplace_back(0.3 + j);
  if (k == gate_kind::unitary) {
    c.unitary({target_offset % static_cast<std::uint32_t>(n), (target_offset + 3) % static_cast<std::uint32_t>(n)},
              gate_matrix(gate_kind::rxx, std::vector<double>{0.4}.data()));
  } else {
    c.gate(k, qs, params);
  }
  const operation& op = c.operations()[0];
  for (auto _ : st) {
    sv.apply(op);
    benchmark::ClobberMemory();
  }
  const double lines = touched_line_fraction<Real>(k, qs);
  const double bytes = 2.0 * lines * double(std::size_t{1} << n) * sizeof(std::complex<Real>);
  st.SetBytesProcessed(static_cast<std::int64_t>(double(st.iterations()) * bytes));
  st.counters["lines"] = lines;
  std::string label;  // the gate's qubits, for benchmarks/gates.sh
  for (std::uint32_t q : op.qubits) label += (label.empty() ? "" : ",") + std::to_string(q);
  st.SetLabel(label);
}

circuit qulacs_benchmark_circuit(std::size_t n, std::size_t layers = 10) {
  std::mt19937_64 rng(0);
  std::uniform_real_distribution<double> ang(0, 2 * pi);
  circuit c(n);
  for (std::size_t l = 0; l < layers; ++l) {
    for (std::uint32_t q = 0; q < n; ++q) c.rx(q, ang(rng)).rz(q, ang(rng));
    for (std::uint32_t q = 0; q < n; ++q) c.cx(q, static_cast<std::uint32_t>((q + 1) % n));
  }
  return c;
}

circuit random_circuit(std::size_t n, std::size_t depth, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ang(0, 2 * pi);
  circuit c(n);
  for (std::size_t d = 0; d < depth; ++d) {
    for (std::uint32_t q = 0; q < n; ++q) c.u(q, ang(rng), ang(rng), ang(rng));
    const std::uint32_t off = static_cast<std::uint32_t>(d % 2);
    for (std::uint32_t q = off; q + 1 < n; q += 2) c.cz(q, q + 1);
  }
  return c;
}

template <class Real>
void run_circuit(benchmark::State& st, const circuit& c, int threads, bool fusion) {
  state_vector<Real> sv(c.num_qubits());
  sv.set_threads(threads);
  apply_options opt;
  opt.fusion = fusion;
  for (auto _ : st) {
    sv.set_basis_state(0);
    sv.apply(c, {}, {}, opt);
    benchmark::ClobberMemory();
  }
  st.counters["qubits"] = double(c.num_qubits());
  st.counters["threads"] = threads;
}

template <class Real>
void bm_qulacs_circuit(benchmark::State& st) {
  run_circuit<Real>(st, qulacs_benchmark_circuit(static_cast<std::size_t>(st.range(0))), static_cast<int>(st.range(1)),
                    st.range(2) != 0);
}
template <class Real>
void bm_random_circuit(benchmark::State& st) {
  run_circuit<Real>(st, random_circuit(static_cast<std::size_t>(st.range(0)), 20, 7), static_cast<int>(st.range(1)),
                    true);
}

// real_amplitudes with 3 reps bound to fixed angles: RY layers between CX ladders, the VQE forward pass.
template <class Real>
void bm_ansatz_circuit(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  two_local_options o;
  o.reps = 3;
  const circuit c = real_amplitudes(n, o);
  std::vector<double> theta(c.num_params());
  for (std::size_t k = 0; k < theta.size(); ++k) theta[k] = 0.1 * double(k);
  run_circuit<Real>(st, c.bind(theta), static_cast<int>(st.range(1)), st.range(2) != 0);
}

// One operation of a class fusion prices (fusion_costs): a gate, or a dense or diagonal block on k qubits,
// its qubits spread as in bm_gate. benchmarks/fusion_costs.sh divides each time by RY's.
template <class Real>
void bm_fusion_cost(benchmark::State& st, const std::string& what, unsigned k) {
  const std::size_t n = static_cast<std::size_t>(st.range(0));
  state_vector<Real> sv(n);
  sv.set_threads(static_cast<int>(st.range(1)));
  std::vector<std::uint32_t> qs;
  for (unsigned j = 0; j < std::max(k, 1u); ++j) qs.push_back(static_cast<std::uint32_t>((3 * j) % n));
  circuit c(n);
  if (what == "dense" || what == "diagonal") {
    circuit b(n);  // rotations and CZs on the qubits, fused into one block
    for (unsigned j = 0; j < k; ++j) b.rz(qs[j], 0.2 + j);
    if (what == "dense")
      for (unsigned j = 0; j < k; ++j) b.ry(qs[j], 0.1 + j).rx(qs[j], 0.3);
    for (unsigned j = 0; j + 1 < k; ++j) b.cz(qs[j], qs[j + 1]);
    const circuit f = fuse(b, {5, nullptr});
    if (f.size() != 1) st.SkipWithError("the block did not fuse into one operation");
    c = f;
  } else {
    const gate_kind g = what == "ry"    ? gate_kind::ry
                        : what == "cx"  ? gate_kind::cx
                        : what == "cz"  ? gate_kind::cz
                        : what == "cry" ? gate_kind::cry
                                        : gate_kind::rzz;
    qs.resize(info(g).num_qubits);
    if (qs.size() == 2) qs[1] = 3 % static_cast<std::uint32_t>(n);
    c.gate(g, qs, info(g).num_params ? std::vector<angle>{angle(0.3)} : std::vector<angle>{});
  }
  const operation& op = c.operations()[0];
  for (auto _ : st) {
    sv.apply(op);
    benchmark::ClobberMemory();
  }
}

// One circuit fused by the greedy rule (every block) and by the cost rule (cpu_fusion_costs at every size,
// also where the backend would not use it), both run as fused circuits in the same process.
template <class Real>
void bm_fusion_rule(benchmark::State& st, std::shared_ptr<const circuit> c, bool costs) {
  const circuit f = fuse(*c, {4, costs ? &cpu_fusion_costs : nullptr});
  run_circuit<Real>(st, f, static_cast<int>(st.range(0)), false);  // already fused: run as it is
  st.counters["operations"] = double(f.size());
}

std::vector<int> thread_counts() {
  std::vector<int> t;
  const char* env = std::getenv("HQML_BENCH_THREADS");
  std::string s = env ? env : "1,2";
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t next = s.find(',', pos);
    t.push_back(std::stoi(s.substr(pos, next - pos)));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return t;
}

// The state reductions (kernels/reductions.hpp over the CPU driver): one pass over one or two states,
// reported as amplitudes read per second.
enum class reduction { norm, pauli, overlap, rdm, probability_one, transition_2q };
inline constexpr const char* reduction_names[] = {"norm", "pauli", "overlap", "rdm", "prob_one", "transition_2q"};

template <class Real>
void bm_reduce(benchmark::State& st, reduction what) {
  const auto n = static_cast<std::size_t>(st.range(0));
  state_vector<Real> a(n), b(n);
  a.set_threads(static_cast<int>(st.range(1)));
  std::mt19937_64 g(7);
  std::normal_distribution<double> d;
  for (auto* sv : {&a, &b}) {
    std::vector<std::complex<Real>> v(std::size_t{1} << n);
    for (auto& x : v) x = {Real(d(g)), Real(d(g))};
    sv->set_amplitudes(v);
  }
  const auto p = pauli_string::from_label(std::string("XZYZXIZ").substr(0, std::min<std::size_t>(n, 7)));
  const std::uint32_t qs[2] = {3, 9};
  std::complex<double> t[16];
  double sink = 0;
  for (auto _ : st) {
    switch (what) {
      case reduction::norm:
        sink += a.norm_squared();
        break;
      case reduction::pauli:
        sink += a.expectation(p);
        break;
      case reduction::overlap:
        sink += overlap(a, b).real();
        break;
      case reduction::rdm:
        sink += a.reduced_density_matrix(5)[1].real();
        break;
      case reduction::probability_one:
        sink += a.probability_one(5);
        break;
      case reduction::transition_2q:
        reduced_transition_matrix(a, b, qs, t);
        sink += t[1].real();
        break;
    }
    benchmark::DoNotOptimize(sink);
  }
  const bool two = what == reduction::overlap || what == reduction::transition_2q;
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * (two ? 2 : 1)) << n);
}

void register_all() {
  const auto threads = thread_counts();
  const int max_threads = *std::max_element(threads.begin(), threads.end());
  for (int n : {16, 20, 24, 26}) {
    benchmark::RegisterBenchmark(("copy/double/" + std::to_string(n)).c_str(), bm_copy<double>)
        ->Args({n, max_threads})->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("copy/float/" + std::to_string(n)).c_str(), bm_copy<float>)
        ->Args({n, max_threads})->UseRealTime()->Unit(benchmark::kMillisecond);
    for (gate_kind k : {gate_kind::h, gate_kind::x, gate_kind::rx, gate_kind::rz, gate_kind::p, gate_kind::cx,
                        gate_kind::cz, gate_kind::swap, gate_kind::crx, gate_kind::rzz, gate_kind::rxx,
                        gate_kind::unitary, gate_kind::ccx}) {
      for (std::uint32_t tgt : {0u, 7u}) {
        const std::string name = std::string("gate/") + std::string(info(k).name) + "/q" + std::to_string(tgt);
        benchmark::RegisterBenchmark((name + "/double/" + std::to_string(n)).c_str(),
                                     [k, tgt](benchmark::State& st) { bm_gate<double>(st, k, tgt); })
            ->Args({n, max_threads})->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((name + "/float/" + std::to_string(n)).c_str(),
                                     [k, tgt](benchmark::State& st) { bm_gate<float>(st, k, tgt); })
            ->Args({n, max_threads})->UseRealTime()->Unit(benchmark::kMillisecond);
      }
    }
  }
  for (int n : {14, 20, 24})
    for (int w = 0; w < 6; ++w)
      for (int t : threads) {
        const std::string name = std::string("reduce/") + reduction_names[w];
        benchmark::RegisterBenchmark((name + "/double/" + std::to_string(n)).c_str(),
                                     [w](benchmark::State& st) { bm_reduce<double>(st, reduction(w)); })
            ->Args({n, t})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((name + "/float/" + std::to_string(n)).c_str(),
                                     [w](benchmark::State& st) { bm_reduce<float>(st, reduction(w)); })
            ->Args({n, t})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
  for (int n : {16, 20, 22, 24}) {
    const auto add = [&](const std::string& what, unsigned k) {
      const std::string name = "fusion_cost/" + what + (k ? std::to_string(k) : "") + "/double/" + std::to_string(n);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [what, k](benchmark::State& st) { bm_fusion_cost<double>(st, what, k); })
          ->Args({n, max_threads})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    };
    for (const char* g : {"ry", "cx", "cz", "cry", "rzz"}) add(g, 0);
    for (unsigned k = 1; k <= 5; ++k) {
      add("dense", k);
      add("diagonal", k);
    }
  }
  for (int t : threads)
    for (int n = 12; n <= 26; n += 2) {
      const std::string suffix = "/" + std::to_string(n) + "/t" + std::to_string(t);
      benchmark::RegisterBenchmark(("qulacs_circuit/double" + suffix).c_str(), bm_qulacs_circuit<double>)
          ->Args({n, t, 1})->UseRealTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("qulacs_circuit_unfused/double" + suffix).c_str(), bm_qulacs_circuit<double>)
          ->Args({n, t, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("qulacs_circuit/float" + suffix).c_str(), bm_qulacs_circuit<float>)
          ->Args({n, t, 1})->UseRealTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("random_circuit/double" + suffix).c_str(), bm_random_circuit<double>)
          ->Args({n, t})->UseRealTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("ansatz_circuit/double" + suffix).c_str(), bm_ansatz_circuit<double>)
          ->Args({n, t, 1})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("ansatz_circuit_unfused/double" + suffix).c_str(), bm_ansatz_circuit<double>)
          ->Args({n, t, 0})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  {
    std::vector<std::pair<std::string, std::shared_ptr<const circuit>>> rule_circuits;
    for (int n : {16, 20, 22}) {
      const std::string sn = std::to_string(n);
      two_local_options o;
      o.reps = 3;
      const circuit a = real_amplitudes(static_cast<std::size_t>(n), o);
      std::vector<double> theta(a.num_params());
      for (std::size_t k = 0; k < theta.size(); ++k) theta[k] = 0.1 * double(k);
      rule_circuits.emplace_back("qulacs/" + sn, std::make_shared<circuit>(qulacs_benchmark_circuit(n)));
      rule_circuits.emplace_back("random/" + sn, std::make_shared<circuit>(random_circuit(n, 20, 7)));
      rule_circuits.emplace_back("ansatz/" + sn, std::make_shared<circuit>(a.bind(theta)));
    }
    const std::filesystem::path medium = std::filesystem::path(HQML_SHARED_DIR) / "data/qasmbench/medium";
    for (const char* name : {"dnn_n16", "qf21_n15", "qec9xz_n17", "qft_n18", "square_root_n18", "cat_state_n22"}) {
      const auto file = medium / (std::string(name) + ".qasm");
      if (!std::filesystem::exists(file)) continue;
      rule_circuits.emplace_back(std::string("qasmbench_") + name,
                                 std::make_shared<circuit>(split_final_measurements(load_qasm(file)).body));
    }
    for (const auto& [name, c] : rule_circuits)
      for (const bool costs : {false, true})
        benchmark::RegisterBenchmark(("fusion_rule/" + name + (costs ? "/cost" : "/greedy")).c_str(),
                                     [c, costs](benchmark::State& st) { bm_fusion_rule<double>(st, c, costs); })
            ->Arg(1)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
  }
  // QASMBench medium circuits (unitary part; final measurements removed), up to HQML_BENCH_MAX_QUBITS qubits.
  const char* mq = std::getenv("HQML_BENCH_MAX_QUBITS");
  const std::size_t max_qubits = mq ? std::stoul(mq) : 26;
  const std::filesystem::path dir = std::filesystem::path(HQML_SHARED_DIR) / "data/qasmbench/medium";
  if (std::filesystem::exists(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".qasm") continue;
      circuit c;
      try {
        c = load_qasm(entry.path());
      } catch (const std::exception&) {
        continue;  // circuits with `if` are not simulable as one state
      }
      const measurement_split split = split_final_measurements(c);
      if (split.dynamic || c.num_qubits() > max_qubits) continue;
      auto body = std::make_shared<circuit>(split.body);
      for (int t : threads)
        benchmark::RegisterBenchmark(("qasmbench/" + entry.path().stem().string() + "/t" + std::to_string(t)).c_str(),
                                     [body, t](benchmark::State& st) { run_circuit<double>(st, *body, t, true); })
            ->UseRealTime()->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
