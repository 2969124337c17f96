# Sourced by the benchmarks that run bench_simulator (gates.sh, fusion_costs.sh, simulators.sh) from the
# repository root: installs the build dependencies, builds it natively optimized in build/bench and sets
# bench_simulator to its path.
bash cmake/install-deps.sh
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON \
  -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF -DHQML_BUILD_BENCHMARKS=ON >/dev/null
ninja -C build/bench bench_simulator >/dev/null
bench_simulator=build/bench/benchmarks/bench_simulator
