#!/usr/bin/env bash
# Real-time play: STREAM-RL-001 and STREAM-PRE-001 on the system clock. The scenarios
# must pass and no rule may FAIL (a rule may be INCONCLUSIVE if the calibrated
# tolerance is too coarse for it: that is honest, not a failure).
set -uo pipefail
taskconform=$1 scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$taskconform" run --real-time --min-tolerance-ms 100 --report-dir "$work/out" \
  "$scenarios/STREAM-RL-001.json" "$scenarios/STREAM-PRE-001.json" >"$work/out.txt" 2>&1
cat "$work/out.txt"
grep -q "^calibration: .*real-time tolerance" "$work/out.txt" || { echo "real-time: no calibration line" >&2; exit 1; }
grep -q "scenarios: 2 passed, 0 failed" "$work/out.txt" || { echo "real-time: the scenarios did not pass" >&2; exit 1; }
grep -qE "rules: [0-9]+ passed, 0 failed" "$work/out.txt" || { echo "real-time: a rule failed" >&2; exit 1; }
grep -q '"virtualTime": false' "$work/out/report.json" || { echo "real-time: the report does not say real time" >&2; exit 1; }
echo "real-time: passed on the system clock"
