#!/usr/bin/env bash
# What gate classes and fused blocks cost on this machine, relative to one RY at the same register size
# (backends/cpu/state_ops.hpp's cpu_fusion_costs, which the CPU backend uses up to a quarter of the last-level cache:
# n <= 19 in double with 32 MiB); then circuits fused by the greedy rule (every block) and by the cost rule,
# run in the same process. Prints two markdown tables of medians.
# Usage: benchmarks/fusion_costs.sh [REPETITIONS (default 5)] [THREADS (default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
threads=${2:-1}
# shellcheck source=cpu/setup-bench-simulator.sh
source benchmarks/cpu/setup-bench-simulator.sh
out=build/bench/fusion_costs.json
HQML_BENCH_THREADS=$threads "$bench_simulator" --benchmark_filter='^fusion_(cost|rule)/' \
  --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2 \
  --benchmark_format=json --benchmark_out="$out" >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, L3 $(lscpu | sed -n 's/^L3 cache: *//p')," \
  "load $(cut -d' ' -f1 /proc/loadavg); date: $(date -u '+%F %H:%M UTC'); $threads thread(s), medians of $reps"
python3 - "$out" <<'PY'
import json, statistics, sys
times, rule, ops = {}, {}, {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    parts = b["name"].split("/")
    if parts[0] == "fusion_rule":
        key = "/".join(parts[1:-3])  # the circuit (and size): fusion_rule/<circuit>/<rule>/<threads>/real_time
        rule.setdefault((key, parts[-3]), []).append(b["real_time"])
        ops[(key, parts[-3])] = int(b["operations"])
        continue
    _, what, _, n = parts[:4]
    times.setdefault((what, int(n)), []).append(b["real_time"])
med = {k: statistics.median(v) for k, v in times.items()}
sizes = sorted({n for _, n in med})
order = ["ry", "cx", "cz", "cry", "rzz"] + [f"{c}{k}" for c in ("dense", "diagonal") for k in range(1, 6)]
print("| operation | " + " | ".join(f"n = {n}" for n in sizes) + " |")
print("|---|" + "---|" * len(sizes))
for what in order:
    cells = [f"{med[(what, n)] / med[('ry', n)]:.2f}" if (what, n) in med else "-" for n in sizes]
    print(f"| {what} | " + " | ".join(cells) + " |")
print("RY (ms): " + ", ".join(f"n = {n}: {med[('ry', n)]:.3f}" for n in sizes))
print()
print("| circuit | operations (greedy / cost) | greedy (ms) | cost rule (ms) | cost / greedy |")
print("|---|---|---|---|---|")
for key in sorted({k for k, _ in rule}, key=lambda k: (k.split("/")[0], int(k.split("/")[1]) if "/" in k else 0)):
    g, c = statistics.median(rule[(key, "greedy")]), statistics.median(rule[(key, "cost")])
    print(f"| {key} | {ops[(key, 'greedy')]} / {ops[(key, 'cost')]} | {g:.3f} | {c:.3f} | {c / g:.2f} |")
PY
