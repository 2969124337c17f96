#!/usr/bin/env bash
# Builds and runs the consumer project against hqml. run.sh MODE SRC WORK [BUILD VERSION [CONFIG]], MODE:
#   install           installs the build tree BUILD into a scratch prefix as a user would, checks that the
#                     prefix holds bin/hqml (which must print "hqml VERSION"), the headers, the CMake package,
#                     LICENSE and NOTICE, and builds the consumer against it with find_package;
#   find_package      the same for a fresh configure of hqml without its programs (bin/hqml must be absent);
#   add_subdirectory  the consumer adds hqml's sources: hqml's program is neither defined nor installed.
# Where that hqml has hqml::cpu_kernels (HQML_BUILD_CPU_KERNELS), consumer_cpu_kernels must be built, its unit must
# take the AVX2 kernels from the library (its object file calls them and defines none), and it must run.
set -euo pipefail
mode=$1 src=$2 work=$3 build=${4:-} version=${5:-} config=${6:-}
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
fail() { echo "packaging ($mode): $*" >&2; exit 1; }
expect_file() { [ -f "$prefix/$1" ] || fail "$prefix/$1 is missing after cmake --install"; }

check_prefix() {  # with_program: yes|no
  for h in circuit.hpp state_vector.hpp learn.hpp app.hpp app/pipeline.hpp kernels/index.hpp backends/cpu_simd.hpp \
           backends/traits.hpp; do
    expect_file "include/hqml/$h"
  done
  expect_file share/cmake/hqml/hqml-config.cmake
  expect_file share/doc/hqml/LICENSE
  expect_file share/doc/hqml/NOTICE
  grep -q "Apache License" "$prefix/share/doc/hqml/LICENSE" || fail "share/doc/hqml/LICENSE is not a license"
  if [ "$1" = yes ]; then
    [ -x "$prefix/bin/hqml" ] || fail "$prefix/bin/hqml is missing or not executable"
    got=$("$prefix/bin/hqml" --version) || fail "bin/hqml --version exited with $?"
    [ "$got" = "hqml $version" ] || fail "bin/hqml --version printed '$got', expected 'hqml $version'"
    echo "packaging: $got installed and runs"
  elif [ -e "$prefix/bin/hqml" ]; then
    fail "bin/hqml installed although the program was not asked for"
  fi
}

case $mode in
  install)
    cmake --install "$build" ${config:+--config "$config"} --prefix "$prefix" >/dev/null
    check_prefix yes ;;
  find_package)
    cmake -S "$src" -B "$work/hqml-build" -DHQML_BUILD_TESTS=OFF -DHQML_BUILD_EXAMPLES=OFF \
      -DHQML_BUILD_BENCHMARKS=OFF -DHQML_ENABLE_CUDA=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
    cmake --build "$work/hqml-build" >/dev/null  # hqml::cpu_kernels, where it is on
    cmake --install "$work/hqml-build" >/dev/null
    check_prefix no ;;
  add_subdirectory)
    cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DHQML_CONSUMER_MODE=add_subdirectory \
      -DHQML_SOURCE_DIR="$src" -DHQML_ENABLE_CUDA=OFF >/dev/null ;;
  *) fail "unknown mode (install, find_package or add_subdirectory)" ;;
esac
if [ "$mode" != add_subdirectory ]; then
  # The program's package holds the same headers as find_package mode's, which compiles every one of them.
  all_headers=ON
  [ "$mode" = install ] && all_headers=OFF
  cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DHQML_CONSUMER_ALL_HEADERS=$all_headers >/dev/null
fi
cmake --build "$work/consumer" >/dev/null
if [ "$mode" = add_subdirectory ]; then
  # The consumer's install holds hqml's headers and license but no program.
  cmake --install "$work/consumer" --prefix "$prefix" >/dev/null
  check_prefix no
fi
"$work/consumer/consumer"
if [ "$mode" = install ] && grep -q "^HQML_ENABLE_CUDA:BOOL=ON" "$build/CMakeCache.txt"; then
  [ -x "$work/consumer/consumer_cuda" ] || fail "hqml::cuda is missing from a package built with CUDA"
fi
if [ -x "$work/consumer/consumer_cuda" ]; then "$work/consumer/consumer_cuda"; fi

# The cache of the hqml the consumer used: the build tree installed, the fresh configure, or the consumer's own.
case $mode in
  install) hqml_cache=$build/CMakeCache.txt ;;
  find_package) hqml_cache=$work/hqml-build/CMakeCache.txt ;;
  add_subdirectory) hqml_cache=$work/consumer/CMakeCache.txt ;;
esac
if grep -q "^HQML_BUILD_CPU_KERNELS:BOOL=ON" "$hqml_cache"; then
  [ -x "$work/consumer/consumer_cpu_kernels" ] || fail "hqml::cpu_kernels is missing although HQML_BUILD_CPU_KERNELS is on"
fi
if [ -x "$work/consumer/consumer_cpu_kernels" ]; then
  obj=$(find "$work/consumer/CMakeFiles/consumer_cpu_kernels.dir" -name "cpu_kernels.cpp.o" | head -n 1)
  [ -n "$obj" ] || fail "no object file of consumer_cpu_kernels"
  nm=$(sed -n "s/^CMAKE_NM:FILEPATH=//p" "$work/consumer/CMakeCache.txt")
  symbols=$("${nm:-nm}" -C "$obj") || fail "${nm:-nm} -C $obj failed"
  kernels="hqml::kernels::avx2::(runner_for|two_term_runner|run|run_two_term|transition_1q|adjoint_run_1q)<"
  own=$(grep -cE " [TtWw] .*$kernels" <<<"$symbols" || true)
  [ "$own" -eq 0 ] || fail "consumer_cpu_kernels compiled $own AVX2 kernels of its own instead of linking hqml::cpu_kernels"
  for entry in runner_for two_term_runner transition_1q adjoint_run_1q; do
    grep -qE " U .*hqml::kernels::avx2::$entry<" <<<"$symbols" ||
      fail "consumer_cpu_kernels does not call hqml::cpu_kernels' $entry"
  done
  "$work/consumer/consumer_cpu_kernels"
fi
"$work/consumer/consumer_app"
