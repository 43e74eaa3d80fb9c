#!/usr/bin/env bash
# The benchmarks (CTest label `bench`): speed and memory targets, run by hand.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" >&2
cd "$build"
ctest --output-on-failure -V -L bench
