#!/usr/bin/env bash
# Reproduces the simulator comparison: hqml vs qulacs and qiskit-aer on the same machine, in one run.
# Usage: benchmarks/simulators.sh [MAX_QUBITS (default 24)] [THREADS (default 1,2)]
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-24}
threads=${2:-1,2}
# shellcheck source=cpu/setup-bench-simulator.sh
source benchmarks/cpu/setup-bench-simulator.sh
bash benchmarks/peers/setup-venv.sh build/peers-venv
filter="^((qulacs_circuit|random_circuit)/double/(1[2-9]|2[0-$((max - 20))])/|qasmbench/)"
[ "$max" -lt 20 ] && filter="^((qulacs_circuit|random_circuit)/double/1[2-$((max - 10))]/|qasmbench/)"
HQML_BENCH_MAX_QUBITS=$max HQML_BENCH_THREADS=$threads "$bench_simulator" --benchmark_filter="$filter" \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out=build/bench/hqml_simulators.json >/dev/null
build/peers-venv/bin/python benchmarks/peers/simulators.py --threads "$threads" --max-qubits "$max" \
  --qasmbench ../shared/data/qasmbench/medium --out build/bench/peers_simulators.json
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u +%F)"
build/peers-venv/bin/python benchmarks/peers/compare_simulators.py build/bench/hqml_simulators.json \
  build/bench/peers_simulators.json
