#!/usr/bin/env bash
# Bounds admit legitimate load: against a store of 10,000 tasks (the busy-store legal
# variant), streams that start with 10,000 PREEXISTING events pass with the default
# limits; no bound is hit and no scenario errors.
# usage: preexisting_10k.sh TASKCONFORM SCENARIOS
set -uo pipefail
taskconform=$1 scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$taskconform" run --variant busy-store --record "$work/rec" --report-dir "$work/report" \
  "$scenarios/STREAM-PRE-001.json" "$scenarios/STREAM-HB-001.json" >"$work/out" 2>&1
python3 - "$work" <<'PY' || { tail -30 "$work/out" >&2; exit 1; }
import glob, json, sys
work = sys.argv[1]
report = json.load(open(work + "/report/report.json"))
verdicts = {s["name"]: s["verdict"] for s in report["scenarios"]}
assert verdicts == {"STREAM-PRE-001": "PASS", "STREAM-HB-001": "PASS"}, verdicts
most = 0
for f in glob.glob(work + "/rec/*.cassette.json"):
    for s in json.load(open(f))["record"]["streams"]:
        pre = sum(1 for e in s["events"] if isinstance(e["data"], dict)
                  and e["data"].get("taskEvent", {}).get("eventType") == "EVENT_TYPE_PREEXISTING")
        most = max(most, pre)
assert most >= 10000, most
print(f"preexisting: both scenarios pass with a stream of {most} PREEXISTING events under the default limits")
PY
