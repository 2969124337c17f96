# Sourced by the hqml program's end-to-end scripts (tests/*/cli_*test.sh) once they have set `case`: a scratch
# folder $work, removed on exit, and the helpers they share.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $case: $*" >&2; exit 1; }
# Prints the Python expression $2 over the JSON document in file $1 (bound to d).
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# Runs a command that should fail: its exit code in $rc, its stderr in $work/err.
failing() { set +e; "$@" 2>"$work/err"; rc=$?; set -e; }
# refused RC PATTERN COMMAND...: in a folder listed beforehand into ./before (`ls >before`), COMMAND must exit
# with RC and print one line on stderr that holds PATTERN, nothing on stdout, and leave no new file there.
refused() {
  local want=$1 pattern=$2
  shift 2
  local what
  what=$(printf '%q ' "${@:2}" | cut -c1-160)  # the command's arguments, for the messages
  set +e
  timeout 120 "$@" >out 2>err
  rc=$?
  set -e
  [ $rc -eq "$want" ] || fail "$what: exit code $rc, expected $want: $(head -c 300 err)"
  [ "$(wc -l <err)" -eq 1 ] || fail "$what: stderr is not one line: $(head -c 600 err)"
  grep -qF -- "$pattern" err || fail "$what: '$pattern' not in: $(cat err)"
  [ ! -s out ] || fail "$what: wrote to stdout: $(head -c 300 out)"
  ls | grep -vx -e out -e err | cmp -s - before || fail "$what: wrote files: $(ls)"
}
