#!/usr/bin/env bash
# Creates, once, a Python environment the tests check hqml against (peers, real clients, official SDKs from
# PyPI) and prints the versions of what it holds.
# Usage: tests/python/setup-venv.sh NAME [VENV] [-- [SCRIPT ARGS...]]
#   NAME: the package list, tests/python/NAME.txt (pip requirement lines, major versions pinned: the checks
#   are written against these interfaces). VENV default build/NAME-venv.
#   Without "--": exit 1 with a one-line reason when the environment cannot be made (no venv module and no
#   apt, no network to PyPI).
#   With "--" (how ctest runs it): where the environment cannot be made, prints "HQML_TEST_SKIPPED: reason"
#   and exits 0, which the tests' SKIP_REGULAR_EXPRESSION reads as skipped; otherwise runs VENV's python on
#   SCRIPT ARGS, if given, and exits with its status.
# Idempotent: the stamp file holds the package list the environment was made with; another list installs
# again. A lock beside VENV keeps two runs (two ctest tests, two shells) from making it at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 NAME [VENV] [-- [SCRIPT ARGS...]]" >&2; exit 2; }
name=$1
shift
list=$here/$name.txt
[ -f "$list" ] || { echo "setup-venv: no package list $list" >&2; exit 2; }
venv=$root/build/$name-venv
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  venv=$1
  shift
fi
ctest_mode=0
if [ $# -gt 0 ]; then
  ctest_mode=1
  shift  # the "--"
fi
stamp=$venv/.hqml-ready
mapfile -t reqs < <(grep -vE '^[[:space:]]*(#|$)' "$list")
wanted=$(printf '%s\n' "${reqs[@]}")

fail() {
  if [ $ctest_mode -eq 1 ]; then
    echo "HQML_TEST_SKIPPED: $name venv: $1"
    exit 0
  fi
  echo "setup-venv: $name: $1" >&2
  exit 1
}

make_venv() {
  command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    # Debian splits the venv module (and ensurepip) into python3-venv.
    if command -v apt-get >/dev/null 2>&1; then
      apt-get install -y python3-venv >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y python3-venv >/dev/null 2>&1; } ||
        fail "python3-venv is missing and apt-get could not install it"
    else
      fail "python3's venv module is missing and there is no apt-get to install it"
    fi
  fi
  # An environment whose python no longer runs (python3 upgraded or removed) is made again.
  if ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" >/dev/null 2>&1 || fail "python3 -m venv $venv failed"
  fi
  rm -f "$stamp"
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "${reqs[@]}" >"$venv/pip.log" 2>&1; then
    fail "pip could not install ${reqs[*]} (no network to PyPI?): see $venv/pip.log"
  fi
  printf '%s\n' "$wanted" >"$stamp"
}

if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  mkdir -p "$(dirname "$venv")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
  fi
  # Another run may have made it while this one waited for the lock.
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    make_venv
  fi
  if command -v flock >/dev/null 2>&1; then
    exec 9>&-
  fi
fi
# The distributions' names: a requirement line up to its first extra, version or marker character.
versions=$("$venv/bin/python" - "${reqs[@]}" 2>&1 <<'PY'
import re, sys
from importlib.metadata import version
names = [re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0] for r in sys.argv[1:]]
print(f"python {sys.version.split()[0]}, " + ", ".join(f"{n} {version(n)}" for n in names))
PY
) || {
  rm -f "$stamp"  # the next run installs again
  fail "the environment in $venv lacks its packages: $(tail -1 <<<"$versions")"
}
echo "$name venv: $versions"
if [ $ctest_mode -eq 1 ] && [ $# -gt 0 ]; then
  exec "$venv/bin/python" "$@"
fi
