#!/usr/bin/env bash
# The gradient comparison: adjoint differentiation of ⟨H⟩ for a layered RY·RZ + CNOT-ring ansatz and the
# transverse-field Ising chain, in hqml (bench_gradient) against PennyLane Lightning and qulacs on the same
# circuit, θ and thread counts; every peer's gradient is checked against hqml's. Prints a markdown table.
# Usage: benchmarks/gradient.sh [THREADS=1,2]   (env: REPS=5, HQML_BUILD_DIR=build-bench-gradient,
#                                               HQML_PEERS_VENV=build/peers-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-gradient}
venv=${HQML_PEERS_VENV:-$root/build/peers-venv}
threads=${1:-1,2}
reps=${REPS:-5}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_BUILD_TESTS=OFF \
  -DHQML_BUILD_EXAMPLES=OFF >/dev/null
ninja -C "$build" -j2 bench_gradient >/dev/null
bash "$root/benchmarks/peers/setup-venv.sh" "$venv"

dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u "+%Y-%m-%d %H:%M") UTC"
filter="BM_adjoint_gradient/[0-9]+/($(echo "$threads" | tr , '|'))/"
HQML_GRAD_DUMP_DIR="$dump" "$build/benchmarks/bench_gradient" --benchmark_filter="$filter" \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$build/bench_gradient.json" --benchmark_out_format=json >&2
header=--header
for t in ${threads//,/ }; do
  OMP_NUM_THREADS=$t "$venv/bin/python" "$root/benchmarks/peers/gradient_peers.py" --threads "$t" --data "$dump" \
    --bench-json "$build/bench_gradient.json" --reps "$reps" $header
  header=
done
