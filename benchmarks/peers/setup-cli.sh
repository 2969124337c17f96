# Sourced by the benchmarks that run the hqml program against Python peers (qaoa.sh, vqe.sh): builds the
# program once, in one folder for all of them, sets up the peers' virtual environment and prints the
# machine line. Sets root, build (env HQML_BUILD_DIR, default build-bench-cli) and venv (env HQML_PEERS_VENV,
# default build/peers-venv).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HQML_BUILD_DIR:-$root/build-bench-cli}
venv=${HQML_PEERS_VENV:-$root/build/peers-venv}

cmake -S "$root" -G Ninja -B "$build" -DCMAKE_BUILD_TYPE=Release -DHQML_NATIVE=ON -DHQML_BUILD_TESTS=OFF \
  -DHQML_BUILD_EXAMPLES=ON -DHQML_BUILD_BENCHMARKS=OFF -DHQML_ENABLE_CUDA=OFF >/dev/null
ninja -C "$build" -j2 hqml_cli >/dev/null
bash "$root/benchmarks/peers/setup-venv.sh" "$venv"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u "+%Y-%m-%d %H:%M") UTC"
