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
#    or, to keep each call well inside the 10-minute limit, two calls on the same warm machine (the
#    build folder stays between calls):
#      bash benchmarks/gpu/run.sh build test memcheck     then     bash benchmarks/gpu/run.sh bench
#    The last lines printed are a summary; the full logs come back as files under $OUT.
#
# Stages: prepare | build test memcheck bench (default: all four, in that order).
# Environment: HQML_GPU_JOBS (default: all cores), HQML_GPU_ARCH (default 90-real: the H100/H200 only,
# one device pass per file), HQML_GPU_BENCH_ARGS (extra bench_gpu arguments, e.g. "--quick" or "gates").
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
out=${OUT:-$root/build-gpu/out}
mkdir -p "$out"
jobs=${HQML_GPU_JOBS:-$(nproc)}
build="build-gpu"
summary=()
note() { summary+=("$1"); echo "== $1"; }
has() { for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

export HQML_SHARED_DIR="$root/.gpu-data/shared"  # read by tests/CMakeLists.txt at configure time
[ -d "$HQML_SHARED_DIR" ] || echo "warning: $HQML_SHARED_DIR missing (run 'prepare' here first); Gset tests and benchmarks skip"
deps="$root/.deps/root/usr"
[ -d "$deps" ] || echo "warning: $deps missing (run 'prepare' here first); configuring with system packages only"

{ nvidia-smi || true; nvcc --version || true; cmake --version | head -1; } >"$out/machine.txt" 2>&1
head -20 "$out/machine.txt"

if has build; then
  t0=$(date +%s)
  if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$deps" \
      -DHQML_ENABLE_CUDA=ON -DHQML_BUILD_TESTS=ON -DHQML_BUILD_EXAMPLES=OFF -DHQML_BUILD_BENCHMARKS=OFF \
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

export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
tests=("$build"/tests/cuda/test_cuda_*)

if has test; then
  t0=$(date +%s)
  (cd "$build" && ctest -L cuda --output-on-failure -j 4 --timeout 300) >"$out/tests.log" 2>&1
  rc=$?
  tail -5 "$out/tests.log"
  note "tests: $(grep -E 'tests passed' "$out/tests.log" | tail -1) (rc $rc, $(($(date +%s) - t0)) s)"
fi

if has memcheck; then
  # Each test executable whole under memcheck, with a time cap so one slow case cannot eat the lease;
  # the exhaustive every-gate-every-ordering case is left to the plain run (it is ~all launch overhead).
  : >"$out/memcheck.log"
  for t in "${tests[@]}"; do
    [ -x "$t" ] || continue
    filter=()
    [ "$(basename "$t")" = test_cuda_core ] && filter=("~every gate on every qubit ordering*")
    t0=$(date +%s)
    timeout 240 compute-sanitizer --tool memcheck --error-exitcode 99 --print-limit 20 "$t" "${filter[@]}" \
      >>"$out/memcheck.log" 2>&1
    rc=$?
    verdict=clean
    [ $rc -eq 99 ] && verdict="ERRORS"
    [ $rc -eq 124 ] && verdict="timed out after 240 s"
    [ $rc -ne 0 ] && [ $rc -ne 99 ] && [ $rc -ne 124 ] && verdict="test failures (rc $rc)"
    note "memcheck $(basename "$t"): $verdict ($(($(date +%s) - t0)) s)"
  done
  grep -E "ERROR SUMMARY" "$out/memcheck.log" | sort | uniq -c
fi

if has bench; then
  if [ ! -x "$build/benchmarks/gpu/bench_gpu" ]; then
    note "bench: bench_gpu not built"
  else
    t0=$(date +%s)
    # shellcheck disable=SC2086
    timeout 420 "$build/benchmarks/gpu/bench_gpu" --gset "$HQML_SHARED_DIR/data/gset" ${HQML_GPU_BENCH_ARGS:-} \
      2>&1 | tee "$out/bench.txt"
    note "bench: rc ${PIPESTATUS[0]} ($(($(date +%s) - t0)) s), results in bench.txt"
  fi
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
