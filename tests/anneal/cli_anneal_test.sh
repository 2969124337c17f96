#!/usr/bin/env bash
# End-to-end checks of `hqml anneal`: cli_anneal_test.sh HQML SHARED_DIR CASE; prints "ok: CASE".
set -euo pipefail
hqml=$1 shared=$2 case=$3
# shellcheck source=../common/cli_helpers.sh
source "$(dirname "$0")/../common/cli_helpers.sh"
case "$case" in
  anneal_qio_json)
    # E = 3 x0 x1 - x0 - x1 + 2 (x0 - 5)^2 over bits: minimum 31 at x = (1, 0).
    cat > "$work/p.json" <<'JSON'
{"cost_function": {"version": "1.1", "type": "pubo",
 "terms": [{"c": 3, "ids": [1, 0]}, {"c": -1, "ids": [0]}, {"c": -1, "ids": [1]}],
 "terms_slc": [{"c": 2, "terms": [{"c": 1, "ids": [0]}, {"c": -5, "ids": []}]}]}}
JSON
    for solver in sa pt tabu; do
      out=$("$hqml" anneal "$work/p.json" --solver $solver --reads 4 --seed 3 --json)
      grep -q '"best_energy":31.0' <<<"$out" || fail "$solver: $out"
      grep -q '"best_state":\[1,0\]' <<<"$out" || fail "$solver: $out"
      grep -q '"time_s":' <<<"$out" || fail "$solver: $out"
    done
    ;;
  anneal_gset)
    g="$shared/data/gset/G14.txt"
    [ -f "$g" ] || { echo "SKIP: $g absent"; exit 77; }  # ctest reports it skipped
    out=$("$hqml" anneal "$g" --format gset --reads 2 --sweeps 300 --threads 2 --seed 1 --json)
    cut=$(sed -E 's/.*"best_cut":([0-9.]+).*/\1/' <<<"$out")
    awk -v c="$cut" 'BEGIN { exit !(c >= 3000 && c <= 3064) }' || fail "best_cut $cut"
    # Same seed, other thread count: same answer.
    out1=$("$hqml" anneal "$g" --reads 2 --sweeps 300 --threads 1 --seed 1 --json)
    [ "$(sed -E 's/.*"best_state":(\[[^]]*\]).*/\1/' <<<"$out")" = "$(sed -E 's/.*"best_state":(\[[^]]*\]).*/\1/' <<<"$out1")" ] ||
      fail "thread count changed the result"
    ;;
  anneal_qaoa)
    # Max-Cut of the 8-cycle (Gset format): the best cut is 8; QAOA at p = 2 reaches the published optimum
    # ⟨H_C⟩ = −n·p/(p + 1) = −16/3 (expected cut 5n/6) and samples the two optimal cuts among 500 shots.
    { echo "8 8"; for i in 1 2 3 4 5 6 7; do echo "$i $((i + 1)) 1"; done; echo "8 1 1"; } > "$work/ring.txt"
    out=$("$hqml" anneal "$work/ring.txt" --format gset --solver qaoa --layers 2 --reads 500 --seed 4 --json)
    grep -q '"best_cut":8.0' <<<"$out" || fail "$out"
    e=$(sed -E 's/.*"expectation":(-?[0-9.e+-]+).*/\1/' <<<"$out")
    awk -v e="$e" 'BEGIN { exit !(e > -16/3 - 1e-6 && e < -16/3 + 1e-6) }' || fail "expectation $e"
    grep -q '"layers":2' <<<"$out" || fail "$out"
    set +e
    err=$("$hqml" anneal "$shared/data/gset/G14.txt" --format gset --solver qaoa 2>&1 >/dev/null)
    rc=$?
    set -e
    if [ -f "$shared/data/gset/G14.txt" ]; then
      [ $rc -ne 0 ] || fail "800 variables accepted"
      grep -q "800 variables" <<<"$err" || fail "message: $err"
    fi
    ;;
  anneal_bad_input)
    printf '3 2\n1 2 1\n2 x 1\n' > "$work/bad.txt"
    printf '3 3\n1 2 1\n2 3 1\n3 1 1\n' > "$work/ring.txt"
    set +e
    err=$("$hqml" anneal "$work/bad.txt" --format gset 2>&1 >/dev/null)
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "exit code $rc"
    grep -q "bad.txt:3:3: expected vertex j" <<<"$err" || fail "message: $err"
    set +e
    "$hqml" anneal "$work/bad.txt" --solver simplex >/dev/null 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "bad --solver gave exit code $rc"
    # Negative counts are refused, not wrapped to 2^64 − 1 (which ran until killed).
    for opt in "--reads -1" "--sweeps -5" "--solver qaoa --layers -2"; do
      set +e
      err=$("$hqml" anneal "$work/ring.txt" --format gset $opt 2>&1 >/dev/null)
      rc=$?
      set -e
      [ $rc -ne 0 ] || fail "$opt accepted"
      grep -q "not in range" <<<"$err" || fail "$opt: $err"
    done
    ;;
  *) fail "unknown case" ;;
esac
echo "ok: $case"
