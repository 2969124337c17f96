#!/usr/bin/env bash
# hqml prep end to end: prep_test.sh HQML_BINARY CASE
#   outputs: what it writes, into a new folder, an empty one (as Azure ML hands a job) and its own earlier
#            output; the transform applied by hqml kernel / train --transform to raw rows
#   hostile: bad data and bad outputs, each refused with one line naming the problem, exit 2, nothing written
#            and nothing that was there touched
set -euo pipefail
hqml=$1 case=$2
# shellcheck source=../common/cli_helpers.sh
source "$(dirname "$0")/../common/cli_helpers.sh"

python3 - "$work" <<'PY'
import random, sys
random.seed(11)
d = sys.argv[1]
def rows(n, f):
    for i in range(n):
        c = i % 2
        f.write(",".join(f"{random.gauss(1.0 if c else -1.0, 0.9):.6f}" for _ in range(5)) + f",{'yes' if c else 'no'}\n")
with open(d + "/train.csv", "w") as f:
    f.write("a,b,c,d,e,y\n"); rows(40, f)
with open(d + "/test.csv", "w") as f:
    f.write("a,b,c,d,e,y\n"); rows(12, f)
with open(d + "/unlabelled.csv", "w") as f:
    f.write("e,d,c,b,a\n1,2,3,4,5\n")  # the columns by name, in another order, no label
PY

case $case in
outputs)
  "$hqml" prep --train "$work/train.csv" --test "$work/test.csv" --label y --qubits 3 --out "$work/p" >"$work/stdout"
  for f in transform/model.json train.csv test.csv prep.json; do [ -s "$work/p/$f" ] || fail "missing $f"; done
  [ "$(head -1 "$work/p/train.csv")" = "x0,x1,x2,y" ] || fail "train.csv header: $(head -1 "$work/p/train.csv")"
  [ "$(wc -l <"$work/p/train.csv")" -eq 41 ] && [ "$(wc -l <"$work/p/test.csv")" -eq 13 ] || fail "row counts"
  [ "$(json "$work/p/transform/model.json" "d['kind'], d['transform']['qubits']")" = "hqml-transform 3" ] ||
    fail "transform kind/qubits"
  [ "$(json "$work/p/prep.json" "d['kind'], d['preprocessing']['steps']")" = "hqml-prep ['standardize', 'pca', 'min_max']" ] ||
    fail "prep.json"
  # Angles in [0, pi] on the training rows, both ends reached (min-max fitted there).
  python3 - "$work/p/train.csv" <<'PY' || fail "training angles not spanning [0, pi]"
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
cols = list(zip(*[[float(v) for v in r[:3]] for r in rows]))
assert all(abs(min(c)) < 1e-12 and abs(max(c) - math.pi) < 1e-12 for c in cols), [(min(c), max(c)) for c in cols]
PY
  ls -a "$work" | grep -q "tmp" && fail "temporary left beside the output"
  # Into an empty folder (an Azure ML output), and again over its own output (without --test: the earlier
  # test.csv, its own, goes).
  mkdir "$work/empty"
  "$hqml" prep --train "$work/train.csv" --test "$work/test.csv" --label y --qubits 3 --out "$work/empty" >/dev/null
  cmp -s "$work/p/train.csv" "$work/empty/train.csv" || fail "an empty folder got other rows"
  "$hqml" prep --train "$work/train.csv" --label y --qubits 2 --out "$work/empty" >/dev/null ||
    fail "prep over its own earlier output"
  [ ! -e "$work/empty/test.csv" ] || fail "the earlier test.csv is left beside a prep without --test"
  [ "$(head -1 "$work/empty/train.csv")" = "x0,x1,y" ] || fail "the rerun's train.csv"
  ls -A "$work/empty" | sort | tr '\n' ' ' | grep -qx "prep.json train.csv transform " ||
    fail "folder after the rerun: $(ls -A "$work/empty")"
  # The transform on raw rows, columns matched by name: hqml kernel gives the kernel of prep's angles.
  "$hqml" kernel --train "$work/train.csv" --transform "$work/p/transform" --out "$work/k1.npy" 2>/dev/null
  "$hqml" kernel --train "$work/p/train.csv" --label y --qubits 3 --out "$work/k2.npy" 2>/dev/null
  cmp -s "$work/k1.npy" "$work/k2.npy" || fail "kernel --transform differs from the kernel of prep's angles"
  "$hqml" kernel --train "$work/train.csv" --test "$work/unlabelled.csv" --transform "$work/p/transform" \
    --out "$work/k3.npy" 2>/dev/null || fail "kernel --transform on unlabelled rows in another column order"
  "$hqml" train --train "$work/train.csv" --transform "$work/p/transform" --out "$work/model" >/dev/null
  "$hqml" predict --model "$work/model" --data "$work/unlabelled.csv" --metrics "$work/m.json" >/dev/null
  [ "$(json "$work/m.json" "d['rows'], d['accuracy']")" = "1 None" ] || fail "metrics of unlabelled rows"
  failing "$hqml" train --train "$work/train.csv" --transform "$work/p/transform" --qubits 4 --out "$work/m4"
  [ $rc -eq 2 ] && grep -q "gives 3 angles" "$work/err" || fail "--qubits against the transform: $rc $(cat "$work/err")"
  failing "$hqml" train --train "$work/train.csv" --transform "$work/p/transform" --drop a --out "$work/m4"
  [ $rc -eq 2 ] && grep -q "leave out --features, --drop" "$work/err" || fail "--drop with --transform"
  ;;
hostile)
  cd "$work"
  printf 'a,b,y\n' >empty_rows.csv
  : >empty.csv
  printf 'a,b,y\n1,2,yes\n3,inf,no\n5,6,yes\n' >inf.csv
  printf 'a,b,y\n1,2,yes\n3,NaN,no\n5,6,yes\n' >nan.csv
  printf 'a,b,y\n1,2,yes\n3,4,no\n' >two.csv
  printf 'a,b,c,d,e,y\nx\n' >ragged.csv
  # 4 rows of 5 features: centered, they span 3 directions, so 4 PCA components would be rounding noise.
  printf 'a,b,c,d,e,y\n1,2,0,4,5,yes\n2,1,3,0,4,no\n0,3,1,2,2,yes\n4,0,2,1,3,no\n' >four.csv
  echo "keep me" >afile
  mkdir project && echo "mine" >project/notes.txt
  mkdir fakeprep && echo '{"kind": "hqml-prep"}' >fakeprep/prep.json && echo x >fakeprep/other.txt
  touch before && ls | grep -vx -e out -e err >before  # (before listed too, whichever runs first)
  refused 2 "no column named" "$hqml" prep --train train.csv --label nope --qubits 2 --out o1
  refused 2 "--qubits 6 is more than the 5 feature columns" "$hqml" prep --train train.csv --label y --qubits 6 --out o2
  refused 2 "--qubits" "$hqml" prep --train train.csv --label y --qubits 0 --out o3
  refused 2 "--qubits" "$hqml" prep --train train.csv --label y --qubits -1 --out o3
  refused 2 "not a finite number" "$hqml" prep --train inf.csv --label y --qubits 1 --out o4
  refused 2 "missing value" "$hqml" prep --train nan.csv --label y --qubits 1 --out o5
  refused 2 "empty_rows.csv" "$hqml" prep --train empty_rows.csv --label y --qubits 1 --out o6
  refused 2 "empty.csv" "$hqml" prep --train empty.csv --label y --qubits 1 --out o6
  refused 2 "ragged.csv:2" "$hqml" prep --train ragged.csv --label y --qubits 1 --out o6
  refused 2 "ragged.csv:2" "$hqml" prep --train train.csv --test ragged.csv --label y --qubits 2 --out o6
  refused 2 "not a directory" "$hqml" prep --train train.csv --label y --qubits 2 --out afile
  refused 2 "non-empty directory" "$hqml" prep --train train.csv --label y --qubits 2 --out project
  refused 2 "non-empty directory" "$hqml" prep --train train.csv --label y --qubits 2 --out fakeprep
  refused 2 "does not exist" "$hqml" prep --train train.csv --label y --qubits 2 --out nowhere/o7
  refused 2 "missing.csv" "$hqml" prep --train missing.csv --label y --qubits 2 --out o8
  refused 2 "--out" "$hqml" prep --train train.csv --label y --qubits 2
  refused 2 "span 3 independent directions" "$hqml" prep --train four.csv --label y --qubits 4 --out o9
  refused 2 "lower --qubits to at most 3" "$hqml" prep --train four.csv --label y --qubits 4 --out o9
  [ "$(cat afile)" = "keep me" ] && [ "$(cat project/notes.txt)" = "mine" ] && [ -e fakeprep/other.txt ] ||
    fail "a refused output was changed"
  # --na median imputes from the training rows, as hqml run does.
  "$hqml" prep --train nan.csv --label y --qubits 1 --na median --out imputed >/dev/null
  [ "$(json imputed/transform/model.json "d['preprocessing']['steps'][0]")" = impute_median ] || fail "no imputer"
  # A folder that is not a transform is refused by the stages that read one (prep's output folder is taken
  # for its transform/).
  touch before && ls | grep -vx -e out -e err >before  # (before listed too, whichever runs first)
  refused 2 "missing model.json" "$hqml" kernel --train nan.csv --transform project --out k.npy
  refused 2 "missing model.json" "$hqml" train --train nan.csv --transform project --out m
  "$hqml" train --train train.csv --label y --qubits 2 --reps 1 --out amodel >/dev/null
  touch before && ls | grep -vx -e out -e err >before  # (before listed too, whichever runs first)
  refused 2 "is not an hqml transform" "$hqml" kernel --train nan.csv --transform amodel --out k.npy
  "$hqml" kernel --train nan.csv --transform imputed --out k.npy 2>/dev/null || fail "prep's output folder as --transform"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok: $case"
