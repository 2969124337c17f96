#pragma once
// The state types every capability test runs over: each available backend in both precisions.
// Test bodies are written once (TEMPLATE_LIST_TEST_CASE over hqml::test::state_types).

#include <hqml/state_vector.hpp>

#include <tuple>

namespace hqml::test {

using state_types = std::tuple<state_vector<float, cpu>, state_vector<double, cpu>,
                               state_vector<double, basic_cpu<sequential_threads>>>;

}  // namespace hqml::test
