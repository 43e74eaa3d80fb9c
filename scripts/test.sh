#!/usr/bin/env bash
# Every test through CTest (benchmarks excepted: scripts/bench.sh runs those).
# usage: test.sh [CMAKE_ARGS...]   e.g. test.sh -DTH_WERROR=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" "$@" >&2
cd "$build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" -LE bench
