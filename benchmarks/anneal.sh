#!/usr/bin/env bash
# hqml's annealers against dwave-samplers and OpenJij, side by side in one run.
#
# Builds bench_anneal with -DHQML_NATIVE=ON, creates (once) a virtual environment with the peers
# from PyPI, runs hqml and both peers on the same Gset instances at the same reads x sweeps for
# each thread count, and prints a table of throughput and energy with hqml/peer ratios. With
# --quality it then runs hqml's Gset quality benchmark (cut reached, time to within 0.5% of the
# best known, time to the best known; 30 s per solver on G14/G22, 60 s on G55/G70).
#
# Usage: benchmarks/anneal.sh [--quality] [--reads N] [--sweeps N] [--instances G14,G22,G55,G70]
#                             [--threads 1,2] [--repetitions N] [--solvers sa,tabu,pt]
# Environment: HQML_ANNEAL_BUILD (build dir, default build/anneal-bench),
#              HQML_ANNEAL_VENV (default build/anneal-peers-venv), HQML_SHARED_DIR (default ../shared).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HQML_ANNEAL_BUILD:-$root/build/anneal-bench}
venv=${HQML_ANNEAL_VENV:-$root/build/anneal-peers-venv}
shared=${HQML_SHARED_DIR:-$root/../shared}
reads=10 sweeps=1000 instances=G14,G22,G55,G70 threads=1,2 reps=3 quality=0 solvers=sa,tabu,pt
while [ $# -gt 0 ]; do
  case "$1" in
    --quality) quality=1 ;;
    --reads) reads=$2; shift ;;
    --sweeps) sweeps=$2; shift ;;
    --instances) instances=$2; shift ;;
    --threads) threads=$2; shift ;;
    --repetitions) reps=$2; shift ;;
    --solvers) solvers=$2; shift ;;
    *) echo "anneal.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
gset="$shared/data/gset"
[ -d "$gset" ] || { echo "anneal.sh: no Gset instances in $gset" >&2; exit 1; }

# Only the benchmark programs are configured, and only bench_anneal is built.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON \
  -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF -DHQML_BUILD_BENCHMARKS=ON > "$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; exit 1; }
ninja -C "$build" -j2 bench_anneal >&2
bench="$build/benchmarks/bench_anneal"

stamp="$venv/.hqml-anneal-peers-v1"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q numpy dwave-samplers openjij
  touch "$stamp"
fi
py="$venv/bin/python"

out=$(mktemp -d "${TMPDIR:-/tmp}/hqml-anneal.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# peers: $("$py" -m pip list 2>/dev/null | grep -iE '^(dwave-samplers|openjij) ' | tr -s ' ' | paste -sd, -)"
IFS=, read -ra tlist <<< "$threads"
for t in "${tlist[@]}"; do
  # hqml and the peers back to back for each thread count, so both see the same machine load.
  OMP_NUM_THREADS=$t "$bench" --threads="$t" --reads="$reads" --sweeps="$sweeps" --instances="$instances" \
    --benchmark_filter='BM_sa/' --benchmark_repetitions="$reps" --benchmark_format=json \
    --benchmark_out="$out/hqml_$t.json" > /dev/null
  OMP_NUM_THREADS=$t "$py" "$root/benchmarks/peers/anneal_peers.py" --gset-dir "$gset" --instances "$instances" \
    --reads "$reads" --sweeps "$sweeps" --repetitions "$reps" > "$out/peers_$t.jsonl"
done

"$py" - "$out" "$reads" "$sweeps" <<'PY'
import glob, json, os, sys
out, reads, sweeps = sys.argv[1], sys.argv[2], sys.argv[3]
import statistics
runs = {}
for f in glob.glob(os.path.join(out, "hqml_*.json")):
    for b in json.load(open(f))["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        parts = b["run_name"].split("/")
        th = next(p for p in parts if p.startswith("threads:"))
        runs.setdefault((parts[1], int(th.split(":")[1])), []).append(b)
hq = {}
for key, rs in runs.items():
    h = dict(rs[0])
    h["updates_per_s"] = statistics.median(r["updates_per_s"] for r in rs)
    h["updates_per_cpu_s"] = statistics.median(r["updates_per_cpu_s"] for r in rs)
    hq[key] = h
peers = {}
for f in glob.glob(os.path.join(out, "peers_*.jsonl")):
    for line in open(f):
        r = json.loads(line)
        peers[(r["peer"], r["instance"], r["threads"])] = r
print(f"\nSimulated annealing, {reads} reads x {sweeps} sweeps, geometric schedule over the default beta range, "
      "Metropolis, sequential order; medians of the repetitions. Mupd/s = n x reads x sweeps / wall time of the "
      "sampling (dwave: its own sampling_ns; OpenJij: its sampling_time). CPU Mupd/s divides by process CPU time "
      "instead (one-thread rows; robust to other jobs on the machine, and for the peers it includes their Python "
      "overhead).")
print("| instance | threads | hqml Mupd/s | dwave Mupd/s | hqml/dwave | openjij Mupd/s | hqml/openjij "
      "| CPU: hqml/dwave | CPU: hqml/openjij | mean E hqml | mean E dwave | mean E openjij "
      "| best E hqml | best E dwave | best E openjij |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (inst, th) in sorted(hq, key=lambda k: (int(k[0][1:]), k[1])):
    h = hq[(inst, th)]
    d = peers.get(("dwave", inst, th), {})
    o = peers.get(("openjij", inst, th), {})
    hu = h["updates_per_s"]
    def ratio(p, key="updates_per_s"):
        return f"{h[key] / p[key]:.2f}x" if p else "-"
    def cpu_ratio(p):
        return ratio(p, "updates_per_cpu_s") if th == 1 else "-"
    def mu(p):
        return f"{p['updates_per_s'] / 1e6:.1f}" if p else "-"
    def en(p, k):
        return f"{p[k]:.1f}" if p else "-"
    print(f"| {inst} | {th} | {hu / 1e6:.1f} | {mu(d)} | {ratio(d)} | {mu(o)} | {ratio(o)} | {cpu_ratio(d)} | "
          f"{cpu_ratio(o)} | {h['mean_energy']:.1f} | {en(d, 'mean_energy')} | {en(o, 'mean_energy')} | "
          f"{h['best_energy']:.0f} | {en(d, 'best_energy')} | {en(o, 'best_energy')} |")
PY

if [ "$quality" = 1 ]; then
  "$bench" --quality --instances="$instances" --solvers="$solvers" --benchmark_filter='BM_quality/' \
    --benchmark_format=json --benchmark_out="$out/quality.json" > /dev/null
  "$py" - "$out/quality.json" <<'PY'
import json, sys
print("\nGset quality on 2 threads (time limit 30 s for G14/G22, 60 s for G55/G70; - = not reached)")
print("| instance | solver | best cut | best known | gap % | time to 0.5% (s) | time to best known (s) | reads |")
print("|---|---|---|---|---|---|---|---|")
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    inst, solver = b["run_name"].split("/")[1:3]
    t = lambda v: f"{v:.2f}" if v >= 0 else "-"
    print(f"| {inst} | {solver} | {b['best_cut']:.0f} | {b['best_known']:.0f} | {b['gap_pct']:.2f} | "
          f"{t(b['t_within_0.5pct_s'])} | {t(b['t_best_known_s'])} | {b['reads']:.0f} |")
PY
fi
