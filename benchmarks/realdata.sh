#!/usr/bin/env bash
# `hqml run` on real data: scikit-learn's bundled data sets (tests/realdata/make_datasets.py) at 4 and 8 qubits,
# seed 0. Prints a markdown table of held-out accuracies: the quantum-kernel SVM against the classical RBF SVM
# on all standardized features, logistic regression and the majority class, with the difference
# quantum - classical, its paired-bootstrap 95% CI and McNemar p, and hqml's held-out verdict. It shows
# where the quantum kernel loses as plainly as where it holds its own.
# Usage: benchmarks/realdata.sh [HQML]   (without HQML, builds it with examples/hqml.sh)
# Env: QUBITS ("4 8"), THREADS (hqml's --threads; default all), HQML_REALDATA_VENV (build/realdata-venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 1 ]; then
  hqml=$(realpath "$1")
else
  bash "$root/examples/hqml.sh" --help >/dev/null
  hqml=${HQML_BUILD_DIR:-$root/build/release}/examples/hqml
fi
venv=${HQML_REALDATA_VENV:-$root/build/realdata-venv}
bash "$root/tests/python/setup-venv.sh" realdata "$venv" >/dev/null
py=$venv/bin/python
qubits=${QUBITS:-4 8}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$root/tests/realdata/make_datasets.py" "$tmp/data" >/dev/null

echo "command: benchmarks/realdata.sh $* (hqml run --data F --label L --qubits Q --seed 0${threads[*]:+ ${threads[*]}}; breast_cancer with --drop id)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u '+%F %H:%M UTC'); hqml: $hqml"
echo
echo "| dataset | rows × features | classes | qubits | quantum | classical RBF | logistic | majority | quantum − classical (95% CI) | McNemar p | held-out verdict | time (s) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for spec in breast_cancer:diagnosis:id iris:species: wine:class: digits01:digit: moons:label: classification:label:; do
  IFS=: read -r name label drop <<<"$spec"
  extra=()
  [ -n "$drop" ] && extra=(--drop "$drop")
  for q in $qubits; do
    out=$tmp/$name-$q
    if ! "$hqml" run --data "$tmp/data/$name.csv" --label "$label" --qubits "$q" --seed 0 --out "$out" \
      "${threads[@]}" "${extra[@]}" >/dev/null 2>"$tmp/err"; then
      echo "| $name | | | $q | failed: $(tail -1 "$tmp/err") | | | | | | | |"
      continue
    fi
    "$py" - "$out" "$q" <<'PY'
import json, os, sys
d, asked = sys.argv[1], int(sys.argv[2])
m = json.load(open(os.path.join(d, "metrics.json")))
try:
    t = json.load(open(os.path.join(d, "timings.json")))
    secs = f"{sum(s['seconds'] for s in t['timings']):.1f}"
except (OSError, ValueError, KeyError):
    secs = ""
ds, b = m["dataset"], m["baselines"]
c = next(c for c in m["comparisons"] if c["b"] == "classical")
lo, hi = c["bootstrap_ci95"]
acc = lambda x: f"{x['test_accuracy']:.3f}"
used = m["feature_map"]["num_qubits"]
qubits = str(used) if used == asked else f"{used} (of {asked} asked)"
print(f"| {os.path.splitext(ds['name'])[0]} | {ds['n_rows']} × {ds['n_features']} | {m['task']['n_classes']} "
      f"| {qubits} | {acc(m['quantum'])} | {acc(m['classical'])} "
      f"| {acc(b['logistic_regression'])} | {acc(b['majority'])} | {c['difference']:+.3f} ({lo:+.3f} to {hi:+.3f}) "
      f"| {c['mcnemar']['p_value']:.3g} | {m['verdict']['held_out']} (best classical: {m['verdict']['best_classical']}) "
      f"| {secs} |")
PY
  done
done
