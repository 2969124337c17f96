#pragma once
// The classical learning half of hqml: everything that works on kernel matrices and data, independent
// of how the kernel was computed (a quantum simulator, a classical kernel, a file).

#include <hqml/learn/alignment.hpp>
#include <hqml/learn/cross_validation.hpp>
#include <hqml/learn/grid_search.hpp>
#include <hqml/learn/kernel_cache.hpp>
#include <hqml/learn/kernel_ridge.hpp>
#include <hqml/learn/libc_rand.hpp>
#include <hqml/learn/logistic_regression.hpp>
#include <hqml/learn/metrics.hpp>
#include <hqml/learn/min_max_scaler.hpp>
#include <hqml/learn/parallel.hpp>
#include <hqml/learn/pca.hpp>
#include <hqml/learn/platt.hpp>
#include <hqml/learn/quantum_advantage.hpp>
#include <hqml/learn/significance.hpp>
#include <hqml/learn/smo_solver.hpp>
#include <hqml/learn/standard_scaler.hpp>
#include <hqml/learn/svc.hpp>
