#!/usr/bin/env bash
# The real-data evidence suite: `hqml run` and `hqml predict` on scikit-learn's bundled data sets, checked
# against scikit-learn on the same splits (check_run.py says what is checked).
# Usage: tests/realdata/run.sh HQML [VENV]   (VENV default build/realdata-venv; HQML_REALDATA_KEEP=1 keeps
# the data and the runs' output folders). Exit 77 (skipped) with a one-line reason when the Python
# environment cannot be made (no python3, no network to PyPI); otherwise the checker's status.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 HQML [VENV]" >&2; exit 2; }
hqml=$(realpath "$1")
[ -x "$hqml" ] || { echo "realdata: $1 is not an executable" >&2; exit 2; }
venv=${2:-$root/build/realdata-venv}

command -v python3 >/dev/null 2>&1 || { echo "skipped: realdata: python3 is not installed"; exit 77; }
if ! versions=$(bash "$root/tests/python/setup-venv.sh" realdata "$venv" 2>&1); then
  echo "skipped: realdata: $(tail -1 <<<"$versions")"
  exit 77
fi
echo "realdata: $versions"
py=$venv/bin/python

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hqml-realdata.XXXXXX")
"$py" "$here/make_datasets.py" "$tmp/data" >/dev/null || { echo "realdata: make_datasets.py failed" >&2; exit 1; }
start=$SECONDS
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$py" "$here/check_run.py" "$hqml" "$tmp/data" "$tmp/work"
rc=$?
echo "realdata: $((SECONDS - start)) s"
if [ $rc -ne 0 ] || [ -n "${HQML_REALDATA_KEEP:-}" ]; then
  echo "realdata: data and output folders kept in $tmp"
else
  rm -rf "$tmp"
fi
exit $rc
