#!/usr/bin/env bash
# The unitary-synthesis comparison: hqml::to_qasm of random k-qubit unitaries (k = 2..6) against Qiskit's
# qs_decomposition plus OpenQASM 2 output, on the same matrices: two- and one-qubit gate counts, median
# times, and each circuit's error checked by Qiskit. Prints a markdown table.
# Usage: benchmarks/synthesis.sh   (env: REPS=5, HQML_BUILD_DIR=build-bench-synthesis,
#                                    HQML_SYNTH_VENV=<build>/synthesis-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-synthesis}
venv=${HQML_SYNTH_VENV:-$build/synthesis-venv}
reps=${REPS:-5}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF >/dev/null
ninja -C "$build" -j2 bench_synthesis >/dev/null

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q numpy scipy "qiskit>=1.0"
fi

dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
HQML_SYNTH_DUMP_DIR="$dump" "$build/benchmarks/bench_synthesis" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$build/bench_synthesis.json" --benchmark_out_format=json
"$venv/bin/python" "$root/benchmarks/peers/synthesis_peers.py" --data "$dump" --reps "$reps" \
  --bench-json "$build/bench_synthesis.json"
