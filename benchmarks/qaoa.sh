#!/usr/bin/env bash
# The QAOA comparison: `hqml anneal --solver qaoa` against the same algorithm (grid start, BFGS on adjoint
# gradients, INTERP from p to p + 1) written with PennyLane Lightning and SciPy, on random 3-regular graphs.
# Prints a markdown table with both wall times and both final <H_C>.
# Usage: benchmarks/qaoa.sh [SIZES=8,12,16] [LAYERS=3] [THREADS=1,2]
#        (env: HQML_BUILD_DIR=build-bench-cli, HQML_PEERS_VENV=build/peers-venv)
set -euo pipefail
sizes=${1:-8,12,16}
layers=${2:-3}
threads=${3:-1,2}

source "$(dirname "$0")/peers/setup-cli.sh"
header=--header
for t in ${threads//,/ }; do
  OMP_NUM_THREADS=$t "$venv/bin/python" "$root/benchmarks/peers/qaoa_peers.py" --hqml "$build/examples/hqml" \
    --sizes "$sizes" --layers "$layers" $header
  header=
done
