#!/usr/bin/env bash
# Starts or stops the loopback storage server (storage_server.py) for the Azure adapter's ctest fixture.
#   server_fixture.sh start DIR PYTHON [server options...]   writes DIR/federated.jwt (the workload identity
#                                                           assertion), starts the server, waits for DIR/port
#   server_fixture.sh stop DIR                              stops it (SIGTERM, then SIGKILL after 10 s)
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
case $cmd in
  start)
    python=$3
    shift 3
    mkdir -p "$dir"
    if [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then kill "$(cat "$dir/pid")" || true; fi
    rm -f "$dir/port" "$dir/pid"
    # A JWT-shaped assertion (header {"alg":"none"}, payload {"sub":"hqml-test"}): the server compares it byte for byte.
    printf 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJocW1sLXRlc3QifQ.ZmVkZXJhdGVkLWFzc2VydGlvbg\n' >"$dir/federated.jwt"
    nohup "$python" "$here/storage_server.py" --port-file "$dir/port" --federated-token-file "$dir/federated.jwt" \
      --data-dir "$dir/data" "$@" >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    for _ in $(seq 300); do
      [[ -s $dir/port ]] && { echo "storage server on port $(cat "$dir/port") (pid $(cat "$dir/pid"))"; exit 0; }
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "storage server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    [[ -f $dir/pid ]] || exit 0
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/pid" "$dir/port"
    ;;
  *)
    echo "usage: server_fixture.sh start DIR PYTHON [options] | stop DIR" >&2
    exit 2
    ;;
esac
