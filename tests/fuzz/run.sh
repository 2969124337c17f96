#!/usr/bin/env bash
# Builds hqml's libFuzzer targets with clang and runs each on HQML_JOBS cores (libFuzzer's fork mode) for
# SECONDS * 2 / (number of targets) seconds, at least 5: the whole run takes about what it took when the first
# two targets ran SECONDS each. Targets and their seeds:
#   qasm_fuzz     OpenQASM import/export: the QASMBench circuits of the shared data folder when it is there
#   csv_fuzz      the CSV data set reader
#   problem_fuzz  the Gset / bqp / COO / QIO-JSON problem readers
#   pauli_fuzz    the Hamiltonian (Pauli sum) reader
#   model_fuzz    model directories and .npy arrays: models written by the real writers (the fuzzer makes them)
#   serve_request_fuzz  hqml serve's request bodies, Azure ML and Open Inference Protocol, and its responses
#   cli_fuzz      the hqml program's option parsing, a command line per subcommand; only where the build
#                 folder has the program (HQML_BUILD_EXAMPLES=ON, which .ci/run's sanitizer build has not)
# The other seeds are written here. Crash reproducers are kept in BUILD/fuzz-artifacts.
# Environment: HQML_JOBS (default 2), HQML_FUZZ_BUILD_DIR (default build/fuzz; a folder already configured
# with HQML_BUILD_FUZZERS=ON, such as .ci/run's sanitizer build, is used as it is), HQML_FUZZ_CXX (default
# clang++), HQML_SHARED_DIR (default ../shared from the project root).
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
fuzzers=(qasm_fuzz csv_fuzz problem_fuzz pauli_fuzz model_fuzz serve_request_fuzz)
# tests/fuzz/CMakeLists.txt defines cli_fuzz exactly when the build has the hqml program's commands.
if grep -q "^HQML_BUILD_EXAMPLES:BOOL=ON" "$build/CMakeCache.txt"; then
  fuzzers+=(cli_fuzz)
else
  echo "run.sh: $build has no hqml program (HQML_BUILD_EXAMPLES=OFF); cli_fuzz is not built or run"
fi
cmake --build "$build" -j "$jobs" --target "${fuzzers[@]}"
share=$((seconds * 2 / ${#fuzzers[@]}))
if [ "$share" -lt 5 ]; then share=5; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
status=0
# run_fuzzer NAME MAX_LEN: runs NAME on $work/NAME-corpus with $work/NAME.dict, for its share of the time.
run_fuzzer() {
  local name=$1 max_len=$2 rc=0
  echo "== $name for ${share}s"
  # A fuzzer's temporary files (model_fuzz writes model directories) go under $work, removed at the end
  # even when a crash leaves them behind.
  mkdir -p "$work/tmp"
  TMPDIR="$work/tmp" "$build/tests/fuzz/$name" -fork="$jobs" -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -dict="$work/$name.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$work/$name-corpus" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "run.sh: $name failed (exit $rc); reproducers are in $artifacts"
    status=$rc
  fi
}

# qasm_fuzz: QASMBench, and seeds for what QASMBench hardly uses: opaque, nested parameterized gates,
# broadcasting, expressions.
mkdir -p "$work/qasm_fuzz-corpus"
if compgen -G "$shared/data/qasmbench/*/*.qasm" >/dev/null; then
  cp "$shared"/data/qasmbench/*/*.qasm "$work/qasm_fuzz-corpus"/
else
  echo "run.sh: no QASMBench circuits under $shared/data/qasmbench; starting from the built-in seeds only"
fi
cat >"$work/qasm_fuzz-corpus/seed_gates.qasm" <<'QASM'
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
cat >"$work/qasm_fuzz.dict" <<'DICT'
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
run_fuzzer qasm_fuzz 8192

# csv_fuzz: the first byte of an input picks the options (see csv_fuzz.cpp), the rest is the file.
mkdir -p "$work/csv_fuzz-corpus"
cd "$work/csv_fuzz-corpus"
printf '\x08\xef\xbb\xbfid,"x 1",color,y\r\n1,0.5,red,a\r\n2,-1e3,"blue, dark",b\r\n\r\n3,+.25,red,a\r\n' >comma.csv
printf '\x0cx;c;y\n1,5;NA;"p;q"\n2;green;q\n?;"say ""hi""\nthere";p\n' >semicolon.csv
printf '\x3fy\ta\tid\n-1\tinf\t1\n1\t1e999\t2\n1\tnan\t3\n' >tab.csv
printf '\x1ca,b,c\n1,x,\n2,,z\n' >predict.csv
cd "$root"
cat >"$work/csv_fuzz.dict" <<'DICT'
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
run_fuzzer csv_fuzz 4096

# problem_fuzz: the first byte picks the reader (problem_fuzz.cpp: its value mod 6 is gset, bqp, a later bqp
# problem, COO as QUBO, COO as Ising, QIO JSON), the rest is the file.
mkdir -p "$work/problem_fuzz-corpus"
cd "$work/problem_fuzz-corpus"
printf '\x00# a small Gset graph\n5 6\n1 2 1\n1 3 -1\n2 3 2.5\n3 4 1e-3\n4 5 1\n2 1 1\n' >gset.txt
printf '\x012\n3 4\n1 1 -2\n1 2 3\n2 1 3\n3 3 0.5\n2 2\n1 2 -1\n2 1 -1\n' >bqp.txt
printf '\x022\n2 1\n1 2 4\n3 3\n1 1 1\n2 3 -2\n3 1 0.25\n' >bqp_second.txt
printf '\x03# hqml qubo model, 3 variables\n# offset: 1.5\n0 0 -1\n1 1 2\n0 2 0.5\n2 0 0.5\n1 2 -3e2 %% note\n' >coo.txt
printf '\x040 1 1\n1 2 -1\n2 2 0.25\n' >coo_spin.txt
printf '\x05{"cost_function": {"version": "1.0", "type": "ising", "terms": [{"c": 2.5, "ids": [0, 1]}, {"c": -1, "ids": [7]}, {"c": 3, "ids": []}, {"c": 1, "ids": [1, 1]}]}}\n' >qio_ising.json
printf '\x05{"cost_function": {"version": "1.1", "type": "pubo", "terms": [{"c": 1, "ids": [3, 3]}, {"c": -2, "ids": [3, 9]}], "terms_slc": [{"c": 2, "terms": [{"c": 1, "ids": [3]}, {"c": -1, "ids": [9]}, {"c": 0.5, "ids": []}]}]}}\n' >qio_pubo.json
cd "$root"
cat >"$work/problem_fuzz.dict" <<'DICT'
"\x0a"
"#"
"%"
"1e308"
"-0.5"
"67108864"
"67108863"
"4294967296"
"{\"cost_function\": {"
"\"version\": \"1.0\""
"\"version\": \"1.1\""
"\"type\": \"ising\""
"\"type\": \"pubo\""
"\"terms\": ["
"\"terms_slc\": ["
"{\"c\": 1, \"ids\": [0, 1]}"
"\"c\":"
"\"ids\":"
"\\u00e9"
"9007199254740993"
DICT
run_fuzzer problem_fuzz 4096

# pauli_fuzz: the line format (Qiskit labels, sparse X0 Z3, OpenFermion [X0 Z3] +, Python complex numbers)
# and JSON.
mkdir -p "$work/pauli_fuzz-corpus"
cd "$work/pauli_fuzz-corpus"
printf '# H2, STO-3G\n-0.8105 IIII\n0.1721 IIIZ %% comment\n(0.12+0j) XXYY\n-0.2228 ZZII\n' >labels.txt
printf '0.1721 Z0 Z1\n-0.5 X3\n1 I\n(1e-3-0j) Y2 X0\n' >sparse.txt
printf '0.0453 [X0 Y1 Y2 X3] +\n-0.25 [] +\n0.5 [Z0\tZ1]\n1 [Z5 ]\n' >openfermion.txt
printf '[["IZ", 0.39], ["XX", [0.18, 0.0]], ["ZI", -1e-2]]\n' >list.json
printf '{"num_qubits": 3, "terms": [["XYZ", 1], ["III", [2, 1e-15]]]}\n' >object.json
cd "$root"
cat >"$work/pauli_fuzz.dict" <<'DICT'
"IXYZ"
"X0"
"Y63"
"Z64"
"[X0 Y1]"
"[]"
"\xef\xbb\xbf"
" +"
"(0.5+0j)"
"(1-2j)"
"1e-3j"
"\"num_qubits\":"
"\"terms\":"
"[\"XZ\", 0.5]"
"[0.5, 0]"
DICT
run_fuzzer pauli_fuzz 4096

# model_fuzz: its first byte picks .npy (0) or how a model directory is loaded (1-3, model_fuzz.cpp); the
# fuzzer itself writes the seeds, as the library writes models.
mkdir -p "$work/model_fuzz-corpus"
if ! HQML_MODEL_FUZZ_SEEDS="$work/model_fuzz-corpus" TMPDIR="$work" "$build/tests/fuzz/model_fuzz"; then
  echo "run.sh: model_fuzz could not write its seeds (a model saved by the library that does not load?)"
  status=1
fi
cat >"$work/model_fuzz.dict" <<'DICT'
"\x0a@@ "
"\x93NUMPY\x01\x00"
"\x93NUMPY\x02\x00"
"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
"'descr':"
"'<f8'"
"'>f4'"
"'<i8'"
"'|u1'"
"'<c16'"
"'fortran_order': True"
"(4294967296, 4294967296)"
"(2305843009213693952,)"
"\"format_version\": 1"
"\"kind\": \"hqml-quantum-kernel-svc\""
"\"arrays\": {"
"\"file\":"
"\"dtype\":"
"\"shape\":"
"\"crc32\":"
"\"support_x\""
"\"svc.dual_coef\""
"\"svc.support\""
"\"feature_map\":"
"\"preprocessing\":"
"\"steps\":"
"\"impute_median\""
"\"kernel\":"
"\"theta\":"
"\"inputs\":"
DICT
run_fuzzer model_fuzz 16384

# serve_request_fuzz: the first byte picks the model (serve_request_fuzz.cpp: low 3 bits + 1 features, 0x08
# missing values allowed, 0x10 column names a, b, c..., 0x20 small limits), the rest is the body.
mkdir -p "$work/serve_request_fuzz-corpus"
cd "$work/serve_request_fuzz-corpus"
printf '\x02{"data": [[1, 2.5, -3e2], [0, 1E-3, 18446744073709551616]]}' >aml_data.json
printf '\x1a{"input_data": {"columns": ["c", "a", "b"], "index": [0, "r", [1, {"k": null}]], "data": [[1, 2, 3], [4, null, 6], [7, 8, 9]]}}' >aml_split.json
printf '\x12{"input_data": {"data": [[1, 2, 3]], "columns": ["b", "c", "a"]}}' >aml_split_reordered.json
printf '\x02{"input_data": [[1, 2, 3], [4, 5, 6]]}' >aml_tensor.json
printf '\x03{"id":"1","inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","data":[0.1,-1.5,2.0,3.25,4.0,1e-05,6.0,7.0]}],"outputs":[{"name":"predictions","parameters":{"binary_data":false}},{"name":"probabilities","parameters":{"binary_data":false}}]}' >v2_tritonclient.json
printf '\x0a{"inputs": [{"data": [[1, null, 3], [4, 5, 6]], "datatype": "FP32", "shape": [2, 3], "name": "in"}], "parameters": {"binary_data_output": false}}' >v2_nested.json
printf '\x02{"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [7, 8, 9]}], "outputs": [{"name": "served_by"}]}' >v2_one_row.json
printf '\x22{"data": [[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1e400, 3]]}' >aml_limits.json
cd "$root"
cat >"$work/serve_request_fuzz.dict" <<'DICT'
"{\"data\": "
"{\"input_data\": "
"\"columns\":"
"\"index\":"
"\"data\":"
"\"inputs\":"
"\"outputs\":"
"\"parameters\":"
"\"id\":"
"\"name\":"
"\"shape\":"
"\"datatype\":"
"\"FP64\""
"\"FP32\""
"\"BYTES\""
"\"binary_data\": false"
"\"binary_data\": true"
"\"binary_data_output\":"
"\"binary_data_size\":"
"\"shared_memory_region\":"
"\"classification\":"
"\"predictions\""
"\"probabilities\""
"\"served_by\""
"[[1, 2, 3]]"
"null"
"true"
"NaN"
"-Infinity"
"1e400"
"-0.0"
"5e-324"
"18446744073709551616"
"\\u0000"
"\\ud800"
DICT
run_fuzzer serve_request_fuzz 65536

# cli_fuzz: arguments separated by NUL bytes, a realistic command line per subcommand.
if [[ " ${fuzzers[*]} " == *" cli_fuzz "* ]]; then
  mkdir -p "$work/cli_fuzz-corpus"
  seed() {  # seed FILE ARG...: the arguments joined by NUL bytes
    local file=$1
    shift
    printf '%s' "$1" >"$work/cli_fuzz-corpus/$file"
    shift
    for arg in "$@"; do printf '\0%s' "$arg" >>"$work/cli_fuzz-corpus/$file"; done
  }
  seed run run --data iris.csv --label species --out out --features a b --drop id --sep ';' --na median \
    --na-values NA '?' --text one-hot --pos-label yes --feature-map pauli --qubits 4 --reps 2 --entanglement full \
    --alpha 1.5 --paulis Z ZZ --test-fraction 0.25 --seed 7 --folds 3 --threads 2 --C 0.1 1 10 \
    --feature-scales 0.5 1 --grid-extensions 2 --no-assess --device cpu --json
  seed simulate simulate circuit.qasm --shots 1024 --seed 3 --threads 1 --precision float --statevector --json \
    --no-fusion --device cpu
  seed kernel kernel --train train.csv --test test.csv --label 0 --out k.npy --features x y --drop id --sep tab \
    --na refuse --text refuse --feature-map zz --qubits 2 --reps 1 --entanglement linear --alpha 2 --kernel projected \
    --gamma 0.5 --threads 0 --precision double --device cpu
  seed train train --train train.csv --label y --out model --trainable --train-kernel spsa --train-kernel-iters 10 \
    --train-kernel-objective svc --seed 1 --C 2 --feature-scale 0.5 --feature-map angle_ladder --reps 3 --threads 2
  seed predict predict --model model --data new.csv --label y --out predictions.csv --threads 1
  seed assess assess --train data.csv --label=class --gamma 0.1 --lambda 1e-3 --feature-scale 2 --paulis X YY \
    --threads 2 --json
  seed tune tune --data data.csv --label 1 --qubits 3 --budget 10 --folds 4 --seed 5 --threads 0 --json
  seed anneal anneal G14.txt --format gset --solver pt --reads 20 --sweeps 500 --seed 11 --threads 2 \
    --time-limit 1.5 --target -100 --schedule linear --rule gibbs --order random --replicas 8 --layers 2 --greedy \
    --device cpu --json
  seed vqe vqe h2.txt --model heisenberg --sites 4 --coupling 0.5 --field 1 --periodic --ansatz efficient_su2 \
    --reps 2 --entanglement circular --initial-state 0101 --initial-point theta.json --optimizer adam \
    --iterations 100 --learning-rate 0.01 --starts 3 --seed 2 --precision float --exact yes --offset 0.7 \
    --threads 1 --output vqe.json --save-circuit vqe.qasm --json
  seed help vqe --help
  seed version --version
  {
    for word in run simulate kernel train predict assess tune anneal vqe; do printf '"%s"\n' "$word"; done
    for opt in help version data label out features drop sep na na-values text pos-label feature-map qubits reps \
      entanglement alpha paulis test-fraction seed folds threads C feature-scales grid-extensions no-assess device \
      json shots precision statevector no-fusion train test kernel gamma trainable train-kernel train-kernel-iters \
      train-kernel-objective feature-scale model lambda budget format solver reads sweeps time-limit target \
      schedule rule order replicas layers greedy sites coupling field periodic ansatz initial-state initial-point \
      optimizer iterations learning-rate starts exact offset output save-circuit; do
      printf '"\\x00--%s"\n' "$opt"
    done
    for value in -h -- = -1 0 nan inf -inf 1e999 0x10 1e3 18446744073709551616 4097 float double gpu; do
      printf '"\\x00%s"\n' "$value"
    done
  } >"$work/cli_fuzz.dict"
  run_fuzzer cli_fuzz 1024
fi
exit "$status"
