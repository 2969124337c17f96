#!/usr/bin/env bash
# End-to-end checks of `hqml vqe`: cli_vqe_test.sh HQML_BINARY SOURCE_DIR CASE
set -euo pipefail
hqml=$1 source=$2 case=$3
# shellcheck source=../common/cli_helpers.sh
source "$(dirname "$0")/../common/cli_helpers.sh"
# H2/STO-3G at 0.735 Å (tests/reference/vqe_reference.json) in the three text spellings and JSON.
h2() {
  python3 - "$source/tests/reference/vqe_reference.json" "$1" <<'PY'
import json, sys
m = next(h for h in json.load(open(sys.argv[1]))["hamiltonians"] if h["name"] == "h2_sto3g_0.735")
style = sys.argv[2]
def sparse(label):
    return " ".join(f"{c}{q}" for q, c in enumerate(reversed(label)) if c != "I")
for label, c in m["terms"]:
    if style == "qiskit": print(repr(c), label)
    elif style == "sparse": print(repr(c), sparse(label) or "I")
    elif style == "openfermion": print(repr(c), "[" + sparse(label) + "] +")
if style == "json": print(json.dumps(m["terms"]))
if style == "nuclear": print(repr(m["nuclear_repulsion"]))
PY
}

case $case in
vqe_h2)
  nuclear=$(h2 nuclear)
  for style in qiskit sparse openfermion json; do
    h2 $style >"$work/h2.$style"
    "$hqml" vqe "$work/h2.$style" --reps 2 --initial-state 0101 --starts 3 --offset "$nuclear" \
      --output "$work/out.json" --save-circuit "$work/h2.qasm" >"$work/stdout"
    # The published FCI energy of H2/STO-3G at 0.735 Å: -1.137306 Ha.
    [ "$(json "$work/out.json" "abs(d['energy'] + 1.137306) < 1e-6")" = True ] || fail "$style: energy $(json "$work/out.json" "d['energy']")"
    [ "$(json "$work/out.json" "abs(d['exact_energy'] - d['energy']) < 1e-8")" = True ] || fail "$style: exact energy"
    [ "$(json "$work/out.json" "(d['num_qubits'], d['num_terms'], d['ansatz']['num_parameters'])")" = "(4, 15, 12)" ] ||
      fail "$style: sizes"
    grep -q "^energy: *-1.13730" "$work/stdout" || fail "$style: text output $(cat "$work/stdout")"
  done
  # The saved circuit is the optimized state: its simulation gives the same energy (from the amplitudes).
  "$hqml" simulate "$work/h2.qasm" --json --statevector --shots 1 >"$work/sim.json"
  python3 - "$work/sim.json" "$work/h2.json" "$work/out.json" <<'PY' || fail "saved circuit energy"
import json, sys
amps = [complex(a, b) for a, b in json.load(open(sys.argv[1]))["statevector"]]
terms = json.load(open(sys.argv[2])); out = json.load(open(sys.argv[3]))
def apply(label, i):  # P|i> = phase |j>
    j, ph = i, 1
    for q, c in enumerate(reversed(label)):
        b = (i >> q) & 1
        if c in "XY": j ^= 1 << q
        if c == "Y": ph *= 1j if b == 0 else -1j
        if c == "Z" and b: ph = -ph
    return j, ph
e = 0
for label, c in terms:
    for i, a in enumerate(amps):
        j, ph = apply(label, i)
        e += c * (amps[j].conjugate() * ph * a).real
assert abs(e + out["offset"] - out["energy"]) < 1e-9, (e, out["energy"])
PY
  ;;
vqe_model)
  # The default job: the 8-site transverse-field Ising chain; VQE bounds the Lanczos energy from above.
  "$hqml" vqe --json >"$work/out.json"
  [ "$(json "$work/out.json" "d['num_qubits']")" = 8 ] || fail "default sites"
  [ "$(json "$work/out.json" "-1e-9 <= d['error'] < 0.05")" = True ] || fail "error $(json "$work/out.json" "d['error']")"
  [ "$(json "$work/out.json" "abs(d['exact_energy'] + 9.837951447) < 1e-8")" = True ] || fail "exact energy"
  "$hqml" vqe --model heisenberg --sites 6 --reps 6 --starts 2 --seed 3 --precision float --json >"$work/out.json"
  [ "$(json "$work/out.json" "abs(d['error']) < 1e-4")" = True ] || fail "heisenberg float: $(json "$work/out.json" "d['error']")"
  "$hqml" vqe --sites 4 --optimizer adam --iterations 50 --exact no --json >"$work/out.json"
  [ "$(json "$work/out.json" "('exact_energy' in d, d['iterations'], d['gradient_evaluations'])")" = "(False, 50, 51)" ] ||
    fail "adam run"
  # A given start is the first start whatever the seed (random starts differ by seed); one step does not worsen it.
  python3 -c "print([0.3] * 16)" >"$work/theta.json"
  for seed in 1 2; do
    "$hqml" vqe --sites 4 --initial-point "$work/theta.json" --iterations 1 --seed $seed --json >"$work/given$seed.json"
    "$hqml" vqe --sites 4 --iterations 1 --seed $seed --json >"$work/random$seed.json"
  done
  [ "$(json "$work/given1.json" "d['history'][1] <= d['history'][0] and len(d['history']) == 2")" = True ] ||
    fail "initial point run"
  [ "$(json "$work/given1.json" "d['history'][0]")" = "$(json "$work/given2.json" "d['history'][0]")" ] ||
    fail "the initial point was not the start"
  [ "$(json "$work/random1.json" "d['history'][0]")" != "$(json "$work/random2.json" "d['history'][0]")" ] ||
    fail "random starts do not depend on the seed"
  "$hqml" vqe --sites 4 --optimizer spsa --iterations 20 --json >"$work/out.json"
  [ "$(json "$work/out.json" "(d['gradient_evaluations'], d['energy'] >= d['exact_energy'])")" = "(0, True)" ] ||
    fail "spsa run"
  ;;
vqe_bad_input)
  printf '0.5 XZ\n0.25 XYZ\n' >"$work/bad.txt"
  echo keep >"$work/out.json"
  failing "$hqml" vqe "$work/bad.txt" --output "$work/out.json"
  [ $rc -eq 2 ] || fail "bad file: exit code $rc"
  grep -q "bad.txt:2:6: a label of 3 qubits after labels of 2" "$work/err" || fail "bad file message: $(cat "$work/err")"
  [ "$(cat "$work/out.json")" = keep ] || fail "a failed run replaced the output file"
  for args in "--optimizer newton" "--entanglement ring" "--ansatz uccsd" "--model hubbard" "--initial-state 012" \
              "--starts 0" "--exact maybe"; do
    # shellcheck disable=SC2086
    failing "$hqml" vqe --sites 3 $args
    [ $rc -eq 2 ] || fail "$args: exit code $rc"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$args: error is not one line"
  done
  printf '[0.1, "a"]' >"$work/theta.json"
  failing "$hqml" vqe --sites 3 --reps 1 --initial-point "$work/theta.json"
  [ $rc -eq 2 ] || fail "bad initial point: exit code $rc"
  grep -q "theta.json:1:7: expected a number, found a string" "$work/err" || fail "initial point message: $(cat "$work/err")"
  printf '[0.1, 0.2]' >"$work/theta.json"
  failing "$hqml" vqe --sites 3 --reps 1 --initial-point "$work/theta.json"
  [ $rc -eq 2 ] || fail "short initial point: exit code $rc"
  grep -q "2 values; the ansatz has 6 parameters" "$work/err" || fail "initial point size message: $(cat "$work/err")"
  failing "$hqml" vqe --sites -2
  [ $rc -ne 0 ] || fail "negative --sites accepted"
  ;;
vqe_hostile)
  # Requests beyond reason are refused before any work: exit 2, one line naming the option, nothing written.
  hqml=$(realpath "$hqml")  # before leaving the folder a relative path was given in
  cd "$work"
  printf '0.5 ZZ\n-1 XI\n-1 IX\n' >h.txt
  ls >before
  refused_here() { refused 2 "$1" "$hqml" vqe "${@:2}"; }  # refused_here PATTERN ARGS...
  # 10000 reps on 2 qubits: 20002 parameters, whose BFGS inverse Hessian took 5 GB and minutes an iteration.
  refused_here "hqml: --reps 10000: 20002 parameters; --optimizer bfgs keeps a dense 20002 x 20002 inverse Hessian (about 11.9 GiB" \
    --sites 2 --reps 10000 --output o.json --save-circuit c.qasm
  refused_here "at most 4096 parameters (--reps 2047 here)" h.txt --reps 10000 --optimizer bfgs
  # The energy history grows with the iterations, each start's energy with the starts: beyond memory, refused.
  refused_here "--iterations 1099511627776: the energy history" --sites 2 --iterations 1099511627776 --optimizer adam
  refused_here "--starts 1099511627776: the energy of each start" --sites 2 --starts 1099511627776 --output o.json
  # An output that can never be written fails at once (the job would take minutes), naming the path.
  refused_here "'/nonexistent/dir/x.json': the folder of this output does not exist" \
    --sites 14 --reps 40 --iterations 100000 --output /nonexistent/dir/x.json
  refused_here "'/nonexistent/dir/c.qasm'" --sites 14 --reps 40 --iterations 100000 --save-circuit /nonexistent/dir/c.qasm
  refused_here "'.': is a directory" --sites 14 --reps 40 --iterations 100000 --output .
  # Numbers that are no numbers, counts that are no counts.
  refused_here "--coupling: 'nan' is not a finite number" --coupling nan
  refused_here "--field: 'inf' is not a finite number" --field inf
  refused_here "--offset: '-inf' is not a finite number" --offset=-inf
  refused_here "--learning-rate: '0' is not a finite number > 0" --optimizer adam --learning-rate 0
  refused_here "--learning-rate: 'nan' is not a finite number > 0" --optimizer adam --learning-rate nan
  refused_here "--seed: '-1' is not a non-negative integer" --seed -1
  refused_here "--seed: '99999999999999999999' is larger than 2^64 - 1" --seed 99999999999999999999
  refused_here "--iterations: '1e3' is not a non-negative integer" --iterations 1e3
  refused_here "--sites 0: a chain has 2 to 62 sites" --sites 0
  refused_here "--sites 1: a chain has 2 to 62 sites" --sites 1 --model heisenberg
  # --initial-point: inline JSON or a file, with the position of what is wrong.
  refused_here "--initial-point:1:7: expected a number, found a string" --sites 2 --reps 1 --initial-point '[0.1, "a"]'
  refused_here "--initial-point:1:1: 2 values; the ansatz has 4 parameters" --sites 2 --reps 1 --initial-point '[0.1,0.2]'
  refused_here "--initial-point:1:2: malformed number '1e999'" --sites 2 --reps 1 --initial-point '[1e999, 0, 0, 0]'
  refused_here "--initial-point:1:2: " --sites 2 --reps 1 --initial-point '[NaN, 0, 0, 0]'
  refused_here "--initial-point:1:12: expected ',' or ']' in an array, found end of input" --sites 2 --reps 1 --initial-point '[0, 0, 0, 0'
  printf '[0.1,\n 0.2, 0.3, null]\n' >theta.json
  ls | grep -vx -e out -e err >before
  refused_here "theta.json:2:12: expected a number, found null" --sites 2 --reps 1 --initial-point theta.json
  refused_here "'missing.json': cannot open" --sites 2 --reps 1 --initial-point missing.json
  # Both spellings give the first start; a byte-order mark before the file's array is skipped.
  printf '\xef\xbb\xbf[0.3, 0.3, 0.3, 0.3]' >theta.json
  "$hqml" vqe --sites 2 --reps 1 --initial-point theta.json --iterations 1 --json >file.json
  "$hqml" vqe --sites 2 --reps 1 --initial-point ' [0.3, 0.3, 0.3, 0.3]' --iterations 1 --json >inline.json
  [ "$(json file.json "d['history'][0]")" = "$(json inline.json "d['history'][0]")" ] || fail "inline and file differ"
  "$hqml" vqe --sites 2 --reps 1 --iterations 1 --json >random.json
  [ "$(json file.json "d['history'][0]")" != "$(json random.json "d['history'][0]")" ] || fail "initial point ignored"
  # A Hamiltonian file that starts with a UTF-8 byte-order mark (as Windows editors write) reads as without.
  printf '\xef\xbb\xbf0.5 ZZ\n-1 XI\n-1 IX\n' >bom.txt
  "$hqml" vqe bom.txt --reps 1 --json >bom.json || fail "byte-order mark refused"
  "$hqml" vqe h.txt --reps 1 --json >plain.json
  [ "$(json bom.json "(d['num_qubits'], d['num_terms'], d['energy'])")" = \
    "$(json plain.json "(d['num_qubits'], d['num_terms'], d['energy'])")" ] || fail "byte-order mark changed the result"
  # Many parameters run with an optimizer that is linear in them.
  "$hqml" vqe --sites 2 --reps 10000 --optimizer spsa --iterations 2 --exact no --json >spsa.json
  [ "$(json spsa.json "d['ansatz']['num_parameters']")" = 20002 ] || fail "spsa with 10000 reps"
  ;;
*)
  fail "unknown case $case"
  ;;
esac
echo "ok: $case"
