#!/usr/bin/env bash
# Creates (once) the virtual environment with the peer libraries hqml is compared against. Each group of
# packages has its own stamp, so an existing environment only gains what it lacks.
# Usage: benchmarks/peers/setup-venv.sh [VENV_DIR]   (default: build/peers-venv)
set -euo pipefail
venv=${1:-${HQML_PEERS_VENV:-build/peers-venv}}
if [ ! -f "$venv/.hqml-peers-v1" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q numpy scipy "qiskit>=1.0" qiskit-aer qulacs
  touch "$venv/.hqml-peers-v1"
fi
# Kernel-matrix peers (benchmarks/kernel.sh): qiskit-machine-learning's fidelity kernels and PennyLane.
if [ ! -f "$venv/.hqml-peers-kernel-v1" ]; then
  "$venv/bin/python" -m pip install -q qiskit-machine-learning scikit-learn pennylane
  touch "$venv/.hqml-peers-kernel-v1"
fi
