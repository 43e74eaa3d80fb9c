#!/usr/bin/env bash
# The main job: every scenario in scenarios/ through the simulator (the model's
# prediction, with traces), then over HTTP against the reference server started
# in-process (taskconform), each with a summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" >&2
mkdir -p "$root/reports/out"
trace="$root/reports/out/traces.jsonl"
set +e
echo "== the model, in virtual time (tasksim run)"
"$build/sim/tasksim" run --trace "$trace" "$root"/scenarios/*.json
sim_status=$?
echo "traces of every client's observations: $trace"
echo
echo "== the reference server over HTTP, test clock on (taskconform run)"
"$build/conformance/taskconform" run --scenarios "$root/scenarios" --report-dir "$root/reports/out"
conform_status=$?
set -e
exit $(( sim_status != 0 ? sim_status : conform_status ))
