#!/usr/bin/env bash
# Before/after on one machine: builds a Google Benchmark program of hqml at git revision REV (in a scratch
# worktree) and of the working tree, both Release -march=native, runs them alternately ROUNDS times and prints
# each benchmark's median real time before and after and their ratio (after / before; > 1 is slower).
# Usage: benchmarks/ab.sh REV PROGRAM [FILTER] [ROUNDS]   e.g. benchmarks/ab.sh HEAD~3 bench_kernel '^states/'
# Env: AB_DIR (build/ab), ENV_VARS for the program (e.g. "HQML_BENCH_THREADS=1,2").
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$1 program=$2 filter=${3:-.} rounds=${4:-3}
dir=${AB_DIR:-build/ab}
mkdir -p "$dir"
base_src=$dir/base-src
rm -rf "$base_src"
git worktree prune
git worktree add -f -q --detach "$base_src" "$rev"
trap 'git worktree remove -f "$base_src" >/dev/null 2>&1 || true' EXIT
# The benchmarks read ../shared next to their source tree: the base worktree gets the same folder.
[ -d ../shared ] && ln -sfn "$(cd ../shared && pwd)" "$dir/shared"
for side in base new; do
  src=$PWD
  [ "$side" = base ] && src=$base_src
  cmake -S "$src" -B "$dir/$side" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_ENABLE_CUDA=OFF \
    -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF -DHQML_BUILD_BENCHMARKS=ON >/dev/null
  ninja -C "$dir/$side" -j2 "$program" >/dev/null
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u '+%F %H:%M') UTC;" \
  "base: $(git rev-parse --short "$rev"), new: working tree of $(git rev-parse --short HEAD)"
for ((r = 0; r < rounds; ++r)); do
  for side in base new; do
    env ${ENV_VARS:-} "$dir/$side/benchmarks/$program" --benchmark_filter="$filter" --benchmark_min_time=0.2 \
      --benchmark_format=json --benchmark_out="$dir/$side.$r.json" >/dev/null
  done
done
python3 - "$dir" "$rounds" <<'PY'
import json, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
times = {"base": {}, "new": {}}
units = {}
for side in times:
    for r in range(rounds):
        for b in json.load(open(f"{d}/{side}.{r}.json"))["benchmarks"]:
            if b.get("run_type", "iteration") == "iteration":
                times[side].setdefault(b["name"], []).append(b["real_time"])
                units[b["name"]] = b["time_unit"]
print("| benchmark | before (median) | after (median) | after / before |")
print("|---|---|---|---|")
ratios = []
for name, before in times["base"].items():
    after = times["new"].get(name)
    if not after:
        continue
    mb, ma = statistics.median(before), statistics.median(after)
    ratios.append(ma / mb)
    print(f"| {name} | {mb:.4g} {units[name]} | {ma:.4g} {units[name]} | {ma / mb:.3f} |")
if ratios:
    print(f"\ngeometric mean of after / before over {len(ratios)} benchmarks: "
          f"{statistics.geometric_mean(ratios):.3f}")
PY
