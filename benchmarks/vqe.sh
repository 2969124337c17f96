#!/usr/bin/env bash
# The VQE comparison: `hqml vqe` against the same optimization (real_amplitudes on the transverse-field Ising
# chain, one shared start, BFGS on adjoint gradients) in PennyLane Lightning + SciPy and qulacs + SciPy.
# Prints a markdown table: median times of REPEAT runs, iterations, evaluations and each final energy's distance
# to the exact one.
# Usage: benchmarks/vqe.sh [SIZES=8,12,16] [REPS=3] [ITERATIONS=200] [THREADS=1,2] [REPEAT=3]
#        (env: HQML_BUILD_DIR=build-bench-cli, HQML_PEERS_VENV=build/peers-venv)
set -euo pipefail
sizes=${1:-8,12,16}
reps=${2:-3}
iterations=${3:-200}
threads=${4:-1,2}
repeat=${5:-3}

source "$(dirname "$0")/peers/setup-cli.sh"
header=--header
for t in ${threads//,/ }; do
  OMP_NUM_THREADS=$t "$venv/bin/python" "$root/benchmarks/peers/vqe_peers.py" --hqml "$build/examples/hqml" \
    --sizes "$sizes" --reps "$reps" --iterations "$iterations" --repeat "$repeat" $header
  header=
done
