#!/usr/bin/env bash
# hqml's GPU check, in one script: configure and build every CUDA target (hqml_cuda_check), run the GPU
# tests, run them again under compute-sanitizer memcheck, run the GPU benchmarks. Logs and results go
# to $OUT (the device tool's output folder), else build-gpu/out.
#
# 1. Here, on a machine with the package registry (once per checkout; no GPU needed):
#      bash benchmarks/gpu/run.sh prepare
#    packs Eigen, Catch2, nlohmann-json, ... into .deps/ (../shared/tools/device-pack) and copies the Gset
#    instances into .gpu-data/ (the device machine sees neither the registry nor ../shared). Both folders
#    are git-ignored through .git/info/exclude.
# 2. On the GPU machine, through the device tool's `run`:
#      command:   bash benchmarks/gpu/run.sh
#      carry:     [".deps", ".gpu-data"]
#      timeout_s: 600
#    To spend no device time on compiling, build here first with the same configure line as the build
#    stage below (HQML_SHARED_DIR=$PWD/.gpu-data/shared in the environment, folder build-gpu, target
#    hqml_cuda_check), carry "build-gpu" too, and name the stages: `bash benchmarks/gpu/run.sh test bench
#    memcheck`. The carried folder is used when its source path can be linked to the checkout there.
#    The last lines printed are a summary; the full logs come back as files under $OUT.
#
# Stages: prepare | build test bench memcheck (default: all four; they run in this order). Memcheck
# runs each test case in its own compute-sanitizer process, several at a time.
# Environment: HQML_GPU_JOBS (default: all cores), HQML_GPU_ARCH (default 90-real: the H100/H200 only,
# one device pass per file), HQML_GPU_BENCH_ARGS (extra bench_gpu arguments, e.g. "--quick" or "gates"),
# HQML_GPU_BENCH_CAP (seconds, default 420), HQML_GPU_MEMCHECK_CAP (seconds per test case, default 240),
# HQML_GPU_MEMCHECK_JOBS (cases at a time, default 8), HQML_GPU_MEMCHECK_FILTER and HQML_GPU_MEMCHECK_SKIP
# (regular expressions: the cases to check, the cases to leave out), HQML_GPU_TEST_JOBS (ctest -j, default 4).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ "${1:-}" = prepare ]; then
  set -e
  bash ../shared/tools/device-pack
  mkdir -p .gpu-data/shared/data/gset
  cp ../shared/data/gset/*.txt ../shared/data/gset/best_known.csv .gpu-data/shared/data/gset/
  exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qxF '/.gpu-data/' "$exclude" 2>/dev/null || echo '/.gpu-data/' >>"$exclude"
  echo "prepared: .deps ($(du -sh .deps | cut -f1)) and .gpu-data ($(du -sh .gpu-data | cut -f1)); carry both"
  exit 0
fi

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(build test memcheck bench)
build="build-gpu"

# A build folder made on another machine (same configure line, carried in the device call) is used
# as it is when its source path can be made to point here: CMake and CTest record absolute paths.
if [ -f "$build/CMakeCache.txt" ]; then
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
  if [ -n "$src" ] && [ "$src" != "$root" ] && [ ! -e "$src" ]; then
    mkdir -p "$(dirname "$src")" && ln -s "$root" "$src" && echo "linked $src -> $root (carried build folder)"
  fi
  if [ -z "$src" ] || [ "$(cd "$src" 2>/dev/null && pwd -P)" != "$(pwd -P)" ]; then
    echo "the carried $build was configured for $src, which cannot point here: building afresh"
    rm -rf "$build"
  fi
fi
has() { for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
if ! has build && [ ! -x "$build/tests/cuda/test_cuda_core" ]; then stages=(build "${stages[@]}"); fi
out=${OUT:-$root/build-gpu/out}
mkdir -p "$out"
jobs=${HQML_GPU_JOBS:-$(nproc)}
summary=()
note() { summary+=("$1"); echo "== $1"; }

export HQML_SHARED_DIR="$root/.gpu-data/shared"  # read by tests/CMakeLists.txt at configure time
[ -d "$HQML_SHARED_DIR" ] || echo "warning: $HQML_SHARED_DIR missing (run 'prepare' here first); Gset tests and benchmarks skip"
deps="$root/.deps/root/usr"
[ -d "$deps" ] || echo "warning: $deps missing (run 'prepare' here first); configuring with system packages only"

{ nvidia-smi || true; nvcc --version || true; cmake --version | head -1; } >"$out/machine.txt" 2>&1
head -20 "$out/machine.txt"

if has build; then
  t0=$(date +%s)
  if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$deps" \
      -DHQML_ENABLE_CUDA=ON -DHQML_BUILD_TESTS=ON -DHQML_BUILD_EXAMPLES=ON -DHQML_BUILD_BENCHMARKS=OFF \
      -DHQML_WARNINGS_AS_ERRORS=ON -DHQML_CUDA_ARCHITECTURES="${HQML_GPU_ARCH:-90-real}" >"$out/build.log" 2>&1 &&
     cmake --build "$build" -j "$jobs" --target hqml_cuda_check >>"$out/build.log" 2>&1; then
    note "build: ok ($(($(date +%s) - t0)) s)"
  else
    tail -40 "$out/build.log"
    note "build: FAILED (see build.log)"
    printf '%s\n' "${summary[@]}"
    exit 1
  fi
fi

export PATH="$PATH:/usr/local/cuda/bin"  # compute-sanitizer
export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu:/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
tests=("$build"/tests/cuda/test_cuda_*)

if has test; then
  t0=$(date +%s)
  (cd "$build" && ctest -L cuda --output-on-failure -j "${HQML_GPU_TEST_JOBS:-4}" --timeout 120) >"$out/tests.log" 2>&1
  rc=$?
  tail -5 "$out/tests.log"
  note "tests: $(grep -E 'tests passed' "$out/tests.log" | tail -1), $(grep -c '(Skipped)' "$out/tests.log") skipped (rc $rc, $(($(date +%s) - t0)) s)"
fi

if has bench; then
  if [ ! -x "$build/benchmarks/gpu/bench_gpu" ]; then
    note "bench: bench_gpu not built"
  else
    t0=$(date +%s)
    # shellcheck disable=SC2086
    timeout "${HQML_GPU_BENCH_CAP:-420}" "$build/benchmarks/gpu/bench_gpu" --gset "$HQML_SHARED_DIR/data/gset" ${HQML_GPU_BENCH_ARGS:-} \
      2>&1 | tee "$out/bench.txt"
    note "bench: rc ${PIPESTATUS[0]} ($(($(date +%s) - t0)) s), results in bench.txt"
  fi
fi

if has memcheck; then
  # One compute-sanitizer process per test case, HQML_GPU_MEMCHECK_JOBS (default 8) at a time, each
  # capped at HQML_GPU_MEMCHECK_CAP seconds: memcheck serializes and instruments every launch, so one
  # process for a whole executable takes several times the plain run. The exhaustive
  # every-gate-every-ordering case is left to the plain run (it is ~all launch overhead).
  mcap=${HQML_GPU_MEMCHECK_CAP:-240}
  mjobs=${HQML_GPU_MEMCHECK_JOBS:-8}
  work=$(mktemp -d)
  t0=$(date +%s)
  for t in "${tests[@]}"; do
    [ -x "$t" ] || continue
    "$t" --list-test-names-only | grep -v '^every gate on every qubit ordering' | grep -v '^$' |
      while IFS= read -r name; do printf '%s\t%s\n' "$t" "$name"; done
  done >"$work/all-cases"
  # HQML_GPU_MEMCHECK_FILTER / _SKIP: extended regular expressions on "executable<TAB>name"; the cases
  # that match the filter (default: all) and not the skip pattern (default: none) run.
  grep -E -- "${HQML_GPU_MEMCHECK_FILTER:-.}" "$work/all-cases" | grep -Ev -- "${HQML_GPU_MEMCHECK_SKIP:-^\$}" \
    >"$work/cases"
  i=0
  while IFS=$'\t' read -r exe name; do
    i=$((i + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$mjobs" ]; do wait -n; done
    (
      c0=$(date +%s)
      timeout "$mcap" compute-sanitizer --tool memcheck --error-exitcode 99 --print-limit 20 "$exe" "${name//,/\\,}" \
        >"$work/$i.log" 2>&1
      rc=$?
      grep -q "No tests ran" "$work/$i.log" && rc=2
      echo "$rc $(($(date +%s) - c0)) $(basename "$exe"): $name" >"$work/$i.rc"
    ) &
  done <"$work/cases"
  wait
  : >"$out/memcheck.log"
  clean=0 bad=()
  for f in $(ls "$work"/*.rc | sort -V); do
    read -r rc secs rest <"$f"
    { echo "#### rc $rc, $secs s: $rest"; cat "${f%.rc}.log"; } >>"$out/memcheck.log"
    case $rc in
      0) clean=$((clean + 1)) ;;
      99) bad+=("ERRORS: $rest") ;;
      124) bad+=("timed out after $mcap s: $rest") ;;
      127) bad+=("compute-sanitizer not found: $rest") ;;
      2) bad+=("no test matched: $rest") ;;
      *) bad+=("test failures (rc $rc): $rest") ;;
    esac
  done
  note "memcheck: $clean of $(wc -l <"$work/cases") test cases clean, ${#bad[@]} not, $(($(wc -l <"$work/all-cases") - $(wc -l <"$work/cases"))) left out by HQML_GPU_MEMCHECK_FILTER/_SKIP ($(($(date +%s) - t0)) s)"
  for b in "${bad[@]}"; do note "  memcheck $b"; done
  grep -h "ERROR SUMMARY" "$out/memcheck.log" | sort | uniq -c
  rm -rf "$work"
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
