// Fidelity-kernel benchmarks: Qiskit's ZZFeatureMap (reps = 2, entanglement "linear") on N samples of n
// features, split into the state phase (batched_states), the Gram phase (fidelity_kernel on the states) and the
// whole kernel, next to Eigen's own complex matrix product of the Gram's shape (N × 2^n times 2^n × N) and, for
// reference, the real product of the real formulation (N × 2^(n+1) times 2^(n+1) × N), in the same binary.
//
// Counters: items_per_second (kernel entries per second; the states phase: samples per second) and GFLOPs, the
// nominal 8·N²·2^n flops of the full complex product over the time (symmetry halving counts as effective
// throughput, so the Gram phase and the Eigen products are compared on the same scale).
//
// Environment: HQML_BENCH_THREADS (default "1,2") picks the thread counts; HQML_BENCH_SMALL_N (default "100,200")
// the sample counts of the extra whole-kernel runs for the slow peers; HQML_KERNEL_DUMP_DIR, when set, gets
// X_<n>_<N>.npy and hqml's kernel K_<n>_<N>.npy per shape for benchmarks/peers/kernel_peers.py.
// Run the whole comparison with benchmarks/kernel.sh.
#include <benchmark/benchmark.h>

#include <hqml/feature_map.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/quantum_kernel.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace hqml;

namespace {

// Uniform angles in [0, π): the data both hqml and the peers see (kernel_peers.py reads the dumped X). Smaller
// sample counts take the first rows of the largest, so every kernel is a leading block of the N = 4000 one.
const Eigen::MatrixXd& data(int n, int samples) {
  constexpr int max_samples = 4000;
  static std::map<std::pair<int, int>, std::unique_ptr<Eigen::MatrixXd>> cache;
  auto& all = cache[{n, max_samples}];
  if (!all) {
    std::mt19937_64 rng(20250101u + static_cast<unsigned>(n));
    std::uniform_real_distribution<double> u(0.0, pi);
    all = std::make_unique<Eigen::MatrixXd>(max_samples, n);
    for (Eigen::Index i = 0; i < max_samples; ++i)
      for (Eigen::Index j = 0; j < n; ++j) (*all)(i, j) = u(rng);
  }
  auto& slot = cache[{n, samples}];
  if (!slot) slot = std::make_unique<Eigen::MatrixXd>(all->topRows(samples));
  return *slot;
}

const circuit& feature_map(int n) {
  static std::map<int, std::unique_ptr<circuit>> cache;
  auto& slot = cache[n];
  if (!slot) slot = std::make_unique<circuit>(zz_feature_map(static_cast<std::size_t>(n), 2, "linear"));
  return *slot;
}

double nominal_flops(int n, int samples) {
  return 8.0 * double(samples) * double(samples) * double(Eigen::Index{1} << n);
}

void set_counters(benchmark::State& st, double items, double flops) {
  st.counters["items_per_second"] = benchmark::Counter(items, benchmark::Counter::kIsIterationInvariantRate);
  if (flops > 0)
    st.counters["GFLOPs"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void dump_for_peers(int n, int samples, const Eigen::MatrixXd& k) {
  const char* dir = std::getenv("HQML_KERNEL_DUMP_DIR");
  if (!dir) return;
  static std::set<std::pair<int, int>> done;
  if (!done.insert({n, samples}).second) return;
  const std::filesystem::path p(dir);
  std::filesystem::create_directories(p);
  const auto tag = std::to_string(n) + "_" + std::to_string(samples);
  io::write_npy(p / ("X_" + tag + ".npy"), data(n, samples));
  io::write_npy(p / ("K_" + tag + ".npy"), k);
}

// Args: n, N, threads.
void bm_states(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  const int threads = static_cast<int>(st.range(2));
  const auto& x = data(n, samples);
  for (auto _ : st) benchmark::DoNotOptimize(batched_states<double>(feature_map(n), x, {}, threads));
  set_counters(st, samples, 0);
}

void bm_gram(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  const int threads = static_cast<int>(st.range(2));
  const auto psi = batched_states<double>(feature_map(n), data(n, samples), {}, threads);
  kernel_options opt;
  opt.threads = threads;
  for (auto _ : st) benchmark::DoNotOptimize(fidelity_kernel<double>(psi, opt));
  set_counters(st, double(samples) * samples, nominal_flops(n, samples));
}

void bm_kernel(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  const int threads = static_cast<int>(st.range(2));
  const auto& x = data(n, samples);
  kernel_options opt;
  opt.threads = threads;
  Eigen::MatrixXd k;
  for (auto _ : st) {
    k = fidelity_kernel<double>(feature_map(n), x, {}, opt);
    benchmark::DoNotOptimize(k.data());
  }
  dump_for_peers(n, samples, k);
  set_counters(st, double(samples) * samples, nominal_flops(n, samples));
}

// Eigen's complex product conj(A)·Aᵀ of the Gram's shape, with Eigen's own threading.
void bm_eigen_zgemm(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  Eigen::setNbThreads(static_cast<int>(st.range(2)));
  const Eigen::Index d = Eigen::Index{1} << n;
  const Eigen::MatrixXcd a = Eigen::MatrixXcd::Random(samples, d);
  Eigen::MatrixXcd c(samples, samples);
  for (auto _ : st) {
    c.noalias() = a.conjugate() * a.transpose();
    benchmark::DoNotOptimize(c.data());
  }
  Eigen::setNbThreads(0);
  set_counters(st, double(samples) * samples, nominal_flops(n, samples));
}

// Eigen's Hermitian rank update A·Aᴴ (one triangle): Eigen's best use of the same symmetry the Gram phase has.
void bm_eigen_zherk(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  Eigen::setNbThreads(static_cast<int>(st.range(2)));
  const Eigen::Index d = Eigen::Index{1} << n;
  const Eigen::MatrixXcd a = Eigen::MatrixXcd::Random(samples, d);
  Eigen::MatrixXcd c(samples, samples);
  for (auto _ : st) {
    c.setZero();
    c.selfadjointView<Eigen::Lower>().rankUpdate(a);
    benchmark::DoNotOptimize(c.data());
  }
  Eigen::setNbThreads(0);
  set_counters(st, double(samples) * samples, nominal_flops(n, samples));
}

// Real GEMM for reference: [Re A, Im A] (N × 2^(n+1)) times its transpose, the real part of the Gram in one real
// product; GFLOPs counts its own 2·N²·2^(n+1) flops (the real formulation of the whole complex product does twice
// that).
void bm_eigen_dgemm(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), samples = static_cast<int>(st.range(1));
  Eigen::setNbThreads(static_cast<int>(st.range(2)));
  const Eigen::Index d = Eigen::Index{1} << n;
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(samples, 2 * d);
  Eigen::MatrixXd c(samples, samples);
  for (auto _ : st) {
    c.noalias() = a * a.transpose();
    benchmark::DoNotOptimize(c.data());
  }
  Eigen::setNbThreads(0);
  set_counters(st, double(samples) * samples, 2.0 * double(samples) * samples * double(2 * d));
}

std::vector<int> int_list(const char* var, const char* fallback) {
  std::vector<int> t;
  const char* env = std::getenv(var);
  const std::string s = env ? env : fallback;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t next = s.find(',', pos);
    t.push_back(std::stoi(s.substr(pos, next - pos)));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return t;
}

void add(const std::string& name, void (*fn)(benchmark::State&), int n, int samples, int threads) {
  // Named name/n/N/threads by the arguments.
  benchmark::RegisterBenchmark(name.c_str(), fn)
      ->Args({n, samples, threads})
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

void register_all() {
  // The whole kernel alone at the sizes the slow peers (PennyLane, FidelityQuantumKernel) run at.
  const auto small = int_list("HQML_BENCH_SMALL_N", "100,200");
  for (int threads : int_list("HQML_BENCH_THREADS", "1,2"))
    for (int n : {4, 8, 12}) {
      for (int samples : small) add("kernel", bm_kernel, n, samples, threads);
      for (int samples : {1000, 4000}) {
        add("states", bm_states, n, samples, threads);
        add("gram", bm_gram, n, samples, threads);
        add("kernel", bm_kernel, n, samples, threads);
        add("eigen_zgemm", bm_eigen_zgemm, n, samples, threads);
        add("eigen_zherk", bm_eigen_zherk, n, samples, threads);
        add("eigen_dgemm", bm_eigen_dgemm, n, samples, threads);
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
