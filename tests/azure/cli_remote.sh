#!/usr/bin/env bash
# The hqml program with storage URIs as input and output paths (examples/hqml/remote_paths.hpp), against the
# loopback storage server (storage_server.py, started by the azure_server ctest fixture).
# Usage: cli_remote.sh HQML SERVER_DIR     (SERVER_DIR/port: the server's port file)
# Checks:
#  - hqml run --data abfss://... --out abfss://...: the published folder holds what a local run of the same data
#    writes, byte for byte (model/*; metrics.json apart from dataset.source, which names the URI);
#  - hqml predict --model/--data/--out abfss://... (and azureml://) equals a local predict byte for byte;
#  - hqml prep, train --transform and kernel --transform with abfss:// inputs and outputs equal local ones;
#  - hqml serve --model/--classical abfss://...: ready, and its downloaded copies removed when it exits;
#  - hqml simulate, anneal, vqe (HAMILTONIAN, --initial-point, --output, --save-circuit), assess --train and
#    tune --data with abfss:// paths print what the same commands print for local copies (fixed seeds; times
#    and the input's name apart); vqe's uploaded --output and --save-circuit equal local ones;
#  - Blob https:// URIs with a service SAS (no account key in the environment): run --out, predict --model;
#  - hostile: a missing object (one line naming the option, exit != 0), an --out that exists (refused, the
#    remote untouched), a fault injected mid-upload (failure, nothing final left, no local temporary left);
#  - no secret (the account key, a SAS signature) in any line the program printed.
# Prints "ok: cli_remote" last when every check passed.
set -euo pipefail
hqml=$1
server_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
[[ -s $server_dir/port ]] || { echo "HQML_TEST_SKIPPED: no loopback storage server ($server_dir/port)"; exit 0; }
port=$(cat "$server_dir/port")
base=http://127.0.0.1:$port
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
account=devstoreaccount1
work=$(mktemp -d "${TMPDIR:-/tmp}/hqml-cli-remote.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp  # the program's temporaries go here: checked empty after every command
export HQML_AZURE_STORAGE_ENDPOINT="$base/{account}"
export AZURE_STORAGE_KEY=$key
unset AZURE_STORAGE_ACCOUNT AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_TENANT_ID AZURE_FEDERATED_TOKEN_FILE || true
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
all_output=$work/all-output.txt
: >"$all_output"

# Storage operations of the test itself (SharedKey and a service SAS, Python standard library only).
cat >"$work/az.py" <<'EOF'
import base64, datetime, hashlib, hmac, json, sys, urllib.parse, urllib.request
base, account, key = sys.argv[1], sys.argv[2], sys.argv[3]
cmd, args = sys.argv[4], sys.argv[5:]
VERSION = "2021-08-06"

def request(method, path, query=None, body=b"", headers=None):
    headers = dict(headers or {})
    if method in ("PUT", "POST"):
        headers["Content-Type"] = "application/octet-stream"  # urllib would add its own otherwise
    headers["x-ms-date"] = datetime.datetime.utcnow().strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers["x-ms-version"] = VERSION
    query = query or {}
    url_path = "/" + account + "/" + urllib.parse.quote(path)
    xms = "".join("%s:%s\n" % (k.lower(), v) for k, v in sorted(headers.items(), key=lambda kv: kv[0].lower())
                  if k.lower().startswith("x-ms-"))
    res = "/" + account + url_path + "".join("\n%s:%s" % (k.lower(), v) for k, v in sorted(query.items()))
    length = str(len(body)) if body else ""
    sts = "\n".join([method, "", "", length, "", headers.get("Content-Type", ""), "", "", "", "", "", ""]) + "\n"
    sig = base64.b64encode(hmac.new(base64.b64decode(key), (sts + xms + res).encode(), hashlib.sha256).digest())
    headers["Authorization"] = "SharedKey %s:%s" % (account, sig.decode())
    url = base + url_path + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None, method=method,
                                 headers=headers)
    if method in ("PUT", "POST"):
        req.add_header("Content-Length", str(len(body)))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

if cmd == "mkcontainer":
    s, b = request("PUT", args[0], {"restype": "container"})
    assert s == 201, (s, b)
elif cmd == "put":  # put CONTAINER/PATH FILE
    with open(args[1], "rb") as f:
        s, b = request("PUT", args[0], body=f.read(), headers={"x-ms-blob-type": "BlockBlob"})
    assert s == 201, (s, b)
elif cmd == "get":  # get CONTAINER/PATH FILE
    s, b = request("GET", args[0])
    assert s == 200, (s, b[:300])
    open(args[1], "wb").write(b)
elif cmd in ("list", "listall"):  # list CONTAINER PREFIX: blob names (files; listall: directories too)
    s, b = request("GET", args[0], {"restype": "container", "comp": "list", "prefix": args[1],
                                    "include": "metadata"})
    assert s == 200, (s, b)
    import re
    for blob in re.findall(r"<Blob>(.*?)</Blob>", b.decode(), re.S):
        if cmd == "list" and ("<ResourceType>directory</ResourceType>" in blob or
                              "<hdi_isfolder>true</hdi_isfolder>" in blob):
            continue
        print(re.search(r"<Name>(.*?)</Name>", blob).group(1))
elif cmd == "sas":  # sas CONTAINER: a service SAS for the container (read, add, create, write, delete, list)
    st = (datetime.datetime.utcnow() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    se = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sp, sv, sr = "racwdl", "2020-12-06", "c"
    canon = "/blob/%s/%s" % (account, args[0])
    sts = "\n".join([sp, st, se, canon, "", "", "", sv, sr, "", "", "", "", "", "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()).decode()
    print(urllib.parse.urlencode({"sv": sv, "sr": sr, "sp": sp, "st": st, "se": se, "sig": sig}))
elif cmd == "fault":  # fault JSON
    req = urllib.request.Request(base + "/__hqml/faults", data=args[0].encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
elif cmd == "reset":
    urllib.request.urlopen(urllib.request.Request(base + "/__hqml/reset", data=b"", method="POST")).read()
else:
    sys.exit("unknown command " + cmd)
EOF
az() { python3 "$work/az.py" "$base" "$account" "$key" "$@"; }

# A program run: its output (stdout and stderr) kept in FILE and in all_output; its status in $rc.
run() {
  local out=$1
  shift
  set +e
  "$hqml" "$@" >"$out" 2>&1
  rc=$?
  set -e
  cat "$out" >>"$all_output"
}
tmp_empty() { [[ -z $(ls -A "$TMPDIR") ]] || fail "$1: temporaries left in TMPDIR: $(ls -A "$TMPDIR")"; }

# --- Data: two noisy classes, 4 features, 60 rows (deterministic). ------------------------------------------
mkdir -p "$work/local"
python3 - "$work/local/train.csv" <<'EOF'
import random, sys
r = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,d,y\n")
    for i in range(60):
        y = i % 2
        f.write(",".join("%.4f" % (r.gauss(0.8 * y, 0.6)) for _ in range(4)) + ",%s\n" % ("pos" if y else "neg"))
EOF
c=cli$(date +%s%N | tail -c 9)
az mkcontainer "$c"
az put "$c/data/train.csv" "$work/local/train.csv"
dfs=abfss://$c@$account.dfs.core.windows.net
blob=https://$account.blob.core.windows.net/$c
opts=(--label y --folds 2 --C 1 --feature-scales 1 --grid-extensions 0 --no-assess --seed 3 --threads 1)

# --- hqml run: local, then Data Lake in and out ----------------------------------------------------------------
run "$work/o1" run --data "$work/local/train.csv" --out "$work/local-run" "${opts[@]}"
[[ $rc == 0 ]] || { cat "$work/o1"; fail "local run"; }
run "$work/o2" run --data "$dfs/data/train.csv" --out "$dfs/runs/42" "${opts[@]}"
[[ $rc == 0 ]] || { cat "$work/o2"; fail "remote run"; }
tmp_empty "remote run"
grep -q "wrote     $dfs/runs/42/" "$work/o2" || fail "remote run: the summary does not name the URI"
mapfile -t local_files < <(cd "$work/local-run" && find . -type f | sed 's|^\./||' | sort)
mapfile -t remote_files < <(az list "$c" runs/42/ | sed 's|^runs/42/||' | sort)
[[ "${local_files[*]}" == "${remote_files[*]}" ]] ||
  fail "published files differ: local [${local_files[*]}] remote [${remote_files[*]}]"
mkdir -p "$work/fetched"
for f in "${remote_files[@]}"; do
  mkdir -p "$(dirname "$work/fetched/$f")"
  az get "$c/runs/42/$f" "$work/fetched/$f"
done
n_same=0
for f in "${local_files[@]}"; do
  case $f in
    timings.json | report.html) continue ;;  # times: not deterministic
    metrics.json)
      python3 - "$work/local-run/$f" "$work/fetched/$f" "$dfs/data/train.csv" <<'EOF' || fail "metrics.json differs"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert b["dataset"]["source"] == sys.argv[3], b["dataset"]["source"]
a["dataset"].pop("source"), b["dataset"].pop("source")
assert a == b
EOF
      ;;
    *) cmp -s "$work/local-run/$f" "$work/fetched/$f" || fail "$f differs between the local and the remote run" ;;
  esac
  n_same=$((n_same + 1))
done
echo "run: ${#remote_files[@]} files published, $n_same compared equal to a local run"

# --- hqml predict: Data Lake model, data and output ------------------------------------------------------------
run "$work/o3" predict --model "$work/local-run/model" --data "$work/local/train.csv" --out "$work/pred-local.csv"
[[ $rc == 0 ]] || { cat "$work/o3"; fail "local predict"; }
run "$work/o4" predict --model "$dfs/runs/42/model" --data "$dfs/data/train.csv" --out "$dfs/pred/p.csv"
[[ $rc == 0 ]] || { cat "$work/o4"; fail "remote predict"; }
tmp_empty "remote predict"
az get "$c/pred/p.csv" "$work/pred-remote.csv"
cmp -s "$work/pred-local.csv" "$work/pred-remote.csv" || fail "remote predictions differ from local ones"
echo "predict (abfss): predictions equal to a local predict"
# azureml:// through a datastore: the same model and data, the predictions to a local file.
HQML_AZUREML_DATASTORES="store=$dfs" run "$work/o4b" predict --model azureml://datastores/store/paths/runs/42/model \
  --data azureml://datastores/store/paths/data/train.csv --out "$work/pred-azureml.csv"
[[ $rc == 0 ]] || { cat "$work/o4b"; fail "predict with azureml:// URIs"; }
cmp -s "$work/pred-local.csv" "$work/pred-azureml.csv" || fail "azureml:// predictions differ from local ones"
tmp_empty "predict (azureml)"
echo "predict (azureml://): predictions equal to a local predict"

# --- hqml prep, train --transform, kernel --transform: Data Lake in and out, against the same run locally ------------
run "$work/p1" prep --train "$work/local/train.csv" --test "$work/local/train.csv" --label y --qubits 2 --out "$work/prep"
[[ $rc == 0 ]] || { cat "$work/p1"; fail "local prep"; }
run "$work/p2" prep --train "$dfs/data/train.csv" --test "$dfs/data/train.csv" --label y --qubits 2 --out "$dfs/prep/1"
[[ $rc == 0 ]] || { cat "$work/p2"; fail "remote prep"; }
tmp_empty "remote prep"
mapfile -t local_files < <(cd "$work/prep" && find . -type f | sed 's|^\./||' | sort)
mapfile -t remote_files < <(az list "$c" prep/1/ | sed 's|^prep/1/||' | sort)
[[ "${local_files[*]}" == "${remote_files[*]}" ]] || fail "prep: files differ: [${local_files[*]}] [${remote_files[*]}]"
for f in train.csv test.csv; do
  az get "$c/prep/1/$f" "$work/prep-$f"
  cmp -s "$work/prep/$f" "$work/prep-$f" || fail "prep: $f differs from a local prep's"
done
az get "$c/prep/1/prep.json" "$work/prep-remote.json"
grep -F "$dfs/data/train.csv" "$work/prep-remote.json" >/dev/null || fail "prep.json does not name the URI it read"
train_opts=(--label y --C 1 --reps 1 --threads 1)
run "$work/t1" train --train "$work/local/train.csv" --transform "$work/prep/transform" --out "$work/model-t" "${train_opts[@]}"
[[ $rc == 0 ]] || { cat "$work/t1"; fail "local train"; }
run "$work/t2" train --train "$dfs/data/train.csv" --transform "$dfs/prep/1/transform" --out "$dfs/models/t1" \
  "${train_opts[@]}"
[[ $rc == 0 ]] || { cat "$work/t2"; fail "remote train"; }
tmp_empty "remote train"
grep -F "model written to $dfs/models/t1" "$work/t2" >/dev/null || { cat "$work/t2"; fail "train names no URI"; }
run "$work/t3" predict --model "$work/model-t" --data "$work/local/train.csv" --out "$work/pred-t-local.csv"
run "$work/t4" predict --model "$dfs/models/t1" --data "$work/local/train.csv" --out "$work/pred-t-remote.csv"
[[ $rc == 0 ]] || { cat "$work/t4"; fail "predict with the remotely trained model"; }
cmp -s "$work/pred-t-local.csv" "$work/pred-t-remote.csv" || fail "train: the remote model predicts otherwise"
run "$work/k1" kernel --train "$work/local/train.csv" --transform "$work/prep/transform" --reps 1 --threads 1 \
  --out "$work/k-local.npy"
[[ $rc == 0 ]] || { cat "$work/k1"; fail "local kernel"; }
run "$work/k2" kernel --train "$dfs/data/train.csv" --test "$dfs/data/train.csv" --transform "$dfs/prep/1/transform" \
  --reps 1 --threads 1 --out "$dfs/kernels/k.npy"
[[ $rc == 0 ]] || { cat "$work/k2"; fail "remote kernel"; }
tmp_empty "remote kernel"
az get "$c/kernels/k.npy" "$work/k-remote.npy"
cmp -s "$work/k-local.npy" "$work/k-remote.npy" || fail "kernel: the remote .npy differs from a local one"
echo "prep, train, kernel (abfss): outputs equal to local ones"

# --- Blob https:// with a service SAS, no account key ------------------------------------------------------------
sas=$(az sas "$c")
sig=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.parse_qs(sys.argv[1])["sig"][0])' "$sas")
(
  unset AZURE_STORAGE_KEY
  run "$work/o5" run --data "$blob/data/train.csv?$sas" --out "$blob/runs/43?$sas" "${opts[@]}"
  [[ $rc == 0 ]] || { cat "$work/o5"; fail "run with Blob SAS URIs"; }
  tmp_empty "run (blob)"
  run "$work/o6" predict --model "$blob/runs/43/model?$sas" --data "$blob/data/train.csv?$sas" \
    --out "$blob/pred/p2.csv?$sas"
  [[ $rc == 0 ]] || { cat "$work/o6"; fail "predict with Blob SAS URIs"; }
  tmp_empty "predict (blob)"
)
az list "$c" runs/43/ | grep -x 'runs/43/.hqml-published' >/dev/null || fail "the Blob folder has no marker"
az get "$c/pred/p2.csv" "$work/pred-blob.csv"
cmp -s "$work/pred-local.csv" "$work/pred-blob.csv" || fail "Blob predictions differ from local ones"
cmp -s "$work/fetched/model/model.json" <(az get "$c/runs/43/model/model.json" /dev/stdout) ||
  fail "the Blob run's model.json differs"
# What the run wrote names its data by URI: without the SAS's signature (metrics.json, the report, the model).
for f in metrics.json report.html model/model.json; do
  az get "$c/runs/43/$f" "$work/sas-check"
  if grep -F -e "$sig" "$work/sas-check" >/dev/null || grep -E 'sig=[^[&]' "$work/sas-check" >/dev/null; then
    fail "runs/43/$f holds the SAS signature"
  fi
done
grep -F "data/train.csv" "$work/sas-check" >/dev/null || grep -F "data/train.csv" <(az get "$c/runs/43/metrics.json" /dev/stdout) >/dev/null ||
  fail "metrics.json does not name the data's URI"
echo "blob (SAS): run published with its marker, predictions equal to a local predict, no signature in its files"

# --- hqml serve --model URI: the folder downloaded at start, scored as the local model, removed at exit ---------
serve_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$hqml" serve --model "$dfs/runs/42/model" --classical "$dfs/runs/42/model" --port "$serve_port" --cache none \
  >"$work/s1" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do
  grep -F '"event":"listening"' "$work/s1" >/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
grep -F '"event":"listening"' "$work/s1" >/dev/null || { cat "$work/s1"; fail "serve --model URI did not start"; }
grep -F "\"model\":\"$dfs/runs/42/model\"" "$work/s1" >/dev/null || { cat "$work/s1"; fail "serve names no URI"; }
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$serve_port/v2/health/ready")
[[ -n $(ls -A "$TMPDIR") ]] || fail "serve: no downloaded model while serving"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve did not exit 0 on SIGTERM"
cat "$work/s1" >>"$all_output"
[[ $ready == 200 ]] || { cat "$work/s1"; fail "serve --model URI: not ready ($ready)"; }
tmp_empty "serve"
echo "serve --model/--classical (abfss): ready, the downloaded folders removed at exit"

# --- simulate, anneal, vqe, assess, tune: Data Lake inputs (and vqe's outputs), against local copies ----------------
cat >"$work/local/ghz.qasm" <<'EOF'
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
measure q -> c;
EOF
printf '6 7\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 6 1\n6 1 1\n1 4 -1\n' >"$work/local/ring.txt" # Gset: n m, then i j w
printf '1.0 ZZ\n0.5 IX\n0.5 XI\n' >"$work/local/h.txt"                                      # Pauli sum, 2 qubits
printf '[0.1, 0.2, 0.3, 0.4]\n' >"$work/local/theta.json"                                   # RealAmplitudes reps 1
for f in ghz.qasm ring.txt h.txt theta.json; do az put "$c/in/$f" "$work/local/$f"; done
# The same JSON apart from FIELD (which names the URI in the remote one) and the times.
same_json() {
  python3 - "$1" "$2" "$3" "$4" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
field, uri = sys.argv[3], sys.argv[4]
assert b[field] == uri, (b[field], uri)
for d in (a, b):
    for k in (field, "time_s", "time_to_best_s", "spin_updates_per_s"):
        d.pop(k, None)
assert a == b, (a, b)
EOF
}
run "$work/q1" simulate "$work/local/ghz.qasm" --shots 500 --seed 11 --threads 1 --statevector --json
[[ $rc == 0 ]] || { cat "$work/q1"; fail "local simulate"; }
run "$work/q2" simulate "$dfs/in/ghz.qasm" --shots 500 --seed 11 --threads 1 --statevector --json
[[ $rc == 0 ]] || { cat "$work/q2"; fail "remote simulate"; }
tmp_empty "remote simulate"
same_json "$work/q1" "$work/q2" circuit "$dfs/in/ghz.qasm" || fail "simulate FILE URI: output differs from a local run"
run "$work/q3" anneal "$work/local/ring.txt" --reads 8 --sweeps 50 --seed 5 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q3"; fail "local anneal"; }
run "$work/q4" anneal "$dfs/in/ring.txt" --reads 8 --sweeps 50 --seed 5 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q4"; fail "remote anneal"; }
tmp_empty "remote anneal"
same_json "$work/q3" "$work/q4" file "$dfs/in/ring.txt" || fail "anneal FILE URI: output differs from a local run"
vqe_opts=(--reps 1 --iterations 30 --seed 2 --threads 1 --json)
run "$work/q5" vqe "$work/local/h.txt" --initial-point "$work/local/theta.json" --output "$work/vqe-local.json" \
  --save-circuit "$work/vqe-local.qasm" "${vqe_opts[@]}"
[[ $rc == 0 ]] || { cat "$work/q5"; fail "local vqe"; }
run "$work/q6" vqe "$dfs/in/h.txt" --initial-point "$dfs/in/theta.json" --output "$dfs/vqe/out.json" \
  --save-circuit "$dfs/vqe/out.qasm" "${vqe_opts[@]}"
[[ $rc == 0 ]] || { cat "$work/q6"; fail "remote vqe"; }
tmp_empty "remote vqe"
same_json "$work/q5" "$work/q6" hamiltonian "$dfs/in/h.txt" || fail "vqe URIs: output differs from a local run"
az get "$c/vqe/out.json" "$work/vqe-remote.json"
same_json "$work/vqe-local.json" "$work/vqe-remote.json" hamiltonian "$dfs/in/h.txt" ||
  fail "vqe --output URI: the uploaded JSON differs from a local one"
az get "$c/vqe/out.qasm" "$work/vqe-remote.qasm"
cmp -s "$work/vqe-local.qasm" "$work/vqe-remote.qasm" || fail "vqe --save-circuit URI: the circuit differs"
run "$work/q7" vqe "$dfs/in/h.txt" --output "$dfs/vqe/out.json" "${vqe_opts[@]}"
[[ $rc != 0 ]] && grep -q -- "--output $dfs/vqe/out.json: exists already" "$work/q7" ||
  { cat "$work/q7"; fail "vqe: an existing --output object was replaced"; }
run "$work/q8" assess --train "$work/local/train.csv" --label y --qubits 2 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q8"; fail "local assess"; }
run "$work/q9" assess --train "$dfs/data/train.csv" --label y --qubits 2 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q9"; fail "remote assess"; }
cmp -s "$work/q8" "$work/q9" || fail "assess --train URI: output differs from a local run"
run "$work/q10" tune --data "$work/local/train.csv" --label y --budget 3 --folds 2 --seed 4 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q10"; fail "local tune"; }
run "$work/q11" tune --data "$dfs/data/train.csv" --label y --budget 3 --folds 2 --seed 4 --threads 1 --json
[[ $rc == 0 ]] || { cat "$work/q11"; fail "remote tune"; }
cmp -s "$work/q10" "$work/q11" || fail "tune --data URI: output differs from a local run"
tmp_empty "remote assess, tune"
# A missing remote object: one line naming the option (or the argument) and the URI.
for what in "simulate FILE" "anneal FILE" "vqe HAMILTONIAN" "vqe --initial-point" "assess --train" "tune --data"; do
  sub=${what% *}
  opt=${what#* }
  case $opt in
    --train | --data) args=("$opt" "$dfs/in/missing.csv" --label y) ;;
    --initial-point) args=("$dfs/in/h.txt" --initial-point "$dfs/in/missing.json") ;;
    *) args=("$dfs/in/missing.txt") ;;
  esac
  run "$work/q12" "$sub" "${args[@]}"
  [[ $rc != 0 && $(wc -l <"$work/q12") == 1 ]] || { cat "$work/q12"; fail "$what: a missing object"; }
  grep -q -- "$opt $dfs/in/missing" "$work/q12" || { cat "$work/q12"; fail "$what: the error names no option"; }
  tmp_empty "$what: missing object"
done
echo "simulate, anneal, vqe, assess, tune (abfss): outputs equal to local ones; missing objects: $(cat "$work/q12")"

# --- Hostile ------------------------------------------------------------------------------------------------------
# A missing object: one line naming the option and the URI, non-zero exit, nothing left behind.
run "$work/o7" predict --model "$dfs/runs/42/model" --data "$dfs/data/missing.csv"
[[ $rc != 0 ]] || fail "a missing --data object was accepted"
[[ $(wc -l <"$work/o7") == 1 ]] || { cat "$work/o7"; fail "a missing object: not one line"; }
grep -q -- "--data $dfs/data/missing.csv" "$work/o7" || { cat "$work/o7"; fail "the error names no option and URI"; }
tmp_empty "missing object"
# A missing model folder, by SAS: the SAS's signature is not printed.
run "$work/o8" predict --model "$blob/nothing/model?$sas" --data "$work/local/train.csv"
[[ $rc != 0 && $(wc -l <"$work/o8") == 1 ]] || { cat "$work/o8"; fail "a missing --model folder"; }
grep -q -- "--model" "$work/o8" || fail "the missing model's error names no option"
echo "hostile: missing objects refused in one line ($(cat "$work/o7"))"

# An --out that exists: refused before any work, the remote untouched.
before=$(az list "$c" runs/42/ | sort | md5sum)
az get "$c/runs/42/metrics.json" "$work/m-before.json"
run "$work/o9" run --data "$dfs/data/train.csv" --out "$dfs/runs/42" "${opts[@]}"
[[ $rc != 0 ]] || fail "an existing --out was replaced"
grep -q "exists already" "$work/o9" || { cat "$work/o9"; fail "the refusal does not say why"; }
[[ $(az list "$c" runs/42/ | sort | md5sum) == "$before" ]] || fail "the existing output changed"
az get "$c/runs/42/metrics.json" "$work/m-after.json"
cmp -s "$work/m-before.json" "$work/m-after.json" || fail "the existing metrics.json changed"
run "$work/o10" predict --model "$dfs/runs/42/model" --data "$dfs/data/train.csv" --out "$dfs/pred/p.csv"
[[ $rc != 0 ]] && grep -q "exists already" "$work/o10" || { cat "$work/o10"; fail "an existing --out file was replaced"; }
tmp_empty "existing outputs"
echo "hostile: existing outputs refused ($(head -c 160 "$work/o9"))"

# A fault mid-upload: metrics.json and model/ are uploaded, then every append to report.html fails (500, after
# the retries): the run fails, nothing final is left under runs/44 (the temporary folder removed), and no
# temporary is left locally.
az fault '[{"method": "PATCH", "path": "runs/\\.44[^/]*/report\\.html", "query": "action=append", "kind": "status", "status": 500, "times": 1000}]'
run "$work/o11" run --data "$dfs/data/train.csv" --out "$dfs/runs/44" "${opts[@]}"
az reset
[[ $rc != 0 ]] || { cat "$work/o11"; fail "a failed upload reported success"; }
[[ $(wc -l <"$work/o11") -le 2 ]] || { cat "$work/o11"; fail "a failed upload: more than a line of error"; }
grep -q -- "--out" "$work/o11" || { cat "$work/o11"; fail "the upload error names no option"; }
grep -q "report.html" "$work/o11" || { cat "$work/o11"; fail "the upload did not fail at the injected fault"; }
left=$(az listall "$c" runs/ | grep -E '^runs/(44|\.44)' || true)
[[ -z $left ]] || fail "a failed upload left: $left"
tmp_empty "failed upload"
# The same on Blob (no account key): metrics.json and model/ are committed, then report.html's Put Block List
# fails: the committed files are deleted again; no file, no marker.
az fault '[{"method": "PUT", "path": "runs/45/report\\.html", "query": "comp=blocklist", "kind": "status", "status": 500, "times": 1000}]'
(
  unset AZURE_STORAGE_KEY
  run "$work/o12" run --data "$blob/data/train.csv?$sas" --out "$blob/runs/45?$sas" "${opts[@]}"
  [[ $rc != 0 ]] || fail "a failed Blob publish reported success"
  grep -q "report.html" "$work/o12" || { cat "$work/o12"; fail "the Blob publish did not fail at the injected fault"; }
  tmp_empty "failed Blob publish"
)
az reset
[[ -z $(az list "$c" runs/45) ]] || fail "a failed Blob publish left: $(az list "$c" runs/45)"
az listall "$c" runs/ | grep -x 'runs/42' >/dev/null || fail "the leftover check sees no directories"
echo "hostile: failed uploads leave nothing ($(head -c 200 "$work/o11"))"

# --- No secret in any output line ---------------------------------------------------------------------------------
cat "$work"/o5 "$work"/o6 "$work"/o12 >>"$all_output" 2>/dev/null || true
if grep -F -e "$key" -e "$sig" "$all_output" >/dev/null || grep -E 'sig=[^[&]' "$all_output" >/dev/null; then
  fail "a secret was printed"
fi
echo "no secret in $(wc -l <"$all_output") lines of output"
echo "ok: cli_remote"
