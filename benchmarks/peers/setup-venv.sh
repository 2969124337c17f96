#!/usr/bin/env bash
# Creates (once) the virtual environment with the peer libraries hqml is compared against.
# Usage: benchmarks/peers/setup-venv.sh [VENV_DIR]   (default: build/peers-venv)
set -euo pipefail
venv=${1:-${HQML_PEERS_VENV:-build/peers-venv}}
stamp="$venv/.hqml-peers-v1"
[ -f "$stamp" ] && exit 0
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q numpy scipy "qiskit>=1.0" qiskit-aer qulacs
touch "$stamp"
