#!/usr/bin/env bash
# What each public umbrella header costs a user to include: `c++ -fsyntax-only` of a unit that includes
# only that header, with the flags a consumer of hqml::hqml gets (C++20, OpenMP, Eigen, no -march).
# Prints one line per header: median seconds of REPS runs. Usage: parse_times.sh [REPS] [HEADER...]
#   CXX            compiler (default c++)
#   HQML_ROOT      source tree (default: this script's parent folder)
set -euo pipefail
root=${HQML_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
reps=${1:-3}
shift || true
cxx=${CXX:-c++}
headers=("$@")
if [ ${#headers[@]} -eq 0 ]; then
  headers=(state_vector.hpp circuit.hpp qasm.hpp quantum_kernel.hpp anneal.hpp vqe.hpp qaoa.hpp gradient.hpp
           batched.hpp kernel_training.hpp learn.hpp app/pipeline.hpp app/report.hpp)
fi
includes=(-I"$root/include" -I"$root/backends" -I"$root/kernels" -I"$root/adapters" -isystem /usr/include/eigen3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-28s %8s\n' header seconds
for h in "${headers[@]}"; do
  [ -f "$root/include/hqml/$h" ] || { printf '%-28s %8s\n' "$h" absent; continue; }
  printf '#include <hqml/%s>\nint main() { return 0; }\n' "$h" > "$work/u.cpp"
  times=()
  for ((i = 0; i < reps; ++i)); do
    s=$(date +%s.%N)
    "$cxx" -std=c++20 -fopenmp -fsyntax-only "${includes[@]}" "$work/u.cpp"
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-28s %8.2f\n' "$h" "$med"
done
