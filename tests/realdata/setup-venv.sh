#!/usr/bin/env bash
# Creates, once, the Python environment the real-data checks compare hqml against (numpy and
# scikit-learn from PyPI) and prints the versions. Usage: tests/realdata/setup-venv.sh [DIR]
# (default build/realdata-venv). Exit 1 with a one-line reason when it cannot be made (no venv module
# and no apt, no network to PyPI): run.sh turns that into "skipped".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${1:-$root/build/realdata-venv}
stamp=$venv/.hqml-realdata-ready
# Major versions pinned: the checks compare hqml's numbers to these libraries' to 1e-9 and to one row.
reqs=("numpy>=1.26,<3" "scikit-learn>=1.3,<2")

if [ ! -f "$stamp" ]; then
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    # Debian splits the venv module (and ensurepip) into python3-venv.
    if command -v apt-get >/dev/null 2>&1; then
      apt-get install -y python3-venv >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y python3-venv >/dev/null 2>&1; } ||
        { echo "setup-venv: python3-venv is missing and apt-get could not install it" >&2; exit 1; }
    else
      echo "setup-venv: python3's venv module is missing and there is no apt-get to install it" >&2
      exit 1
    fi
  fi
  rm -rf "$venv"
  python3 -m venv "$venv" >/dev/null 2>&1 || { echo "setup-venv: python3 -m venv $venv failed" >&2; exit 1; }
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "${reqs[@]}" >"$venv/pip.log" 2>&1; then
    echo "setup-venv: pip could not install numpy and scikit-learn (no network to PyPI?): see $venv/pip.log" >&2
    exit 1
  fi
  touch "$stamp"
fi
"$venv/bin/python" -c "import sys, numpy, sklearn; print(f'python {sys.version.split()[0]}, numpy {numpy.__version__}, scikit-learn {sklearn.__version__}')"
