// The CPU side of bench_gpu's annealing comparison, compiled by the host compiler with OpenMP.
#include "cpu_anneal.hpp"

#include <hqml/anneal/formats.hpp>
#include <hqml/anneal/simulated_annealing.hpp>

#include <chrono>

namespace hqml::bench {

cpu_anneal_result cpu_anneal(const std::string& gset_path, std::size_t reads, std::size_t sweeps, std::uint64_t seed) {
  const auto p = anneal::read_gset(gset_path);
  anneal::sa_options opt;
  opt.num_reads = reads;
  opt.num_sweeps = sweeps;
  opt.seed = seed;
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = anneal::simulated_annealing(p.model, opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {p.cut_from_energy(s.energies().front()), secs, static_cast<double>(p.model.num_variables())};
}

}  // namespace hqml::bench
