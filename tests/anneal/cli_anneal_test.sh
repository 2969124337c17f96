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
      [ $rc -eq 2 ] || fail "$opt: exit code $rc"
      grep -q "is not a non-negative integer" <<<"$err" || fail "$opt: $err"
    done
    ;;
  anneal_hostile)
    # Requests beyond reason are refused before any work (exit 2, one line naming the option, nothing written);
    # what stays is bounded in time and memory however long it is asked to run.
    hqml=$(realpath "$hqml")  # before leaving the folder a relative path was given in
    cd "$work"
    printf '3 3\n1 2 1\n2 3 1\n3 1 1\n' >ring.txt
    ls >before
    refused_here() { refused 2 "$1" "$hqml" anneal ring.txt --format gset "${@:2}"; }  # refused_here PATTERN ARGS...
    # 2^40 reads or sweeps: refused for the work (was: every read kept until memory ran out, or an 8 TiB
    # schedule allocated: std::bad_alloc).
    refused_here "hqml: --reads 1099511627776 x --sweeps 1000 on 3 variables: 3.3e+15 single-spin updates" \
      --reads 1099511627776
    refused_here "--reads 10 x --sweeps 1099511627776 on 3 variables" --sweeps 1099511627776
    refused_here "--sweeps 1099511627776 x --replicas 16 on 3 variables" --solver pt --sweeps 1099511627776
    refused_here "restarts x 1099511627776 moves (--sweeps)" --solver tabu --sweeps 1099511627776
    refused_here "--reads 1099511627776: 1.1e+12 QAOA samples of 3 variables needs about" --solver qaoa --reads 1099511627776
    # Values that are no numbers, or no counts, are refused as CLI11 parses them.
    refused_here "--time-limit: 'nan' is not a finite number >= 0" --time-limit nan --reads 0
    refused_here "--time-limit: 'inf' is not a finite number >= 0" --time-limit inf
    refused_here "--time-limit: '-1' is not a finite number >= 0" --time-limit -1
    refused_here "--target: 'nan' is not a finite number" --target nan
    refused_here "--target: '-inf' is not a finite number" --target -inf
    refused_here "--seed: '-1' is not a non-negative integer" --seed -1
    refused_here "--seed: '99999999999999999999' is larger than 2^64 - 1" --seed 99999999999999999999
    refused_here "--replicas: Value 0 not in range 1 to 65534" --solver pt --replicas 0
    refused_here "--replicas: Value 65535 not in range 1 to 65534" --solver pt --replicas 65535
    refused_here "--layers: Value 0 not in range 1 to 1000" --solver qaoa --layers 0
    refused_here "--reads 0 (as many as fit) needs --time-limit or --target" --reads 0
    # 2^40 sweeps within a time limit run: the schedule is computed as the sweeps go, never stored.
    (ulimit -v 4000000 && timeout 60 "$hqml" anneal ring.txt --format gset --reads 1 --sweeps 1099511627776 \
      --time-limit 0.5 --json >out) || fail "2^40 sweeps with --time-limit failed: $(cat out)"
    # (Stopped in the hot start of its schedule, the read's energy is anything.)
    [ "$(json out "(d['stop_reason'], d['num_reads'], d['num_sweeps'])")" = "('time_limit', 1, 1099511627776)" ] ||
      fail "2^40 sweeps with --time-limit: $(cat out)"
    # Unbounded reads until a time limit keep the best state and the lowest energies' counts, not every read:
    # memory stays flat (it grew by each read's state before: hundreds of MB in these 3 seconds).
    python3 - >big.txt <<'PY'
import random
random.seed(1)
n = 4000
print(n, n)
for i in range(1, n + 1):
    print(i, i % n + 1, random.randint(1, 1000))
PY
    # Measured against one read of the same problem: a build with CUDA maps about 200 MB at start-up.
    python3 - "$hqml" <<'PY' >rss || fail "unbounded reads: $(cat rss)"
import os, subprocess, sys
def run(*extra):
    pid = os.fork()
    if pid == 0:
        fd = os.open("rss.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.execv(sys.argv[1], [sys.argv[1], "anneal", "big.txt", "--format", "gset", "--sweeps", "1", "--threads",
                               "2", "--json", *extra])
    _, status, usage = os.wait4(pid, 0)
    assert status == 0, status
    return usage.ru_maxrss
base = run("--reads", "1")
grown = run("--reads", "0", "--time-limit", "3")
print(open("rss.out").read(), end="")
print(grown - base)
PY
    head -1 rss >out
    rss_kib=$(tail -1 rss)
    [ "$rss_kib" -lt 65536 ] || fail "unbounded reads grew memory by $rss_kib KiB"
    [ "$(json out "d['num_reads'] > 2000 and d['stop_reason'] == 'time_limit'")" = True ] ||
      fail "unbounded reads: $(head -c 300 out)"
    # Every read is counted: those at the 256 lowest energies one energy at a time, the others together.
    [ "$(json out "len(d['energy_counts']) == 256 and d['reads_above_energy_counts'] > 0")" = True ] ||
      fail "energy counts: $(head -c 300 out)"
    [ "$(json out "sum(c for e, c in d['energy_counts']) + d['reads_above_energy_counts'] == d['num_reads']")" = True ] ||
      fail "energy counts do not add up to the reads"
    [ "$(json out "d['energy_counts'][0][0] == d['best_energy'] and sorted(d['energy_counts']) == d['energy_counts']")" = True ] ||
      fail "energy counts not lowest first"
    rm -f big.txt rss
    # A full output device is a failed write (exit 1), not bad input.
    if [ -w /dev/full ]; then
      set +e
      "$hqml" anneal ring.txt --format gset --json >/dev/full 2>err
      rc=$?
      set -e
      [ $rc -eq 1 ] || fail "/dev/full: exit code $rc"
      [ "$(wc -l <err)" -eq 1 ] || fail "/dev/full: $(cat err)"
    fi
    ;;
  *) fail "unknown case" ;;
esac
echo "ok: $case"
