#!/usr/bin/env bash
# Builds and runs the consumer project against hqml: MODE is find_package (after installing hqml into a
# scratch prefix) or add_subdirectory.
set -euo pipefail
mode=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
if [ "$mode" = find_package ]; then
  cmake -S "$src" -B "$work/hqml-build" -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF \
    -DHQML_BUILD_BENCHMARKS=OFF -DHQML_ENABLE_CUDA=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
  cmake --install "$work/hqml-build" >/dev/null
  cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
else
  cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DHQML_CONSUMER_MODE=add_subdirectory \
    -DHQML_SOURCE_DIR="$src" -DHQML_ENABLE_CUDA=OFF >/dev/null
fi
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
