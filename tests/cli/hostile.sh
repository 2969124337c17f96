#!/usr/bin/env bash
# Hostile input to the hqml program, one group of cases per kind of failure (issue 20):
#   hostile.sh HQML_BINARY GROUP      GROUP: crashes data_loss garbage resources messages
# Every refused case must exit with the documented code (2: bad input, 1: the work failed), print exactly
# one line on stderr that starts with "hqml: " and names the cause, print nothing on stdout, and leave every
# file in the scratch folder as it was (no new file, no changed byte). Each command is bounded in time: a
# hang shows as exit 124, a crash as 128 and up.
set -euo pipefail
hqml=$1 case=$2
# shellcheck source=../common/cli_helpers.sh
source "$(dirname "$0")/../common/cli_helpers.sh"
cd "$work"

# A small two-class data set, a model trained on it and a project folder that must never be touched.
python3 - <<'PY'
import random
random.seed(3)
with open("data.csv", "w") as f:
    f.write("x0,x1,label\n")
    for i in range(24):
        c = i % 2
        f.write(f"{random.gauss(1 if c else -1, 0.7):.5f},{random.gauss(1 if c else -1, 0.7):.5f},{'b' if c else 'a'}\n")
PY
"$hqml" train --train data.csv --qubits 2 --reps 1 --out model >/dev/null
mkdir project
printf 'notes\n' >project/notes.txt
cp data.csv project/
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n' >bell.qasm
{ echo "4 4"; echo "1 2 1"; echo "2 3 1"; echo "3 4 1"; echo "4 1 1"; } >ring.gset

snapshot() { find . -path ./out -prune -o -path ./err -prune -o -path ./.before -prune -o -type f -print0 | sort -z | xargs -0 sha1sum; }
snapshot >"$work/.before"
unchanged() { snapshot | cmp -s - "$work/.before" || fail "$1: files changed: $(snapshot | diff - "$work/.before" | head -5)"; }

# refused RC PATTERN ARGS...: exit RC, one stderr line "hqml: ..." containing PATTERN, no stdout, no file changed.
refused() {
  local want=$1 pattern=$2
  shift 2
  set +e
  timeout 120 "$hqml" "$@" >out 2>err
  local rc=$?
  set -e
  local what="hqml $(printf '%q ' "$@" | cut -c1-120)"
  [ $rc -eq "$want" ] || fail "$what: exit code $rc, expected $want: $(head -c 400 err)"
  [ "$(wc -l <err)" -eq 1 ] || fail "$what: stderr is not one line: $(head -c 600 err)"
  grep -q "^hqml: " err || fail "$what: no 'hqml: ' prefix: $(cat err)"
  grep -q "^hqml: hqml" err && fail "$what: doubled prefix: $(cat err)"
  grep -qF -- "$pattern" err || fail "$what: '$pattern' not in: $(cat err)"
  [ ! -s out ] || fail "$what: wrote to stdout: $(head -c 300 out)"
  unchanged "$what"
}

case $case in
crashes)
  # Sizes whose byte counts overflow, thread counts past any machine, NaN in grids: refused, never a crash.
  printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[62];\nh q[0];\n' >q62.qasm
  snapshot >"$work/.before"
  refused 2 "q62.qasm: cannot allocate a state vector of 62 qubits" simulate q62.qasm
  refused 2 "--sites 62: cannot allocate a state vector of 62 qubits" vqe --sites 62 --exact no
  refused 2 "--threads: Value 100000 not in range" anneal ring.gset --threads 100000
  refused 2 "--threads: Value 100000 not in range" vqe --sites 2 --threads 100000
  refused 2 "--feature-scales: 'nan' is not a finite number > 0" run --data data.csv --out r --feature-scales nan
  refused 2 "--C: '-1' is not a finite number > 0" run --data data.csv --out r --C 1 -1
  ;;
data_loss)
  # Outputs never replace what the program did not write, and are checked before any computation.
  refused 2 "refusing to write a model over a non-empty directory that is not an hqml model" \
    train --train data.csv --qubits 2 --reps 1 --out project
  refused 2 "--out project: refusing to replace a directory that holds" run --data data.csv --out project
  refused 2 "--out data.csv: exists and is not a directory" run --data data.csv --out data.csv
  refused 2 "'missing/k.npy': the folder of this output does not exist" kernel --train data.csv --out missing/k.npy
  refused 2 "'project': is a directory, not a file" predict --model model --data data.csv --out project
  refused 2 "'nowhere/p.csv': the folder of this output does not exist" predict --model model --data data.csv \
    --out nowhere/p.csv
  refused 2 "'nowhere/v.json': the folder of this output does not exist" vqe --sites 2 --output nowhere/v.json
  # A run whose output is refused up front has computed nothing: it fails at once even on a big grid.
  # Two runs into one folder: the second is refused while the first holds the lock (exit 1, retry later).
  "$hqml" run --data data.csv --out r1 --folds 2 --no-assess >/dev/null || fail "first run failed"
  exec 9>.r1.lock 8>.model.lock
  flock -n 9 && flock -n 8 || fail "cannot take the locks as a stand-in for a running hqml run"
  echo 4242 >&9
  snapshot >"$work/.before"
  refused 1 "'r1': another hqml process (pid 4242) is writing it now" run --data data.csv --out r1 --folds 2
  refused 1 "'model': another hqml process is writing it now" train --train data.csv --qubits 2 --reps 1 --out model
  exec 9>&- 8>&-
  rm -f .r1.lock .model.lock
  # A run killed mid-way leaves the previous results whole; its temporary is removed by the next run into it.
  # Its data come through a FIFO nobody writes, so it is certain to be mid-way (output staged in a temporary
  # sibling, data awaited) when it is killed, however fast the machine. (That the staged directory replaces
  # DIR in one rename is io::atomic_directory's, tested in test_learn.)
  cp r1/metrics.json metrics.before
  mkfifo stalled.csv
  "$hqml" run --data stalled.csv --out r1 --folds 2 >/dev/null &
  pid=$!
  for _ in $(seq 1 200); do compgen -G ".r1.tmpdir.*" >/dev/null && break; sleep 0.05; done
  compgen -G ".r1.tmpdir.*" >/dev/null || fail "the run did not stage its output in a temporary directory"
  kill -9 $pid
  wait $pid 2>/dev/null || true
  cmp -s r1/metrics.json metrics.before || fail "a killed run changed the published metrics"
  [ "$(ls r1 | sort | tr '\n' ' ')" = "metrics.json model report.html timings.json " ] || fail "r1 holds $(ls r1)"
  compgen -G ".r1.tmpdir.*" >/dev/null || fail "the killed run left no temporary (was it killed too late?)"
  "$hqml" run --data data.csv --out r1 --folds 2 --no-assess >/dev/null || fail "run after a killed run failed"
  compgen -G ".r1.tmpdir.*" >/dev/null && fail "the killed run's temporary was not cleaned up: $(ls -a)"
  [ ! -e .r1.lock ] || fail "the lock file was left behind"
  # The metrics and the model of one run are published together: model/ and metrics.json agree.
  python3 - <<'PY' || fail "r1/model and r1/metrics.json come from different runs"
import json
m = json.load(open("r1/metrics.json"))
model = json.load(open("r1/model/model.json"))
assert abs(model["kernel"]["feature_scale"] - m["quantum"]["hyperparameters"]["feature_scale"]) < 1e-12
PY
  # --force adds a model beside a folder's own files and removes none of them; a file the model would replace
  # is still refused.
  "$hqml" train --train data.csv --qubits 2 --reps 1 --out project --force >/dev/null 2>err || fail "train --force: $(cat err)"
  [ "$(cat project/notes.txt)" = notes ] && cmp -s project/data.csv data.csv || fail "train --force changed the folder's files"
  "$hqml" predict --model project --data data.csv >out 2>err || fail "predict with a model saved beside other files"
  "$hqml" train --train data.csv --qubits 2 --reps 2 --out project --force >/dev/null 2>err || fail "train --force again: $(cat err)"
  [ "$(json project/model.json "d['feature_map']['reps']")" = 2 ] || fail "train --force did not replace its own model"
  mkdir other
  printf '{"mine": 1}\n' >other/model.json
  snapshot >"$work/.before"
  refused 2 "refusing to add a model to a directory that already holds a 'model.json' that is not an hqml model's" \
    train --train data.csv --qubits 2 --reps 1 --out other --force
  # Unwritable stdout is a failure.
  if [ -w /dev/full ]; then
    for sub in "simulate --json" "predict --model model --data data.csv" "anneal ring.gset --reads 2 --json"; do
      set +e
      # shellcheck disable=SC2086
      "$hqml" $sub >/dev/full 2>err
      rc=$?
      set -e
      [ $rc -eq 1 ] || fail "$sub > /dev/full: exit code $rc, expected 1"
      grep -q "cannot write the output" err || fail "$sub > /dev/full: $(cat err)"
    done
  fi
  ;;
garbage)
  # NaN, infinities and out-of-range values are refused at parse time, naming the option.
  refused 2 "--alpha: 'nan' is not a finite number" kernel --train data.csv --out k.npy --feature-map pauli --alpha nan
  refused 2 "--alpha: 'inf' is not a finite number" train --train data.csv --out m --alpha inf
  refused 2 "--feature-scale: 'nan' is not a finite number > 0" train --train data.csv --out m --feature-scale nan
  refused 2 "--feature-scale: 'inf' is not a finite number > 0" train --train data.csv --out m --feature-scale inf
  refused 2 "--C: '-1' is not a finite number > 0" train --train data.csv --out m --C -1
  refused 2 "--gamma: '-1' is not a finite number > 0" assess --train data.csv --gamma -1
  refused 2 "--gamma: 'nan' is not a finite number > 0" assess --train data.csv --gamma nan
  refused 2 "--lambda: 'inf' is not a finite number > 0" assess --train data.csv --lambda inf
  refused 2 "--test-fraction: 'nan' is not a finite number > 0" run --data data.csv --out r --test-fraction nan
  refused 2 "--seed: '-1' is not a non-negative integer" simulate --seed -1
  refused 2 "--seed: '99999999999999999999' is larger than 2^64 - 1" simulate --seed 99999999999999999999
  refused 2 "--seed: '-1' is not a non-negative integer" run --data data.csv --out r --seed -1
  refused 2 "--seed: '1e3' is not a non-negative integer" tune --data data.csv --seed 1e3
  refused 2 "--time-limit: 'nan' is not a finite number >= 0" anneal ring.gset --time-limit nan
  refused 2 "--target: 'nan' is not a finite number" anneal ring.gset --target nan
  # Files that hold nothing to compute with.
  : >empty.qasm
  printf 'x0,x1,label\n' >header.csv
  snapshot >"$work/.before"
  printf '0 1 1e308\n0 1 1e308\n' >overflow.coo
  snapshot >"$work/.before"
  refused 2 "overflow.coo:1:1: the coefficients add up beyond the largest double" anneal overflow.coo
  refused 2 "empty.qasm: declares no qubits" simulate empty.qasm
  refused 2 "header.csv:2:1: no data rows after the header" kernel --train header.csv --out k.npy
  refused 2 "header.csv:2:1: no data rows after the header" run --data header.csv --out r
  # Labels none of which are the model's classes: no "accuracy: 0".
  sed 's/,a$/,c/; s/,b$/,d/' data.csv >other.csv
  snapshot >"$work/.before"
  refused 2 "other.csv" predict --model model --data other.csv
  # A model file edited to ask for an endless map is refused when loaded.
  cp -r model edited
  sed -i 's/"reps": 1,/"reps": 1000000000,/' edited/model.json
  grep -q '"reps": 1000000000' edited/model.json || fail "could not edit the model's reps"
  snapshot >"$work/.before"
  refused 2 "reps 1000000000 is not in 1..64" predict --model edited --data data.csv
  # Denormal and huge feature values once gave NaN kernels and a model predict could not load; one feature
  # once failed the zz map. Standardizing makes the scale irrelevant: the same values times 1e-311 or 1e300
  # train to finite models whose predictions are those of the unscaled data.
  python3 - <<'PY'
import random
for name, scale in (("unit.csv", 1.0), ("denormal.csv", 1e-311), ("huge.csv", 1e300)):
    random.seed(5)
    with open(name, "w") as f:
        f.write("x0,x1,label\n")
        for i in range(20):
            f.write(f"{(i % 2 + random.random()) * scale:.9e},{random.random() * scale:.9e},{i % 2}\n")
PY
  for f in unit denormal huge; do
    "$hqml" train --train $f.csv --out m_$f >/dev/null 2>err || fail "train on $f.csv: $(cat err)"
    "$hqml" predict --model m_$f --data $f.csv 2>err | cut -d, -f2 >pred_$f || fail "predict on $f.csv: $(cat err)"
    grep -q "accuracy: .* on 20 samples" err || fail "predict on $f.csv: $(cat err)"
  done
  cmp -s pred_unit pred_denormal || fail "denormal data predict otherwise than the same data unscaled"
  cmp -s pred_unit pred_huge || fail "huge data predict otherwise than the same data unscaled"
  # A model trained with imputed missing values loads in predict (it did not: its medians were read as 2-D).
  awk -F, 'NR == 1 || NR % 5 { print; next } { print "," $2 "," $3 }' data.csv >na.csv
  "$hqml" train --train na.csv --na median --qubits 2 --reps 1 --out m_na >/dev/null 2>err || fail "train --na median: $(cat err)"
  "$hqml" predict --model m_na --data na.csv >out 2>err || fail "predict with an imputing model: $(cat err)"
  [ "$(wc -l <out)" -eq 25 ] || fail "predict with an imputing model: $(wc -l <out) lines"
  ;;
resources)
  # Requests whose memory or time would be unbounded are refused before anything is allocated.
  refused 2 "--shots: Value 1099511627776 not in range 0 to 1000000000" simulate --shots 1099511627776
  # Input files are read up to a limit (HQML_MAX_INPUT_BYTES, 1 GiB by default): /dev/zero and a FIFO
  # that never ends are refused once past it, a large file before it is read.
  head -c 3000000 /dev/zero | tr '\0' '1' >big.csv
  snapshot >"$work/.before"
  export HQML_MAX_INPUT_BYTES=1048576
  refused 2 "'/dev/zero': larger than the input limit of 1 MiB (set HQML_MAX_INPUT_BYTES to raise it)" simulate /dev/zero
  refused 2 "'big.csv': larger than the input limit of 1 MiB" train --train big.csv --out m
  refused 2 "'/dev/zero': larger than the input limit of 1 MiB" predict --model model --data /dev/zero
  refused 2 "'/dev/zero': larger than the input limit of 1 MiB" anneal /dev/zero --format gset
  unset HQML_MAX_INPUT_BYTES
  # Reads, sweeps and ansatz sizes whose work or memory has no bound are refused, naming the options.
  refused 2 "--reads 1099511627776 x --sweeps 1099511627776 on 4 variables" anneal ring.gset \
    --reads 1099511627776 --sweeps 1099511627776
  refused 2 "--reps 10000: 20002 parameters" vqe --sites 2 --reps 10000
  # Shots are counted in blocks: 5e7 shots once needed a 400 MB vector of outcomes; now memory stays flat
  # (measured against one shot: a build with CUDA maps about 200 MB at start-up). Not under AddressSanitizer,
  # whose quarantine holds freed memory back and whose -O0 build takes minutes for these shots.
  if [ "$(nm -- "$hqml" 2>/dev/null | grep -c __asan_init)" -eq 0 ]; then
  python3 - "$hqml" <<'PY' >out || fail "5e7 shots: $(cat out)"
import os, sys
def run(shots):
    pid = os.fork()
    if pid == 0:
        fd = os.open("shots.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.execv(sys.argv[1], [sys.argv[1], "simulate", "bell.qasm", "--shots", str(shots), "--json"])
    _, status, usage = os.wait4(pid, 0)
    assert status == 0, status
    return usage.ru_maxrss
base = run(1)
grown = run(50000000)
print(grown - base)
PY
  [ "$(cat out)" -lt 65536 ] || fail "5e7 shots grew memory by $(cat out) KiB"
  [ "$(json shots.json "sum(d['counts'].values())")" = 50000000 ] || fail "shot total"
  rm -f out shots.json
  fi
  ;;
messages)
  # Messages name the cause and the option, never an internal function, and print names safely.
  refused 2 "--label 99999999999999999999999: no CSV has that many columns" train --train data.csv --out m \
    --label 99999999999999999999999
  refused 2 "'missing.csv': cannot open: No such file or directory" train --train missing.csv --out m
  refused 2 "'missing.qasm': cannot open: No such file or directory" simulate missing.qasm
  name=$(printf 'bad\033[2J\x01name.csv')
  refused 2 "'bad\\x1b[2J\\x01name.csv': cannot open" train --train "$name" --out m
  long=$(head -c 100000 /dev/zero | tr '\0' 'a')
  refused 2 "...(" train --train "$long.csv" --out m
  [ "$(wc -c <err)" -lt 400 ] || fail "a 100 kB file name was echoed: $(wc -c <err) bytes of error"
  refused 2 "--folds: Value 1 not in range 2 to 100" run --data data.csv --out r --folds 1
  refused 2 "was not expected: --no-such-option (see hqml simulate --help)" simulate --no-such-option
  ;;
*) fail "unknown case $case" ;;
esac
echo "ok: $case"
