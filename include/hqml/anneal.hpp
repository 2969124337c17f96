#pragma once
// Umbrella header for hqml's annealers: Ising/QUBO models, file formats, simulated annealing,
// parallel tempering, tabu search, greedy descent and the QUBO-encoded hyperparameter search.

#include <hqml/anneal/beta_schedule.hpp>
#include <hqml/anneal/formats.hpp>
#include <hqml/anneal/greedy.hpp>
#include <hqml/anneal/hyperparameter_search.hpp>
#include <hqml/anneal/model.hpp>
#include <hqml/anneal/parallel_tempering.hpp>
#include <hqml/anneal/read_driver.hpp>
#include <hqml/anneal/rng.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/anneal/simulated_annealing.hpp>
#include <hqml/anneal/solve.hpp>
#include <hqml/anneal/spin_kernel.hpp>
#include <hqml/anneal/tabu.hpp>
