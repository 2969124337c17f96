#!/usr/bin/env bash
# Creates, once, the Python environment the Azure ML deployment check loads deploy/azureml/ with
# (azure-ai-ml from PyPI: its YAML loaders are the ones `az ml online-deployment create -f` uses) and prints
# the version. Usage: tests/deploy/setup-venv.sh [DIR] (default build/deploy-venv). Exit 1 with a one-line
# reason when it cannot be made (no venv module and no apt, no network to PyPI): the ctest reports skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${1:-$root/build/deploy-venv}
stamp=$venv/.hqml-deploy-ready
# Major version pinned: the check reads the attributes of the entities azure-ai-ml 1.x loads.
reqs=("azure-ai-ml>=1.20,<2")

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
    echo "setup-venv: pip could not install azure-ai-ml (no network to PyPI?): see $venv/pip.log" >&2
    exit 1
  fi
  touch "$stamp"
fi
"$venv/bin/python" -c 'import sys; from importlib.metadata import version
print("python", sys.version.split()[0] + ", azure-ai-ml", version("azure-ai-ml"))'
