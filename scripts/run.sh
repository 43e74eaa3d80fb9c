#!/usr/bin/env bash
# The main job: every scenario in scenarios/ through the simulator, with a summary.
# (The conformance runner takes this over when it lands.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" >&2
mkdir -p "$root/reports/out"
trace="$root/reports/out/traces.jsonl"
set +e
"$build/sim/tasksim" run --trace "$trace" "$root"/scenarios/*.json
status=$?
set -e
echo "traces of every client's observations: $trace"
exit $status
