#!/usr/bin/env bash
# `hqml serve` against Azure ML's own inference server (azureml-inference-server-http, `azmlinfsrv`) serving the same
# model: scikit-learn's breast-cancer data (30 features, PCA to 8 qubits, `hqml run --qubits 8 --seed 0`), the
# peer's score.py (benchmarks/peers/serve_peer_score.py) rebuilding it with qiskit-machine-learning's
# FidelityStatevectorKernel and scikit-learn's SVC. Everything on loopback, loaded by wrk (Debian's).
#
# Steps: copy the hqml program into the work folder (the original may be rebuilt meanwhile); make the data, the
# model and the request bodies; start hqml serve (route quantum, and a second one with route classical) and the
# peer; measure each server's idle RSS before any request; CHECK that the peer's predictions equal hqml serve's on
# every row of the data set (probabilities within 1e-9), or stop; then, in REPS rounds, every load for DURATION
# seconds (in the first round after a WARMUP-second wrk run of the same load), each followed by a wait until the
# server is idle:
#   hqml   route quantum and classical x cache hit (the same body every time) and miss (every request's rows
#          differ: benchmarks/peers/serve_wrk.lua) x 1 and 64 rows per request x CONNS connections
#   peer   1 and 64 rows per request (rows differ every time, as hqml's misses) x CONNS connections
# and print the markdown tables (medians over rounds; the ratios hqml / peer of the same rounds). Before each run
# it records the 1-minute load average; during it, the CPU the machine spent (in cores), the server's, wrk's, and
# the rest (other people's work).
#
# Compute on 2 threads each: hqml serve --kernel-threads 2 (--threads 64 HTTP threads, its default: cpp-httplib
# keeps a thread per keep-alive connection, so fewer threads than connections leave the others waiting); the peer with
# WORKER_COUNT=2 gunicorn workers (processes) and OMP/OpenBLAS/MKL/Rayon at 1 thread each.
#
# Usage: benchmarks/serve.sh [HQML]   (default build/dev/examples/hqml)
# Env: QUICK=1 (DURATION=2 REPS=1 WARMUP=1; about 2 minutes, the full run about 15), DURATION (6 s), REPS (3),
#      WARMUP (1 s), CONNS ("1 16 64"), HQML_SERVE_BENCH_DIR (build/h-serve-bench), HQML_SERVE_PEERS_VENV
#      (build/serve-peers-venv), PORT_BASE (18480).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${HQML_SERVE_BENCH_DIR:-$root/build/h-serve-bench}
venv=${HQML_SERVE_PEERS_VENV:-$root/build/serve-peers-venv}
src=$(realpath "${1:-$root/build/dev/examples/hqml}")
if [ "${QUICK:-0}" = 1 ]; then
  : "${DURATION:=2}" "${REPS:=1}" "${WARMUP:=1}"
fi
duration=${DURATION:-6}
reps=${REPS:-3}
warmup=${WARMUP:-1}
conns=${CONNS:-1 16 64}
port_base=${PORT_BASE:-18480}
peers=$root/benchmarks/peers

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "serve.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
mkdir -p "$work"
cp "$src" "$work/hqml"
hqml=$work/hqml

if [ ! -f "$venv/.hqml-serve-peers-v1" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check azureml-inference-server-http \
    "qiskit>=1.0" qiskit-machine-learning scikit-learn
  touch "$venv/.hqml-serve-peers-v1"
fi
py=$venv/bin/python

out=$work/run-$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$out/wrk"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$py" "$root/tests/realdata/make_datasets.py" "$work/data" >/dev/null
"$hqml" run --data "$work/data/breast_cancer.csv" --label diagnosis --drop id --qubits 8 --seed 0 --threads 2 \
  --out "$work/model-run" >"$out/hqml-run.log" 2>&1
model=$work/model-run/model
"$py" "$peers/serve_setup.py" bodies --csv "$work/data/breast_cancer.csv" --out "$out" >/dev/null

# Waits until a line matching $2 appears $3 times in log $1 (60 s at most).
wait_log() {
  local i
  for i in $(seq 600); do
    [ "$(grep -c -- "$2" "$1" || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "serve.sh: no '$2' in $1 after 60 s:" >&2
  tail -5 "$1" >&2
  exit 1
}
rss_kb() { awk '/^VmRSS/ {s += $2} END {print s}' "${@/%//status}"; }
proc_ticks() { cat "${@/%//stat}" 2>/dev/null | awk '{s += $14 + $15} END {print s + 0}'; }
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# Waits until the processes use no CPU for 0.3 s (the peer goes on with requests wrk left behind).
wait_idle() {
  local before after i
  for i in $(seq 400); do
    before=$(proc_ticks "$@")
    sleep 0.3
    after=$(proc_ticks "$@")
    [ $((after - before)) -le 1 ] && return 0
  done
  echo "serve.sh: the server is still busy 120 s after a run" >&2
  exit 1
}

# Something already listening there would share the port (cpp-httplib sets SO_REUSEPORT) or take the traffic.
port_free() {
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; then
    echo "serve.sh: port $1 is in use; set PORT_BASE" >&2
    exit 1
  fi
}
start_hqml() {  # name port route
  local log=$out/$1.log
  port_free "$2"
  : >"$log"
  "$hqml" serve --model "$model" --port "$2" --route "$3" --threads 64 --kernel-threads 2 \
    --watch-s 0 >>"$log" 2>&1 &
  pids+=($!)
  eval "$1_pid=$!"
  wait_log "$log" '"event":"listening"' 1
  sleep 0.5
  eval "$1_rss=\$(rss_kb /proc/$!)"
  curl -sf "http://127.0.0.1:$2/v2/health/ready" >/dev/null
}
start_hqml hq_quantum $((port_base)) quantum
start_hqml hq_classical $((port_base + 1)) classical

peer_port=$((port_base + 2))
port_free "$peer_port"
: >"$out/peer.log"
(cd "$out" && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1 WORKER_COUNT=2 \
  exec "$venv/bin/azmlinfsrv" --entry_script "$peers/serve_peer_score.py" --model_dir "$model" \
  --port "$peer_port" >>"$out/peer.log" 2>&1) &
pids+=($!)
peer_master=$!
wait_log "$out/peer.log" "ready for serving traffic" 2
sleep 0.5
peer_procs=(/proc/$peer_master $(pgrep -P "$peer_master" | sed 's|^|/proc/|'))
peer_rss=$(rss_kb "${peer_procs[@]}")
peer_workers=("${peer_procs[@]:1}")

echo "command: benchmarks/serve.sh $* (DURATION=$duration REPS=$reps WARMUP=$warmup CONNS=\"$conns\")"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u '+%F %H:%M UTC')"
echo "hqml: $src ($("$hqml" --version), sha256 $(sha256sum "$hqml" | cut -c1-12), built $(date -u -r "$src" '+%F %H:%M UTC'))"
echo "peer: $("$py" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ["azureml-inference-server-http", "gunicorn", "qiskit", "qiskit-machine-learning", "scikit-learn", "numpy"]))')"
"$py" - "$work/model-run" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/metrics.json"))
mod = json.load(open(f"{sys.argv[1]}/model/model.json"))
fm = mod["feature_map"]
print(f"model: {fm['kind']} map, {fm['num_qubits']} qubits, reps {fm['reps']}, {fm['entanglement']}; "
      f"{sum(mod['svc']['n_support'])} support vectors (quantum), {sum(mod['classical.svc']['n_support'])} (classical); "
      f"held-out accuracy {m['quantum']['test_accuracy']:.3f} (quantum), {m['classical']['test_accuracy']:.3f} (classical)")
PY
echo "idle RSS after start, before any request: hqml serve (quantum) $((hq_quantum_rss / 1024)) MB ($hq_quantum_rss kB), (classical) $((hq_classical_rss / 1024)) MB ($hq_classical_rss kB); peer (gunicorn master + 2 workers) $((peer_rss / 1024)) MB"
"$py" "$peers/serve_setup.py" check --rows "$out/check.json" --hqml "http://127.0.0.1:$port_base/score" \
  --peer "http://127.0.0.1:$peer_port/score" --count 100000
echo

runs=$out/runs.tsv
: >"$runs"
seed=0
# One wrk run: server route cache rows conns rep port log procs...
measure() {
  local server=$1 route=$2 cache=$3 rows=$4 c=$5 rep=$6 port=$7 log=$8
  shift 8
  local vary=0 threads=2
  [ "$cache" = hit ] || vary=1
  [ "$c" -ge 2 ] || threads=1
  local body=$out/body$rows.txt tag=$server-$route-$cache-$rows-$c-$rep
  local url=http://127.0.0.1:$port/score
  if [ "$rep" = 1 ]; then
    seed=$((seed + 10000000))
    WRK_BODY=$body WRK_VARY=$vary WRK_SEED=$seed wrk -t$threads -c"$c" -d"${warmup}s" --timeout 60s \
      -s "$peers/serve_wrk.lua" "$url" >/dev/null
    wait_idle "$@"
  fi
  seed=$((seed + 10000000))
  local load t0 t1 s0 s1 b0 b1 wrk_cpu
  load=$(cut -d' ' -f1 /proc/loadavg)
  s0=$(proc_ticks "$@")
  b0=$(busy_ticks)
  t0=$(date +%s.%N)
  wrk_cpu=$( { /usr/bin/time -f '%U %S' env WRK_BODY="$body" WRK_VARY=$vary WRK_SEED=$seed \
    WRK_OUT="$out/wrk/$tag.json" wrk -t$threads -c"$c" -d"${duration}s" --timeout 60s --latency \
    -s "$peers/serve_wrk.lua" "$url" >"$out/wrk/$tag.txt"; } 2>&1 | tail -1)
  t1=$(date +%s.%N)
  s1=$(proc_ticks "$@")
  b1=$(busy_ticks)
  wait_idle "$@"
  # CPU in cores over the run: the machine's, the server's, wrk's, and what is left (other people's work).
  local cpu
  cpu=$(awk -v t0="$t0" -v t1="$t1" -v s="$((s1 - s0))" -v b0="$b0" -v b1="$b1" -v w="$wrk_cpu" -v n="$(nproc)" '
    BEGIN { split(b0, x, " "); split(b1, y, " "); split(w, u, " "); dt = t1 - t0;
            busy = n * (y[1] - x[1]) / (y[2] - x[2]); srv = s / 100 / dt; wc = (u[1] + u[2]) / dt;
            other = busy - srv - wc; if (other < 0) other = 0;
            printf "%.2f %.2f %.2f %.2f", busy, srv, wc, other }')
  # A request the server answered with an error, or one wrk counted as an error, stops the benchmark.
  if grep -Eq '"status":[^2]|/score [^2][0-9][0-9] ' "$log"; then
    echo "serve.sh: $server answered errors under $tag; see $log" >&2
    exit 1
  fi
  if ! grep -q '"errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}' "$out/wrk/$tag.json"; then
    echo "serve.sh: wrk counted errors under $tag: $(cat "$out/wrk/$tag.json")" >&2
    exit 1
  fi
  : >"$log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$route" "$cache" "$rows" "$c" "$rep" "$load" \
    "$out/wrk/$tag.json" "$cpu" >>"$runs"
  printf '%-6s %-9s %-4s rows=%-2s c=%-2s rep %s: %s (load %s; CPU cores machine/server/wrk/other %s)\n' "$server" \
    "$route" "$cache" "$rows" "$c" "$rep" "$(grep -m1 'Requests/sec' "$out/wrk/$tag.txt" | tr -s ' ')" "$load" "$cpu" >&2
}

for rep in $(seq "$reps"); do
  for rows in 1 64; do
    for c in $conns; do
      for route in quantum classical; do
        pidvar=hq_${route}_pid
        port=$port_base
        [ "$route" = classical ] && port=$((port_base + 1))
        for cache in hit miss; do
          measure hqml "$route" "$cache" "$rows" "$c" "$rep" "$port" "$out/hq_$route.log" "/proc/${!pidvar}"
        done
      done
      measure peer quantum none "$rows" "$c" "$rep" "$peer_port" "$out/peer.log" "${peer_workers[@]}"
    done
  done
done

"$py" "$peers/serve_setup.py" table --runs "$runs"
echo
echo "runs, wrk outputs and server logs: $out"
