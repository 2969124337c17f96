#!/usr/bin/env bash
# The fidelity-kernel comparison: hqml (bench_kernel: states phase, Gram phase, whole kernel, Eigen's products of
# the Gram's shape) against qiskit-machine-learning and PennyLane on the same data, with the same thread limits,
# in one run. Prints markdown tables of medians and ratios.
# Usage: benchmarks/kernel.sh [THREADS (default 1,2)]
# Env: REPS (3, hqml and peers up to N = 1000), LARGE_REPS (1, peers above N = 1000), SLOW_REPS (1),
#   FSK_N (1000, at every thread count), FSK_LARGE_N (4000), FQK_N (200), PL_N (100), QUBITS ("4 8 12"),
#   LARGE_QUBITS ("4 8 12", for FSK_LARGE_N), SLOW_THREADS (the largest of THREADS: FidelityStatevectorKernel
#   at FSK_LARGE_N, FidelityQuantumKernel and PennyLane run once, at this thread count; they are Python loops
#   over the N² entries, minutes each),
#   HQML_BUILD_DIR (build-kbench), HQML_PEERS_VENV (build/peers-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1,2}
reps=${REPS:-3}
build=${HQML_BUILD_DIR:-build-kbench}
venv=${HQML_PEERS_VENV:-build/peers-venv}
slow_threads=${SLOW_THREADS:-$(tr ',' '\n' <<<"$threads" | sort -n | tail -1)}
bash benchmarks/peers/setup-venv.sh "$venv"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_ENABLE_CUDA=OFF \
  -DHQML_BUILD_BENCHMARKS=ON >/dev/null
ninja -C "$build" -j1 bench_kernel >/dev/null

dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u +%F); load: $(cut -d' ' -f1-3 /proc/loadavg)"
HQML_KERNEL_DUMP_DIR="$dump" HQML_BENCH_THREADS="$threads" HQML_BENCH_SMALL_N="$(tr " " "," <<<"${FQK_N:-200} ${PL_N:-100}")" "$build/benchmarks/bench_kernel" \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 \
  --benchmark_format=json --benchmark_out="$build/hqml_kernel.json" >/dev/null
peer_json=()
peers() {  # THREADS OUT_TAG ARGS...: one kernel_peers.py run with every thread limit set to THREADS
  local t=$1 tag=$2
  shift 2
  # The same limits as hqml's thread count: OpenMP, the BLAS libraries numpy may use, and Qiskit's Rayon pool.
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t RAYON_NUM_THREADS=$t NUMEXPR_NUM_THREADS=$t \
    "$venv/bin/python" benchmarks/peers/kernel_peers.py run --data "$dump" --threads "$t" \
    --out "$build/peers_kernel_$tag.json" --reps "$reps" "$@" >&2
  peer_json+=("$build/peers_kernel_$tag.json")
}
for t in ${threads//,/ }; do
  peers "$t" "$t" --qubits ${QUBITS:-4 8 12} --fsk-samples ${FSK_N:-1000} --fqk-samples --pl-samples
done
# The slow runs once, at SLOW_THREADS: FidelityStatevectorKernel at N = 4000 (an N² Python loop),
# FidelityQuantumKernel and PennyLane (one circuit per entry).
peers "$slow_threads" "slow" --qubits ${LARGE_QUBITS:-4 8 12} --fsk-samples ${FSK_LARGE_N:-4000} \
  --large-reps "${LARGE_REPS:-1}" --fqk-samples --pl-samples
peers "$slow_threads" "slow_circuits" --qubits ${QUBITS:-4 8 12} --fsk-samples --fqk-samples ${FQK_N:-200} \
  --pl-samples ${PL_N:-100} --slow-reps "${SLOW_REPS:-1}" --slow-peers
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" benchmarks/peers/kernel_peers.py table --bench-json "$build/hqml_kernel.json" "${peer_json[@]}"
