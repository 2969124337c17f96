#!/usr/bin/env bash
# The QAOA comparison: `hqml anneal --solver qaoa` against the same algorithm (grid start, BFGS on adjoint
# gradients, INTERP from p to p + 1) written with PennyLane Lightning and SciPy, on random 3-regular graphs.
# Prints a markdown table with both wall times and both final <H_C>.
# Usage: benchmarks/qaoa.sh [SIZES=8,12,16] [LAYERS=3] [THREADS=1,2]
#        (env: HQML_BUILD_DIR=build-bench-qaoa, HQML_PEERS_VENV=build/peers-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-qaoa}
venv=${HQML_PEERS_VENV:-$root/build/peers-venv}
sizes=${1:-8,12,16}
layers=${2:-3}
threads=${3:-1,2}

cmake -S "$root" -G Ninja -B "$build" -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_BUILD_TESTS=OFF \
  -DHQML_BUILD_EXAMPLES=ON -DHQML_BUILD_BENCHMARKS=OFF -DHQML_ENABLE_CUDA=OFF >/dev/null
ninja -C "$build" -j2 hqml_cli >/dev/null
bash "$root/benchmarks/peers/setup-venv.sh" "$venv"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u "+%Y-%m-%d %H:%M") UTC"
header=--header
for t in ${threads//,/ }; do
  OMP_NUM_THREADS=$t "$venv/bin/python" "$root/benchmarks/peers/qaoa_peers.py" --hqml "$build/examples/hqml" \
    --sizes "$sizes" --layers "$layers" $header
  header=
done
