#!/usr/bin/env bash
# End-to-end checks of the hqml program: cli_test.sh HQML_BINARY SHARED_DIR CASE
set -euo pipefail
hqml=$1 shared=$2 case=$3
# shellcheck source=../common/cli_helpers.sh
source "$(dirname "$0")/../common/cli_helpers.sh"

case $case in
simulate_demo)
  "$hqml" simulate --json --statevector --shots 2000 --seed 5 >"$work/out.json"
  [ "$(json "$work/out.json" "sorted(d['counts'])")" = "['0000', '1111']" ] || fail "GHZ counts"
  [ "$(json "$work/out.json" "sum(d['counts'].values())")" = 2000 ] || fail "shot total"
  [ "$(json "$work/out.json" "round(d['statevector'][15][0]**2, 6)")" = 0.5 ] || fail "amplitude of |1111>"
  a=$("$hqml" simulate --json --shots 2000 --seed 5 --threads 1 | python3 -c "import json,sys; print(json.load(sys.stdin)['counts'])")
  b=$("$hqml" simulate --json --shots 2000 --seed 5 --threads 2 | python3 -c "import json,sys; print(json.load(sys.stdin)['counts'])")
  [ "$a" = "$b" ] || fail "counts differ between 1 and 2 threads"
  ;;
simulate_bitorder)
  # x on qubit 0 only: classical bit 0 is the rightmost character; amplitude 1 sits at index 1.
  printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nx q[0];\nmeasure q -> c;\n' >"$work/x0.qasm"
  "$hqml" simulate "$work/x0.qasm" --json --statevector --shots 10 >"$work/out.json"
  [ "$(json "$work/out.json" "list(d['counts'])")" = "['001']" ] || fail "bit order of counts"
  [ "$(json "$work/out.json" "d['statevector'][1]")" = "[1.0, 0.0]" ] || fail "statevector index order"
  "$hqml" simulate "$work/x0.qasm" --precision float --json --shots 10 | grep -q '"001":10' || fail "float precision"
  ;;
simulate_bad_file)
  printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[7];\n' >"$work/bad.qasm"
  set +e
  "$hqml" simulate "$work/bad.qasm" 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "exit code $rc, expected 2"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "error is not one line"
  grep -q "bad.qasm:5:" "$work/err" || fail "no file:line in: $(cat "$work/err")"
  set +e
  "$hqml" simulate "$work/missing.qasm" 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "missing file: exit code $rc"
  grep -q "missing.qasm" "$work/err" || fail "missing file not named"
  ;;
simulate_device)
  # On a GPU: the GHZ demo's outcomes and final state as on the CPU. Elsewhere: the reason, exit 2.
  "$hqml" simulate --json --statevector --shots 2000 --seed 5 >"$work/cpu.json"
  [ "$(json "$work/cpu.json" "d['device']")" = cpu ] || fail "the output does not say it ran on the cpu"
  failing "$hqml" simulate --json --statevector --shots 2000 --seed 5 --device gpu >"$work/gpu.json"
  if [ $rc -eq 0 ]; then
    case "$(json "$work/gpu.json" "d['device']")" in gpu*) ;; *) fail "--device gpu ran, but the output says otherwise" ;; esac
    [ "$(json "$work/gpu.json" "sorted(d['counts'])")" = "['0000', '1111']" ] || fail "GPU GHZ outcomes"
    [ "$(json "$work/gpu.json" "sum(d['counts'].values())")" = 2000 ] || fail "GPU shot total"
    [ "$(json "$work/gpu.json" "max(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(d['statevector'], json.load(open('$work/cpu.json'))['statevector'])) < 1e-12")" = True ] ||
      fail "GPU and CPU final states differ"
  else
    [ $rc -eq 2 ] || fail "--device gpu without a usable GPU: exit code $rc, expected 2"
    grep -q -- "--device gpu: " "$work/err" || fail "no reason given: $(cat "$work/err")"
  fi
  ;;
simulate_qasmbench)
  f="$shared/data/qasmbench/small/adder_n4.qasm"
  [ -f "$f" ] || { echo "SKIP: $f absent"; exit 77; }  # ctest reports it skipped
  "$hqml" simulate "$f" --json --shots 100 >"$work/out.json"
  [ "$(json "$work/out.json" "d['counts']")" = "{'1001': 100}" ] || fail "adder_n4 result"
  ;;
run_pipeline)
  "$hqml" run --out "$work/run" --seed 1 --folds 3 >"$work/stdout"
  for f in model/model.json metrics.json report.html; do [ -s "$work/run/$f" ] || fail "missing $f"; done
  [ "$(json "$work/run/metrics.json" "d['quantum']['test_accuracy']")" = 1.0 ] || fail "quantum accuracy on ad hoc data"
  json "$work/run/metrics.json" "d['classical']['test_accuracy']" >/dev/null || fail "classical accuracy missing"
  grep -q "<svg" "$work/run/report.html" || fail "report has no SVG"
  ls -a "$work/run" | grep -q "tmp" && fail "temporary file left behind"
  # predict with the saved model on a CSV of the same kind of data
  "$hqml" run --out "$work/run2" --json --seed 1 --folds 3 | python3 -c "import json,sys; assert json.load(sys.stdin)['format_version'] == 2"
  # The same data and seed give the same metrics.json, byte for byte; timings live apart.
  cmp -s "$work/run/metrics.json" "$work/run2/metrics.json" || fail "metrics.json differs between identical runs"
  [ -s "$work/run/timings.json" ] || fail "missing timings.json"
  for k in "['baselines']['logistic_regression']['test_accuracy']" "['baselines']['majority']['test_accuracy']" \
    "['comparisons'][0]['mcnemar']['p_value']" "['verdict']['summary']" "['split']['test_rows']"; do
    json "$work/run/metrics.json" "d$k" >/dev/null || fail "metrics.json lacks $k"
  done
  # The summary fits an 80-column terminal (the verdict paragraph is wrapped).
  # (The output folder's path is the user's: its line is left out.)
  awk 'length > 80 && !/^wrote / {exit 1}' "$work/stdout" ||
    fail "run's output has lines over 80 columns: $(awk 'length > 80' "$work/stdout")"
  grep -q "^verdict   " "$work/stdout" || fail "run prints no verdict"
  ;;
device)
  # --device cpu is the default and is reported; --device gpu runs where a GPU is, else fails with the reason
  # and writes nothing.
  "$hqml" run --out "$work/cpu" --seed 1 --folds 3 --json >"$work/cpu.json"
  [ "$(json "$work/cpu.json" "d['device']")" = cpu ] || fail "metrics.json does not say the kernels ran on the cpu"
  grep -q "quantum kernels on cpu" "$work/cpu/report.html" || fail "the report does not say where the kernels ran"
  set +e
  "$hqml" run --out "$work/gpu" --seed 1 --folds 3 --device gpu --json >"$work/gpu.json" 2>"$work/err"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    case "$(json "$work/gpu.json" "d['device']")" in gpu*) ;; *) fail "--device gpu ran, but metrics.json says otherwise" ;; esac
    for k in test_accuracy balanced_accuracy; do
      [ "$(json "$work/gpu.json" "d['quantum']['$k']")" = "$(json "$work/cpu.json" "d['quantum']['$k']")" ] ||
        fail "quantum $k differs between the GPU and the CPU"
    done
  else
    [ $rc -eq 2 ] || fail "--device gpu without a usable GPU: exit code $rc, expected 2"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "error is not one line: $(cat "$work/err")"
    grep -q -- "--device gpu: " "$work/err" || fail "no reason given: $(cat "$work/err")"
    [ ! -e "$work/gpu" ] || fail "a refused run created its output directory"
  fi
  printf 'a,b\n0.1,0.2\n0.3,0.4\n' >"$work/x.csv"
  set +e
  "$hqml" kernel --train "$work/x.csv" --out "$work/k.npy" --kernel projected --device gpu 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "projected kernel on the GPU: exit code $rc, expected 2"
  grep -q "projected runs on the CPU" "$work/err" || fail "projected kernel on the GPU: $(cat "$work/err")"
  [ ! -e "$work/k.npy" ] || fail "a refused kernel wrote its file"
  "$hqml" kernel --train "$work/x.csv" --out "$work/k.npy" --device cpu 2>"$work/err"
  grep -q "on cpu" "$work/err" || fail "hqml kernel does not say where it ran: $(cat "$work/err")"
  ;;
anneal_device)
  f="$shared/data/gset/G14.txt"
  [ -f "$f" ] || { echo "SKIP: $f absent"; exit 77; }
  # What the GPU annealer does not do is refused on any machine, before a device is touched.
  for bad in "--solver tabu" "--greedy" "--time-limit 1" "--order random"; do
    set +e
    # shellcheck disable=SC2086
    "$hqml" anneal "$f" --device gpu $bad 2>"$work/err"
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "--device gpu $bad: exit code $rc, expected 2"
    grep -q -- "--device gpu" "$work/err" || fail "--device gpu $bad: $(cat "$work/err")"
  done
  set +e
  "$hqml" anneal "$f" --device gpu --reads 64 --sweeps 1000 --seed 3 --json >"$work/gpu.json" 2>"$work/err"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    case "$(json "$work/gpu.json" "d['device']")" in gpu*) ;; *) fail "--device gpu ran, but the output says otherwise" ;; esac
    [ "$(json "$work/gpu.json" "d['num_reads']")" = 64 ] || fail "not one sample per read"
    [ "$(json "$work/gpu.json" "d['best_cut'] >= 0.98 * 3064")" = True ] || fail "GPU cut on G14 below 98% of the best known"
  else
    [ $rc -eq 2 ] || fail "--device gpu without a usable GPU: exit code $rc, expected 2"
    grep -q -- "--device gpu: " "$work/err" || fail "no reason given: $(cat "$work/err")"
  fi
  ;;
stages)
  python3 - "$work" <<'PY'
import random, sys
random.seed(4)
with open(sys.argv[1] + "/train.csv", "w") as f:
    f.write("x0,x1,x2,y\n")
    for i in range(60):
        c = i % 2
        f.write(",".join(f"{random.gauss(1.2 if c else -1.2, 0.8):.6f}" for _ in range(3)) + f",{'yes' if c else 'no'}\n")
with open(sys.argv[1] + "/bad.csv", "w") as f:
    f.write("x0,x1,x2,y\n1,2,3,yes\n4,oops,6,no\n")
PY
  "$hqml" kernel --train "$work/train.csv" --label y --feature-map zz --reps 2 --entanglement linear --out "$work/K.npy" 2>/dev/null
  python3 -c "
import struct
b = open('$work/K.npy','rb').read()
assert b[:6] == b'\x93NUMPY', 'not an npy file'
hl = struct.unpack('<H', b[8:10])[0]
h = b[10:10+hl].decode()
assert \"'shape': (60, 60)\" in h and '<f8' in h, h
" || fail "kernel npy"
  "$hqml" train --train "$work/train.csv" --label y --qubits 2 --reps 1 --out "$work/model" >/dev/null
  "$hqml" predict --model "$work/model" --data "$work/train.csv" --label y --out "$work/pred.csv" 2>"$work/acc"
  [ "$(head -1 "$work/pred.csv")" = "row,prediction,decision(no),p(no),p(yes)" ] ||
    fail "predictions header: $(head -1 "$work/pred.csv")"
  # train --out never replaces a folder the program did not write: a project folder is refused, untouched.
  mkdir -p "$work/project"
  cp "$work/train.csv" "$work/project/"
  set +e
  "$hqml" train --train "$work/train.csv" --label y --qubits 2 --reps 1 --out "$work/project" >/dev/null 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "train --out over a project folder: exit code $rc, expected 2"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "train --out over a project folder: not one line: $(cat "$work/err")"
  cmp -s "$work/train.csv" "$work/project/train.csv" || fail "train --out replaced a folder it did not write"
  "$hqml" train --train "$work/train.csv" --label y --qubits 2 --reps 1 --out "$work/model" >/dev/null ||
    fail "train --out over its own earlier model"
  [ "$(wc -l <"$work/pred.csv")" -eq 61 ] || fail "prediction rows"
  grep -q "accuracy" "$work/acc" || fail "no accuracy"
  "$hqml" assess --train "$work/train.csv" --label y --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['geometric_difference'] > 0 and d['verdict']"
  set +e
  "$hqml" train --train "$work/bad.csv" --label y --out "$work/m2" 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "bad CSV exit code $rc"
  grep -q "bad.csv:3:" "$work/err" || fail "bad CSV error lacks line: $(cat "$work/err")"
  [ ! -e "$work/m2" ] || fail "a model was written from bad data"
  ;;
train_kernel)
  python3 - "$work" <<'PY'
import math, random, sys
random.seed(7)
with open(sys.argv[1] + "/train.csv", "w") as f:
    f.write("x0,x1,y\n")
    for i in range(40):
        c = i % 2
        r = random.uniform(0.0, 1.0) if c else random.uniform(1.5, 2.5)
        a = random.uniform(0, 2 * math.pi)
        f.write(f"{r * math.cos(a):.6f},{r * math.sin(a):.6f},{'in' if c else 'out'}\n")
PY
  t="$work/train.csv"
  set +e
  "$hqml" train --train "$t" --label y --train-kernel spsa --out "$work/m0" 2>"$work/err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "--train-kernel without --trainable: exit code $rc"
  grep -q -- "--trainable" "$work/err" || fail "error does not name --trainable: $(cat "$work/err")"
  # Untrained, theta = 0 makes the trainable layer the identity: the same decisions as the plain map.
  "$hqml" train --train "$t" --label y --out "$work/plain" >/dev/null
  "$hqml" train --train "$t" --label y --trainable --out "$work/zero" >/dev/null
  [ "$(json "$work/zero/model.json" "d['kernel']['theta']")" = "[0.0, 0.0]" ] || fail "untrained theta"
  [ "$(json "$work/zero/model.json" "d['feature_map']['trainable']")" = True ] || fail "trainable flag not saved"
  "$hqml" predict --model "$work/plain" --data "$t" --label y --out "$work/plain.csv" 2>/dev/null
  "$hqml" predict --model "$work/zero" --data "$t" --label y --out "$work/zero.csv" 2>/dev/null
  cmp -s "$work/plain.csv" "$work/zero.csv" || fail "theta = 0 changed the predictions"
  "$hqml" train --train "$t" --label y --trainable --train-kernel spsa --train-kernel-iters 10 --seed 3 \
    --out "$work/spsa" >"$work/out"
  grep -q "kernel training (spsa, alignment): loss" "$work/out" || fail "no training report: $(cat "$work/out")"
  python3 - "$work/out" <<'PY' || fail "SPSA did not lower the loss"
import re, sys
m = re.search(r"loss (\S+) -> (\S+) in 10 iterations, 81 kernel evaluations", open(sys.argv[1]).read())
assert m and float(m.group(2)) < float(m.group(1)), open(sys.argv[1]).read()
PY
  json "$work/spsa/model.json" "[abs(v) > 0 for v in d['kernel']['theta']] == [True, True] or exit(1)" >/dev/null \
    || fail "trained theta missing or zero"
  "$hqml" predict --model "$work/spsa" --data "$t" --label y --out "$work/spsa.csv" 2>/dev/null
  # The same SVM with another theta in the model file must predict differently: predict reads theta.
  cp -r "$work/spsa" "$work/moved"
  python3 -c "
import json; p='$work/moved/model.json'; d=json.load(open(p)); d['kernel']['theta'] = [1.0, -1.0]; json.dump(d, open(p,'w'))"
  "$hqml" predict --model "$work/moved" --data "$t" --label y --out "$work/moved.csv" 2>/dev/null
  cmp -s "$work/moved.csv" "$work/spsa.csv" && fail "predict ignores the model's theta"
  "$hqml" train --train "$t" --label y --trainable --train-kernel gradient --train-kernel-objective svc \
    --train-kernel-iters 3 --out "$work/svc" | grep -q "kernel training (gradient, svc)" || fail "gradient/svc run"
  # A model without theta for its trainable map is refused; one from before trainable maps still loads.
  python3 -c "
import json; p='$work/spsa/model.json'; d=json.load(open(p)); del d['kernel']['theta']; json.dump(d, open(p,'w'))"
  set +e
  "$hqml" predict --model "$work/spsa" --data "$t" --label y 2>"$work/err" >/dev/null
  rc=$?
  set -e
  [ $rc -ne 0 ] && grep -q "kernel.theta has 0 values" "$work/err" || fail "model without theta: rc $rc, $(cat "$work/err")"
  python3 -c "
import json; p='$work/plain/model.json'; d=json.load(open(p)); del d['feature_map']['trainable']; json.dump(d, open(p,'w'))"
  "$hqml" predict --model "$work/plain" --data "$t" --label y --out "$work/old.csv" 2>/dev/null
  cmp -s "$work/plain.csv" "$work/old.csv" || fail "a model without the trainable key predicts differently"
  ;;
tune)
  "$hqml" tune --budget 8 --folds 3 --seed 2 --json >"$work/tune.json"
  python3 - "$work/tune.json" <<'PY' || fail "tune output"
import json, sys
d = json.load(open(sys.argv[1]))
for m in ("fmqa", "random", "grid"):
    b = d[m]["best_so_far"]
    assert len(b) == 8, (m, len(b))
    assert all(x <= y for x, y in zip(b, b[1:])), (m, b)  # best so far never decreases
    assert 0.0 <= d[m]["best_score"] <= 1.0 and d[m]["best_score"] == b[-1]
    assert d[m]["best"]["entanglement"] in ("linear", "full", "circular")
PY
  ;;
hostile_sizes)
  # States whose byte count 2^n * sizeof(amplitude) overflows (60 qubits and up in double, 61 in float) wrapped to
  # a 0-byte buffer that was then written: a crash. Now each is refused before anything is allocated: exit 2, one
  # line naming the input, nothing written. Each run is bounded in time; a crash would show as exit 128 and up.
  cd "$work"
  printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[60];\nh q[0];\n' >q60.qasm
  sed 's/q\[60\]/q[61]/' q60.qasm >q61.qasm
  sed 's/q\[60\]/q[62]/' q60.qasm >q62.qasm
  { echo "60 59"; for i in $(seq 1 59); do echo "$i $((i + 1)) 1"; done; } >chain60.gset
  ls >before
  refused 2 "hqml: q60.qasm: cannot allocate a state vector of 60 qubits: 2^60 amplitudes of 16 bytes (16 EiB); the limit is " \
    "$hqml" simulate q60.qasm
  refused 2 "q62.qasm: cannot allocate a state vector of 62 qubits: 2^62 amplitudes of 16 bytes (64 EiB)" \
    "$hqml" simulate q62.qasm --statevector
  refused 2 "q61.qasm: cannot allocate a state vector of 61 qubits: 2^61 amplitudes of 8 bytes (16 EiB)" \
    "$hqml" simulate q61.qasm --precision float
  refused 2 "q62.qasm: cannot allocate a state vector of 62 qubits" "$hqml" simulate q62.qasm --precision float
  # 2^63 bytes are countable: the memory check refuses them, now with the same exit code and the input named.
  refused 2 "q60.qasm: cannot allocate a state vector of 60 qubits" "$hqml" simulate q60.qasm --precision float
  refused 2 "hqml: --sites 60: cannot allocate a state vector of 60 qubits: 2^60 amplitudes of 16 bytes (16 EiB)" \
    "$hqml" vqe --sites 60 --exact no --output vqe.json --save-circuit vqe.qasm
  refused 2 "--sites 61: cannot allocate a state vector of 61 qubits: 2^61 amplitudes of 8 bytes (16 EiB)" \
    "$hqml" vqe --sites 61 --exact no --precision float --optimizer spsa --output vqe.json
  refused 2 "--sites 62: cannot allocate a state vector of 62 qubits" "$hqml" vqe --sites 62 --exact yes --json
  refused 2 "hqml: chain60.gset (--solver qaoa): cannot allocate a state vector of 60 qubits: 2^60 amplitudes" \
    "$hqml" anneal chain60.gset --solver qaoa
  refused 2 "chain60.gset (--solver qaoa): cannot allocate a state vector of 60 qubits" \
    "$hqml" anneal chain60.gset --solver qaoa --json
  # --threads is bounded as in the other subcommands, by CLI11's range check: a bad option is bad input (exit
  # 2), one line naming the option.
  refused 2 "--threads: Value 100000 not in range 0 to 4096" "$hqml" anneal chain60.gset --threads 100000
  refused 2 "--threads: Value 100000 not in range 0 to 4096" "$hqml" vqe --sites 4 --threads 100000 --output vqe.json
  refused 2 "--threads: Value -1 not in range 0 to 4096" "$hqml" vqe --sites 4 --threads -1
  # Thread counts in range still run.
  "$hqml" vqe --sites 4 --reps 1 --threads 2 --json >out || fail "vqe --threads 2 failed"
  [ "$(json out "d['num_qubits']")" = 4 ] || fail "vqe ran on $(json out "d['num_qubits']") qubits"
  "$hqml" anneal chain60.gset --reads 2 --sweeps 10 --threads 2 --json >out || fail "anneal --threads 2 failed"
  [ "$(json out "d['num_variables']")" = 60 ] || fail "anneal read $(json out "d['num_variables']") variables"
  # Output that cannot be written is a failure (exit 1), not a silent success.
  if [ -w /dev/full ]; then
    for sub in "simulate --json" "anneal chain60.gset --reads 2 --sweeps 10 --json" "vqe --sites 3 --reps 1 --json"; do
      set +e
      # shellcheck disable=SC2086
      "$hqml" $sub >/dev/full 2>err
      rc=$?
      set -e
      [ $rc -eq 1 ] || fail "$sub > /dev/full: exit code $rc, expected 1"
      grep -q "cannot write" err || fail "$sub > /dev/full: $(cat err)"
    done
  fi
  # An output path that is a device node or a FIFO is written in place, never replaced by a regular file
  # (a node of the null device made here, so /dev/null itself is never at stake).
  if mknod nulldev c 1 3 2>/dev/null; then
    "$hqml" vqe --sites 3 --reps 1 --output nulldev >/dev/null || fail "vqe --output to a device node failed"
    [ -c nulldev ] || fail "vqe --output replaced a device node with a regular file"
  fi
  mkfifo fifo
  (cat fifo >fifo.out) &
  "$hqml" vqe --sites 3 --reps 1 --output fifo >/dev/null || fail "vqe --output to a FIFO failed"
  wait
  [ -p fifo ] || fail "vqe --output replaced a FIFO with a regular file"
  json fifo.out "d['num_qubits']" >/dev/null || fail "nothing came through the FIFO"
  ;;
*) fail "unknown case $case" ;;
esac
echo "ok: $case"
