// GPU benchmarks of hqml's CUDA backend, timed with CUDA events (median of repeats after a warm-up):
//   gates    single gates on n = 28..30 qubits, float and double, against device-to-device copy bandwidth
//            measured in the same run (bytes read + written);
//   batched  ZZ feature-map states (reps 2) for n = 8, 12, 16, in states per second;
//   kernel   fidelity kernel N = 20,000, n = 10: states + Gram + copy back to page-locked host memory,
//            against one cuBLAS ZGEMM (CGEMM for float) of the same shape;
//   anneal   Gset G55 and G70, 1024 replicas: spin updates per ns and best cut, against the CPU solver; and
//            a dense instance, an SK model of n = 2048 (J = ±1 on every pair), on the GPU's dense path;
//   gradient adjoint gradient of the layered ansatz for the Ising chain (../cpu/gradient_problem.hpp) at
//            n = 20 and 24, double, checked against the CPU at n = 20.
// Usage: bench_gpu [gates] [batched] [kernel] [anneal] [gradient] [--gset DIR] [--quick]   (no section: all)
#include <hqml/cuda.cuh>
#include <hqml/cuda/anneal.cuh>
#include <hqml/cuda/quantum_kernel.cuh>

#include "../cpu/gradient_problem.hpp"
#include "cpu_anneal.hpp"

#include <hqml/anneal/formats.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/gradient.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace hqml;

namespace {

/// Median milliseconds of `reps` runs of f (after one warm-up), each bracketed by CUDA events.
double time_ms(const std::function<void()>& f, int reps) {
  f();
  HQML_CUDA_CHECK(cudaDeviceSynchronize());
  const cuda_detail::event a(cudaEventDefault), b(cudaEventDefault);
  std::vector<float> t(static_cast<std::size_t>(reps));
  for (auto& v : t) {
    HQML_CUDA_CHECK(cudaEventRecord(a.get()));
    f();
    HQML_CUDA_CHECK(cudaEventRecord(b.get()));
    HQML_CUDA_CHECK(cudaEventSynchronize(b.get()));
    HQML_CUDA_CHECK(cudaEventElapsedTime(&v, a.get(), b.get()));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <class Real>
void bench_gates(std::size_t n, int reps) {
  const double bytes = double(std::size_t{1} << n) * sizeof(std::complex<Real>);
  state_vector<Real, hqml::cuda> sv(n);
  circuit prep(n);
  for (std::uint32_t q = 0; q < n; ++q) prep.h(q);
  sv.apply(prep, {}, {}, apply_options{.fusion = false});
  double copy_ms = 0;
  {
    cuda_detail::device_buffer<std::complex<Real>> other(std::size_t{1} << n, "the copy benchmark's buffer");
    copy_ms = time_ms([&] {
      HQML_CUDA_CHECK(cudaMemcpy(other.data(), sv.raw(), static_cast<std::size_t>(bytes), cudaMemcpyDeviceToDevice));
    }, reps);
  }
  const double copy_gbs = 2 * bytes / copy_ms / 1e6;
  std::printf("gates %-6s n=%zu  state %.2f GB  D2D copy %.0f GB/s\n", sizeof(Real) == 4 ? "float" : "double", n,
              bytes / 1e9, copy_gbs);
  const auto top = static_cast<std::uint32_t>(n - 1), mid = static_cast<std::uint32_t>(n / 2);
  struct g {
    const char* name;
    gate_kind kind;
    std::vector<std::uint32_t> q;
    double prm;
  };
  const std::vector<g> gates = {{"h q0", gate_kind::h, {0}, 0},        {"h mid", gate_kind::h, {mid}, 0},
                                {"h top", gate_kind::h, {top}, 0},     {"rx mid", gate_kind::rx, {mid}, 0.3},
                                {"rz mid", gate_kind::rz, {mid}, 0.3}, {"cx 0,top", gate_kind::cx, {0, top}, 0},
                                {"rzz 1,mid", gate_kind::rzz, {1, mid}, 0.7}};
  for (const auto& gt : gates) {
    const double prm[3] = {gt.prm, 0, 0};
    const double ms = time_ms([&] { sv.apply_gate(gt.kind, gt.q, prm); }, reps);
    // Every amplitude read and written once (controlled gates touch half, diagonal ones all).
    const double gbs = 2 * bytes / ms / 1e6;
    std::printf("  %-10s %8.3f ms  %6.0f GB/s  %5.1f%% of copy\n", gt.name, ms, gbs, 100 * gbs / copy_gbs);
  }
}

template <class Real>
void bench_batched(std::size_t n, std::size_t samples, int reps) {
  const circuit c = zz_feature_map(n, 2);
  std::mt19937_64 g(1);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> x(samples * n);
  for (auto& v : x) v = u(g);
  const auto view = gpu::feature_matrix::row_major(x.data(), samples, n);
  const double ms = time_ms([&] { (void)gpu::batched_states<Real>(c, view); }, reps);
  std::printf("batched %-6s ZZ reps=2 n=%2zu  N=%7zu  %9.3f ms  %.3g states/s  (%zu gates/state)\n",
              sizeof(Real) == 4 ? "float" : "double", n, samples, ms, double(samples) / ms * 1e3, c.size());
}

template <class Real>
void bench_kernel(std::size_t samples, std::size_t n, int reps) {
  const circuit c = zz_feature_map(n, 2);
  std::mt19937_64 g(2);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> x(samples * n);
  for (auto& v : x) v = u(g);
  const auto view = gpu::feature_matrix::row_major(x.data(), samples, n);
  double* k = nullptr;  // page-locked: the copy back runs at full PCIe/NVLink speed
  HQML_CUDA_CHECK(cudaMallocHost(&k, samples * samples * sizeof(double)));
  const double states_ms = time_ms([&] { (void)gpu::batched_states<Real>(c, view); }, reps);
  const auto s = gpu::batched_states<Real>(c, view);
  const double gram_ms = time_ms([&] { gpu::fidelity_kernel_into(s, k, samples); }, reps);
  const double all_ms = time_ms([&] { gpu::fidelity_kernel_into(gpu::batched_states<Real>(c, view), k, samples); }, reps);
  // cuBLAS's own full GEMM at this shape (Aᴴ B, N × N × 2^n).
  const std::size_t dim = std::size_t{1} << n;
  cuda_detail::device_buffer<std::complex<Real>> out(samples * samples, "the GEMM benchmark's output");
  cuda_detail::cublas_handle h;
  const int m = static_cast<int>(samples), kk = static_cast<int>(dim);
  const double gemm_ms = time_ms([&] {
    using C = gpu::detail::cublas_complex<Real>;
    const auto* A = reinterpret_cast<const C*>(s.data());
    auto* G = reinterpret_cast<C*>(out.data());
    if constexpr (std::is_same_v<Real, double>) {
      const C one{1, 0}, zero{0, 0};
      HQML_CUDA_CHECK(
          cuda_detail::cublas().zgemm(h.get(), CUBLAS_OP_C, CUBLAS_OP_N, m, m, kk, &one, A, kk, A, kk, &zero, G, m));
    } else {
      const C one{1, 0}, zero{0, 0};
      HQML_CUDA_CHECK(
          cuda_detail::cublas().cgemm(h.get(), CUBLAS_OP_C, CUBLAS_OP_N, m, m, kk, &one, A, kk, A, kk, &zero, G, m));
    }
  }, reps);
  const double flops = 8.0 * double(samples) * double(samples) * double(dim);
  std::printf("kernel %-6s N=%zu n=%zu: states %.1f ms, Gram+|.|^2+copy %.1f ms, whole %.1f ms; "
              "%sGEMM %.1f ms (%.1f TFLOP/s); full-GEMM-equivalent rate of ours %.1f%% of it\n",
              sizeof(Real) == 4 ? "float" : "double", samples, n, states_ms, gram_ms, all_ms,
              sizeof(Real) == 4 ? "C" : "Z", gemm_ms, flops / gemm_ms / 1e9, 100 * gemm_ms / gram_ms);
  HQML_CUDA_CHECK(cudaFreeHost(k));
}

void bench_anneal(const std::string& dir, const char* name, double best_known, bool quick) {
  const std::string path = dir + "/" + name + ".txt";
  if (!std::filesystem::exists(path)) {
    std::printf("anneal %s: skipped (%s not found)\n", name, path.c_str());
    return;
  }
  const auto p = anneal::read_gset(path);
  const double n = double(p.model.num_variables());
  for (std::size_t sweeps :
       quick ? std::vector<std::size_t>{1000} : std::vector<std::size_t>{1000, 2000, 4000, 16000}) {
    gpu::anneal_options opt;
    opt.num_replicas = 1024;
    opt.num_sweeps = sweeps;
    const auto r = gpu::simulated_annealing(p.model, opt);
    const double cut = p.cut_from_energy(r.best_energy());
    std::printf("anneal %s GPU 1024 replicas x %5zu sweeps: %.3f s, %.2f spin updates/ns, best cut %.0f (%.2f%% below %.0f)\n",
                name, sweeps, r.kernel_seconds, n * double(sweeps) * 1024 / r.kernel_seconds / 1e9, cut,
                100 * (best_known - cut) / best_known, best_known);
  }
  for (std::size_t sweeps : quick ? std::vector<std::size_t>{1000} : std::vector<std::size_t>{1000, 2000, 4000}) {
    const std::size_t reads = 32;
    const auto c = bench::cpu_anneal(path, reads, sweeps, 0);
    std::printf("anneal %s CPU %zu reads  x %5zu sweeps: %.3f s, %.2f spin updates/ns, best cut %.0f (%.2f%% below %.0f)\n",
                name, reads, sweeps, c.seconds, n * double(sweeps) * double(reads) / c.seconds / 1e9, c.best_cut,
                100 * (best_known - c.best_cut) / best_known, best_known);
  }
}

void bench_anneal_sk(std::size_t n, bool quick) {
  const auto m = bench::sk_model(n, 1);
  const double nd = double(n), scale = nd * std::sqrt(nd);  // SK ground state ≈ −0.7633 · n^{3/2}
  for (std::size_t sweeps : quick ? std::vector<std::size_t>{1000} : std::vector<std::size_t>{1000, 4000}) {
    gpu::anneal_options opt;
    opt.num_replicas = 1024;
    opt.num_sweeps = sweeps;
    opt.path = gpu::anneal_path::dense;
    const auto r = gpu::simulated_annealing(m, opt);
    std::printf(
        "anneal SK%zu GPU %s 1024 replicas x %5zu sweeps: %.3f s, %.2f spin updates/ns, best energy %.0f "
        "(%.4f n^1.5)\n",
        n, r.path.c_str(), sweeps, r.kernel_seconds, nd * double(sweeps) * 1024 / r.kernel_seconds / 1e9,
        r.best_energy(), r.best_energy() / scale);
  }
  const std::size_t reads = 32, sweeps = 1000;
  const auto c = bench::cpu_anneal(m, reads, sweeps, 0);
  std::printf(
      "anneal SK%zu CPU %zu reads  x %5zu sweeps: %.3f s, %.2f spin updates/ns, best energy %.0f (%.4f n^1.5)\n", n,
      reads, sweeps, c.seconds, nd * double(sweeps) * double(reads) / c.seconds / 1e9, c.best_energy,
      c.best_energy / scale);
}

void bench_gradient(std::uint32_t n, int reps, bool check_on_cpu) {
  const circuit c = bench::layered_ansatz(n);
  const pauli_sum h = bench::ising_chain(n);
  const std::vector<double> theta = bench::ansatz_angles(c.num_params());
  adjoint_differentiator<double, hqml::cuda> d(c, {h});
  expectation_jacobian r;
  const double ms = time_ms([&] { r = d.evaluate(theta); }, reps);
  double diff = -1;
  if (check_on_cpu) {
    const expectation_jacobian cpu = adjoint_gradient(c, h, theta);
    diff = std::abs(cpu.values[0] - r.values[0]);
    for (std::size_t k = 0; k < theta.size(); ++k) diff = std::max(diff, std::abs(cpu.gradient()[k] - r.gradient()[k]));
  }
  std::printf("gradient n=%u params=%zu double: %.2f ms per value + gradient (<H> = %.12f)", n, theta.size(), ms,
              r.values[0]);
  if (diff >= 0) std::printf(", max |GPU - CPU| = %.2e", diff);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sections;
  std::string gset = HQML_SHARED_DIR "/data/gset";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--gset" && i + 1 < argc) gset = argv[++i];
    else if (a == "--quick") quick = true;
    else sections.push_back(a);
  }
  auto want = [&](const char* s) { return sections.empty() || std::find(sections.begin(), sections.end(), s) != sections.end(); };
  if (!backend_traits<hqml::cuda>::available()) {
    std::printf("bench_gpu: no CUDA device; nothing to measure\n");
    return 77;
  }
  cudaDeviceProp prop{};
  HQML_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, %.1f GiB\n", prop.name, prop.multiProcessorCount, double(prop.totalGlobalMem) / (1 << 30));
  const int reps = quick ? 3 : 10;
  if (want("gates"))
    for (std::size_t n : quick ? std::vector<std::size_t>{26} : std::vector<std::size_t>{28, 29, 30}) {
      bench_gates<float>(n, reps);
      bench_gates<double>(n, reps);
    }
  if (want("batched")) {
    const std::pair<std::size_t, std::size_t> cases[] = {{8, 200000}, {12, 20000}, {16, 1000}};
    for (const auto& [n, samples] : cases) {
      const std::size_t s = quick ? samples / 10 : samples;
      bench_batched<float>(n, s, reps);
      bench_batched<double>(n, s, reps);
    }
  }
  if (want("kernel")) {
    bench_kernel<double>(quick ? 4000 : 20000, 10, quick ? 2 : 3);
    bench_kernel<float>(quick ? 4000 : 20000, 10, quick ? 2 : 3);
  }
  if (want("anneal")) {
    bench_anneal(gset, "G55", 10299, quick);
    bench_anneal(gset, "G70", 9591, quick);
    bench_anneal_sk(2048, quick);
  }
  if (want("gradient")) {
    bench_gradient(20, reps, true);
    if (!quick) bench_gradient(24, reps, false);
  }
  return 0;
}
