#!/usr/bin/env bash
# Builds hqml's libFuzzer targets with clang and runs each for SECONDS (default 60) on HQML_JOBS cores
# (libFuzzer's fork mode): qasm_fuzz seeded with the QASMBench circuits of the shared data folder when it
# is there, csv_fuzz with a few CSV files written here.
# Crash reproducers are kept in BUILD/fuzz-artifacts. Environment: HQML_JOBS (default 2),
# HQML_FUZZ_BUILD_DIR (default build/fuzz; a folder already configured with HQML_BUILD_FUZZERS=ON, such as
# .ci/run's sanitizer build, is used as it is), HQML_FUZZ_CXX (default clang++), HQML_SHARED_DIR
# (default ../shared from the project root).
#   usage: tests/fuzz/run.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${HQML_FUZZ_BUILD_DIR:-$root/build/fuzz}
jobs=${HQML_JOBS:-2}
cxx=${HQML_FUZZ_CXX:-clang++}
shared=${HQML_SHARED_DIR:-$root/../shared}

if ! grep -q "^HQML_BUILD_FUZZERS:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DHQML_BUILD_FUZZERS=ON -DHQML_BUILD_TESTS=ON -DHQML_BUILD_EXAMPLES=OFF -DHQML_BUILD_BENCHMARKS=OFF \
    -DHQML_ENABLE_CUDA=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target qasm_fuzz csv_fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
if compgen -G "$shared/data/qasmbench/*/*.qasm" >/dev/null; then
  cp "$shared"/data/qasmbench/*/*.qasm "$corpus"/
else
  echo "run.sh: no QASMBench circuits under $shared/data/qasmbench; starting from the built-in seeds only"
fi
# Seeds for what QASMBench hardly uses: opaque, nested parameterized gates, broadcasting, expressions.
cat >"$corpus/seed_gates.qasm" <<'QASM'
OPENQASM 2.0;
include "qelib1.inc";
opaque o(a) x;
gate g(a, b) x, y { rz(-a^2/b + sin(pi/4)*ln(2)) x; barrier x, y; cu(a, b, 1e-3, .5) y, x; }
gate h2(t) x, y, z { g(t, 2*t) x, z; rccx z, y, x; }
qreg q[3]; qreg r[3]; creg c[3]; creg d[3];
h2(exp(1)) q[0], q[1], q[2];
cx q, r; measure r -> d; reset q; barrier q, r[1];
c4x q[0], q[1], q[2], r[0], r[1];
QASM
cat >"$work/qasm.dict" <<'DICT'
"OPENQASM 2.0;"
"include \"qelib1.inc\";"
"qreg"
"creg"
"gate"
"opaque"
"barrier"
"measure"
"reset"
"if"
"->"
"=="
"pi"
"sin("
"cos("
"tan("
"exp("
"ln("
"sqrt("
"U("
"CX"
"cu3("
"c4x"
"rc3x"
"//"
"1e-3"
DICT

status=0
echo "== qasm_fuzz for ${seconds}s"
"$build/tests/fuzz/qasm_fuzz" -fork="$jobs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -dict="$work/qasm.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: qasm_fuzz failed (exit $status); reproducers are in $artifacts"
fi

# csv_fuzz: the first byte of an input picks the options (see csv_fuzz.cpp), the rest is the file.
csv_corpus=$work/csv-corpus
mkdir -p "$csv_corpus"
printf '\x08\xef\xbb\xbfid,"x 1",color,y\r\n1,0.5,red,a\r\n2,-1e3,"blue, dark",b\r\n\r\n3,+.25,red,a\r\n' >"$csv_corpus/comma.csv"
printf '\x0cx;c;y\n1,5;NA;"p;q"\n2;green;q\n?;"say ""hi""\nthere";p\n' >"$csv_corpus/semicolon.csv"
printf '\x3fy\ta\tid\n-1\tinf\t1\n1\t1e999\t2\n1\tnan\t3\n' >"$csv_corpus/tab.csv"
printf '\x1ca,b,c\n1,x,\n2,,z\n' >"$csv_corpus/predict.csv"
cat >"$work/csv.dict" <<'DICT'
","
";"
"\x09"
"\x22"
"\x22\x22"
"\x0d\x0a"
"\xef\xbb\xbf"
"y"
"id"
"NA"
"nan"
"inf"
"1e999"
"-0.5e-3"
DICT
csv_status=0
echo "== csv_fuzz for ${seconds}s"
"$build/tests/fuzz/csv_fuzz" -fork="$jobs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$work/csv.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$csv_corpus" || csv_status=$?
if [ "$csv_status" -ne 0 ]; then
  echo "run.sh: csv_fuzz failed (exit $csv_status); reproducers are in $artifacts"
  status=$csv_status
fi
exit "$status"
