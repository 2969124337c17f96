#pragma once
// Simulated annealing on the GPU: many replicas in parallel, an exact sequential Metropolis or Gibbs sweep
// in each (the flip decision is the CPU annealer's, <hqml/kernels/anneal_step.hpp>), counter-based random
// numbers (a hash of seed, replica, sweep and variable), so a seed gives the same result whatever the launch
// shape. Two paths:
//  - sparse: one CUDA block per replica with its spins in shared memory. The variables are greedily
//    coloured on the host so that no two variables of one colour interact; a sweep visits the colours in
//    turn and updates each colour's variables in parallel (no two simultaneous flips see each other).
//    Models beyond one block's shared memory are refused.
//  - dense: for fully connected models, where the colouring degenerates to one variable per colour. Spins
//    and local fields of all replicas live in global memory as R × n matrices; a sweep walks the variables
//    in blocks of 64: one warp per replica runs the block sequentially with the block's fields in its
//    lanes' registers and the block's couplings in shared memory and records its flips, then one cuBLAS
//    SGEMM adds the flips' effect to all fields (F += D · J[block, :]). Fields are recomputed from scratch
//    every refresh_interval sweeps.
// anneal_options::path picks one; automatic takes dense for models that store their couplings dense.

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/backends/cuda/anneal_kernels.cuh>
#include <hqml/backends/cuda/error.cuh>
#include <hqml/backends/cuda/handles.cuh>
#include <hqml/backends/cuda/memory.cuh>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml::gpu {

/// Which GPU annealer runs: automatic takes dense when the model stores its couplings dense
/// (anneal::ising_model::is_dense) or does not fit the sparse kernel's shared memory, else sparse.
enum class anneal_path { automatic, sparse, dense };

struct anneal_options {
  std::size_t num_replicas = 1024;
  std::uint64_t seed = 0;
  std::size_t num_sweeps = 1000;  // per replica
  /// Beta schedule, one value per sweep (num_sweeps of them); default: the CPU solver's for these sweeps
  /// (anneal::resolve_beta_schedule).
  std::vector<double> beta_schedule;
  anneal_path path = anneal_path::automatic;
  /// The acceptance rule of every flip, as the CPU solver's (anneal::sa_options::rule).
  anneal::acceptance_rule rule = anneal::acceptance_rule::metropolis;
  /// Dense path: sweeps between recomputing the local fields from scratch, which bounds the float drift
  /// of their incremental updates on non-integer weights; 0: never.
  std::size_t refresh_interval = 16;
};

struct anneal_result {
  std::size_t num_variables = 0;
  std::size_t num_replicas = 0;
  std::vector<std::int8_t> spins;  // replica r's final state at [r · num_variables, …), the model's variable order
  std::vector<double> energies;    // per replica, computed on the device
  double kernel_seconds = 0;       // the annealing alone (CUDA events)
  std::string path;                // "sparse" or "dense": the path that ran
  [[nodiscard]] double best_energy() const {
    return energies.empty() ? 0.0 : *std::min_element(energies.begin(), energies.end());
  }
};

namespace detail {

// The device code is the backend's (<hqml/backends/cuda/anneal_kernels.cuh>); the host drivers are here.
using cuda_detail::anneal_block;
using cuda_detail::anneal_kernel;
using cuda_detail::block_sum;
using cuda_detail::colored_model_ref;
using cuda_detail::dense_block;
using cuda_detail::dense_energy_kernel;
using cuda_detail::dense_fill_fields_kernel;
using cuda_detail::dense_init_spins_kernel;
using cuda_detail::dense_lane_slots;
using cuda_detail::dense_sweep_kernel;
using cuda_detail::dense_threads;
using cuda_detail::dense_to_double_kernel;
using cuda_detail::dense_warps;
using cuda_detail::uniform01;

/// Opt-in shared memory of one block on the current device (the sparse kernel holds n int8 spins there).
inline std::size_t max_shared_per_block() {
  int dev = 0, optin = 0;
  HQML_CUDA_CHECK(cudaGetDevice(&dev));
  HQML_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  return static_cast<std::size_t>(optin);
}
inline bool fits_sparse_kernel(std::size_t n) { return n + 1024 <= max_shared_per_block(); }

/// The sparse path (see the top of this file) with a resolved schedule of one beta per sweep.
inline anneal_result sparse_annealing(const anneal::ising_model& model, const anneal_options& opt,
                                      const std::vector<double>& betas) {
  const std::size_t n = model.num_variables();
  if (n > (std::size_t{1} << 31)) throw std::invalid_argument("hqml::gpu::simulated_annealing: too many variables");
  const std::size_t optin = max_shared_per_block();
  if (n + 1024 > optin)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: " + std::to_string(n) +
                                " variables do not fit one block's shared memory (" + std::to_string(optin) +
                                " bytes); larger models are not supported on the GPU yet");

  // The symmetric adjacency as the CPU solver sees it (both directions of every coupling).
  std::vector<std::vector<std::pair<std::uint32_t, double>>> adj(n);
  for (const auto& c : model.couplings()) {
    adj[c.i].emplace_back(c.j, c.value);
    adj[c.j].emplace_back(c.i, c.value);
  }
  // Greedy colouring, largest degree first.
  std::vector<std::uint32_t> order(n), color(n, ~0u);
  for (std::uint32_t v = 0; v < n; ++v) order[v] = v;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return adj[a].size() > adj[b].size(); });
  std::uint32_t num_colors = 0;
  std::vector<std::uint32_t> seen;
  for (std::uint32_t v : order) {
    seen.assign(adj[v].size() + 1, 0);
    for (const auto& [u, w] : adj[v])
      if (color[u] < seen.size()) seen[color[u]] = 1;
    std::uint32_t c = 0;
    while (seen[c]) ++c;
    color[v] = c;
    num_colors = std::max(num_colors, c + 1);
  }
  // Rows in colour order; pos[v] is variable v's row.
  std::vector<std::uint32_t> color_offsets(num_colors + 1, 0), pos(n), row_var(n);
  for (std::uint32_t v = 0; v < n; ++v) ++color_offsets[color[v] + 1];
  for (std::uint32_t c = 0; c < num_colors; ++c) color_offsets[c + 1] += color_offsets[c];
  {
    std::vector<std::uint32_t> next(color_offsets.begin(), color_offsets.end() - 1);
    for (std::uint32_t v = 0; v < n; ++v) {
      pos[v] = next[color[v]]++;
      row_var[pos[v]] = v;
    }
  }
  std::vector<std::uint32_t> row_offsets(n + 1, 0), columns;
  std::vector<float> values, linear(n);
  for (std::uint32_t row = 0; row < n; ++row) {
    const std::uint32_t v = row_var[row];
    linear[row] = static_cast<float>(model.linear(v));
    for (const auto& [u, w] : adj[v]) {
      columns.push_back(pos[u]);
      values.push_back(static_cast<float>(w));
    }
    row_offsets[row + 1] = static_cast<std::uint32_t>(columns.size());
  }

  std::vector<float> betas_f(betas.begin(), betas.end());
  const auto kernel = opt.rule == anneal::acceptance_rule::gibbs ? &anneal_kernel<kernels::flip_rule::gibbs>
                                                                 : &anneal_kernel<kernels::flip_rule::metropolis>;

  using cuda_detail::device_buffer;
  device_buffer<std::uint32_t> d_rows(row_offsets.size(), "annealing model"), d_cols(columns.size(), "annealing model"),
      d_colors(color_offsets.size(), "annealing model");
  device_buffer<float> d_vals(values.size(), "annealing model"), d_lin(linear.size(), "annealing model"),
      d_betas(betas_f.size(), "annealing schedule");
  device_buffer<std::int8_t> d_spins(opt.num_replicas * n, "annealing replicas");
  device_buffer<double> d_energy(opt.num_replicas, "annealing energies");
  d_rows.upload(row_offsets);
  d_cols.upload(columns);
  d_colors.upload(color_offsets);
  d_vals.upload(values);
  d_lin.upload(linear);
  d_betas.upload(betas_f);
  const detail::colored_model_ref ref{d_rows.data(),
                                      d_cols.data(),
                                      d_vals.data(),
                                      d_lin.data(),
                                      d_colors.data(),
                                      num_colors,
                                      static_cast<std::uint32_t>(n)};
  if (n > (48u << 10))
    HQML_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(n)));
  const cuda_detail::event start(cudaEventDefault), stop(cudaEventDefault);
  HQML_CUDA_CHECK(cudaEventRecord(start.get()));
  kernel<<<static_cast<unsigned>(opt.num_replicas), detail::anneal_block, n>>>(
      ref, d_betas.data(), static_cast<std::uint32_t>(betas_f.size()), opt.seed, d_spins.data(), d_energy.data());
  const cudaError_t launch = cudaGetLastError();
  HQML_CUDA_CHECK(cudaEventRecord(stop.get()));
  const cudaError_t done = cudaEventSynchronize(stop.get());
  float ms = 0;
  if (launch == cudaSuccess && done == cudaSuccess) (void)cudaEventElapsedTime(&ms, start.get(), stop.get());
  if (launch != cudaSuccess)
    cuda_detail::throw_error("launch of hqml::gpu::detail::anneal_kernel", __FILE__, __LINE__, launch);
  if (done != cudaSuccess) cuda_detail::throw_error("cudaEventSynchronize(stop)", __FILE__, __LINE__, done);

  anneal_result res;
  res.num_variables = n;
  res.num_replicas = opt.num_replicas;
  res.kernel_seconds = 1e-3 * ms;
  res.path = "sparse";
  std::vector<std::int8_t> colored(opt.num_replicas * n);
  d_spins.download(colored);
  res.spins.resize(colored.size());
  for (std::size_t r = 0; r < opt.num_replicas; ++r)
    for (std::uint32_t v = 0; v < n; ++v) res.spins[r * n + v] = colored[r * n + pos[v]];
  res.energies.resize(opt.num_replicas);
  d_energy.download(res.energies);
  for (double& e : res.energies) e += model.offset();
  return res;
}

// ---- dense path --------------------------------------------------------------------------------------
// Device matrices are column-major with the replicas fastest (element (r, i) of an R × n matrix at
// r + R·i): cuBLAS's layout as they are. The sweep kernel's warps in a CUDA block take consecutive replicas,
// so their reads and writes of one variable share 32-byte sectors.

/// The dense path (see the top of this file) with a resolved schedule of one beta per sweep.
inline anneal_result dense_annealing(const anneal::ising_model& model, const anneal_options& opt,
                                     const std::vector<double>& betas) {
  const std::size_t n = model.num_variables(), nr = opt.num_replicas;
  constexpr auto int_max = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (n > int_max)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: the dense path takes at most " +
                                std::to_string(int_max) + " variables (cuBLAS's int dimensions), not " +
                                std::to_string(n));
  if (nr > int_max)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: the dense path takes num_replicas <= " +
                                std::to_string(int_max) + " (cuBLAS's int dimensions), not " + std::to_string(nr));
  if (n > std::numeric_limits<std::size_t>::max() / sizeof(double) / n ||
      nr > std::numeric_limits<std::size_t>::max() / sizeof(double) / n)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: the dense path's matrices for " + std::to_string(n) +
                                " variables and " + std::to_string(nr) + " replicas exceed the address space");
  const int ni = static_cast<int>(n), ri = static_cast<int>(nr);

  // Device memory first: a model too large for the card is reported before n² host values are built.
  using cuda_detail::device_buffer;
  device_buffer<float> d_j(n * n, "the dense annealing couplings"), d_h(n, "the dense annealing fields"),
      d_s(nr * n, "the dense annealing spins"), d_f(nr * n, "the dense annealing local fields"),
      d_d(nr * dense_block, "the dense annealing flips");
  device_buffer<double> d_jd(n * n, "the dense annealing couplings (double)"),
      d_hd(n, "the dense annealing fields (double)"), d_sd(nr * n, "the dense annealing spins (double)"),
      d_g(nr * n, "the dense annealing energy product"), d_energy(nr, "the dense annealing energies");

  // J from the couplings in both directions (whatever the model's own storage), zero diagonal.
  {
    std::vector<double> jd(n * n, 0.0);
    for (const auto& c : model.couplings()) {
      jd[std::size_t{c.i} * n + c.j] = c.value;
      jd[std::size_t{c.j} * n + c.i] = c.value;
    }
    d_jd.upload(jd);
    const std::vector<float> jf(jd.begin(), jd.end());
    d_j.upload(jf);
  }
  const std::vector<double> hd(model.linear().begin(), model.linear().end());
  const std::vector<float> hf(hd.begin(), hd.end());
  d_hd.upload(hd);
  d_h.upload(hf);
  const std::vector<float> betas_f(betas.begin(), betas.end());
  // The uploads ran on the legacy default stream, which a non-blocking stream does not wait for.
  HQML_CUDA_CHECK(cudaDeviceSynchronize());

  cuda_detail::stream st;
  cuda_detail::cublas_handle blas;
  HQML_CUDA_CHECK(cuda_detail::cublas().set_stream(blas.get(), st.get()));
  // Exact FP32 products: no TF32 (or other reduced-precision) tensor-core math, so fields of integer and
  // half-integer problems stay exact and a seed's result does not depend on the card's math defaults.
  HQML_CUDA_CHECK(cuda_detail::cublas().set_math_mode(blas.get(), CUBLAS_DEFAULT_MATH));
  const float one = 1.0f;
  const unsigned elementwise_threads = 256;
  const unsigned elementwise_blocks = cuda_detail::grid_for(nr * n, elementwise_threads);

  // F = h·1ᵀ + S·J  (R × n = R × n · n × n; J symmetric).
  auto compute_fields = [&] {
    dense_fill_fields_kernel<<<elementwise_blocks, elementwise_threads, 0, st.get()>>>(d_f.data(), d_h.data(), nr, n);
    HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::dense_fill_fields_kernel");
    HQML_CUDA_CHECK(cuda_detail::cublas().sgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, ri, ni, ni, &one, d_s.data(), ri,
                                                d_j.data(), ni, &one, d_f.data(), ri));
  };

  const cuda_detail::event start(cudaEventDefault), stop(cudaEventDefault);
  dense_init_spins_kernel<<<elementwise_blocks, elementwise_threads, 0, st.get()>>>(d_s.data(), nr, n, opt.seed);
  HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::dense_init_spins_kernel");
  compute_fields();
  HQML_CUDA_CHECK(cudaEventRecord(start.get(), st.get()));
  const auto sweep_blocks = static_cast<unsigned>((nr + dense_warps - 1) / dense_warps);
  const auto sweep_kernel = opt.rule == anneal::acceptance_rule::gibbs
                                ? &dense_sweep_kernel<kernels::flip_rule::gibbs>
                                : &dense_sweep_kernel<kernels::flip_rule::metropolis>;
  for (std::size_t sweep = 0; sweep < betas_f.size(); ++sweep) {
    if (opt.refresh_interval != 0 && sweep != 0 && sweep % opt.refresh_interval == 0) compute_fields();
    for (std::size_t k0 = 0; k0 < n; k0 += dense_block) {
      const auto bb = static_cast<unsigned>(std::min<std::size_t>(dense_block, n - k0));
      sweep_kernel<<<sweep_blocks, dense_threads, 0, st.get()>>>(d_j.data(), n, nr, k0, bb, d_s.data(), d_f.data(),
                                                                 d_d.data(), betas_f[sweep], opt.seed, sweep);
      HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::dense_sweep_kernel");
      // F += D · J[k0 : k0 + bb, :]  (R × n = R × bb · bb × n): rows k0… of J start at J + k0 with leading
      // dimension n; the diagonal block's zero diagonal leaves each flipped variable's own field alone.
      HQML_CUDA_CHECK(cuda_detail::cublas().sgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, ri, ni, static_cast<int>(bb),
                                                  &one, d_d.data(), ri, d_j.data() + k0, ni, &one, d_f.data(), ri));
    }
  }
  HQML_CUDA_CHECK(cudaEventRecord(stop.get(), st.get()));

  // Energies in double from the model's double couplings: G = S·J, E_r = Σ_i s_i (h_i + ½ G(r, i)).
  dense_to_double_kernel<<<elementwise_blocks, elementwise_threads, 0, st.get()>>>(d_s.data(), d_sd.data(), nr * n);
  HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::dense_to_double_kernel");
  const double one_d = 1.0, zero_d = 0.0;
  HQML_CUDA_CHECK(cuda_detail::cublas().dgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, ri, ni, ni, &one_d, d_sd.data(), ri,
                                              d_jd.data(), ni, &zero_d, d_g.data(), ri));
  dense_energy_kernel<<<static_cast<unsigned>(nr), anneal_block, 0, st.get()>>>(d_s.data(), d_g.data(), d_hd.data(), nr,
                                                                                n, d_energy.data());
  HQML_CUDA_CHECK_LAUNCH("hqml::gpu::detail::dense_energy_kernel");
  // The downloads below run on the legacy default stream, which does not wait for this one.
  HQML_CUDA_CHECK(cudaStreamSynchronize(st.get()));
  float ms = 0;
  HQML_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));

  anneal_result res;
  res.num_variables = n;
  res.num_replicas = nr;
  res.kernel_seconds = 1e-3 * ms;
  res.path = "dense";
  std::vector<float> s(nr * n);
  d_s.download(s);
  res.spins.resize(nr * n);
  for (std::size_t r = 0; r < nr; ++r)
    for (std::size_t i = 0; i < n; ++i) res.spins[r * n + i] = s[r + nr * i] > 0.0f ? std::int8_t{1} : std::int8_t{-1};
  res.energies.resize(nr);
  d_energy.download(res.energies);
  for (double& e : res.energies) e += model.offset();
  return res;
}

}  // namespace detail

/// Anneals `opt.num_replicas` independent replicas of an Ising model on the current device, by the path
/// `opt.path` names (see the top of this file). The couplings and fields are used in float on the device
/// (integer and half-integer weights, such as Gset's, are exact); the returned energies are computed in
/// double and include the model's offset.
[[nodiscard]] inline anneal_result simulated_annealing(const anneal::ising_model& model,
                                                       const anneal_options& opt = {}) {
  const std::size_t n = model.num_variables();
  if (n == 0) throw std::invalid_argument("hqml::gpu::simulated_annealing: empty model (no variables)");
  if (opt.num_replicas == 0)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: num_replicas must be positive");
  if (opt.rule != anneal::acceptance_rule::metropolis && opt.rule != anneal::acceptance_rule::gibbs)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: unknown acceptance rule");
  if (!opt.beta_schedule.empty() && opt.beta_schedule.size() != opt.num_sweeps)
    throw std::invalid_argument("hqml::gpu::simulated_annealing: beta_schedule has " +
                                std::to_string(opt.beta_schedule.size()) +
                                " values for num_sweeps = " + std::to_string(opt.num_sweeps) + " (one per sweep)");
  anneal::sa_options so;
  so.num_sweeps = opt.num_sweeps;
  so.beta_schedule = opt.beta_schedule;  // checked (non-negative) and used as is when given
  const std::vector<double> betas = anneal::resolve_beta_schedule(model, so);

  const bool dense = opt.path == anneal_path::dense ||
                     (opt.path == anneal_path::automatic && (model.is_dense() || !detail::fits_sparse_kernel(n)));
  return dense ? detail::dense_annealing(model, opt, betas) : detail::sparse_annealing(model, opt, betas);
}

}  // namespace hqml::gpu

namespace hqml::anneal {

// hqml::anneal::simulated_annealing<hqml::cuda>'s entry point (simulated_annealing.hpp): the CPU solver's
// options checked and translated to the GPU annealer's, its replicas returned as the CPU's sample_set.
template <class T>
sample_set detail::cuda_simulated_annealing<T>::run(const ising_model& m, const sa_options& opt) {
  const std::string who = "hqml::anneal::simulated_annealing<hqml::cuda>: ";
  if (opt.num_reads == 0) throw std::invalid_argument(who + "num_reads must be positive (one GPU replica per read)");
  if (opt.time_limit_s > 0.0 || opt.target_energy)
    throw std::invalid_argument(who + "the GPU runs every sweep of every read: no time_limit_s or target_energy");
  if (opt.order != update_order::sequential)
    throw std::invalid_argument(who + "the GPU sweeps in sequential order only");
  if (opt.greedy_postprocess) throw std::invalid_argument(who + "the GPU has no greedy post-processing");
  const std::size_t n = m.num_variables();
  // The GPU takes one β per sweep: the CPU's schedule, each value repeated sweeps_per_beta times.
  const std::vector<double> per_beta = resolve_beta_schedule(m, opt);
  gpu::anneal_options o;
  o.num_replicas = opt.num_reads;
  o.seed = opt.seed;
  o.rule = opt.rule;
  o.beta_schedule.reserve(per_beta.size() * opt.sweeps_per_beta);
  for (double b : per_beta) o.beta_schedule.insert(o.beta_schedule.end(), opt.sweeps_per_beta, b);
  o.num_sweeps = o.beta_schedule.size();
  const gpu::anneal_result r = gpu::simulated_annealing(m, o);
  sample_set s(n, vartype::spin, opt.limits);
  for (std::size_t k = 0; k < opt.num_reads; ++k)
    s.add(std::span<const std::int8_t>(r.spins.data() + k * n, n), r.energies[k]);
  s.aggregate();
  s.num_reads = opt.num_reads;
  s.num_sweeps = o.num_sweeps;
  s.spin_updates = n * o.num_sweeps * opt.num_reads;
  s.time_s = s.time_to_best_s = r.kernel_seconds;  // every replica finishes together
  if (opt.on_improvement) opt.on_improvement(r.best_energy(), r.kernel_seconds);
  if (opt.on_progress) (void)opt.on_progress(progress{opt.num_reads, r.best_energy(), r.kernel_seconds});
  return s;
}

}  // namespace hqml::anneal
