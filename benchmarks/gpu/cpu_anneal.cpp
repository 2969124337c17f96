// The CPU side of bench_gpu's annealing comparison, compiled by the host compiler with OpenMP.
#include "cpu_anneal.hpp"

#include <hqml/anneal/formats.hpp>
#include <hqml/anneal/simulated_annealing.hpp>

#include <chrono>
#include <random>
#include <utility>
#include <vector>

namespace hqml::bench {

cpu_anneal_result cpu_anneal(const anneal::ising_model& model, std::size_t reads, std::size_t sweeps,
                             std::uint64_t seed) {
  anneal::sa_options opt;
  opt.num_reads = reads;
  opt.num_sweeps = sweeps;
  opt.seed = seed;
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = anneal::simulated_annealing(model, opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {0.0, secs, static_cast<double>(model.num_variables()), s.energies().front()};  // sorted by energy
}

cpu_anneal_result cpu_anneal(const std::string& gset_path, std::size_t reads, std::size_t sweeps, std::uint64_t seed) {
  const auto p = anneal::read_gset(gset_path);
  cpu_anneal_result r = cpu_anneal(p.model, reads, sweeps, seed);
  r.best_cut = p.cut_from_energy(r.best_energy);
  return r;
}

anneal::ising_model sk_model(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<anneal::coupling> c;
  c.reserve(n * (n - 1) / 2);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = i + 1; j < n; ++j) c.push_back({i, j, (g() >> 63) ? 1.0 : -1.0});
  return anneal::ising_model(n, {}, std::move(c));
}

}  // namespace hqml::bench
