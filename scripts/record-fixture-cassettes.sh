#!/usr/bin/env bash
# Records the cassettes in fixtures/cassettes/ again (after an intended change of the
# runner or the cassette format): the correct reference server and three mutants, with
# the test clock, and the correct server once on the wall clock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" >&2
tc="$build/conformance/taskconform"
out="$root/fixtures/cassettes"
rm -rf "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
record() {  # folder, then taskconform run arguments
  local dir=$1
  shift
  "$tc" run --seed 1 --report-dir "$work/report" --record "$out/$dir" "$@" >"$work/out.txt" || true
  grep "taskconform: rules" "$work/out.txt"
}
sc="$root/scenarios"
record correct "$sc/STREAM-RL-001.json" "$sc/STREAM-HB-002.json" "$sc/STREAM-FLT-STATUS-001.json" "$sc/AGENT-CANCEL-001.json"
record correct-real-time --real-time "$sc/STREAM-RL-001.json"
record coalesce-keeps-oldest --mutant coalesce-keeps-oldest "$sc/STREAM-RL-001.json"
record heartbeats-late --mutant heartbeats-late "$sc/STREAM-HB-002.json"
record status-filter-swapped --mutant status-filter-swapped "$sc/STREAM-FLT-STATUS-001.json"
record cancel-not-sent-to-agent --mutant cancel-not-sent-to-agent "$sc/AGENT-LISTEN-002.json"
echo "wrote $(find "$out" -name '*.cassette.json' | wc -l) cassettes in $out"
