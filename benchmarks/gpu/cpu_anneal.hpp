#pragma once
// bench_gpu's CPU annealing baseline (cpu_anneal.cpp), kept out of the nvcc translation unit so that it
// is compiled with OpenMP by the host compiler.

#include <hqml/anneal/model.hpp>

#include <cstdint>
#include <string>

namespace hqml::bench {

struct cpu_anneal_result {
  double best_cut;  // Gset runs only
  double seconds;
  double num_variables;
  double best_energy;
};

/// hqml::anneal::simulated_annealing on a Gset file with all OpenMP threads.
cpu_anneal_result cpu_anneal(const std::string& gset_path, std::size_t reads, std::size_t sweeps, std::uint64_t seed);

/// The same on a model (best_cut is 0).
cpu_anneal_result cpu_anneal(const anneal::ising_model& model, std::size_t reads, std::size_t sweeps,
                             std::uint64_t seed);

/// The dense benchmark instance, for the GPU and the CPU alike: a Sherrington-Kirkpatrick model of n spins,
/// J_ij = ±1 on every pair (std::mt19937_64(seed)), no fields.
anneal::ising_model sk_model(std::size_t n, std::uint64_t seed);

}  // namespace hqml::bench
