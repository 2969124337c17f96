#!/usr/bin/env bash
# The VQE comparison: `hqml vqe` against the same optimization (real_amplitudes on the transverse-field Ising
# chain, one shared start, BFGS on adjoint gradients) in PennyLane Lightning + SciPy and qulacs + SciPy.
# Prints a markdown table: median times of REPEAT runs, iterations, evaluations and each final energy's distance
# to the exact one.
# Usage: benchmarks/vqe.sh [SIZES=8,12,16] [REPS=3] [ITERATIONS=200] [THREADS=1,2] [REPEAT=3]
#        (env: HQML_BUILD_DIR=build-bench-vqe, HQML_PEERS_VENV=build/peers-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-vqe}
venv=${HQML_PEERS_VENV:-$root/build/peers-venv}
sizes=${1:-8,12,16}
reps=${2:-3}
iterations=${3:-200}
threads=${4:-1,2}
repeat=${5:-3}

cmake -S "$root" -G Ninja -B "$build" -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_BUILD_TESTS=OFF \
  -DHQML_BUILD_EXAMPLES=ON -DHQML_BUILD_BENCHMARKS=OFF -DHQML_ENABLE_CUDA=OFF >/dev/null
ninja -C "$build" -j2 hqml_cli >/dev/null
bash "$root/benchmarks/peers/setup-venv.sh" "$venv"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u "+%Y-%m-%d %H:%M") UTC"
header=--header
for t in ${threads//,/ }; do
  OMP_NUM_THREADS=$t "$venv/bin/python" "$root/benchmarks/peers/vqe_peers.py" --hqml "$build/examples/hqml" \
    --sizes "$sizes" --reps "$reps" --iterations "$iterations" --repeat "$repeat" $header
  header=
done
