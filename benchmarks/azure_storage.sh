#!/usr/bin/env bash
# The Azure storage adapter (hqml::azure) against the official Python SDK: writing and reading back a 1 GB object
# through the loopback storage server (tests/azure/storage_server.py, Python standard library, run with `python3 -S`),
# Blob and Data Lake (DFS), SharedKey with the Azurite key.
#   hqml   benchmarks/azure_storage_bench (open_write, then open_read; hash checked), 4 MiB chunks, 4 in flight
#          (the adapter's defaults), twice: --mode memory (the object in memory before the clock starts and read
#          back into memory, as the SDK is used here: the comparison) and --mode stream (generated and hashed while
#          streaming, all of it timed, memory a few chunks: "hqml-stream")
#   SDK    benchmarks/peers/azure_storage_peer.py: azure-storage-blob upload_blob / download_blob().readall() and
#          azure-storage-file-datalake upload_data / download_file().readall(), max_concurrency=4 (the SDK's default
#          is 1; 4 is what hqml uses), block and chunk sizes the SDK's defaults; bytes compared
#   curl   the ceiling of the server with no SDK at all: one Put Blob of the whole object (curl -T) and one GET,
#          with a container SAS, from and to a file on disk (Blob only)
# In REPS rounds, each round: for Blob then DFS, hqml, the SDK and hqml-stream (odd rounds; even rounds the reverse
# order), then curl.
# Before each run it records the 1-minute load average; a sampler records the server's and the machine's CPU
# (/proc), so the table says how busy the server was during each transfer (the server is single-process Python
# with a thread per connection: under the GIL it may be the bottleneck on this machine).
#
# Usage: benchmarks/azure_storage.sh [BENCH]   (default build/h-bench/benchmarks/azure_storage_bench)
# Env: BYTES (1073741824), REPS (3), SEED (1), SDK_CONCURRENCY (4: the SDK's max_concurrency; 1 is its default),
#      HQML_AZURE_BENCH_DIR (build/h-bench/azure-storage: the server's data and the curl file live there, on disk;
#      both deleted at the end), HQML_AZURE_VENV (build/azure-venv, made by tests/python/setup-venv.sh azure),
#      PYTHON (python3: runs the server).
# Output: the markdown tables (stdout) and DIR/runs.jsonl, DIR/samples.txt, DIR/server.log (kept).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$(realpath "${1:-$root/build/h-bench/benchmarks/azure_storage_bench}")
work=${HQML_AZURE_BENCH_DIR:-$root/build/h-bench/azure-storage}
venv=${HQML_AZURE_VENV:-$root/build/azure-venv}
python=${PYTHON:-python3}
bytes=${BYTES:-1073741824}
reps=${REPS:-3}
seed=${SEED:-1}
sdk_concurrency=${SDK_CONCURRENCY:-4}
peer=$root/benchmarks/peers/azure_storage_peer.py
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
die() { echo "azure_storage.sh: $*" >&2; exit 1; }
[[ -x $bench ]] || die "no bench program at $bench (build the azure_storage_bench target)"
[[ -x $venv/bin/python ]] || die "no venv at $venv (tests/python/setup-venv.sh azure)"

mkdir -p "$work"
rm -rf "$work/data" "$work/curl.bin" "$work/runs.jsonl" "$work/samples.txt" "$work/port"
server_pid='' sampler_pid=''
cleanup() {
  if [[ -n $sampler_pid ]]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work/data" "$work/curl.bin" "$work/curl.back"
}
trap cleanup EXIT

"$python" -S "$root/tests/azure/storage_server.py" --port-file "$work/port" --data-dir "$work/data" \
  >"$work/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || die "the server did not start: $(cat "$work/server.log")"
port=$(cat "$work/port")
endpoint=http://127.0.0.1:$port/devstoreaccount1
"$python" -S "$peer" sample --pid "$server_pid" --out "$work/samples.txt" &
sampler_pid=$!

export HQML_AZURE_STORAGE_ENDPOINT="http://127.0.0.1:$port/{account}" AZURE_STORAGE_KEY=$key
unset AZURE_STORAGE_ACCOUNT

load1() { cut -d' ' -f1 /proc/loadavg; }
# Appends one JSON line to runs.jsonl: the run's own, plus the round and the load average before it.
record() {
  local round=$1 load=$2 line=$3
  printf '%s\n' "$line" | "$python" -S -c 'import json, sys
r = json.loads(sys.stdin.read())
r["round"], r["load1"] = int(sys.argv[1]), float(sys.argv[2])
print(json.dumps(r))' "$round" "$load" >>"$work/runs.jsonl"
  echo "  round $round load $load: $line" >&2
}
run_hqml() {
  local round=$1 svc=$2 mode=$3 uri load
  if [[ $svc == blob ]]; then
    uri=https://devstoreaccount1.blob.core.windows.net/bench-hqml/r$round.bin
  else
    uri=abfss://bench-hqml-fs@devstoreaccount1.dfs.core.windows.net/dir/r$round.bin
  fi
  load=$(load1)
  record "$round" "$load" "$("$bench" --uri "$uri" --bytes "$bytes" --seed "$seed" --mode "$mode")"
}
run_sdk() {
  local round=$1 svc=$2 load
  load=$(load1)
  record "$round" "$load" "$("$venv/bin/python" "$peer" run --endpoint "$endpoint" --service "$svc" \
    --container "bench-sdk-$svc" --name "dir/r$round.bin" --bytes "$bytes" --seed "$seed" \
    --concurrency "$sdk_concurrency")"
}
now() { date +%s.%N; }
run_curl() {
  local round=$1 load url w0 w1 r0 r1 code
  load=$(load1)
  url="$endpoint/bench-curl/r$round.bin?$sas"
  w0=$(now)
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Expect:' -H 'x-ms-blob-type: BlockBlob' \
    -H 'x-ms-version: 2021-08-06' -T "$work/curl.bin" "$url")
  w1=$(now)
  [[ $code == 201 ]] || die "curl PUT answered $code"
  r0=$(now)
  code=$(curl -sS -o "$work/curl.back" -w '%{http_code}' -H 'x-ms-version: 2021-08-06' "$url")
  r1=$(now)
  [[ $code == 200 ]] || die "curl GET answered $code"
  local ok=false
  cmp -s "$work/curl.bin" "$work/curl.back" && ok=true
  rm -f "$work/curl.back"
  curl -sS -o /dev/null -X DELETE -H 'x-ms-version: 2021-08-06' "$url"
  record "$round" "$load" "$("$python" -S -c 'import json,sys
n,w0,w1,r0,r1=int(sys.argv[1]),*map(float,sys.argv[2:6])
print(json.dumps({"tool":"curl","service":"blob","bytes":n,"write_s":round(w1-w0,4),"write_MBps":round(n/(w1-w0)/1e6,1),
  "read_s":round(r1-r0,4),"read_MBps":round(n/(r1-r0)/1e6,1),"verified":sys.argv[6]=="true",
  "write_t0":w0,"write_t1":w1,"read_t0":r0,"read_t1":r1}))' "$bytes" "$w0" "$w1" "$r0" "$r1" "$ok")"
}

sas=$("$venv/bin/python" "$peer" sas --endpoint "$endpoint" --container bench-curl)
head -c "$bytes" /dev/urandom >"$work/curl.bin"
sync

echo "azure_storage.sh: $bytes bytes, $reps rounds, SDK max_concurrency $sdk_concurrency," \
  "server pid $server_pid on port $port, data in $work/data" >&2
echo "started $(date -u '+%Y-%m-%d %H:%M:%S') UTC; load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs" >&2
for round in $(seq "$reps"); do
  for svc in blob dfs; do
    if ((round % 2 == 1)); then
      run_hqml "$round" "$svc" memory
      run_sdk "$round" "$svc"
      run_hqml "$round" "$svc" stream
    else
      run_hqml "$round" "$svc" stream
      run_sdk "$round" "$svc"
      run_hqml "$round" "$svc" memory
    fi
  done
  run_curl "$round"
done
echo "finished $(date -u '+%Y-%m-%d %H:%M:%S') UTC; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=''
echo "peer: $("$venv/bin/python" "$peer" versions); server: $("$python" --version);" \
  "$(curl --version | head -1 | cut -d' ' -f1-2)"
"$python" -S "$peer" table --runs "$work/runs.jsonl" --samples "$work/samples.txt"
