#!/usr/bin/env bash
# Single gates as effective memory bandwidth against a STREAM-like copy in the same binary, as the table of
# ratios BENCHMARKS.md quotes (target: >= 0.6 for 1- and 2-qubit gates at n >= 20 on 2 threads).
# Usage: benchmarks/gates.sh [SIZES (default 20,26)] [REPETITIONS (default 5)] [THREADS (default 2)]
# Each gate's bytes are the cache lines holding an amplitude it changes, read and written once
# (bench_simulator.cpp, touched_line_fraction); repetitions run in random interleaved order, so a burst of
# load on this shared machine spreads over all rows; the table shows medians.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-20,26}
reps=${2:-5}
threads=${3:-2}
fail() { echo "benchmarks/gates.sh: $*" >&2; exit 2; }
[[ $sizes =~ ^(16|20|24|26)(,(16|20|24|26))*$ ]] ||
  fail "SIZES '$sizes': expected a comma-separated list of the registered sizes 16, 20, 24, 26"
[[ $reps =~ ^[1-9][0-9]*$ ]] || fail "REPETITIONS '$reps': expected a positive integer"
[[ $threads =~ ^[1-9][0-9]*$ ]] || fail "THREADS '$threads': expected a positive integer"
# shellcheck source=cpu/setup-bench-simulator.sh
source benchmarks/cpu/setup-bench-simulator.sh
filter="^(copy|gate)/.*/(${sizes//,/|})/[0-9]+/real_time\$"
out=build/bench/gates.json
HQML_BENCH_THREADS=$threads "$bench_simulator" --benchmark_filter="$filter" \
  --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2 \
  --benchmark_format=json --benchmark_out="$out" >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg);" \
  "date: $(date -u '+%F %H:%M UTC'); $threads threads, medians of $reps"
python3 - "$out" <<'EOF'
import json, statistics, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") == "iteration"]
rate, lines, qubits = {}, {}, {}
for b in runs:
    name = "/".join(b["name"].split("/")[:-3])  # without the arguments (n, threads) and /real_time
    rate.setdefault(name, []).append(b["bytes_per_second"])
    lines[name] = b.get("lines", 1.0)
    qubits[name] = b.get("label", "")
med = {k: statistics.median(v) for k, v in rate.items()}
print("| gate | qubits | precision | n | lines | GiB/s | ratio to copy |")
print("|---|---|---|---|---|---|---|")
for name in sorted(med, key=lambda s: (s.split("/")[0] != "copy", s)):
    parts = name.split("/")
    if parts[0] != "gate":
        continue
    _, kind, _, prec, n = parts[:5]
    copy = med.get(f"copy/{prec}/{n}")
    ratio = f"{med[name] / copy:.2f}" if copy else "-"
    print(f"| {kind} | {qubits[name]} | {prec} | {n} | {lines[name]:.2f} | {med[name] / 2**30:.1f} | {ratio} |")
for prec in ("double", "float"):
    for n in sorted({k.split("/")[-1] for k in med if k.startswith("copy/")}, key=int):
        c = med.get(f"copy/{prec}/{n}")
        if c:
            print(f"copy {prec} n = {n}: {c / 2**30:.1f} GiB/s")
EOF
