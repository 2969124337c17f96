# Sourced by the hqml program's end-to-end scripts (tests/*/cli_*test.sh) once they have set `case`: a scratch
# folder $work, removed on exit, and the helpers they share.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $case: $*" >&2; exit 1; }
# Prints the Python expression $2 over the JSON document in file $1 (bound to d).
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# Runs a command that should fail: its exit code in $rc, its stderr in $work/err.
failing() { set +e; "$@" 2>"$work/err"; rc=$?; set -e; }
