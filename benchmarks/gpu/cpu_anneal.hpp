#pragma once
// bench_gpu's CPU annealing baseline (cpu_anneal.cpp), kept out of the nvcc translation unit so that it
// is compiled with OpenMP by the host compiler.

#include <cstdint>
#include <string>

namespace hqml::bench {

struct cpu_anneal_result {
  double best_cut;
  double seconds;
  double num_variables;
};

/// hqml::anneal::simulated_annealing on a Gset file with all OpenMP threads.
cpu_anneal_result cpu_anneal(const std::string& gset_path, std::size_t reads, std::size_t sweeps, std::uint64_t seed);

}  // namespace hqml::bench
