#!/usr/bin/env bash
# Builds the hqml program if needed (installing the Debian packages it needs) and runs it:
#   examples/hqml.sh run            the main job
#   examples/hqml.sh simulate FILE  any other subcommand
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/cmake/install-deps.sh"
build=${HQML_BUILD_DIR:-$root/build/release}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON \
    -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_BENCHMARKS=OFF -DHQML_BUILD_EXAMPLES=ON >/dev/null
fi
ninja -C "$build" hqml_cli >&2
exec "$build/examples/hqml" "$@"
