#!/usr/bin/env bash
# The SVM fit comparison: hqml against libsvm (C API, inside bench_svm) and scikit-learn (in a virtual
# environment), on the same precomputed kernels, C, tolerance and cache size. Prints a markdown table.
# Usage: benchmarks/svm.sh   (env: REPS=5, HQML_BUILD_DIR=build-bench-svm, HQML_SVM_VENV=<build>/svm-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-svm}
venv=${HQML_SVM_VENV:-$build/svm-venv}
reps=${REPS:-5}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF >/dev/null
ninja -C "$build" -j2 bench_svm >/dev/null

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q numpy scikit-learn
fi

dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
HQML_SVM_DUMP_DIR="$dump" "$build/benchmarks/bench_svm" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$build/bench_svm.json" --benchmark_out_format=json
"$venv/bin/python" "$root/benchmarks/peers/svm_peers.py" --data "$dump" --reps "$reps" --bench-json "$build/bench_svm.json"
