#!/usr/bin/env bash
# Installs the Debian packages hqml builds and tests against. Idempotent: quiet when all are present.
# Usage: cmake/install-deps.sh [--with-svm]
set -euo pipefail
pkgs=(cmake ninja-build g++ clang libomp-dev libeigen3-dev catch2 libbenchmark-dev libcli11-dev nlohmann-json3-dev
  libsvm-dev pkg-config libcpp-httplib-dev libhiredis-dev redis-server python3-venv libcurl4-openssl-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "hqml: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
